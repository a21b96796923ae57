"""PrometheusSource against a real Prometheus (and a fake one for faults)."""

from __future__ import annotations

import doctest
import itertools
import logging
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from analytics.errors import ConfigError, InputError
from analytics.metrics.histogram import bucket_increase, histogram_quantile, share_below
from analytics.metrics.slo import availability_from_counters
from analytics.sources import prometheus as prometheus_module
from analytics.sources.prometheus import (
    COVERAGE_NOTE_PREFIX,
    LOOKBACK_NOTE,
    PARTIAL_NOTE_PREFIX,
    PrometheusError,
    PrometheusSource,
    chunk_ranges,
    load_snapshot,
    real_samples_query,
    redact_url,
    save_snapshot,
)

GOOD = 'app_good_requests_total{job="api"}'
TOTAL = 'app_requests_total{job="api"}'
THIRTY_DAYS = pd.Timedelta(days=30)


def source(url: str, **options: object) -> PrometheusSource:
    """A source with no credentials from the test runner's environment."""
    return PrometheusSource(url, environ={}, **options)  # type: ignore[arg-type]


# --- chunking -------------------------------------------------------------------------


def test_chunked_pull_equals_one_query(prometheus):
    """8,641 points fit one query; 9 chunks of 1,000 must give the same samples."""
    end = prometheus.data.end
    start = end - THIRTY_DAYS
    raw = requests.get(
        f"{prometheus.url}/api/v1/query_range",
        params={
            "query": TOTAL,
            "start": start.timestamp(),
            "end": end.timestamp(),
            "step": 300,
        },
        timeout=30,
    ).json()["data"]["result"]
    expected = np.asarray(raw[0]["values"], dtype=float)

    result = source(prometheus.url, max_points_per_chunk=1000).range_query(
        TOTAL, start, end, 300
    )

    assert len(raw) == 1
    assert len(result.frame) == len(expected) == 8641 - 35  # 3 h gap, 5 min lookback
    np.testing.assert_array_equal(
        result.frame["timestamp"].astype("int64") // 10**6, expected[:, 0]
    )
    np.testing.assert_array_equal(result.frame["value"], expected[:, 1])
    assert result.rejected.empty
    assert result.rows_in == result.rows_used
    assert result.frame["series"].iloc[0] == TOTAL


def test_too_many_points_need_chunks(prometheus):
    """31 days at 60 s is refused in one query and works in chunks."""
    data = prometheus.data
    start, end = data.start, data.start + pd.Timedelta(days=31)
    refused = requests.get(
        f"{prometheus.url}/api/v1/query_range",
        params={
            "query": TOTAL,
            "start": start.timestamp(),
            "end": end.timestamp(),
            "step": 60,
        },
        timeout=30,
    )
    assert refused.status_code == 400
    assert "11,000" in refused.json()["error"] or "11000" in refused.json()["error"]

    result = source(prometheus.url).range_query(TOTAL, start, end, 60)

    frame = result.frame.set_index("timestamp")["value"]
    times = data.times()
    inside = times <= end
    truth = pd.Series(data.total[inside], index=times[inside])
    assert frame.reindex(truth.index).tolist() == truth.tolist()
    # No extra points: the 5-minute lookback does not repeat a sample into the gap.
    assert frame.index.difference(truth.index).empty


def test_chunk_ranges_cover_every_step_once():
    chunks = chunk_ranges(0.0, 86_400.0, 15.0, 11_000)
    instants = np.concatenate(
        [np.arange(first, last + 1, 15.0) for first, last in chunks]
    )
    assert len(chunks) == 1 if 86_400 / 15 + 1 <= 11_000 else len(chunks) > 1
    np.testing.assert_array_equal(instants, np.arange(0.0, 86_401.0, 15.0))


def test_chunk_ranges_thirty_days_at_15_s():
    chunks = chunk_ranges(0.0, 30 * 86_400.0, 15.0, 11_000)
    points = [round((last - first) / 15) + 1 for first, last in chunks]
    assert sum(points) == 30 * 5760 + 1
    assert max(points) <= 11_000
    assert all(b[0] - a[1] == 15.0 for a, b in itertools.pairwise(chunks))


