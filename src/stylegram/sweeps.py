"""Sweeps: one transfer (or texture) per combination of a few options' values, side by side on a contact sheet.

What does --style-weight 100 do that 10 does not, how do the statistics of docs/statistics.md differ on one pair,
AdaIN or Gatys, which of these styles suits this photo? A sweep answers with pictures: every combination of the values
given runs with the other options fixed, through the same loop as a transfer (each network loaded once), and the
sheet shows each picture above the values that made it and the seconds it took. Every combination is checked
(options, images, memory) before any runs. A cells folder (sweep_folder) keeps each picture and gives it back to the
next sweep that asks for it; batch.sweep makes the pictures side by side on a Dask cluster.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont

from . import gatys, images, synthesis
from .backbones import Backbone
from .errors import KEYWORDS, OptionError, StylegramError, did_you_mean
from .images import ImageLike
from .job import Job, Result
from .optimize import Progress
from .options import Options, flag, whole_number
from .sweep_folder import CellFolder, fingerprint

if TYPE_CHECKING:
    from .analysis.compare import Comparison
    from .analysis.explain import Explanation

KEYWORDS.add("vary")  # sweep's: its messages name --vary, which a Python caller gives as vary=
_IMAGE_SUFFIX = re.compile(r"\.(png|jpe?g|webp|tiff?|bmp|gif|avif|heic)$", re.IGNORECASE)
MAX_CELLS = 64  # more combinations than this is a typo, not a plan: hours of work
CAPTION_FONT = 13  # px
MARGIN = 8  # px around and between the cells
ROW = 4  # pictures a row holds at most when one option is varied
VARIED_INPUTS = {"style": "styles", "example": "examples"}  # images a sweep may vary like an option: {name: role}


@dataclass(frozen=True)
class Cell:
    """One combination: the values it set (by option name), its result, whether a stop cut it short, and whether its
    picture was taken from an earlier sweep's cells folder."""

    changes: dict[str, Any]
    result: Result
    stopped: bool = False
    reused: bool = False
    number: int = 0  # its place among the combinations, from 0 (the sheet's order)
    measured: str = ""  # what ``measured`` found, e.g. 'style 83%, content r 0.71'
    explained: Explanation | None = None  # its numbers (.moved, .kept, .grams, .matches), with measure=True
    repeats: str = ""  # why it is an earlier cell's picture again ('gatys reads no alpha'); the sheet leaves it blank

    @property
    def caption(self) -> str:
        """'style-weight 10, statistic gram · 12.3s' under its picture."""
        return " ".join(self.caption_parts)

    @property
    def caption_parts(self) -> list[str]:
        """The caption in the pieces a line may break between: each value, then the time."""
        shown = values(self.changes).split(", ")
        named = [*(f"{v}," for v in shown[:-1]), shown[-1]]
        if self.repeats:  # its time was the earlier cell's
            return [*named, "· the same picture:", *self.repeats.split(" ")]
        seconds = self.result.seconds
        took = f"{seconds:.1f}s" if seconds >= 0.1 else f"{seconds:.2f}s"  # AdaIN's 0.04 s read '0.0s'
        return [*named, f"· {took}"
                + (" (stopped)" if self.stopped else ""), *([f"· {self.measured}"] if self.measured else [])]

    @property
    def name(self) -> str:
        """Its values, as a comparison names it: 'style-weight 10, statistic gram'."""
        return values(self.changes)

    @property
    def slug(self) -> str:
        """A file name stem of its values: 'style-weight=10_statistic=gram'."""
        return slug(self.changes)


