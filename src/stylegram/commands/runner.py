"""Run a Job from the command line: progress bar, periodic saves, checkpoints, loss log, Ctrl-C, NaN."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import secrets
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import files, images, optimize
from ..bars import Bar
from ..errors import OptionError, StylegramError, status_of, warn
from ..job import Job
from ..options import flag
from .progress import save_snapshot, stop_on_interrupt, write_log

CHECKPOINT_EVERY = 25


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--save-every, --save-dir, --checkpoint, --resume, --log, --quiet."""
    parser.add_argument("--save-every", type=int, default=0, metavar="N", help="save the image every N iterations as "
                        "iter_NNNNNN.png (six digits) in --save-dir (default folder: OUTPUT's name + '_steps')")
    parser.add_argument("--save-dir", help="folder for --save-every images")
    parser.add_argument("--checkpoint", metavar="FILE",
                        help=f"write a checkpoint here every {CHECKPOINT_EVERY} iterations and at the end")
    parser.add_argument("--resume", metavar="FILE", help="continue from a checkpoint (its options are used)")
    parser.add_argument("--log", metavar="CSV", help="write the loss of every term at every iteration to a CSV file "
                        f"(rewritten whole every {CHECKPOINT_EVERY} iterations as the run goes, and at its end); each "
                        "row measures the picture its iteration started from, and a row 'end' after each stage's last "
                        "the picture it ended with (docs/transfer.md)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar, nor the notes before the work (such as what --labels' maps were read "
                        "as); warnings, errors and the 'wrote' line still show")


def check_outputs(args: argparse.Namespace, inputs: Sequence[str | None]) -> Path:
    """Before any work: every file the run writes can be written, and none is an input or another output.

    ``inputs`` are the files the run reads (images, sample:NAME, a weights file...); returns the checked output path.
    """
    output = images.check_writable(args.output)
    if args.save_every < 0:
        raise OptionError(f"--save-every must be 0 (off) or positive, got {args.save_every}")
    if args.save_dir and not args.save_every:
        raise OptionError("--save-dir is the folder of --save-every's images, and --save-every is not given; "
                          "add --save-every N or drop --save-dir")
    written = {"-o": output}
    if args.checkpoint:
        written["--checkpoint"] = files.check_can_write(args.checkpoint)
    if args.log:
        written["--log"] = files.check_can_write(args.log)
    folder = _snapshots(args, output) if args.save_every else None
    if folder is not None:  # a snapshot folder named like the output left no room for the image, after the run
        written["--save-dir"] = folder
    _refuse_overlaps(written, inputs, args.resume)  # first: an input or the output named is the likelier mistake
    if args.checkpoint:
        optimize.check_checkpoint_name(args.checkpoint, "--checkpoint")  # before the run, not when it is first written
    if args.log:  # a typo of -o's name (--log out.png) wrote the loss table over a picture
        optimize.check_not_a_picture(args.log, "--log", "the loss table (CSV)", "losses.csv")
    if folder is not None:
        files.check_can_write(folder / f"iter_{args.save_every:06d}.png")  # the first it writes (was iter_000001
        # whatever N); creates the folder, so only once nothing overlaps
    return output


def draw_seed(args: argparse.Namespace) -> None:
    """--seed -1, the classic tools' 'a random seed': draw one and print it, so the picture can be made again."""
    if getattr(args, "seed", None) == -1 and not getattr(args, "resume", None):
        args.seed = secrets.randbelow(2**31)
        print(f"--seed -1: drew --seed {args.seed} (give it to make the same picture again)", file=sys.stderr)


def listed(*specs: str | None) -> list[str]:
    """The file names in comma-separated options such as --style-masks a.png,b.png (those not given: none)."""
    return [name for spec in specs for name in (spec or "").split(",") if name]