# --- a step without a sample of its own is a gap --------------------------------------


@pytest.mark.parametrize(
    ("query", "step", "sent"),
    [
        ("up", 60, "last_over_time(up[59999ms])"),
        (' up{job="api"} ', 60, 'last_over_time(up{job="api"}[59999ms])'),
        (
            "up {job='a', instance=~\"b.*\"}",
            15,
            "last_over_time(up{job='a', instance=~\"b.*\"}[14999ms])",
        ),
        (
            '{__name__="up", job="a}b"}',
            30,
            'last_over_time({__name__="up", job="a}b"}[29999ms])',
        ),
        (
            "job:app_requests_total:sum",
            300,
            "last_over_time(job:app_requests_total:sum[299999ms])",
        ),
        ("up{}", 0.5, "last_over_time(up{}[499ms])"),
        ("up", 0.002, "last_over_time(up[1ms])"),
        ("up", 0.001, None),
        ('avg(up{job="api"})', 60, None),
        ("sum by (job) (up)", 60, None),
        ('up{job="api"} >= bool 0', 60, None),
        ("rate(app_requests_total[5m])", 60, None),
        ("up[5m]", 60, None),
        ("up offset 5m", 60, None),
        ("up @ 1714557600", 60, None),
        ("a - b", 60, None),
        ("up{job='a'} and on() vector(1)", 60, None),
        ("{job='a'", 60, None),
        ("", 60, None),
        ("by", 60, None),
    ],
)
def test_real_samples_query_wraps_plain_selectors_only(query, step, sent):
    assert real_samples_query(query, step) == sent


def test_a_plain_selector_is_sent_wrapped_and_named_as_asked(fake_server):
    server = fake_server("warnings")
    result = source(server.url).range_query(
        'up{job="api"}', "2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z", 60
    )
    sent = requests.utils.unquote(server.requests_seen[0]["path"])
    assert 'query=last_over_time(up{job="api"}[59999ms])' in sent.replace("+", " ")
    assert result.query == 'up{job="api"}'
    assert result.sent_query == 'last_over_time(up{job="api"}[59999ms])'
    assert result.provenance()["sent_query"] == result.sent_query
    assert LOOKBACK_NOTE not in result.notes


def test_another_query_is_sent_as_it_is_with_a_note(fake_server):
    server = fake_server("warnings")
    result = source(server.url).range_query(
        "avg(up)", "2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z", 60
    )
    sent = requests.utils.unquote(server.requests_seen[0]["path"])
    assert "query=avg(up)" in sent
    assert result.sent_query == "avg(up)"
    assert LOOKBACK_NOTE in result.notes
    assert LOOKBACK_NOTE.startswith(COVERAGE_NOTE_PREFIX)


def test_instant_queries_are_sent_as_they_are(fake_server):
    server = fake_server("warnings")
    result = source(server.url).instant_query("up", "2024-05-01T10:00:00Z")
    assert "query=up&" in server.requests_seen[0]["path"]
    assert result.sent_query == "up"
    assert LOOKBACK_NOTE not in result.notes


def test_a_wrapped_series_without_its_name_gets_it_back():
    arrays = prometheus_module._series_arrays(
        {"metric": {"job": "api"}, "values": [[1714557600, "1"]]}
    )
    named = prometheus_module._series_arrays(
        {"metric": {"__name__": "x", "job": "b"}, "values": [[1714557600, "0"]]}
    )
    restored = prometheus_module._with_metric_name([arrays, named], 'up{job="api"}')
    assert restored[0].metric == {"job": "api", "__name__": "up"}
    assert restored[1] is named
    assert prometheus_module._with_metric_name([arrays], '{job="api"}') == [arrays]


# --- server-side and offline SLO agree ------------------------------------------------


def _both_ways(prometheus, end: pd.Timestamp) -> tuple[float, float]:
    src = source(prometheus.url)
    server = src.instant_value(
        f"sum(increase({GOOD}[30d])) / sum(increase({TOTAL}[30d]))", at=end
    )
    start = end - THIRTY_DAYS
    good = src.range_query(GOOD, start, end, 60)
    total = src.range_query(TOTAL, start, end, 60)
    offline = availability_from_counters(
        good.frame, total.frame, window_start=start, window_end=end, target=0.999
    )
    assert server is not None
    assert offline.sli is not None
    return server, offline.sli


