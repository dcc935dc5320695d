"""The ONNX backend node tests pass through `qkit conformance`, apart from the listed exclusions."""

import re

import pytest

from interop_support import REPO

EXCLUSIONS = REPO / "Tests" / "conformance" / "exclusions.txt"
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped\s*$")


def test_node_tests_pass(run_qkit, node_tests, report_line):
    if not EXCLUSIONS.is_file():
        pytest.skip(f"{EXCLUSIONS.relative_to(REPO)} does not exist yet (the conformance exclusion list)")
    result = run_qkit("conformance", node_tests, "--exclusions", EXCLUSIONS, check=False, timeout=3600)
    lines = result.stdout.strip().splitlines()
    match = SUMMARY.match(lines[-1]) if lines else None
    assert match, f"no 'N passed, M failed, K skipped' line at the end of qkit's output:\n" \
                  f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    passed, failed, skipped = map(int, match.groups())
    report_line(f"qkit conformance: {passed} passed, {failed} failed, {skipped} skipped")
    failures = [line for line in lines if line.startswith("FAIL")]
    assert failed == 0, f"{failed} node tests failed:\n" + "\n".join(failures[:50])
    assert result.returncode == 0, f"qkit conformance exited with {result.returncode}:\n{result.stderr[-2000:]}"
    assert passed > 0, "no node test ran"
