"""The `stylegram` command: one entry point, one module per subcommand in stylegram.commands."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import platform
import re
import signal
import sys
from collections.abc import Collection

from .commands import SUMMARIES
from .errors import StylegramError, warnings_to


def build_parser(full: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered; with ``full``, only the commands named in it get their
    options (the others their line in --help), so neither their modules nor torch are imported for them.

    Each command's module (rank-layers: rank_layers.py) defines add_parser(subparsers) and run(args) -> int.
    """
    parser = argparse.ArgumentParser(
        prog="stylegram", description="Neural style transfer, texture synthesis and the tools to understand them."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=CommandParser)
    for name, summary in SUMMARIES.items():
        if full is not None and name not in full:
            sub.add_parser(name, help=summary)
            continue
        module = importlib.import_module(f".commands.{name.replace('-', '_')}", __package__)
        module.add_parser(sub).set_defaults(run=module.run)
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="print stylegram's, torch's and Python's versions and the precision --precision auto "
                             "picks here, and exit")
    return parser


class CommandParser(argparse.ArgumentParser):
    """A command's parser whose errors show a short usage (what must be given, then [options]) and point to --help:
    argparse's own usage of every option (35 lines for transfer) buried the one line that said what was wrong."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # '-1,2' (a list with a negative weight) is a value, as '-1' is, not an unknown option: argparse took only
        # '-1' and '-0.5' for numbers, and '--style-blend -1,2' said "expected one argument" (3.13 widened it so)
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def parse_known_args(self, args=None, namespace=None):
        self.typed = list(sys.argv[1:] if args is None else args)  # for error(): what was mistyped
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        if message.startswith("the following arguments are required"):
            said = self.mistyped()
            if not said and message.endswith(": --style"):  # batch's: 'batch in sample:swirls -o out' said no more
                said = (" (the style images are given with --style S [S ...]; the names without a flag are the "
                        "pictures to stylize)")
            message += said
        if message == "argument --vary: expected at least one argument":  # '--vary --style-weight 1 10'
            message += self.vary_hint()
        message += _closest_choice(message)
        self.exit(2, f"{self.short_usage()}{self.prog}: error: {message}\n'{self.prog} --help' lists every option\n")

    def vary_hint(self) -> str:
        """'; name the option without its dashes: --vary style-weight ...' where a flag was typed after --vary."""
        typed = getattr(self, "typed", [])
        after = [typed[i + 1] for i, word in enumerate(typed[:-1]) if word == "--vary"]
        flagged = next((word for word in after if word.startswith("--") and len(word) > 2), None)
        return "" if flagged is None else f"; name the option without its dashes: --vary {flagged[2:]} VALUE ..."

    def mistyped(self) -> str:
        """' (--layr: did you mean --layer?)' for the typed flags this command lacks: argparse names a required
        option that is missing before the unknown ones, so a misspelled --layer read as a --layer not given."""
        from .commands.classic import classic_hint
        from .errors import did_you_mean

        flags = long_flags(self)
        typed = [word.split("=")[0] for word in getattr(self, "typed", []) if word.startswith("--")]
        said = {word: classic_hint(word, flags) or did_you_mean(word, flags).lstrip("; ") for word in typed
                if word not in flags}
        hints = [f"{word}: {hint}" for word, hint in said.items() if hint]
        return f" ({'; '.join(hints)})" if hints else ""

    def short_usage(self) -> str:
        """'usage: stylegram transfer [-h] content style [style ...] -o OUTPUT [options]' (a command's own usage
        where it has one)."""
        if self.usage:
            return self.format_usage()
        formatter = self._get_formatter()
        positionals = [formatter._format_args(a, a.dest) for a in self._get_positional_actions()]
        required = [f"{a.option_strings[0]} {formatter._format_args(a, a.dest.upper())}"
                    for a in self._get_optional_actions() if a.required]
        return f"usage: {self.prog} [-h] {' '.join([*positionals, *required])} [options]\n"


def _closest_choice(message: str) -> str:
    """'; did you mean luminance?' for argparse's "invalid choice: 'lumninance' (choose from ...)", else ''."""
    from .errors import did_you_mean

    found = re.search(r"argument ([^:]*): invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if not found:
        return ""
    meant = _known_choices().get(found[1], {}).get(found[2])
    return f"; did you mean {meant}?" if meant else \
        did_you_mean(found[2], [choice.strip().strip("'") for choice in found[3].split(",")])


def _known_choices() -> dict[str, dict[str, str]]:
    """Per flag, the names other tools give its choices ({'--colors': {'preserve': 'original ...'}})."""
    from .color import KNOWN_AS

    return {"--colors": KNOWN_AS, "--pooling": dict.fromkeys(("mean", "average", "avgpool", "average-pooling"), "avg")}


class _Version(argparse.Action):
    """--version: ``version()`` as it is (argparse's own action rewraps it into one paragraph), then exit."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(version())
        parser.exit()


def version() -> str:
    """stylegram's version with torch's and Python's, and what --precision auto runs here: what a bug report (or a
    question about speed) wants."""
    import torch

    from . import __version__, precision

    chosen = precision.resolve("auto")
    why = {"bfloat16": "AMX" if precision.amx() else "AVX512-BF16", "winograd": "AVX2 with NNPACK",
           "float32": "no native bfloat16"}[chosen]
    threads = torch.get_num_threads()
    return (f"stylegram {__version__} (torch {torch.__version__}, Python {platform.python_version()})\n"
            f"this machine: --precision auto runs {chosen} ({why}), {threads} thread{'s' * (threads != 1)}")


def given_options(argv: list[str]) -> set[str]:
    """The names of the options typed in ``argv``, whatever their values (argparse fills in the others' defaults).

    Parsed again with every default suppressed, so only what was typed lands in the namespace; argparse has no
    public way to ask, so this reads its parsers' action lists.
    """
    probe = build_parser(full=argv[:1])
    subcommands = [a for a in probe._actions if isinstance(a, argparse._SubParsersAction)]
    for parser in [probe, *(p for a in subcommands for p in a.choices.values())]:
        for action in parser._actions:
            action.default = argparse.SUPPRESS
    return set(vars(probe.parse_args(argv))) - {"command", "run"}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line and return 2, Ctrl-C returns 130 and SIGTERM 143."""
    try:
        code = _main(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt as err:  # while the commands' modules (and torch) load: a line, not an import's traceback
        print("stylegram: interrupted", file=sys.stderr)
        return _status(err)
    if argv is None:  # the program itself, not a caller in Python: its work is done and said
        _end_with_on_signal(code)
    return code


def _end_with_on_signal(code: int) -> None:
    """From here on a Ctrl-C or SIGTERM ends the process at once with ``code``: one that came while Dask's cluster
    shut down, after batch had finished and printed its summary, made the exit status 130 without a word."""
    def end(signum, frame):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread: nothing to do
            signal.signal(sig, end)


TRANSFER_FIRST = "stylegram transfer CONTENT STYLE -o OUT.png ('stylegram --help' lists the commands)"


def _no_command(first: str) -> str:
    """The error for a first word that is a picture or a classic tool's option, not a command (it said 'did you mean
    samples?' of sample:chelsea, and argparse's 'invalid choice' of -content_image); '' for any other word."""
    if first in SUMMARIES or first in ("-h", "--help", "--version"):
        return ""
    if first.startswith("-"):
        from .commands.classic import classic_hint

        said = classic_hint(first, [])
        return f"{first} is an option, and the command comes first: {TRANSFER_FIRST}" + \
            (f"; {first}: {said}" if said else "")
    from .images import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

    suffix = os.path.splitext(first)[1].lower()
    if first.startswith("sample:") or suffix in (*IMAGE_EXTENSIONS, *VIDEO_EXTENSIONS) or os.path.isfile(first):
        return f"{first} is a picture, not a command; name the command first: {TRANSFER_FIRST}"
    return ""


def _main(argv: list[str]) -> int:
    parser = build_parser(full=argv[:1])  # the command typed first: the one whose options are read
    if not argv:  # no command: the list of commands, not only argparse's "COMMAND is required"
        parser.print_help(sys.stderr)
        return 2
    if no_command := _no_command(argv[0]):  # 'stylegram photo.jpg paint.jpg -o out.png', as the classic tools take it
        parser.error(no_command)
    if not argv[0].startswith("-") and argv[0] not in SUMMARIES:  # argparse lists all sixteen, and not the one meant
        from .errors import did_you_mean

        hint = did_you_mean(argv[0].replace("_", "-"), SUMMARIES) or "; 'stylegram --help' lists the commands"
        parser.error(f"unknown command '{argv[0]}'{hint}")
    if argv[0] in SUMMARIES:  # -output_image read as -o utput_image, -gpu 0 as unknown with no hint
        from .commands.classic import single_dash

        sub = _command_parser(parser, argv[0])
        if said := single_dash(argv[1:], long_flags(sub)):
            sub.error(said)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _refuse_unknown(parser, args.command, unknown)
    args.given = given_options(argv)  # what was typed, at any value: a resumed run refuses those its checkpoint
    # holds otherwise; a one-pass run refuses the optimization's options typed at their defaults too
    from .commands.analysis_common import notes
    from .commands.progress import handling

    try:
        with handling(_interrupt, signal.SIGTERM) if args.command != "serve" else contextlib.nullcontext(), \
                warnings_to(_warning), notes(not getattr(args, "quiet", False)):  # uvicorn's
            return int(args.run(args) or 0)
    except StylegramError as err:
        print(f"stylegram: error: {err.flagged}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`
        return 0
    except KeyboardInterrupt as err:
        print("stylegram: interrupted", file=sys.stderr)
        return _status(err)


def _status(interrupt: KeyboardInterrupt) -> int:
    """130 for Ctrl-C, 143 for SIGTERM (errors.Terminated), as a shell reports a process those signals ended."""
    from .errors import status_of

    return status_of(interrupt)


def _refuse_unknown(parser: argparse.ArgumentParser, command: str, unknown: list[str]) -> None:
    """Exit with the command's own usage (argparse shows the top level's) and what each unknown argument may have
    meant: the closest option for a mistyped one, --image for a picture given to a command that takes it so."""
    from .commands.classic import classic_hint
    from .errors import did_you_mean

    sub = _command_parser(parser, command)
    flags = long_flags(sub)
    hints, after_flag = [], False
    several = sum(word.startswith("-") for word in unknown) > 1  # then each hint names the option it is for
    for word in unknown:
        if word.startswith("-"):
            name = word.split("=")[0]
            hint = _not_taken(command, name) or classic_hint(name, flags) or did_you_mean(name, flags).lstrip("; ")
            hints.append(f"{name}: {hint}" if several and hint else hint)
        elif "--image" in flags and not after_flag:  # not the value of a mistyped option
            hints.append(f"a picture to start from is given as --image {word}")
        after_flag = word.startswith("-") and "=" not in word
    hint = "; ".join(h for h in hints if h)
    sub.error(f"unrecognized arguments: {' '.join(unknown)}" + (f" ({hint})" if hint else ""))


def long_flags(parser: argparse.ArgumentParser) -> list[str]:
    """A parser's options as their long flags: --size, --output (not -o)."""
    return [flag for action in parser._actions for flag in action.option_strings if flag.startswith("--")]


def _command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The parser of one command."""
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]


def _not_taken(command: str, flag: str) -> str:
    """Why a command lacks an option of transfer's (--init for batch), or ''; the closest flag would mislead there
    (--init: did you mean --min-size?)."""
    module = importlib.import_module(f".commands.{command.replace('-', '_')}", __package__)
    return getattr(module, "NOT_TAKEN", {}).get(flag, "")


def _warning(message: str) -> None:
    """Print one of stylegram's warnings (a run that goes on, but may not give what was meant) as errors are."""
    print(f"stylegram: warning: {message}", file=sys.stderr)


def _interrupt(signum, frame) -> None:
    """SIGTERM (kill, timeout, a batch system, docker stop) handled as Ctrl-C is, so temporary files are removed and
    finished work kept; the default action ended the process at once and left hidden temporary files behind."""
    from .errors import Terminated

    raise Terminated


if __name__ == "__main__":
    sys.exit(main())