def test_availability_server_side_equals_offline_on_aligned_window(prometheus):
    """Window edges on samples: increase() has nothing to extrapolate; exact match.

    The window holds the counter reset, the scrape gap and the zero-traffic
    stretch; both paths handle the reset and count the gap's traffic.
    """
    data = prometheus.data
    end = data.end
    server, offline = _both_ways(prometheus, end)

    first = int(((end - THIRTY_DAYS) - data.start) / pd.Timedelta(minutes=1))
    truth = (
        data.good_increase[first + 1 :].sum() / data.total_increase[first + 1 :].sum()
    )
    assert offline == pytest.approx(truth, abs=1e-12)
    assert server == pytest.approx(offline, abs=1e-9)


def test_availability_server_side_close_to_offline_on_unaligned_window(prometheus):
    """Window edges 30 s off the samples: PromQL increase() extrapolates.

    Prometheus stretches each counter's increase from the first and last sample
    in the range to the range's edges (up to half an interval each side); the
    offline engine counts only the increase between samples. The same factor
    applies to good and total, so the ratio differs by far less than the
    extrapolated share (30 s of 30 days ~ 1e-5): tolerance 1e-6 on the SLI.
    """
    end = prometheus.data.end - pd.Timedelta(seconds=30)
    server, offline = _both_ways(prometheus, end)
    assert server == pytest.approx(offline, abs=1e-6)


def test_zero_traffic_is_no_data_on_both_paths(prometheus):
    data = prometheus.data
    end = data.start + pd.Timedelta(days=20, hours=5)  # inside the zero-traffic stretch
    src = source(prometheus.url)
    query = f"sum(increase({GOOD}[4h])) / sum(increase({TOTAL}[4h]))"
    assert src.instant_value(query, at=end) is None  # NaN is not 100 %

    raw = src.instant_query(query, at=end)
    assert raw.rejected["reason_code"].tolist() == ["nan_value"]

    start = end - pd.Timedelta(hours=4)
    good = src.range_query(GOOD, start, end, 60)
    total = src.range_query(TOTAL, start, end, 60)
    offline = availability_from_counters(
        good.frame, total.frame, window_start=start, window_end=end, target=0.999
    )
    assert offline.sli is None


def test_instant_query_sends_the_time(prometheus):
    data = prometheus.data
    result = source(prometheus.url).instant_query(TOTAL, at=data.end)
    assert result.frame["value"].tolist() == [data.total[-1]]
    assert result.frame["timestamp"].tolist() == [data.end]
    assert result.step_seconds == 0.0


# --- reduced coverage -----------------------------------------------------------------


def test_range_before_the_data_has_a_coverage_note_not_partial(prometheus):
    """A late first sample is a coverage matter, judged per criterion window."""
    data = prometheus.data
    start = data.start - pd.Timedelta(days=2)
    result = source(prometheus.url).range_query(
        TOTAL, start, start + pd.Timedelta(days=3), 600
    )
    assert not result.partial
    assert not [n for n in result.notes if n.startswith(PARTIAL_NOTE_PREFIX)]
    notes = [n for n in result.notes if n.startswith(COVERAGE_NOTE_PREFIX)]
    assert len(notes) == 1
    assert "48.0 h after the requested start" in notes[0]


def test_range_after_the_data_has_a_coverage_note(prometheus):
    data = prometheus.data
    end = data.end + pd.Timedelta(days=1)
    result = source(prometheus.url).range_query(
        TOTAL, end - pd.Timedelta(days=3), end, 600
    )
    assert not result.partial
    notes = [n for n in result.notes if n.startswith(COVERAGE_NOTE_PREFIX)]
    assert len(notes) == 1 and "before the requested end" in notes[0]
    # The last sample is not repeated for 5 minutes (the lookback delta).
    assert f"the last sample is at {data.end.isoformat()}," in notes[0]


def test_response_warnings_are_partial_data(fake_server):
    server = fake_server("warnings")
    result = source(server.url).range_query(
        "up", "2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z", 60
    )
    assert result.partial
    assert any("store b unavailable" in note for note in result.notes)
    assert all(note.startswith(PARTIAL_NOTE_PREFIX) for note in result.notes)


