"""Benchmark the Prometheus pull and the offline SLO engine (not a test).

Usage::

    .venv/bin/python benchmarks/bench_prometheus.py            # issue-3 sizes
    .venv/bin/python benchmarks/bench_prometheus.py --days 3 --series 10 --slo-series 50

(a) Backfills ``--series`` counters over ``--days`` at ``--scrape`` seconds into a
    fresh Prometheus (promtool + prometheus on 127.0.0.1), then pulls them at the
    scrape step three ways: our chunked concurrent ``PrometheusSource.range_query``;
    the plain sequential ``PrometheusConnect.custom_query_range`` over the same
    chunks; and the sum of the raw HTTP times of those chunk requests (the floor,
    no parsing). Prints the ratios; the goal is ours within 1.3× of the floor.
(b) Times ``availability_from_counters`` on ``--slo-series`` series of the same
    length against a single numpy pass (reset-aware increase) over the arrays.

The issue's sizes (100 series, 30 days at 15 s, 1,000 series for the SLO
engine) need several GB of memory and minutes of promtool time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import requests
from prometheus_api_client import PrometheusConnect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.metrics.slo import availability_from_counters  # noqa: E402
from analytics.sources.prometheus import PrometheusSource, chunk_ranges  # noqa: E402

START = pd.Timestamp("2024-04-01T00:00:00Z")
QUERY = "bench_requests_total"


def write_openmetrics(path: Path, series: int, points: int, scrape: int) -> None:
    """One counter family, series after series, seconds timestamps, # EOF."""
    stamps = (int(START.timestamp()) + np.arange(points) * scrape).astype(str)
    with path.open("w", encoding="utf-8") as out:
        out.write("# TYPE bench_requests counter\n")
        for index in range(series):
            values = np.cumsum(np.full(points, 10)).astype(str)
            prefix = f'bench_requests_total{{instance="i{index:04d}"}} '
            out.writelines(
                prefix + v + " " + s + "\n" for v, s in zip(values, stamps, strict=True)
            )
        out.write("# EOF\n")


def start_prometheus(
    folder: Path, span_hours: int
) -> tuple[subprocess.Popen[bytes], str]:
    """Backfill and start; returns the process and its URL."""
    subprocess.run(
        [
            "promtool",
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            f"--max-block-duration={span_hours + 48}h",
            str(folder / "data.om"),
            str(folder / "tsdb"),
        ],
        check=True,
        capture_output=True,
    )
    (folder / "prometheus.yml").write_text("scrape_configs: []\n")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (folder / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'tsdb'}",
                "--storage.tsdb.retention.time=100y",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("prometheus did not become ready")


def bench_pull(url: str, end: pd.Timestamp, scrape: int) -> None:
    chunks = chunk_ranges(START.timestamp(), end.timestamp(), scrape, 10_000)

    started = time.perf_counter()
    ours = PrometheusSource(url, environ={}).range_query(QUERY, START, end, scrape)
    ours_seconds = time.perf_counter() - started

    client = PrometheusConnect(url=url)
    started = time.perf_counter()
    for first, last in chunks:
        client.custom_query_range(
            QUERY,
            datetime.fromtimestamp(first, UTC),
            datetime.fromtimestamp(last, UTC),
            step=str(scrape),
        )
    plain_seconds = time.perf_counter() - started

    floor_seconds = 0.0
    with requests.Session() as session:
        for first, last in chunks:
            began = time.perf_counter()
            answer = session.get(
                f"{url}/api/v1/query_range",
                params={"query": QUERY, "start": first, "end": last, "step": scrape},
                timeout=600,
            )
            _ = answer.content
            floor_seconds += time.perf_counter() - began

    print(f"pull: {ours.rows_in:,} samples in {len(chunks)} chunks")
    print(f"  ours (chunked, concurrent): {ours_seconds:8.2f} s")
    print(f"  plain client, sequential:   {plain_seconds:8.2f} s")
    print(f"  raw HTTP floor (sum):       {floor_seconds:8.2f} s")
    print(f"  ours / floor = {ours_seconds / floor_seconds:.2f} (goal <= 1.3)")
    print(f"  ours / plain = {ours_seconds / plain_seconds:.2f}")


def bench_slo(series: int, points: int, scrape: int) -> None:
    times = START + pd.to_timedelta(np.arange(points) * scrape, unit="s")
    rng = np.random.default_rng(1)
    total = np.cumsum(rng.poisson(10, size=(series, points)), axis=1).astype(float)
    good = total - np.cumsum(rng.random((series, points)) < 0.001, axis=1)

    def frame(values: np.ndarray, name: str) -> pd.DataFrame:
        keys = np.repeat([f"{name}{{i={i}}}" for i in range(series)], points)
        return pd.DataFrame(
            {
                "timestamp": np.tile(times, series),
                "metric": name,
                "series": keys,
                "value": values.ravel(),
            }
        )

    good_frame, total_frame = frame(good, "good"), frame(total, "total")
    started = time.perf_counter()
    result = availability_from_counters(
        good_frame,
        total_frame,
        window_start=times[0],
        window_end=times[-1],
        target=0.999,
    )
    engine_seconds = time.perf_counter() - started

    started = time.perf_counter()
    sums = []
    for values in (good, total):
        steps = np.diff(values, axis=1)
        sums.append(np.where(steps >= 0, steps, values[:, 1:]).sum())
    numpy_sli = sums[0] / sums[1]
    numpy_seconds = time.perf_counter() - started

    print(f"offline SLO engine: {series} series x {points:,} points")
    print(f"  availability_from_counters: {engine_seconds:8.2f} s (sli {result.sli})")
    print(f"  single numpy pass:          {numpy_seconds:8.2f} s (sli {numpy_sli})")
    print(f"  engine / numpy = {engine_seconds / numpy_seconds:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--scrape", type=int, default=15)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--slo-series", type=int, default=1000)
    args = parser.parse_args()

    points = int(args.days * 86_400 / args.scrape) + 1
    end = START + pd.Timedelta(seconds=(points - 1) * args.scrape)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        started = time.perf_counter()
        write_openmetrics(folder / "data.om", args.series, points, args.scrape)
        process, url = start_prometheus(folder, int(args.days * 24) + 1)
        print(f"backfilled and started in {time.perf_counter() - started:.1f} s")
        try:
            bench_pull(url, end, args.scrape)
        finally:
            process.terminate()
            process.wait()
    bench_slo(args.slo_series, points, args.scrape)


if __name__ == "__main__":
    main()