def check_resume_alone(args: argparse.Namespace, saved) -> None:
    """A resumed run goes on with the checkpoint's options (``saved``): refuse an option given with another value.

    Given: typed (``args.given``, from cli.given_options), or where that is not known, away from its default. Values
    compare as text, as the command line gave them ('256' and 256 are one size).
    """
    default = type(saved)()
    changed = []
    for f in dataclasses.fields(saved):
        value = getattr(args, f.name, None)
        given = f.name in args.given if hasattr(args, "given") else str(value) != str(getattr(default, f.name))
        if hasattr(args, f.name) and given and str(value) != str(getattr(saved, f.name)):
            kept = getattr(saved, f.name)
            if isinstance(value, bool):  # a switch, as the command line gives it (was 'tileable=True')
                changed.append(f"{flag(f.name)} (checkpoint: without it)" if value else
                               f"--no-{f.name.replace('_', '-')} (checkpoint: with {flag(f.name)})")
            else:
                changed.append(f"{flag(f.name)} {value} (checkpoint: {'not set' if kept is None else kept})")
    if changed:
        raise OptionError(f"{', '.join(changed)}: a resumed run goes on with the options in its checkpoint "
                          f"{args.resume}; drop {'it' if len(changed) == 1 else 'them'}, or start a new run without "
                          "--resume")


def resume_command(start: str, args: argparse.Namespace, checkpoint: Path) -> str:
    """The command that continues an interrupted run: ``start`` (inputs and -o), what it recorded and the page it
    writes at the end (--explain: the command printed dropped it, so following it wrote no page), --resume."""
    words = [start]
    for option, value in [("--save-every", args.save_every or None), ("--save-dir", args.save_dir),
                          ("--checkpoint", args.checkpoint), ("--log", args.log),
                          ("--explain", getattr(args, "explain", None))]:
        if value is not None:
            words.append(f"{option} {shlex.quote(str(value))}")
    return " ".join([*words, f"--resume {shlex.quote(_as_typed(checkpoint))}"])


def _as_typed(path: Path) -> str:
    """A path under the current folder relative to it, as the command's inputs and -o are typed (an absolute --resume
    beside '-o st/out.png' read as if the command could be run from anywhere); others whole."""
    relative = os.path.relpath(Path(path).absolute(), Path.cwd())
    return str(path) if relative.startswith(os.pardir) else relative


def _refuse_overlaps(written: dict[str, Path], inputs: Sequence[str | None], resume: str | None) -> None:
    """No file a run writes is one it reads (but it may go on writing the checkpoint it resumed from), or another
    file it writes."""
    read = [p for p in [*inputs, resume] if p and os.path.isfile(p)]
    seen: dict[Path, str] = {}
    for option, path in written.items():
        source = next((p for p in read if files.same_file(path, p)), None)
        if source is not None and not (option == "--checkpoint" and source == resume):
            raise OptionError(f"{option} {path} is also an input ({source}) and would be overwritten; "
                              "choose another output path")
        other = next((seen[p] for p in seen if files.same_file(path, p)), None)
        if other is not None:
            raise OptionError(f"{other} and {option} name the same file {path}; give them different names")
        seen[path] = option


def _snapshots(args: argparse.Namespace, output: Path) -> Path:
    """The --save-every folder: --save-dir, else OUTPUT's name + '_steps' beside it."""
    return Path(args.save_dir) if args.save_dir else output.with_name(output.stem + "_steps")