def test_no_tls_verification_is_recorded(fake_server):
    server = fake_server("warnings")
    result = source(server.url, verify_tls=False).instant_query(
        "up", "2024-05-01T10:00:00Z"
    )
    assert any("verification was disabled" in note for note in result.notes)


# --- faults ---------------------------------------------------------------------------


def test_stopped_server_is_a_clear_error():
    from socket import socket

    with socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    src = source(f"http://127.0.0.1:{port}", retries=1, backoff_seconds=0.01)
    with pytest.raises(PrometheusError, match="cannot connect") as caught:
        src.range_query(TOTAL, "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z", 60)
    assert isinstance(caught.value, InputError)
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert TOTAL in str(caught.value)


def test_bad_promql_names_the_query(prometheus):
    with pytest.raises(PrometheusError, match=r"HTTP 400 \(bad_data") as caught:
        source(prometheus.url).instant_query(
            "sum(rate(x[5m]) by", at=prometheus.data.end
        )
    message = str(caught.value)
    assert "sum(rate(x[5m]) by" in message
    assert "correct the PromQL" in message


def test_503_is_retried_then_a_clear_error(fake_server):
    server = fake_server("503")
    src = source(server.url, retries=2, backoff_seconds=0.01)
    with pytest.raises(PrometheusError, match="kept answering with a 5xx"):
        src.instant_query("up", at="2024-05-01T10:00:00Z")
    assert len(server.requests_seen) == 3  # first try + 2 retries


def test_slow_server_times_out(fake_server):
    server = fake_server("warnings", delay_seconds=1.5)
    src = source(server.url, timeout_seconds=0.3, retries=1, backoff_seconds=0.01)
    started = time.perf_counter()
    with pytest.raises(PrometheusError, match=r"no answer within 0\.3 s"):
        src.instant_query("up", at="2024-05-01T10:00:00Z")
    assert time.perf_counter() - started < 1.4
    assert len(server.requests_seen) == 2


def test_server_stopped_mid_pull_is_an_error_not_a_short_result(prometheus):
    """Chunks after the stop fail: the pull raises rather than returning less data."""
    data = prometheus.data
    src = source(prometheus.url, max_points_per_chunk=100, max_workers=1)
    original = src.client.custom_query_range
    calls = {"count": 0}

    def flaky(*args, **kwargs):  # the third chunk finds the server gone
        calls["count"] += 1
        if calls["count"] == 3:
            src.client.url = "http://127.0.0.1:9"  # discard port, nothing listens
        return original(*args, **kwargs)

    src.client.custom_query_range = flaky
    with pytest.raises(PrometheusError, match="cannot connect"):
        src.range_query(TOTAL, data.start, data.start + pd.Timedelta(days=1), 60)


@pytest.mark.parametrize(
    ("behaviour", "shown"),
    [
        ("html", "answered 200 with text/html, not the Prometheus API JSON"),
        ("other-json", "answered 200 with application/json, not JSON with the"),
        ("cut-json", "answered 200 with application/json, not JSON with the"),
    ],
)
@pytest.mark.parametrize("kind", ["range", "instant"])
def test_an_answer_that_is_not_the_api_json_is_a_clear_error(
    fake_server, behaviour, shown, kind
):
    """A login page (or any other 200 body) is a PrometheusError, never a crash."""
    server = fake_server(behaviour)
    src = source(server.url, retries=0)
    with pytest.raises(PrometheusError) as caught:
        if kind == "range":
            src.range_query(TOTAL, "2024-05-01T00:00:00Z", "2024-05-01T01:00:00Z", 60)
        else:
            src.instant_query(TOTAL, at="2024-05-01T00:00:00Z")
    message = str(caught.value)
    assert f"the server at {server.url} {shown}" in message
    assert "Prometheus API root" in message and "login proxy" in message
    assert TOTAL in message


def test_a_login_redirect_names_the_page_without_its_query(fake_server):
    server = fake_server("login-redirect")
    with pytest.raises(PrometheusError) as caught:
        source(server.url).instant_query("up", at="2024-05-01T00:00:00Z")
    message = str(caught.value)
    assert f"answered 200 after a redirect to {server.url}/login with text/html" in (
        message
    )
    assert "REDIRECT-CANARY" not in message