@dataclass(frozen=True)
class Planned:
    """A combination checked and ready: a Gatys job to iterate, a one-pass method's run, the number of an earlier
    combination that reads the same options (``same_as``: varying --method, AdaIN reads no --style-weight), or the
    picture an earlier sweep made of it (``made``); ``made_of``: what makes its picture (sweep_folder.fingerprint);
    ``options`` and ``inputs`` (by role): what a cluster's task is given to make it."""

    changes: dict[str, Any]
    job: Job | None = None
    one_pass: Callable[[], Result] | None = None
    same_as: int | None = None
    repeats: str = ""  # with same_as: why ('gatys reads no alpha')
    made: Result | None = None
    made_of: dict | None = None
    options: Any = None
    inputs: dict[str, Any] | None = None


def slug(changes: Mapping[str, Any]) -> str:
    """A file name stem of a combination's values: 'style-weight=10_statistic=gram', 'style=swirls' (a file's
    extension left out: its picture was 'style=swirls.png.png')."""
    words = "_".join(f"{flag(name)[2:]}={_IMAGE_SUFFIX.sub('', _shown(value))}" for name, value in changes.items())
    return re.sub(r"[^A-Za-z0-9.=_-]+", "-", words)[:200]


def values(changes: Mapping[str, Any]) -> str:
    """A combination's values as its caption names them: 'style-weight 10, statistic gram'."""
    return ", ".join(f"{flag(name)[2:]} {_shown(value)}" for name, value in changes.items())