def run_job(job: Job, output: Path, args: argparse.Namespace, resume_hint: str) -> int:
    """Iterate the job to the end and save the result; on Ctrl-C or NaN keep the image and a checkpoint."""
    snapshots = _snapshots(args, output)
    stopped, checkpoint, spared = stop_paths(args, output)
    bar = Bar(args.quiet)
    failed: list[str] = []  # files written along the way that could not be (_along)
    earlier = job.state.elapsed  # a resumed run's time before this one
    progress = None
    try:
        with stop_on_interrupt() as stop:
            for progress in job:
                bar.update(progress)
                if args.save_every and progress.iteration % args.save_every == 0:
                    _along(lambda: save_snapshot(progress, snapshots, job.alpha), failed)
                if progress.iteration % CHECKPOINT_EVERY == 0:
                    _along(lambda: _save_along(job, checkpoint, args), failed)
                if stop.requested:
                    bar.close()
                    size, picture, kept = _keep(job, stopped, checkpoint, args)
                    print(f"stylegram: interrupted at iteration {job.state.iteration}; image so far ({size}) written "
                          f"to {picture}, checkpoint to {kept}{spared}; continue with: "
                          f"{resume_command(resume_hint, args, kept)}", file=sys.stderr)
                    return stop.status
    except optimize.NonFiniteLoss as err:
        bar.close()
        _, picture, kept = _keep(job, stopped, checkpoint, args, err.image)
        raise OptionError(f"{err.flagged} (image so far: {picture}, checkpoint: {kept}{spared})") from None
    except KeyboardInterrupt as err:  # a second Ctrl-C, mid-iteration: it kept nothing, not even the picture so far
        bar.close()
        print(f"stylegram: aborted during iteration {job.state.iteration + 1}; {_keep_picture(job, stopped, args)}"
              f"{spared}",
              file=sys.stderr)
        return status_of(err)
    finally:
        bar.close()
    if args.save_every and progress is not None and progress.iteration % args.save_every:  # the steps end at the end
        _along(lambda: save_snapshot(progress, snapshots, job.alpha), failed)
    result = job.result()
    written = saved(result.save, output, "the picture")
    _along(lambda: _save_along(job, checkpoint, args), failed)
    count = len(result.history)
    chosen = job.problem.chosen()
    took = time_taken(result.seconds, earlier)
    print(f"wrote {written} ({result.image.shape[-1]}x{result.image.shape[-2]}, {count} iteration{'s' * (count != 1)}, "
          f"{took}{'; ' + chosen if chosen else ''})")  # a resumed run's 58.1s read as this run's 43
    drop_spent_checkpoint(args, checkpoint)
    warning = result.divergence()
    if warning:
        warn(warning)
    return 0 if written == output else 1  # the picture is kept, but not where it was asked for


def stop_paths(args: argparse.Namespace, output: Path) -> tuple[Path, Path, str]:
    """Where a run stopped early (Ctrl-C, a NaN) keeps its picture and checkpoint, and what it says of the files it
    spared: OUTPUT and OUTPUT.ckpt (or --checkpoint), but not over a file there before the run, unless it goes on
    from them (--resume): an earlier finished picture was replaced by 2 iterations' one, and notes kept as out.ckpt
    by a checkpoint. Those are kept, and the picture goes to OUTPUT's name + '.stopped', the checkpoint to a name no
    file has ('out-1.ckpt'). Taken as the run begins, which notes a checkpoint there that may be a stopped run's."""
    checkpoint = Path(args.checkpoint) if args.checkpoint else output.with_suffix(".ckpt")
    resumed = Path(args.resume) if args.resume else None
    if resumed is not None and not args.checkpoint and _own_checkpoint(resumed, checkpoint):
        if files.same_file(resumed, checkpoint):  # stopped again: it goes on writing the files it went on from
            return output, resumed, ""
        # OUTPUT-N.ckpt: the run it goes on from spared a file at OUTPUT, and wrote its picture beside it
        return files.stopped_name(output), resumed, \
            f" ({output}, there before the run it goes on from, is kept)" if output.exists() else ""
    spared = [path for path in (None if resumed else output, None if args.checkpoint else checkpoint)
              if path is not None and path.exists()]
    if checkpoint in spared and not args.quiet and resumed is None:
        print(f"stylegram: note: {checkpoint} is there, perhaps the checkpoint of a run stopped with -o "
              f"{output.name}: to go on with it, add --resume {_as_typed(checkpoint)} to that run's command; this "
              "run starts afresh", file=sys.stderr)
    picture = files.unused_name(files.stopped_name(output)) if output in spared else output
    checkpoint = files.unused_name(checkpoint) if checkpoint in spared else checkpoint
    said = " and ".join(map(str, spared))
    return picture, checkpoint, f" ({said}, there before this run, {'are' if len(spared) > 1 else 'is'} kept)" \
        if spared else ""


def _own_checkpoint(resumed: Path, default: Path) -> bool:
    """Whether the checkpoint a run goes on from is its output's own: OUTPUT.ckpt (``default``), or OUTPUT-N.ckpt
    beside a file of that name there before it (stop_paths)."""
    return files.same_file(resumed, default) or (
        resumed.suffix == default.suffix and files.same_file(resumed.absolute().parent, default.absolute().parent)
        and re.fullmatch(rf"{re.escape(default.stem)}-\d+", resumed.stem) is not None)