def test_https_on_a_plain_http_port_says_so(fake_server):
    server = fake_server("warnings")
    url = server.url.replace("http://", "https://")
    with pytest.raises(PrometheusError) as caught:
        source(url, retries=0).instant_query("up", at="2024-05-01T00:00:00Z")
    message = str(caught.value)
    assert "does not speak TLS on that port" in message
    assert "use http://" in message
    assert "PROMETHEUS_CA_FILE" not in message


def test_an_unknown_certificate_asks_for_the_ca_file(tls_server):
    url, cert = tls_server
    with pytest.raises(PrometheusError) as caught:
        source(url, retries=0).instant_query("up", at="2024-05-01T00:00:00Z")
    message = str(caught.value)
    assert "the TLS certificate could not be verified" in message
    assert "set PROMETHEUS_CA_FILE" in message
    # With the CA file the same server is read.
    trusted = PrometheusSource(url, environ={"PROMETHEUS_CA_FILE": str(cert)})
    assert trusted.instant_query("up", at="2024-05-01T00:00:00Z").rows_used == 1


# --- credentials ----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["401", "403"])
def test_refused_without_credentials_says_to_set_them(fake_server, status):
    server = fake_server(status)
    with pytest.raises(PrometheusError) as caught:
        source(server.url).instant_query("up", at="2024-05-01T00:00:00Z")
    message = str(caught.value)
    assert f"HTTP {status}" in message and "no credentials were set" in message
    assert "set PROMETHEUS_BEARER_TOKEN(_FILE)" in message


def test_a_refused_token_is_named_not_shown(fake_server, tmp_path):
    canary = "TOKEN-CANARY-" + "7" * 12
    server = fake_server("401")
    with pytest.raises(PrometheusError) as caught:
        PrometheusSource(
            server.url, environ={"PROMETHEUS_BEARER_TOKEN": canary}
        ).instant_query("up", at="2024-05-01T00:00:00Z")
    message = str(caught.value)
    assert "refused the credentials from PROMETHEUS_BEARER_TOKEN" in message
    assert "expired or wrong" in message
    assert "set PROMETHEUS_BEARER_TOKEN" not in message
    assert canary not in message

    token_file = tmp_path / "token"
    token_file.write_text(canary + "\n")
    with pytest.raises(PrometheusError) as caught:
        PrometheusSource(
            server.url, environ={"PROMETHEUS_BEARER_TOKEN_FILE": str(token_file)}
        ).instant_query("up", at="2024-05-01T00:00:00Z")
    assert "from PROMETHEUS_BEARER_TOKEN_FILE (values not shown)" in str(caught.value)
    assert canary not in str(caught.value)


def test_forbidden_basic_auth_is_named_not_shown(fake_server):
    server = fake_server("403")
    with pytest.raises(PrometheusError) as caught:
        PrometheusSource(
            server.url,
            environ={
                "PROMETHEUS_USERNAME": "USER-CANARY",
                "PROMETHEUS_PASSWORD": "PASSWORD-CANARY",
                "PROMETHEUS_HEADERS": "X-Scope-OrgID=TENANT-CANARY",
            },
        ).instant_query("up", at="2024-05-01T00:00:00Z")
    message = str(caught.value)
    # The tenant header is no credential, but a 403 may be about the tenant.
    assert (
        "credentials from PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD"
        " (values not shown) were accepted but are not allowed"
    ) in message
    assert "read access" in message and "tenant in PROMETHEUS_HEADERS" in message
    assert "CANARY" not in message


def test_a_refused_key_header_is_named_not_shown(fake_server):
    server = fake_server("401")
    with pytest.raises(PrometheusError) as caught:
        PrometheusSource(
            server.url, environ={"PROMETHEUS_HEADERS": "X-Api-Key=KEY-CANARY"}
        ).instant_query("up", at="2024-05-01T00:00:00Z")
    message = str(caught.value)
    assert "refused the credentials from PROMETHEUS_HEADERS" in message
    assert "CANARY" not in message


