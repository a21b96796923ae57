"""Open the rendered go/no-go report in a real headless Chromium, with no network.

``make test`` installs Debian's chromium (scripts/install-system-deps.sh), so a
missing browser is a failure here, not a skip.

Network: Chromium runs with ``--proxy-server`` pointing at a local recorder that
answers nothing useful and writes down every request line it receives, and with
a host resolver that resolves no name. Any attempt by the page to load an
http(s) resource from another host therefore shows up in the recorder.
A control page that does load a remote image proves the recorder sees it.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import socketserver
import struct
import subprocess
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from analytics.report.render import RunOutcome, default_notebook, render_report

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
AS_OF = "2016-06-30T00:00:00+00:00"
BROWSER_TIMEOUT = 60

# From the machine notes: without the background-networking flags Chromium keeps
# trying to reach Google's hosts on this closed network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--disable-client-side-phishing-detection",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--disable-component-extensions-with-background-pages",
    "--disable-features=Translate,OptimizationHints,MediaRouter,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
)

# Chromium's own service calls, made whatever the page is, despite the flags above
# (seen here: sign-in, network time, component updater). Only these exact hosts
# are ignored; a page resource on any other host (fonts.googleapis.com included)
# is still caught.
BROWSER_SERVICE_HOSTS = frozenset(
    {"accounts.google.com", "clients2.google.com", "update.googleapis.com"}
)


# ------------------------------------------------------------------- recorder


class _Recorder(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RecordRequest)
        self.requests: list[str] = []
        self.lock = threading.Lock()


class _RecordRequest(socketserver.StreamRequestHandler):
    """Write down the request line (GET http://host/... or CONNECT host:443), refuse."""

    def handle(self) -> None:
        server = self.server
        assert isinstance(server, _Recorder)
        try:
            line = self.rfile.readline(8192).decode("latin-1").strip()
        except OSError:
            return
        if line:
            with server.lock:
                server.requests.append(line)
        with contextlib.suppress(OSError):
            self.wfile.write(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                b"Connection: close\r\n\r\n"
            )


@pytest.fixture(scope="module")
def recorder() -> Iterator[_Recorder]:
    server = _Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# -------------------------------------------------------------------- browser


@dataclass(frozen=True)
class BrowserRun:
    stdout: str
    stderr: str
    requests: list[str]


def _chromium(
    tmp: Path, recorder: _Recorder, page: Path, *action: str, label: str
) -> BrowserRun:
    """Run Chromium once on ``page`` with a fresh profile; return what it did."""
    assert Path(CHROMIUM).is_file() and shutil.which(CHROMIUM), (
        f"{CHROMIUM} is missing: run scripts/install-system-deps.sh (make test does)"
    )
    profile = tmp / f"profile-{label}"
    profile.mkdir()
    port = recorder.server_address[1]
    before = len(recorder.requests)
    command = [
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--proxy-server=http://127.0.0.1:{port}",
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=15000",
        "--window-size=1280,2000",
        *action,
        page.resolve().as_uri(),
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
        check=False,
        cwd=tmp,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with recorder.lock:
        requests = [
            line
            for line in recorder.requests[before:]
            if _request_host(line) not in BROWSER_SERVICE_HOSTS
        ]
    return BrowserRun(result.stdout, result.stderr, requests)


def _request_host(line: str) -> str:
    """Host of a proxy request line: ``CONNECT h:443 ...`` or ``GET http://h/...``."""
    parts = line.split()
    target = parts[1] if len(parts) > 1 else ""
    if "://" in target:
        target = target.split("://", 1)[1]
    return target.split("/", 1)[0].rsplit(":", 1)[0].lower()


# --------------------------------------------------------------------- report


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    out = tmp_path_factory.mktemp("browser-reports")
    return render_report(
        default_notebook("go_no_go"),
        kind="go-no-go",
        parameters={
            "config": str(ROOT / "data" / "demo" / "readiness.yaml"),
            "as_of": AS_OF,
        },
        out_root=out,
        as_of_label=pd.Timestamp("2016-06-30", tz="UTC"),
    )


@pytest.fixture(scope="module")
def browser_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def dom(outcome: RunOutcome, browser_tmp: Path, recorder: _Recorder) -> BrowserRun:
    """The report's DOM after its scripts ran (plotly draws into it)."""
    return _chromium(
        browser_tmp, recorder, outcome.html_path, "--dump-dom", label="dom"
    )


class _Elements(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def _chart_blocks(html: str) -> dict[str, str]:
    """Markup of each plotly chart div, up to the next chart (or the end)."""
    starts = [
        (m.start(), m.group(1))
        for m in re.finditer(r'<div class="plotly-graph-div[^"]*" id="([^"]+)"', html)
    ]
    blocks = {}
    for index, (start, div_id) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(html)
        blocks[div_id] = html[start:end]
    return blocks


# ---------------------------------------------------------------------- tests


def test_every_chart_draws_an_svg(outcome: RunOutcome, dom: BrowserRun) -> None:
    source = outcome.html_path.read_text("utf-8")
    expected = re.findall(r'<div class="plotly-graph-div" id="([^"]+)"', source)
    assert len(expected) >= 2, "the demo report should hold at least two charts"
    blocks = _chart_blocks(dom.stdout)
    assert sorted(blocks) == sorted(expected)
    for div_id, markup in blocks.items():
        assert "js-plotly-plot" in markup[:200], f"{div_id}: plotly never ran"
        assert '<svg class="main-svg"' in markup, f"{div_id}: no rendered SVG"
        # A drawn chart has plotted data: traces in the cartesian layer.
        assert re.search(r'class="(trace|bars|boxlayer|scatterlayer)', markup), div_id


def test_decision_is_in_the_rendered_page(outcome: RunOutcome, dom: BrowserRun) -> None:
    assert f">{outcome.decision}</div>" in dom.stdout


def test_no_request_to_any_external_host(dom: BrowserRun) -> None:
    assert dom.requests == [], f"the report tried the network: {dom.requests}"


def test_dom_references_no_remote_resource(dom: BrowserRun) -> None:
    parser = _Elements()
    parser.feed(dom.stdout)
    remote = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
    loading = []
    for tag, attrs in parser.tags:
        for name in ("src", "href", "data", "poster", "srcset", "action"):
            value = attrs.get(name, "")
            if value and remote.match(value) and tag != "a":
                loading.append(f"<{tag} {name}={value}>")
        if "url(" in attrs.get("style", "") and remote.search(
            attrs["style"].split("url(", 1)[1]
        ):
            loading.append(f"<{tag} style={attrs['style']}>")
    assert loading == []
    # And no stylesheet pulls anything in with @import or url(http...).
    styles = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", dom.stdout, re.DOTALL))
    assert not re.search(r"@import\s+(?:url\()?['\"]?(?:https?:)?//", styles)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", styles)


def test_recorder_sees_a_remote_load(browser_tmp: Path, recorder: _Recorder) -> None:
    """Control: the set-up above would catch a page that loads from a host."""
    page = browser_tmp / "control.html"
    page.write_text(
        '<!doctype html><html><body><img src="http://evidence.example.org/x.png">'
        "</body></html>",
        "utf-8",
    )
    run = _chromium(browser_tmp, recorder, page, "--dump-dom", label="control")
    assert any("evidence.example.org" in line for line in run.requests), run.requests


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _png_distinct_rows(data: bytes, limit: int = 2000) -> int:
    """How many distinct scanlines the image has (a blank page has one)."""
    chunks = []
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    _width, height = _png_size(data)
    stride = len(raw) // height
    rows = {raw[i * stride + 1 : (i + 1) * stride] for i in range(min(height, limit))}
    return len(rows)


def test_screenshot_is_saved_and_not_blank(
    outcome: RunOutcome, browser_tmp: Path, recorder: _Recorder
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "go_no_go_report.png"
    shot.unlink(missing_ok=True)
    run = _chromium(
        browser_tmp,
        recorder,
        outcome.html_path,
        f"--screenshot={shot}",
        label="screenshot",
    )
    assert run.requests == []
    data = shot.read_bytes()
    assert len(data) > 20_000, "screenshot is suspiciously small"
    assert _png_size(data) == (1280, 2000)
    assert _png_distinct_rows(data) > 100, "screenshot looks blank"


@pytest.fixture(scope="module")
def pdf(outcome: RunOutcome, browser_tmp: Path, recorder: _Recorder) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "go_no_go_report.pdf"
    target.unlink(missing_ok=True)
    run = _chromium(
        browser_tmp,
        recorder,
        outcome.html_path,
        f"--print-to-pdf={target}",
        "--no-pdf-header-footer",
        label="pdf",
    )
    assert run.requests == []
    assert target.read_bytes()[:5] == b"%PDF-"
    return target


def _pdf_page_text(path: Path, page: int) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: install poppler-utils (make test does)"
    result = subprocess.run(
        [tool, "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def test_pdf_has_the_report(outcome: RunOutcome, pdf: Path) -> None:
    text = " ".join(_pdf_page_text(pdf, page) for page in (1, 2, 3))
    assert outcome.decision in text
    assert "Go / no-go readiness" in text


def test_pdf_decision_is_on_the_first_page(outcome: RunOutcome, pdf: Path) -> None:
    first = _pdf_page_text(pdf, 1)
    assert re.search(rf"^\s*{re.escape(outcome.decision)}\s*$", first, re.MULTILINE)


def test_pdf_keeps_every_column_of_the_criteria_table(pdf: Path) -> None:
    """On paper a wide table cannot scroll: its last columns must still be printed."""
    pages = " ".join(_pdf_page_text(pdf, page) for page in range(1, 6))
    assert "Criteria" in pages
    for header in ("Coverage", "Blocking", "How measured"):
        assert header in pages, header


def test_chromium_is_installed() -> None:
    """Guard: make test installs chromium, so a missing binary must fail loudly."""
    assert Path(CHROMIUM).is_file(), (
        f"{CHROMIUM} missing: run scripts/install-system-deps.sh"
    )
    version = subprocess.run(
        [CHROMIUM, "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "Chromium" in version.stdout


def test_local_port_is_really_listening(recorder: _Recorder) -> None:
    with socket.create_connection(recorder.server_address, timeout=5) as conn:
        conn.sendall(b"GET http://probe.invalid/ HTTP/1.1\r\n\r\n")
        assert conn.recv(64).startswith(b"HTTP/1.1 502")
    with recorder.lock:
        assert recorder.requests.pop().startswith("GET http://probe.invalid/")
