"""A real Prometheus, backfilled with known series, for the tests in this folder.

The session fixture writes 32 days of samples at 60 s as OpenMetrics text,
backfills them with ``promtool tsdb create-blocks-from openmetrics`` (one
block spanning all the data, so promtool reads the file once) and starts
``prometheus`` on 127.0.0.1 with a free port, no scrape targets and a 100-year
retention (the default 15 days would delete the backfilled history at start).

If either binary is missing or the server does not become ready, the fixture
fails: a Prometheus that cannot start must never turn into skipped tests.

The fixture data (all series carry ``job="api"``):

* ``app_requests_total`` and ``app_good_requests_total``: 100 requests a
  minute; 1 bad request every 7th minute and 20 bad a minute during a 3-hour
  incident; a counter reset (process restart) on day 10;
  a 3-hour scrape gap on day 15 (traffic goes on, nobody scrapes it);
  6 hours of zero traffic on day 20 (counters flat).
* ``app_request_duration_seconds``: a histogram of the same requests with
  buckets 0.1, 0.2, 0.3, 0.45, 1 and +Inf (50/30/15/4/1 % of requests).
* ``up``: 1 at every minute with a sample, 0 for the incident's first 10
  minutes; besides the 3-hour gap it has an 8-minute gap of its own on day 18
  (no staleness markers, as after a Prometheus outage or a backfill: a plain
  range query repeats its last 1 for 5 minutes into each gap).
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"

START = pd.Timestamp("2024-04-01T00:00:00Z")
DAYS = 32
STEP_SECONDS = 60
MINUTES_PER_DAY = 1440
RESET_AT = 10 * MINUTES_PER_DAY + 7  # first sample after the restart
GAP = (15 * MINUTES_PER_DAY, 15 * MINUTES_PER_DAY + 180)  # no samples
ZERO = (20 * MINUTES_PER_DAY, 20 * MINUTES_PER_DAY + 360)  # no traffic
INCIDENT = (25 * MINUTES_PER_DAY, 25 * MINUTES_PER_DAY + 180)  # 20 bad a minute
BUCKETS = ("0.1", "0.2", "0.3", "0.45", "1", "+Inf")
BUCKET_PERCENT = np.array([50.0, 30.0, 15.0, 4.0, 1.0])  # per bucket; last (0.45, 1]
UP_GAP = (18 * MINUTES_PER_DAY + 600, 18 * MINUTES_PER_DAY + 608)  # no up samples
UP_DOWN = (INCIDENT[0], INCIDENT[0] + 10)  # up is 0


@dataclass(frozen=True)
class FixtureData:
    """What was backfilled: minute offsets with a sample, and the exact counters."""

    minutes: np.ndarray  # minute offsets from START that have a sample
    total: np.ndarray  # counter values at those minutes (after resets)
    good: np.ndarray
    buckets: dict[str, np.ndarray]  # cumulative bucket counters by le
    total_increase: np.ndarray  # true requests per minute, every minute of the span
    good_increase: np.ndarray
    up_minutes: np.ndarray  # minute offsets from START with an up sample
    up: np.ndarray  # up's values at those minutes

    @property
    def start(self) -> pd.Timestamp:
        """Time of the first sample."""
        return START

    @property
    def end(self) -> pd.Timestamp:
        """Time of the last sample."""
        return START + pd.Timedelta(minutes=int(self.minutes[-1]))

    def times(self) -> pd.DatetimeIndex:
        """UTC times of the samples."""
        return START + pd.to_timedelta(self.minutes, unit="min")


@dataclass(frozen=True)
class PromServer:
    """A running Prometheus with the fixture data."""

    url: str
    data: FixtureData


def make_data() -> FixtureData:
    """The fixture series, deterministic."""
    count = DAYS * MINUTES_PER_DAY + 1
    minute = np.arange(count)
    requests_per_minute = np.full(count, 100.0)
    requests_per_minute[0] = 0.0
    requests_per_minute[ZERO[0] : ZERO[1]] = 0.0
    bad = np.where(minute % 7 == 0, 1.0, 0.0)
    bad[INCIDENT[0] : INCIDENT[1]] = 20.0
    bad = np.minimum(bad, requests_per_minute)
    good_per_minute = requests_per_minute - bad

    def counter(increments: np.ndarray) -> np.ndarray:
        values = np.cumsum(increments)
        # The process restarts just before RESET_AT: the counter starts again at 0.
        values[RESET_AT:] -= values[RESET_AT - 1]
        return values

    per_bucket = np.outer(requests_per_minute / 100.0, BUCKET_PERCENT)
    cumulative = np.cumsum(per_bucket, axis=1)
    buckets = {le: counter(cumulative[:, i]) for i, le in enumerate(BUCKETS[:-1])}
    buckets["+Inf"] = counter(requests_per_minute)

    scraped = np.ones(count, dtype=bool)
    scraped[GAP[0] : GAP[1]] = False
    up = np.ones(count)
    up[UP_DOWN[0] : UP_DOWN[1]] = 0.0
    up_scraped = scraped.copy()
    up_scraped[UP_GAP[0] : UP_GAP[1]] = False
    return FixtureData(
        minutes=minute[scraped],
        total=counter(requests_per_minute)[scraped],
        good=counter(good_per_minute)[scraped],
        buckets={le: values[scraped] for le, values in buckets.items()},
        total_increase=requests_per_minute,
        good_increase=good_per_minute,
        up_minutes=minute[up_scraped],
        up=up[up_scraped],
    )


def openmetrics_text(data: FixtureData) -> str:
    """The data as OpenMetrics: one family at a time, seconds, ending with # EOF."""
    seconds = (int(START.timestamp()) + data.minutes * STEP_SECONDS).tolist()
    lines: list[str] = []
    for family, values in (
        ("app_requests", data.total),
        ("app_good_requests", data.good),
    ):
        lines.append(f"# TYPE {family} counter")
        lines.extend(
            f'{family}_total{{job="api"}} {value:.17g} {stamp}'
            for value, stamp in zip(values.tolist(), seconds, strict=True)
        )

    family = "app_request_duration_seconds"
    lines.append(f"# TYPE {family} histogram")
    columns = [data.buckets[le].tolist() for le in BUCKETS]
    for row, stamp in enumerate(seconds):
        lines.extend(
            f'{family}_bucket{{job="api",le="{le}"}} {columns[i][row]:.17g} {stamp}'
            for i, le in enumerate(BUCKETS)
        )
        lines.append(f'{family}_count{{job="api"}} {columns[-1][row]:.17g} {stamp}')
        lines.append(
            f'{family}_sum{{job="api"}} {columns[-1][row] * 0.15:.17g} {stamp}'
        )
    lines.append("# TYPE up gauge")
    up_seconds = (int(START.timestamp()) + data.up_minutes * STEP_SECONDS).tolist()
    lines.extend(
        f'up{{job="api"}} {value:.17g} {stamp}'
        for value, stamp in zip(data.up.tolist(), up_seconds, strict=True)
    )
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _require_binaries() -> None:
    missing = [tool for tool in (PROMETHEUS, PROMTOOL) if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: install Debian's prometheus package"
            " (`make system-deps`); these tests must not be skipped",
            pytrace=False,
        )