@pytest.mark.parametrize(
    ("environ", "canaries"),
    [
        ({"PROMETHEUS_BEARER_TOKEN": "BEARER-CANARY-1"}, ["BEARER-CANARY-1"]),
        (
            {"PROMETHEUS_USERNAME": "ops", "PROMETHEUS_PASSWORD": "PW-CANARY-2"},
            ["PW-CANARY-2", "b3BzOlBXLUNBTkFSWS0y"],  # base64 of ops:PW-CANARY-2
        ),
        ({"PROMETHEUS_HEADERS": "X-Api-Key=KEY-CANARY-3"}, ["KEY-CANARY-3"]),
    ],
)
def test_a_server_echoing_the_request_headers_leaks_no_credential(
    fake_server, environ, canaries
):
    # Found by a fresh-user test: a 400 whose error text repeated the request
    # headers put the token into the report, run.json and stderr.
    server = fake_server("reflect400")
    with pytest.raises(PrometheusError) as caught:
        PrometheusSource(server.url, environ=environ).instant_query(
            "up", at="2024-05-01T00:00:00Z"
        )
    message = str(caught.value)
    assert "HTTP 400" in message and "<redacted>" in message
    for canary in canaries:
        assert canary not in message


def test_credentials_come_from_the_environment_and_stay_secret(fake_server, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    server = fake_server("warnings")
    src = PrometheusSource(
        server.url,
        environ={
            "PROMETHEUS_BEARER_TOKEN_FILE": str(token_file),
            "PROMETHEUS_HEADERS": "X-Scope-OrgID=tenant-1",
        },
    )
    result = src.instant_query("up", at="2024-05-01T10:00:00Z")
    sent = server.requests_seen[0]
    assert sent["Authorization"] == "Bearer s3cret-token"
    assert sent["X-Scope-OrgID"] == "tenant-1"
    assert "time=" in sent["path"]
    assert "s3cret" not in repr(src) + repr(result.notes) + result.source_file


def test_basic_auth_from_environment(fake_server):
    server = fake_server("warnings")
    src = PrometheusSource(
        server.url, environ={"PROMETHEUS_USERNAME": "u", "PROMETHEUS_PASSWORD": "p"}
    )
    src.instant_query("up", at="2024-05-01T10:00:00Z")
    assert server.requests_seen[0]["Authorization"].startswith("Basic ")


def test_credentials_in_the_url_are_refused_without_echoing_them():
    with pytest.raises(ConfigError) as caught:
        PrometheusSource("https://bob:hunter2@prom.example", environ={})
    assert "hunter2" not in str(caught.value)
    assert "PROMETHEUS_USERNAME" in str(caught.value)


def test_conflicting_credentials_are_refused():
    with pytest.raises(ConfigError, match="keep one"):
        PrometheusSource(
            "http://prom.example",
            environ={"PROMETHEUS_BEARER_TOKEN": "a", "PROMETHEUS_USERNAME": "b"},
        )


@pytest.mark.parametrize(
    "url",
    ["http://prom.example:9090?token=QS-CANARY", "http://prom.example/#QS-CANARY"],
)
def test_a_query_string_in_the_url_is_refused_without_echoing_it(url):
    with pytest.raises(ConfigError) as caught:
        PrometheusSource(url, environ={})
    assert "QS-CANARY" not in str(caught.value)
    assert "PROMETHEUS_BEARER_TOKEN(_FILE)" in str(caught.value)


def test_redact_url():
    assert (
        redact_url("https://a:b@h.example:8443/p?x=1#f") == "https://h.example:8443/p"
    )


# --- logging and snapshots ------------------------------------------------------------


def test_one_info_line_per_query(prometheus, caplog):
    data = prometheus.data
    with caplog.at_level(logging.INFO, logger="analytics.sources.prometheus"):
        source(prometheus.url, max_points_per_chunk=500).range_query(
            TOTAL, data.start, data.start + pd.Timedelta(days=2), 60
        )
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("prometheus")]
    assert len(lines) == 1
    assert TOTAL in lines[0]
    assert "6 chunks" in lines[0]
    assert "2881 samples" in lines[0]


