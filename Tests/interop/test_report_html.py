"""report.html in a real headless browser (Debian's chromium): the page renders (the screenshot is not blank),
logs no console errors, and its DOM holds the summary table and the SVG charts; the page loads nothing from the
network. A page with a deliberate script error checks that the console check can fail."""

import re
import shutil
import subprocess

import numpy as np
import pytest

from report_support import quickstart_run, read_png

WINDOW = "1200,2000"


@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed (scripts/test installs it: apt-get install -y chromium)", pytrace=False)
    return path


@pytest.fixture(scope="module")
def report_html(qkit):
    root, result = quickstart_run(str(qkit))
    assert result.returncode == 0, f"quickstart failed:\n{result.stdout}\n{result.stderr}"
    return root / "quantkit-report" / "report.html"


def headless(chromium, page, *arguments, cwd):
    """Runs chromium headless on `page`; returns (stdout, stderr)."""
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--enable-logging=stderr", "--v=0", f"--window-size={WINDOW}",
               *arguments, page.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd)
    return result.stdout, result.stderr


def console_errors(stderr):
    """Console messages chromium logged for the page (errors, uncaught exceptions, failed loads)."""
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line]


def test_report_renders_with_no_console_errors(chromium, report_html, tmp_path):
    screenshot = tmp_path / "report.png"
    _, stderr = headless(chromium, report_html, f"--screenshot={screenshot}", cwd=tmp_path)
    assert screenshot.is_file(), stderr[-2000:]
    assert console_errors(stderr) == []
    image = read_png(screenshot).astype(np.float64)
    assert image.shape[:2] == (2000, 1200)
    assert image[..., :3].std() > 20                              # not a blank page
    colours = {tuple(p) for p in image[::7, ::7, :3].reshape(-1, 3).astype(int)}
    assert len(colours) > 50                                      # text, charts, table rules
    blue = np.all(np.abs(image[..., :3] - [0, 0x72, 0xB2]) < 8, axis=-1)
    assert blue.sum() > 2000                                      # the charts' bars were drawn


def test_dom_holds_the_table_and_the_charts(chromium, report_html, tmp_path):
    dom, stderr = headless(chromium, report_html, "--dump-dom", cwd=tmp_path)
    assert console_errors(stderr) == []
    assert dom.count("<svg") >= 5
    assert len(re.findall(r"<rect ", dom)) > 50
    assert "<title>" in dom
    for text in ["Summary", "fp32", "fp16", "dynamic int8", "static int8", "Calibration method", "minmax", "entropy"]:
        assert text in dom


def test_page_is_self_contained(report_html):
    html = report_html.read_text()
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert re.findall(r"https?://[^\"' )]+", html) == ["http://www.w3.org/2000/svg"] * html.count("<svg")


def test_console_check_catches_a_broken_page(chromium, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p><script>undefinedFunction();</script></body></html>")
    _, stderr = headless(chromium, page, "--dump-dom", cwd=tmp_path)
    assert any("undefinedFunction" in line for line in console_errors(stderr)), stderr[-2000:]
