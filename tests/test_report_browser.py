"""The study report opened in a real browser: headless Chromium (Debian's ``chromium`` package,
installed here when missing and we are root) renders it without console messages and decodes
every figure.

How the check works, without a browser driver: Chromium's ``--dump-dom`` prints the DOM after
the page's load event, so a copy of the report gets one small script that, on load, writes
``complete``, ``naturalWidth`` and ``naturalHeight`` of every ``<img>`` into a ``<pre>`` the
test reads back (a PNG that does not decode has ``naturalWidth`` 0). ``--enable-logging=stderr
--v=0`` makes Chromium print every console message of the page as a ``CONSOLE`` line on
standard error; the report has no script of its own, so any such line is an error (a failed
load, a blocked resource, an exception in the check itself). A screenshot of the unmodified page
must not be blank. A broken page runs through the same check first, so the check can fail.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from scaling_fixtures import write_synthetic_sweep

#: Injected before </body>: report every image's decoding state once the page has loaded.
IMAGE_CHECK = """<script>
window.addEventListener("load", function () {
  var state = Array.prototype.map.call(document.images, function (img) {
    return {complete: img.complete, width: img.naturalWidth, height: img.naturalHeight};
  });
  var out = document.createElement("pre");
  out.id = "astray-image-check";
  out.textContent = JSON.stringify(state);
  document.body.appendChild(out);
});
</script>"""
#: Seconds Chromium may take for one page (a cold start on a loaded 2-core machine took 4 s).
BROWSER_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def chromium() -> str:
    """The chromium executable; installed with apt-get when missing and we are root."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("headless Chromium is not installed and this user cannot install it "
                    "(needs root and apt-get): run `apt-get install -y chromium`")
    try:
        subprocess.run("apt-get update && apt-get install -y chromium", shell=True, check=True,
                       capture_output=True, text=True, timeout=1800)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        output = (getattr(error, "stderr", "") or "").strip().splitlines()[-3:]
        pytest.skip(f"apt-get install chromium failed (offline?): {' / '.join(output)}")
    return shutil.which("chromium") or pytest.skip("apt-get installed no chromium executable")


def _run_chromium(chromium: str, page: Path, profile: Path, *arguments: str):
    """Run headless Chromium on a local page; (stdout, CONSOLE lines of stderr)."""
    command = [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
               "--virtual-time-budget=10000", *arguments, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def browser_check(chromium: str, page: Path, workdir: Path) -> tuple[list[dict], list[str]]:
    """(state of every image after load, console lines) of ``page`` in headless Chromium."""
    checked = workdir / f"checked-{page.name}"
    checked.write_text(page.read_text(encoding="utf-8").replace("</body>", IMAGE_CHECK
                                                                + "</body>"), encoding="utf-8")
    dom, console = _run_chromium(chromium, checked, workdir / "profile", "--dump-dom")
    found = re.search(r'<pre id="astray-image-check">(.*?)</pre>', dom, re.S)
    assert found, "the page never finished loading (no image report in the DOM)"
    return json.loads(html.unescape(found.group(1))), console


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from astray.report.study import write_report

    sweep = write_synthetic_sweep(tmp_path_factory.mktemp("sweep"), seeds=(0,),
                                  n_train=(100, 300, 1000), hidden=(16, 64), priors=(False,))
    return write_report(sweep)


def test_the_check_catches_a_broken_page(chromium, tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><img src='data:image/png;base64,AAAA'>"
                      "<script>console.error('boom')</script></body></html>")
    images, console = browser_check(chromium, broken, tmp_path)
    assert images == [{"complete": True, "width": 0, "height": 0}]
    assert any("boom" in line for line in console)


def test_report_renders_without_console_messages_and_shows_every_figure(chromium, report,
                                                                        tmp_path):
    images, console = browser_check(chromium, report, tmp_path)
    assert console == []
    assert len(images) == report.read_text(encoding="utf-8").count("<img ")
    assert len(images) >= 5  # learning curves, three H2 windows, H2++
    assert all(image["complete"] and image["width"] > 500 and image["height"] > 300
               for image in images), images
    shot = tmp_path / "report.png"
    _run_chromium(chromium, report, tmp_path / "profile", "--hide-scrollbars",
                  "--window-size=1440,1800", f"--screenshot={shot}")
    pixels = imread(shot)
    assert pixels.shape[:2] == (1800, 1440)
    assert np.mean(pixels[..., :3] < 0.5) > 0.01  # text and plotted lines, not a blank page


#: Markup that runs code if a writer forgets to escape it: marks the page's <body>.
PAYLOAD = ("<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
           "<script>document.body.setAttribute('data-pwned','1')</script>")
#: Fields whose value astray checks on reading (an injected one is refused, not drawn).
CHECKED_FIELDS = {"schema", "status", "verdict", "failures", "spec", "energy_convention"}


def _inject(value, key=None):
    """Every string of a JSON value, at any depth, with PAYLOAD appended (checked fields and
    dictionary keys as they are)."""
    if isinstance(value, dict):
        return {k: v if k in CHECKED_FIELDS else _inject(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_inject(v, key) for v in value]
    return value + PAYLOAD if isinstance(value, str) else value


def test_markup_in_every_field_of_every_file_is_text_in_the_browser(chromium, tmp_path):
    """Every string of every result.json, sweep.json and probe/curves.json carries markup that
    would mark the page if it ran; Chromium loads the report and nothing ran (issue 19)."""
    from typer.testing import CliRunner

    from astray.cli import app
    from astray.report.study import write_report

    sweep = write_synthetic_sweep(tmp_path / "sweep", seeds=(0,), n_train=(100, 300, 1000, 3000),
                                  hidden=(16,), priors=(False,))
    probe = CliRunner().invoke(app, ["curves", "-p", "exact", "-s", "H2", "-s", "H2++",
                                     "--out", str(sweep / "probe")])
    assert probe.exit_code == 0, probe.output
    files = [*sweep.glob("runs/*/result.json"), sweep / "sweep.json", sweep / "probe" / "curves.json"]
    for path in files:
        path.write_text(json.dumps(_inject(json.loads(path.read_text()))))
    page = write_report(sweep)
    text = page.read_text(encoding="utf-8")
    assert PAYLOAD not in text and html.escape(PAYLOAD, quote=True) in text
    dom, console = _run_chromium(chromium, page, tmp_path / "profile", "--dump-dom")
    assert not re.search(r"<body[^>]*data-pwned", dom)
    assert console == []
