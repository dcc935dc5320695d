"""Progress on stderr: plain periodic lines when stderr is not a terminal, a bar redrawn in place when it is
(a real pseudo-terminal), nothing with --quiet; stdout is never touched."""

import os
import pty
import re
import subprocess

from interop_support import FIXTURES, REPO

DIGITS = FIXTURES / "digits"
LINE = re.compile(r"^(\w[\w ]*): (\d+)/(\d+) +(\d+)%  \S+ \w+/s  (ETA [\d:-]+|done in \d+:\d\d)$")


def plain_lines(stderr: str, label: str, total: int) -> list:
    """The progress lines of `label` (every stderr line must be a progress line)."""
    every = [line for line in stderr.splitlines() if line.strip()]
    assert every and all(LINE.match(line) for line in every), every
    lines = [line for line in every if line.startswith(label + ":")]
    assert lines, f"no {label} lines in {every}"
    parsed = [LINE.match(line) for line in lines]
    assert {int(m.group(3)) for m in parsed} == {total}
    done = [int(m.group(2)) for m in parsed]
    assert done == sorted(done) and done[-1] == total and "done in" in lines[-1]
    return lines


def test_eval_prints_plain_lines_when_not_a_terminal(run_qkit):
    result = run_qkit("eval", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--batch", "8", "--runs", "2")
    lines = plain_lines(result.stderr, "evaluating", 360)
    # 45 batches, but a line only every 10 % (or 2 s): at most 11 lines plus any 2-second ones.
    assert 10 <= len(lines) <= 20
    plain_lines(result.stderr, "timing", 3 + 2)  # then the latency runs: 3 warm-up + 2 timed
    assert "evaluating" not in result.stdout and "accuracy" in result.stdout


def test_calibration_and_bench_lines(run_qkit, tmp_path):
    result = run_qkit("quantize", DIGITS / "model.onnx", "-o", tmp_path / "q.onnx", "--calibration",
                      DIGITS / "calibration.npz", "--batch-size", "16")
    plain_lines(result.stderr, "calibrating", 512)
    result = run_qkit("bench", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--warmup", "2", "--runs", "20")
    plain_lines(result.stderr, "bench", 22)


def test_quiet_prints_nothing(run_qkit, tmp_path):
    for args in (["eval", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--runs", "2"],
                 ["quantize", DIGITS / "model.onnx", "-o", tmp_path / "q.onnx", "--calibration",
                  DIGITS / "calibration.npz"],
                 ["bench", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--runs", "3"]):
        result = run_qkit(*args, "--quiet")
        assert result.stderr == "" and result.stdout


def test_bar_on_a_terminal(qkit):
    """stderr on a pseudo-terminal: the bar is redrawn with carriage return + erase-line and ends with a newline;
    stdout (a pipe) gets only the results."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([str(qkit), "eval", str(DIGITS / "model.onnx"), "--data", str(DIGITS / "test.npz"),
                                "--batch", "8", "--runs", "2"], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=terminal, text=True)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout = process.communicate(timeout=120)[0]
    os.close(controller)
    assert process.returncode == 0
    screen = b"".join(chunks).decode()
    frames = [frame for frame in screen.split("\r\x1b[2K") if frame]
    assert frames, repr(screen)
    bar = re.compile(r"^(evaluating|timing) \[[#-]{24}\] (\d+)/(360|5) +\d+%  \S+ (samples|runs)/s  "
                     r"(ETA [\d:-]+|done in \d+:\d\d)")
    assert all(bar.match(frame) for frame in frames), frames
    finished = [frame for frame in frames if frame.endswith("\r\n")]
    assert [frame.split(" [")[0] for frame in finished] == ["evaluating", "timing"]
    assert finished[0].startswith("evaluating [" + "#" * 24 + "] 360/360 100%")
    assert screen.count("\n") == 2  # one line per loop in the end: every other frame was overwritten
    assert "accuracy" in stdout and "evaluating" not in stdout
