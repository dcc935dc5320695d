"""pytest fixtures for the interop tests: the qkit binary (env QKIT), the node tests (env NODE_TESTS), a helper
that runs qkit and fails with its output when it exits non-zero, and extra lines for the end of the run.
scripts/test sets both variables; to run by hand:
    QKIT=$(swift build --show-bin-path)/qkit NODE_TESTS=.build/nodetests .venv/bin/python -m pytest Tests/interop
"""

import os
import subprocess
from pathlib import Path

import pytest

from interop_support import REPO

REPORT_LINES = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def qkit() -> Path:
    """Path of the qkit binary under test, from the environment variable QKIT."""
    value = os.environ.get("QKIT")
    if not value:
        pytest.fail("QKIT is not set: point it at the built binary, e.g. "
                    "QKIT=$(swift build --show-bin-path)/qkit (scripts/test does this)", pytrace=False)
    path = Path(value)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"QKIT={value} is not an executable file; run `swift build` first", pytrace=False)
    return path


@pytest.fixture(scope="session")
def node_tests() -> Path:
    """Folder of generated ONNX backend node tests, from the environment variable NODE_TESTS."""
    value = os.environ.get("NODE_TESTS")
    if not value:
        pytest.fail("NODE_TESTS is not set: generate them with "
                    "`python scripts/generate_node_tests.py .build/nodetests` and set NODE_TESTS=.build/nodetests",
                    pytrace=False)
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"NODE_TESTS={value} is not a directory", pytrace=False)
    return path


@pytest.fixture(scope="session")
def run_qkit(qkit):
    """Runs `qkit ARGS...` from the repository root; fails the test with qkit's output on a non-zero exit
    unless check=False. Returns the CompletedProcess (text stdout/stderr)."""

    def run(*args, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        command = [str(qkit), *map(str, args)]
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            pytest.fail(f"`{' '.join(command)}` exited with {result.returncode}\n"
                        f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}",
                        pytrace=False)
        return result

    return run


@pytest.fixture
def report_line(request):
    """Adds a line to the end of the pytest output (e.g. the conformance counts), passed or not."""
    return request.config.stash.setdefault(REPORT_LINES, []).append


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(REPORT_LINES, []):
        terminalreporter.write_line(line)