def combinations(vary: Mapping[str, Sequence[Any]], options: type[Options] = gatys.TransferOptions,
                 inputs: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Every combination of the values of ``vary`` ({option: values}, names of ``options``' fields or of ``inputs``
    that may vary, such as "style"), the last option changing fastest."""
    if not vary:
        raise OptionError("a sweep needs at least one option to vary, e.g. --vary style-weight 1 10 100")
    fields = {f.name for f in dataclasses.fields(options)} | set(inputs)
    for name, given in vary.items():  # named as a Python caller wrote them (the command line checks its --vary first)
        if name not in fields:
            raise OptionError(f"vary names {name!r}, and no {options.kind} option has that name"
                              f"{did_you_mean(name.replace('-', '_'), fields)}")
        if isinstance(given, (str, bytes)) or not isinstance(given, Sequence) or not given:
            raise OptionError(f"vary[{name!r}] needs a list of values, e.g. [1, 10], got {given!r}")
    vary = {name: _told_apart(given) for name, given in vary.items()}
    cells = [dict(zip(vary, chosen)) for chosen in itertools.product(*vary.values())]
    if len(cells) > MAX_CELLS:
        raise OptionError(f"these values make {len(cells)} runs, more than {MAX_CELLS}; vary fewer options or give "
                          "fewer values")
    return cells


def plan(content: ImageLike, styles: ImageLike | Sequence[ImageLike], vary: Mapping[str, Sequence[Any]],
         options: gatys.TransferOptions | None = None, *, model: Backbone | None = None,
         folder: CellFolder | None = None, **changes) -> list[Planned]:
    """Every transfer's combination with its options, images and memory checked, before any work; each network is
    loaded once (``model``: an already loaded one for every Gatys run); one whose picture ``folder`` holds from the
    same inputs and options is taken from there."""
    def prepared(opts: gatys.TransferOptions, models: dict[tuple, Backbone], given: dict[str, Any]) -> Planned:
        if opts.method != "gatys":
            return Planned({}, one_pass=gatys.prepare_feed_forward(given["content"], given["styles"], opts))
        return Planned({}, job=_shared(gatys.prepare, (given["content"], given["styles"]), opts, models, model))

    _check_not_fixed(vary, changes)
    base = gatys.TransferOptions.given(options, **changes)
    return _planned(vary, base, {"content": content, "styles": styles}, prepared, folder)


def plan_texture(examples: ImageLike | Sequence[ImageLike], vary: Mapping[str, Sequence[Any]],
                 options: synthesis.TextureOptions | None = None, *, model: Backbone | None = None,
                 folder: CellFolder | None = None, **changes) -> list[Planned]:
    """Every texture's combination checked before any work, as ``plan`` checks a transfer's."""
    def prepared(opts: synthesis.TextureOptions, models: dict[tuple, Backbone], given: dict[str, Any]) -> Planned:
        return Planned({}, job=_shared(synthesis.prepare_texture, (given["examples"],), opts, models, model))

    _check_not_fixed(vary, changes)
    base = synthesis.TextureOptions.given(options, **changes)
    return _planned(vary, base, {"examples": examples}, prepared, folder)


def _check_not_fixed(vary: Mapping[str, Sequence[Any]], changes: Mapping[str, Any]) -> None:
    """Refuse an option both given as a keyword and varied (the keyword was dropped without a word; the command line
    refuses the same)."""
    both = sorted(set(changes) & set(vary)) if isinstance(vary, Mapping) else []  # not a Mapping: _planned says so
    if both:
        name = both[0]
        raise OptionError(f"{name} is given as a keyword ({name}={changes[name]!r}) and varied; drop one of them")


def _planned(vary: Mapping[str, Sequence[Any]], base: Options, inputs: dict[str, Any],
             prepared: Callable[[Any, dict[tuple, Backbone], dict[str, Any]], Planned], folder: CellFolder | None
             ) -> list[Planned]:
    """Each combination of ``vary`` on ``base``: a repeat of an earlier one, a picture ``folder`` holds from the same
    inputs and options, or ``prepared(options, networks loaded so far, inputs)``, its errors naming the combination.

    ``inputs`` by role ({"content": ..., "styles": ...}); an input ``vary`` names (VARIED_INPUTS: "style") takes one
    image per combination in place of its role's, so one content can be shown with each of several styles."""
    if not isinstance(vary, Mapping):  # a list of pairs: 'unhashable type: list' from deep inside
        raise OptionError(f"vary is a {type(vary).__name__}; give a dict of option -> values, e.g. "
                          "{'style_weight': [1, 10, 100]}")
    models: dict[tuple, Backbone] = {}
    planned: list[Planned] = []
    seen: dict[str, int] = {}
    varied_inputs = [name for name, role in VARIED_INPUTS.items() if role in inputs]
    for name in set(varied_inputs) & set(vary):
        if _given(inputs[VARIED_INPUTS[name]]):
            raise OptionError(f"the {VARIED_INPUTS[name]} are given and varied; give them in --vary {name} alone")
    cells = combinations(vary, type(base), varied_inputs)
    combined = [_combination(cell, base, inputs, "method" in vary) for cell in cells]
    _check_each_varied_option_matters(vary, combined)
    if "method" in vary:
        _check_fixed_options_read(vary, base, cells)
    for cell, given, opts, ignored in combined:
        key = repr(sorted(cell.items()))
        if key in seen:
            unread = [flag(name)[2:] for name in vary if name not in cell and name not in VARIED_INPUTS]
            planned.append(Planned(cell, same_as=seen[key],
                                   repeats=ignored or f"{opts.method} reads no {' or '.join(unread)}"))
            continue
        seen[key] = len(planned)
        made_of = fingerprint(given, opts.saved())
        made = folder.find(slug(cell), made_of, opts) if folder is not None else None
        if made is not None:
            planned.append(Planned(cell, made=made, made_of=made_of, options=opts, inputs=given))
            continue
        try:
            planned.append(dataclasses.replace(prepared(opts, models, given), changes=cell, made_of=made_of,
                                               options=opts, inputs=given))
        except StylegramError as err:
            raise type(err)(f"{err.flagged} (in the run with {values(cell)})") from None
    return planned


def _combination(cell: dict[str, Any], base: Options, inputs: dict[str, Any], methods_vary: bool
                 ) -> tuple[dict[str, Any], dict[str, Any], Options, str]:
    """(its values, its inputs by role, its options, what it ignores): with the method varied, each method takes the
    options it reads, and the others' stay at their defaults (and out of its values); likewise a Gatys run's options
    that its others make it ignore (gatys.ignored_options) where either is varied: '--vary history 5 20 --vary
    optimizer lbfgs adam' was refused whole, as --history with adam, where adam's cell is the same picture twice
    ('optimizer adam reads no history', what it ignores)."""
    given = {**inputs, **{VARIED_INPUTS[name]: [value] for name, value in cell.items() if name in VARIED_INPUTS}}
    try:  # the options check some values as they are made (size)
        opts = base.replace(**{name: value for name, value in cell.items() if name not in VARIED_INPUTS})
    except StylegramError as err:
        raise type(err)(f"{err.flagged} (in the run with {values(cell)})") from None
    if methods_vary:
        unread = unread_by(opts)
        opts = opts.replace(**{name: getattr(type(base), name) for name in unread})
        cell = {name: value for name, value in cell.items() if name not in unread}
    ignored = {} if not isinstance(opts, gatys.TransferOptions) or opts.method != "gatys" else {
        name: cause for name, (_, cause) in gatys.ignored_options(opts).items() if name in cell or cause in cell}
    if not ignored:
        return cell, given, opts, ""
    why = ", ".join(f"{flag(cause)[2:]} {_shown(getattr(opts, cause))} reads no {flag(name)[2:]}"
                    for name, cause in ignored.items())
    opts = opts.replace(**{name: getattr(type(base), name) for name in ignored})
    return {name: value for name, value in cell.items() if name not in ignored}, given, opts, why


def _check_fixed_options_read(vary: Mapping[str, Sequence[Any]], base: Options, cells: list[dict[str, Any]]) -> None:
    """Refuse options set for the whole sweep that no method varied reads, as transfer refuses them: '--vary method
    adain wct --style-weight 100' ran, the sheet's header naming a weight neither picture used."""
    fixed = [name for name in base.changed() if name not in vary]
    unread = [name for name in fixed if all(
        name in unread_by(base.replace(**{k: v for k, v in cell.items() if k not in VARIED_INPUTS})) for cell in cells)]
    if unread:
        one = len(unread) == 1
        methods = ", ".join(str(m) for m in vary["method"])
        raise OptionError(f"{', '.join(flag(name) for name in unread)} {'is' if one else 'are'} read by no method "
                          f"varied ({methods}), so {'it' if one else 'they'} would change nothing; drop "
                          f"{'it' if one else 'them'}")


def _check_each_varied_option_matters(vary: Mapping[str, Sequence[Any]], combined: list[tuple]) -> None:
    """Refuse an option varied where no combination reads it, before any work: '--vary method adain wct --vary
    style-weight 1 10' made each method's picture twice over, and '--vary seed 1 2' from the content the same picture
    twice."""
    for name in vary:
        if name not in VARIED_INPUTS and not any(name in cell for cell, _, _, _ in combined):
            why = f"no method varied ({', '.join(str(m) for m in vary['method'])}) reads it" if "method" in vary \
                else combined[0][3]  # 'optimizer adam reads no history'
            raise OptionError(f"--{flag(name)[2:]} is varied, but {why}, so its pictures would be copies; drop the "
                              f"--vary {flag(name)[2:]}")
    if "seed" not in vary:
        return
    unused = [gatys.seed_unused(opts.method, opts.init, opts.statistic) if isinstance(opts, gatys.TransferOptions)
              else None for _, _, opts, _ in combined]  # a texture's noise always takes the seed
    if all(unused):
        raise OptionError(f"--seed is varied, but {unused[0]}; drop the --vary seed")


def _given(images: Any) -> bool:
    """Whether an input role holds images (a file, a tensor, a list of them), not None or an empty list."""
    return images is not None and not (isinstance(images, (list, tuple)) and not images)


def _shared(prepare: Callable[..., Job], inputs: tuple, opts: Any, models: dict[tuple, Backbone],
            model: Backbone | None) -> Job:
    """``prepare(*inputs, opts, model=...)`` on ``model``, or on the network these options load if an earlier
    combination loaded it (``models``), else on a new one, kept there for the next."""
    network = (opts.backbone, opts.weights, opts.pooling, opts.padding)
    job = prepare(*inputs, opts, model=model or models.get(network))
    models[network] = job.problem.backbone
    return job


def unread_by(opts: gatys.TransferOptions) -> list[str]:
    """The options the method of ``opts`` does not read: a one pass's optimization options, Gatys's --alpha (unless it
    starts from AdaIN's picture)."""
    if opts.method != "gatys":
        return [f.name for f in dataclasses.fields(opts) if f.name not in gatys.FEED_FORWARD_FIELDS]
    return [] if opts.init == "adain" else ["alpha"]


def sweep(content: ImageLike, styles: ImageLike | Sequence[ImageLike], vary: Mapping[str, Sequence[Any]],
          options: gatys.TransferOptions | None = None, *, on_progress: Callable[[int, Progress], None] | None = None,
          on_cell: Callable[[Cell], None] | None = None, stop: Callable[[], bool] | None = None,
          model: Backbone | None = None, cells: str | os.PathLike[str] | None = None, measure: bool = False,
          progress: bool = False, **changes) -> list[Cell]:
    """A transfer for every combination of ``vary``'s values ({option: values}, e.g. {"style_weight": [1, 10]}), the
    other options from ``options`` and ``changes``; one Cell each, in order.

    ``on_progress`` hears (cell number from 0, record) of each Gatys iteration, ``on_cell`` of each cell done;
    ``stop`` returning True ends the sweep after the iteration being made, that cell's picture so far the last;
    ``model``: an already loaded network for the Gatys runs; ``cells``: a folder to write each picture to, named by
    its values, where the pictures an earlier sweep made from the same inputs and options are taken instead of run;
    ``measure``: each Cell's picture ``measured``; ``progress``: the command line's bar on stderr.
    """
    folder = CellFolder(cells) if cells is not None else None
    planned = plan(content, styles, vary, options, model=model, folder=folder, **changes)
    made = run_shown(planned, folder, on_cell, stop, not progress, on_progress)
    return measured(made, planned) if measure else made


def texture_sweep(examples: ImageLike | Sequence[ImageLike], vary: Mapping[str, Sequence[Any]],
                  options: synthesis.TextureOptions | None = None, *,
                  on_progress: Callable[[int, Progress], None] | None = None,
                  on_cell: Callable[[Cell], None] | None = None, stop: Callable[[], bool] | None = None,
                  model: Backbone | None = None, cells: str | os.PathLike[str] | None = None, measure: bool = False,
                  progress: bool = False, **changes) -> list[Cell]:
    """A texture synthesis from ``examples`` for every combination of ``vary``'s values (e.g. {"statistic": ["gram",
    "meanstd"]}); the rest as ``sweep``."""
    folder = CellFolder(cells) if cells is not None else None
    planned = plan_texture(examples, vary, options, model=model, folder=folder, **changes)
    made = run_shown(planned, folder, on_cell, stop, not progress, on_progress)
    return measured(made, planned) if measure else made


def run_planned(planned: list[Planned], folder: CellFolder | None,
                on_progress: Callable[[int, Progress], None] | None = None,
                on_cell: Callable[[Cell], None] | None = None, stop: Callable[[], bool] | None = None) -> list[Cell]:
    """The planned combinations run in order, each picture written to ``folder``; see ``sweep``."""
    made: list[Cell] = []
    for number, one in enumerate(planned):
        if stop is not None and stop():
            break
        if one.same_as is not None:
            made.append(repeated(made[one.same_as], one, number))
        elif one.made is not None:
            made.append(Cell(one.changes, one.made, reused=True, number=number))
        else:
            result, stopped = _run(one, lambda record: on_progress and on_progress(number, record), stop)
            made.append(Cell(one.changes, result, stopped, number=number))
            if folder is not None:
                folder.keep(made[-1].slug, one.made_of, result, finished=not stopped)
        if on_cell is not None:
            on_cell(made[-1])
    return made


def run_shown(planned: list[Planned], folder: CellFolder | None, on_cell: Callable[[Cell], None] | None = None,
              stop: Callable[[], bool] | None = None, quiet: bool = False,
              on_progress: Callable[[int, Progress], None] | None = None) -> list[Cell]:
    """``run_planned`` under the command line's bar: a step a picture, the running one's values, stage and losses."""
    from .bars import bar, describe

    with bar(len(planned), "picture", quiet, name="sweep") as shown:
        def on_record(number: int, record: Progress) -> None:
            shown.set_postfix_str(f"{values(planned[number].changes)}: {record.stage}, iteration {record.iteration}: "
                                  f"{describe(record)}")
            if on_progress is not None:
                on_progress(number, record)

        def on_done(cell: Cell) -> None:
            if cell.stopped:  # cut short: not a picture done; the bar closes on the count of those finished
                shown.set_postfix_str(f"{values(cell.changes)}: stopped", refresh=False)
            else:
                shown.set_postfix_str("", refresh=False)
                shown.update()
            if on_cell is not None:
                on_cell(cell)

        return run_planned(planned, folder, on_record, on_done, stop)


def repeated(cell: Cell, one: Planned, number: int) -> Cell:
    """``cell``'s picture again, as the combination ``one`` repeating it (at ``number``) shows it."""
    return dataclasses.replace(cell, changes=one.changes, number=number, repeats=one.repeats)


def _run(planned: Planned, on_progress: Callable[[Progress], Any], stop: Callable[[], bool] | None
         ) -> tuple[Result, bool]:
    """One combination's result, and whether ``stop`` cut it short."""
    if planned.one_pass is not None:  # its own clock started when it was planned, before the cells ahead of it
        start = time.perf_counter()
        return dataclasses.replace(planned.one_pass(), seconds=time.perf_counter() - start), False
    return planned.job.until(stop or (lambda: False), on_progress)


def measured(cells: Sequence[Cell], planned: Sequence[Planned], comparison: Comparison | None = None) -> list[Cell]:
    """The cells with their pictures measured by one yardstick for all (stylegram.analysis.explain.yardstick: VGG19's
    default layers, whatever layers a picture was made on, padded as it was made): how far its Gram matrices have gone
    from the content's (a texture: from noise) towards its styles' (examples'), and for a transfer how closely its
    relu4_2 maps follow the content's (mean Pearson r). ``comparison``: the same pictures already ``compared``, all
    padded alike, whose numbers are read instead of measured again."""
    from .analysis.explain import yardstick
    from .features import default_backbone

    shown = []
    already = dict(zip(comparison.names, comparison.explained)) if comparison is not None else {}
    for cell in cells:
        one = planned[cell.number]
        one = planned[one.same_as] if one.same_as is not None else one
        texture = "examples" in one.inputs
        why = already.get(values(one.changes))
        if why is None:
            model = default_backbone("avg" if texture else "max", one.options.padding)  # as the picture was made
            why = yardstick(one.inputs, cell.result.image, one.options, model)
        # a texture's reads '91% to the example', not 'example 91%', which read as a value of --vary example; with
        # several examples, to their blend or (placed by masks or labels) each part's, not 'the example'
        to = ("each part's example" if any(g.part for g in why.grams) else
              "the example" if len(why.styles) == 1 else "the examples' blend")
        words = f"{round(100 * why.moved)}% to {to}" if texture else f"style {round(100 * why.moved)}%"
        astray = why.astray()
        if astray:  # '-194% to the example' for a texture whose own layers were matched to 97-99 %
            words += f" ({', '.join(g.layer for g in astray)} astray)"
        if not texture:  # r at the yardstick's layer, named where the picture was made on others (relu2_2 read 0.36)
            at = "" if one.options.content_layers == why.content_layer else f" at {why.content_layer}"
            words += f", content r {why.kept:.2f}{at}"
        shown.append(dataclasses.replace(cell, measured=words, explained=why))
    return shown


def check_comparable(vary: Mapping[str, Sequence[Any]]) -> None:
    """Before any work: refuse to compare a sweep's pictures on one page when what it varies changes what they are
    measured against (the styles, their scale, blend or placing; a texture's examples, and whether it tiles)."""
    from .analysis.compare import TARGET_OPTIONS

    measured_against = {*VARIED_INPUTS, *TARGET_OPTIONS[False], *TARGET_OPTIONS[True]}
    moved = [name for name in vary if name in measured_against]
    if moved:
        raise OptionError(f"--compare measures every picture against one target, but --vary {flag(moved[0])[2:]} "
                          "changes what each is measured against; drop --compare (--measure puts each picture's own "
                          "numbers in its caption)")


def check_distinct(planned: Sequence[Planned]) -> None:
    """Before any work: refuse to compare fewer than two different pictures (varying --method, AdaIN reads no
    --style-weight, so its combinations repeat one picture)."""
    if sum(one.same_as is None for one in planned) < 2:
        raise OptionError("--compare needs two or more different pictures, but these values make "
                          f"{'one' if len(planned) == 1 else 'one picture repeated'}; vary something the runs read")


def compared(cells: Sequence[Cell], planned: Sequence[Planned], layer: str | None = None) -> Comparison:
    """The cells' pictures on one comparison (stylegram.analysis.compare.made_with), each named by its values and
    measured against the first combination's inputs, as its options scale, blend and place them; in the sheet's
    order, a repeated picture once."""
    from .analysis.compare import made_with
    from .analysis.placed import file_names

    first = planned[0]
    shown = sorted((cell for cell in cells if planned[cell.number].same_as is None), key=lambda cell: cell.number)
    styles = first.inputs.get("styles", first.inputs.get("examples"))  # named by file as compare names them
    return made_with(first.inputs, [cell.result.image for cell in shown], first.options, [c.name for c in shown],
                     layer, style_names=file_names(styles))


def columns(vary: Mapping[str, Sequence[Any]]) -> int:
    """The sheet's columns: the last varied option's values; one option alone fills rows of at most ``ROW`` evenly
    (seven values: 4 and 3), since its rows mean nothing."""
    count = len(list(vary.values())[-1])
    if len(vary) > 1:
        return count
    rows = math.ceil(count / ROW)
    return math.ceil(count / rows)


def contact_sheet(cells: Sequence[Cell], columns: int | None = None, title: str | None = None) -> Image.Image:
    """The cells' pictures in rows of ``columns`` (None: rows of at most ROW, filled evenly), each above its caption
    (wrapped to its width), on white, under ``title`` (such as the command that made them)."""
    if not cells:
        raise OptionError("no picture was made, so there is no sheet to draw")
    if columns is None:
        columns = math.ceil(len(cells) / math.ceil(len(cells) / ROW))
    if whole_number(columns) is None or columns < 1:
        raise OptionError(f"columns must be a whole number of at least 1, got {columns!r}")
    pictures = [images.to_image(cell.result.image) for cell in cells]
    font = ImageFont.load_default(size=CAPTION_FONT)
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    parts = [part for cell in cells for part in cell.caption_parts]
    width = max(max(p.width for p in pictures), *(math.ceil(measure.textlength(p, font=font)) for p in parts))
    captions = [_wrapped(cell.caption_parts, measure, font, width) for cell in cells]
    line, tallest = CAPTION_FONT + 4, max(p.height for p in pictures)
    height = tallest + line * max(len(c) for c in captions) + MARGIN // 2
    columns = min(int(columns), len(cells))
    rows = -(-len(cells) // columns)
    across = MARGIN + columns * (width + MARGIN)
    heading = _wrapped(_flagged(title.split(" ")), measure, font, across - 2 * MARGIN) if title else []
    below = MARGIN + len(heading) * line + (MARGIN // 2 if heading else 0)  # where the first row begins
    sheet = Image.new("RGB", (across, below + rows * (height + MARGIN)), "white")
    draw = ImageDraw.Draw(sheet)
    for k, text in enumerate(heading):
        draw.text((MARGIN, MARGIN + k * line), text, fill=(100, 100, 100), font=font)
    for n, (picture, caption) in enumerate(zip(pictures, captions)):
        left = MARGIN + (n % columns) * (width + MARGIN)
        top = below + (n // columns) * (height + MARGIN)
        corner = (left + (width - picture.width) // 2, top)
        if cells[n].repeats:  # an outline, not the earlier cell's picture again as if it differed
            draw.rectangle((*corner, corner[0] + picture.width - 1, top + picture.height - 1), outline=(200, 200, 200))
        else:
            sheet.paste(picture, corner)
        for k, text in enumerate(caption):  # on one line across the sheet (--vary size put each at its own height)
            draw.text((left, top + tallest + MARGIN // 2 + k * line), text, fill=(40, 40, 40), font=font)
    return sheet


def _flagged(words: list[str]) -> list[str]:
    """A command's words with each option kept with the word after it, unless that is an option too ('-o sheet.png',
    '--vary style-weight'), so that a line does not break between them (the sheet's heading ended a line at -o)."""
    parts: list[str] = []
    for word in words:
        if parts and parts[-1].startswith("-") and " " not in parts[-1] and not word.startswith("-"):
            parts[-1] += f" {word}"
        else:
            parts.append(word)
    return parts


def _wrapped(parts: list[str], measure: ImageDraw.ImageDraw, font: ImageFont.ImageFont, width: int) -> list[str]:
    """``parts`` joined by spaces in lines no wider than ``width`` px, broken between parts; a line does not begin
    with the '·' that separates parts on one line."""
    lines: list[str] = []
    for part in parts:
        if lines and measure.textlength(f"{lines[-1]} {part}", font=font) <= width:
            lines[-1] += f" {part}"
        else:
            lines.append(part.removeprefix("· ") if lines else part)
    return lines


class Labeled(str):
    """A file among a sweep's values, shown by as much of its path as tells it from another of the same name."""

    label: str

    def __new__(cls, path: str, label: str) -> Labeled:
        made = super().__new__(cls, path)
        made.label = label
        return made

    def __reduce__(self):  # a cluster's task gets it back with its label
        return Labeled, (str(self), self.label)


def _told_apart(given: Sequence[Any]) -> Sequence[Any]:
    """The values, files of one name in different folders labeled by their last folders too (a/swirls.png and
    b/swirls.png were both captioned 'swirls.png', and shared one cell file)."""
    paths = [str(v).replace("\\", "/") if isinstance(v, (str, os.PathLike)) else None for v in given]
    names = [p.rsplit("/", 1)[-1] if p is not None else None for p in paths]
    if all(names.count(n) < 2 for n in names if n is not None):
        return given
    labeled = []
    for value, path, name in zip(given, paths, names):
        if path is None or names.count(name) < 2:
            labeled.append(value)
            continue
        parts, depth = path.split("/"), 2
        twins = [p.split("/") for p, n in zip(paths, names) if n == name and p != path]
        while depth < len(parts) and any(t[-depth:] == parts[-depth:] for t in twins):
            depth += 1
        labeled.append(Labeled(os.fspath(value), "/".join(parts[-depth:])))
    return labeled


def _shown(value: Any) -> str:
    """A value as a caption shows it: numbers short (10, 0.5, 1e+03), a file by its name (or a Labeled one's label),
    an image held as 'image'."""
    if isinstance(value, Labeled):
        return value.label
    if isinstance(value, bool):  # 'tileable false', as --vary takes it and the sheet's header says (was 'False')
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (str, int)):
        return str(value).replace("\\", "/").rsplit("/", 1)[-1]
    return "image"