def saved(write: Callable[[Path], object], target: Path, what: str) -> Path:
    """``write(target)``; where that fails after the work (the folder removed or made a file, the file made
    read-only during the run), ``write`` to files.rescue_path instead, warned of: a finished run (or a stopped one's
    picture and checkpoint) was lost with an error. Returns where it went."""
    try:
        write(target)
        return target
    except StylegramError as err:
        rescue = files.rescue_path(target)
        write(rescue)
        said = err.flagged.removesuffix("; choose another output path")  # too late for that: the work is done
        warn(f"{said}; so as not to lose the work, {what} went to {rescue} instead")
        return rescue


def time_taken(seconds: float, earlier: float) -> str:
    """A run's time for its 'wrote' line: '58.1s', or resumed after ``earlier`` seconds, '58.1s in all, 43.0s of it
    this run' (a resumed run's whole time read as this run's)."""
    return f"{seconds:.1f}s" + (f" in all, {seconds - earlier:.1f}s of it this run" if earlier else "")


def _keep_picture(job: Job, output: Path, args: argparse.Namespace) -> str:
    """Write the picture of a run aborted mid-iteration (its last finished iteration's, which the loop checked
    finite), and say what was kept: no checkpoint, as its optimizer was mid-step (one written along the way, if any,
    is named)."""
    size, picture = _write_picture(job, output)
    kept = f"the checkpoint {args.checkpoint} holds an earlier iteration" if args.checkpoint and \
        Path(args.checkpoint).exists() else "no checkpoint, as the optimizer was mid-step"
    return f"the picture as it stood ({size}) written to {picture}; {kept}"


def _save_along(job: Job, checkpoint: Path, args: argparse.Namespace) -> None:
    """The checkpoint and log a run rewrites as it goes."""
    if args.checkpoint:
        job.checkpoint(checkpoint)
    if args.log:  # a run killed (or aborted by a second Ctrl-C) keeps its log to here
        write_log(job.state, args.log, job.problem)


def _along(write: Callable[[], None], failed: list[str]) -> None:
    """A file a run writes as it goes (a snapshot, the checkpoint, the log): one that cannot be written (a full disk)
    is warned of, the first time only, and the run goes on: its picture is worth more than these."""
    try:
        write()
    except StylegramError as err:
        if not failed:
            warn(f"{err.flagged}; the run goes on without it (files written before are kept)")
        failed.append(str(err))


def drop_spent_checkpoint(args: argparse.Namespace, checkpoint: Path) -> None:
    """Once a resumed run has ended, remove the checkpoint that Ctrl-C (or a NaN) left in its default place,
    OUTPUT.ckpt (or beside a file there before it, OUTPUT-N.ckpt: stop_paths), which has served and would otherwise be
    left beside the picture. One asked for with --checkpoint, or resumed from another path (a copy the user made), is
    kept."""
    resumed = Path(args.resume) if args.resume else None
    if resumed is not None and not args.checkpoint and _own_checkpoint(resumed, checkpoint):
        resumed.unlink(missing_ok=True)
        print(f"removed {resumed}: the run it continued has ended")
    elif args.resume and not args.checkpoint:  # it went on silently beside another picture: say why, and what to do
        print(f"kept {args.resume}: it is not this output's own checkpoint ({checkpoint.name}), so it may be a copy "
              "you keep; delete it if not")


def _keep(job: Job, output: Path, checkpoint: Path, args: argparse.Namespace, image=None) -> tuple[str, Path, Path]:
    """Write the image so far and a checkpoint (and the log) when a run stops early; returns the image's size and
    where the two went (elsewhere where their own paths fail: saved)."""
    size, picture = _write_picture(job, output, image)
    kept = saved(job.checkpoint, checkpoint, "the checkpoint")
    if args.log:
        _along(lambda: write_log(job.state, args.log, job.problem), [])
    return size, picture, kept


def _write_picture(job: Job, output: Path, image=None) -> tuple[str, Path]:
    """Write the picture so far (``image``, a raw one to finish, or the job's own); returns its size (where it is a
    coarser scale's, it says so) and where it went (saved)."""
    picture = job.problem.finish(image) if image is not None else job.result(so_far=True).image
    written = saved(lambda path: images.save_image(picture, path, alpha=job.alpha), output, "the picture so far")
    height, width = picture.shape[-2:]
    final_height, final_width = job.problem.sizes()[-1]
    if (height, width) == (final_height, final_width):
        return f"{width}x{height}", written
    return f"{width}x{height}, a coarser scale than the {final_width}x{final_height} the run ends at", written
