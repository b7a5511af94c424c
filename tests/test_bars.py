"""Progress bars: a live bar on a terminal, whole lines now and then in a log file."""

import io
import re

from stylegram import bars
from stylegram.cli import main


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_off_a_terminal_a_bar_writes_its_first_each_new_stage_and_its_last_line(monkeypatch):
    monkeypatch.setattr(bars, "LOG_SECONDS", 3600.0)  # no line falls due by time in this test
    log = io.StringIO()
    progress = bars.bar(100, "it", quiet=False, name="scale 1 of 2", stream=log)
    for i in range(60):
        progress.update()
        progress.set_postfix_str(f"loss {100 - i}")
    progress.set_description("scale 2 of 2")
    for _ in range(40):
        progress.update()
    progress.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert [line.split(":")[0] for line in lines] == ["scale 1 of 2", "scale 2 of 2", "scale 2 of 2"]
    assert lines[0].startswith("scale 1 of 2: 0/100 it (0%)")
    assert lines[1].startswith("scale 2 of 2: 60/100 it (60%)") and lines[1].endswith("loss 41")
    assert lines[2].startswith("scale 2 of 2: 100/100 it (100%)")


def test_off_a_terminal_lines_fall_due_every_log_seconds(monkeypatch):
    monkeypatch.setattr(bars, "LOG_SECONDS", 0.0)
    log = io.StringIO()
    with bars.bar(None, "frame", quiet=False, name="clip.mp4", stream=log) as progress:
        progress.update(2)
    assert log.getvalue().splitlines() == ["clip.mp4: 0 frames, 00:00", "clip.mp4: 2 frames, 00:00"]


def test_a_bar_counted_later_shows_no_count_until_it_has_one():
    """A tiled run's whole picture opened its bar of tiles with '0 tiles'; its tiles are counted from the first."""
    log, screen = io.StringIO(), Terminal()
    for stream in (log, screen):
        with bars.bar(None, "tile", quiet=False, name="whole picture", stream=stream, counted=False) as progress:
            progress.set_postfix_str("iteration 3")
            bars.recount(progress, 1, 2)
    assert log.getvalue().splitlines() == ["whole picture: 00:00", "whole picture: 1/2 tiles (50%), 00:00, iteration 3"]
    drawn = screen.getvalue()
    assert re.search(r"(?<![\d.])0 ?tiles?\b", drawn) is None and "1/2 [" in drawn  # tqdm's own bar once counted
    # (a rate such as '12557.80tile/s' is not a count of 0)


def test_on_a_terminal_the_bar_is_redrawn_in_place():
    screen = Terminal()
    with bars.bar(10, "it", quiet=False, stream=screen) as progress:
        progress.update(5)
    assert screen.getvalue().count("\r") >= 2 and "5/10" in screen.getvalue()


def test_a_quiet_bar_writes_nothing():
    log = io.StringIO()
    with bars.bar(10, "it", quiet=True, stream=log) as progress:
        progress.update(10)
    assert log.getvalue() == ""


def test_a_transfer_logged_to_a_file_gets_readable_progress_lines(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bars, "LOG_SECONDS", 3600.0)
    out = tmp_path / "out.png"
    assert main(["transfer", "sample:chelsea", "sample:swirls", "-o", str(out), "--size", "96", "--min-size", "48",
                 "--iterations", "3,4"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["scale 1 of 2", "scale 2 of 2", "scale 2 of 2, pixel polish",
                                                           "scale 2 of 2, pixel polish"]  # each stage's start, the end
    assert lines[0].startswith("scale 1 of 2: 0/7 it (0%)")
    assert "7/7 it (100%)" in lines[-1] and "96x64 | content" in lines[-1]


def test_time_left_reads_in_the_unit_it_needs():
    """'~12345s left' had to be divided by hand; rounding lands on the unit above, never on '60s' or '60m'."""
    assert [bars.duration(s) for s in (0.4, 41, 59.6, 245, 3599.4, 7500, 86399, -3)] == [
        "0s", "41s", "1m 00s", "4m 05s", "59m 59s", "2h 05m", "24h 00m", "0s"]


def test_the_first_iterations_time_left_is_not_shown_as_it_is_the_runs_setup():
    """A texture run's first record guessed 131 s left for a run of 6: its first iteration also sets the run up."""
    from stylegram.optimize import Progress

    def record(iteration: int, left: float) -> Progress:
        return Progress(iteration=iteration, scale=0, stage="scale 1 of 1", size=(32, 48), step=iteration,
                        losses={"texture.pool1": 0.5}, elapsed=1.0, estimated_left=left, image=lambda: None, total=9)

    shown = bars.Bar(quiet=True)
    shown.update(record(1, 131.0))
    assert shown.bar.postfix == "48x32 | texture 0.5"
    shown.update(record(2, 6.0))
    assert shown.bar.postfix == "48x32 | texture 0.5 | ~6s left"
    shown.close()


def test_a_dreams_bar_shows_the_objective_it_raises():
    """A dream minimizes its objective negated, and its bar read 'dream -3.65 ... dream -10.8' beside a closing line
    of '12.9 on the dream': a number falling while the dream got better."""
    from stylegram.optimize import Progress

    record = Progress(iteration=3, scale=0, stage="octave 1 of 1", size=(32, 48), step=3,
                      losses={"dream.relu3_1:3": -10.8, "dream.relu4_1:1": -2.0}, elapsed=1.0, estimated_left=1.0,
                      image=lambda: None, total=9)
    assert bars.describe(record) == "48x32 | objective 12.8 | ~1s left"