def _backfill(folder: Path, data: FixtureData) -> Path:
    source = folder / "fixture.om"
    source.write_text(openmetrics_text(data), encoding="utf-8")
    storage = folder / "tsdb"
    hours = DAYS * 24 + 48  # one block holds everything
    done = subprocess.run(
        [
            PROMTOOL,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            f"--max-block-duration={hours}h",
            str(source),
            str(storage),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"promtool backfill failed: {done.stderr[-2000:]}", pytrace=False)
    return storage


def _start(folder: Path, storage: Path) -> tuple[subprocess.Popen[bytes], str]:
    config = folder / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n")
    port = free_port()
    # The child keeps its own copy of the log's file descriptor.
    with (folder / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={storage}",
                "--storage.tsdb.retention.time=100y",
                f"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-lifecycle",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    process.kill()
    tail = log.read_text(errors="replace")[-2000:]
    pytest.fail(f"prometheus did not become ready at {url}:\n{tail}", pytrace=False)


@pytest.fixture(scope="session")
def fixture_data() -> FixtureData:
    """The backfilled series, as numbers (the truth the tests compare with)."""
    return make_data()


@pytest.fixture(scope="session")
def prometheus(
    tmp_path_factory: pytest.TempPathFactory, fixture_data: FixtureData
) -> Iterator[PromServer]:
    """A running Prometheus on 127.0.0.1 holding the fixture data; fails if it can't."""
    _require_binaries()
    folder = tmp_path_factory.mktemp("prometheus")
    storage = _backfill(folder, fixture_data)
    process, url = _start(folder, storage)
    try:
        _wait_ready(process, url, folder / "prometheus.log")
        yield PromServer(url=url, data=fixture_data)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- a tiny fake server for faults the real one cannot be made to show ----------


@dataclass
class FakeServer:
    """A local HTTP server answering every request the same configured way."""

    url: str
    requests_seen: list[dict[str, str]]


class _Handler(BaseHTTPRequestHandler):
    behaviour: str = "503"
    delay_seconds: float = 0.0
    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        self.seen.append({"path": self.path, **dict(self.headers.items())})
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        if self.behaviour == "503":
            self._reply(503, {"status": "error", "error": "overloaded"})
            return
        if self.behaviour in ("401", "403"):
            self._reply(
                int(self.behaviour), {"status": "error", "error": "access denied"}
            )
            return
        if self.behaviour == "login-redirect" and not self.path.startswith("/login"):
            # A login proxy: off to its login page, with a return address.
            self.send_response(302)
            self.send_header("Location", "/login?next=%2Fapi&session=REDIRECT-CANARY")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.behaviour in ("html", "login-redirect"):
            page = b"<!doctype html><html><body><form>Log in</form></body></html>"
            self._send(200, "text/html; charset=utf-8", page)
            return
        if self.behaviour == "reflect400":
            # A proxy that repeats the request headers in its error text.
            echoed = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
            self._reply(
                400, {"status": "error", "errorType": "bad_data", "error": echoed}
            )
            return
        if self.behaviour == "other-json":
            self._reply(200, {"status": "success", "message": "not the query API"})
            return
        if self.behaviour == "cut-json":
            self._send(200, "application/json", b'{"status":"success","data":{"re')
            return
        result = {
            "resultType": "matrix",
            "result": [
                {
                    "metric": {"__name__": "up", "job": "api"},
                    "values": [[1714557600, "1"], [1714557660, "1"]],
                }
            ],
        }
        if "/api/v1/query_range" not in self.path:
            result = {
                "resultType": "vector",
                "result": [{"metric": {"__name__": "up"}, "value": [1714557600, "1"]}],
            }
        self._reply(
            200,
            {"status": "success", "data": result, "warnings": ["store b unavailable"]},
        )

    def _reply(self, status: int, body: object) -> None:
        self._send(status, "application/json", json.dumps(body).encode())

    def _send(self, status: int, content_type: str, content: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def fake_server() -> Iterator[Callable[..., FakeServer]]:
    """Start fake servers: ``fake_server("503")`` or ``("warnings", delay)``.

    Behaviours: ``503``; ``401`` / ``403`` (refused); ``html`` (200 with a
    login page); ``login-redirect`` (302 to a login page answering 200 HTML);
    ``other-json`` (200 JSON without ``data``); ``cut-json`` (200 JSON cut
    short); ``reflect400`` (400 whose error text repeats the request headers);
    ``warnings`` (a good answer carrying response warnings).
    """
    servers: list[ThreadingHTTPServer] = []

    def start(behaviour: str, delay_seconds: float = 0.0) -> FakeServer:
        seen: list[dict[str, str]] = []
        handler = type(
            "Handler",
            (_Handler,),
            {"behaviour": behaviour, "delay_seconds": delay_seconds, "seen": seen},
        )
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return FakeServer(f"http://127.0.0.1:{server.server_address[1]}", seen)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A fake server behind TLS with a fresh self-signed certificate for 127.0.0.1.

    Yields its ``https://`` URL and the certificate (a CA file that verifies it).
    """
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if made.returncode != 0:
        pytest.fail(f"openssl could not make a certificate: {made.stderr[-1000:]}")
    handler = type("Handler", (_Handler,), {"behaviour": "warnings", "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()