def test_snapshot_round_trip(prometheus, tmp_path: Path):
    data = prometheus.data
    pulled = source(prometheus.url).range_query(
        "{__name__=~'app_.*_total', job='api'}",
        data.start - pd.Timedelta(days=1),
        data.start + pd.Timedelta(days=1),
        300,
    )
    manifest = save_snapshot(pulled, tmp_path / "snap")
    loaded = load_snapshot(tmp_path / "snap")

    pd.testing.assert_frame_equal(loaded.frame, pulled.frame)
    assert loaded.query == pulled.query
    assert loaded.range_start == pulled.range_start
    assert loaded.step_seconds == 300
    assert not loaded.partial and loaded.notes[1:] == pulled.notes
    assert any(n.startswith(COVERAGE_NOTE_PREFIX) for n in loaded.notes)
    assert loaded.notes[0].startswith(f"read from the snapshot {manifest}")
    assert loaded.snapshot == str(manifest)
    assert load_snapshot(manifest).frame.equals(loaded.frame)  # the manifest path
    assert loaded.server == prometheus.url
    assert '"pulled_at"' in manifest.read_text()


def test_snapshot_keeps_warnings_partial_and_reads_old_coverage_notes(
    prometheus, tmp_path: Path
):
    data = prometheus.data
    pulled = source(prometheus.url).instant_query(TOTAL, at=data.end)
    warned = f"{PARTIAL_NOTE_PREFIX} {prometheus.url} warned: store b unavailable"
    late = "the first sample is at 2024-04-01T00:00:00+00:00, 48.0 h after ..."

    # A pull the server warned about stays partial.
    save_snapshot(replace(pulled, notes=[warned], partial=True), tmp_path / "warned")
    loaded = load_snapshot(tmp_path / "warned")
    assert loaded.partial and loaded.notes[1:] == [warned]

    # A snapshot saved before coverage notes existed: its late-start note was
    # "partial data:" and set partial; read today it is a coverage note.
    old = replace(pulled, notes=[f"{PARTIAL_NOTE_PREFIX} {late}"], partial=True)
    save_snapshot(old, tmp_path / "old")
    loaded = load_snapshot(tmp_path / "old")
    assert not loaded.partial
    assert loaded.notes[1:] == [f"{COVERAGE_NOTE_PREFIX} {late}"]


def test_changed_snapshot_is_refused(prometheus, tmp_path: Path):
    data = prometheus.data
    pulled = source(prometheus.url).instant_query(TOTAL, at=data.end)
    save_snapshot(pulled, tmp_path)
    pulled.frame.assign(value=0.0)[["timestamp", "series", "value"]].to_parquet(
        tmp_path / "samples.parquet"
    )
    with pytest.raises(InputError, match="SHA-256 mismatch"):
        load_snapshot(tmp_path)


# --- histograms: server-side and offline ---------------------------------------------


def test_histogram_quantile_and_share_match_prometheus(prometheus):
    end = prometheus.data.end
    start = end - THIRTY_DAYS
    src = source(prometheus.url)
    buckets = 'app_request_duration_seconds_bucket{job="api"}'
    server_p90 = src.instant_value(
        f"histogram_quantile(0.9, sum by (le) (increase({buckets}[30d])))", at=end
    )
    server_share = src.instant_value(
        f'sum(increase({buckets[:-1]},le="0.3"}}[30d]))'
        f' / sum(increase({buckets[:-1]},le="+Inf"}}[30d]))',
        at=end,
    )

    counts = bucket_increase(
        src.range_query(buckets, start, end, 60).frame,
        window_start=start,
        window_end=end,
    )

    # 50/30/15/4/1 % in the buckets: p90 is 2/3 into (0.2, 0.3].
    assert histogram_quantile(0.9, counts) == pytest.approx(0.2 + 0.1 * 10 / 15)
    assert server_p90 == pytest.approx(histogram_quantile(0.9, counts), abs=1e-9)
    assert share_below(0.3, counts) == pytest.approx(0.95)
    assert server_share == pytest.approx(share_below(0.3, counts), abs=1e-9)
    assert share_below(1.0, counts) == 1.0  # stored as le="1", asked as 1.0


def test_doctests_run():
    failures, tried = doctest.testmod(prometheus_module)
    assert tried > 0
    assert failures == 0
