"""Query a live Prometheus (or Thanos, Mimir, VictoriaMetrics) into the samples frame.

Built on ``prometheus-api-client``: :class:`PrometheusSource` configures a
:class:`prometheus_api_client.PrometheusConnect` with its own
:class:`requests.Session` (TLS, retries, auth) and sends every query through
the client's ``custom_query`` / ``custom_query_range``. A response hook keeps
the last raw response of each thread, so that the parts the client drops
(``warnings``, the error body of a 4xx, the content type) are still seen.

What a pull guarantees:

* **Chunking.** A range query is capped at 11,000 points per series. A long
  range is split into chunks of at most ``max_points_per_chunk`` evaluation
  steps, all aligned on ``start + k * step``, so the chunks evaluate at exactly
  the instants one big query would. Chunks do not overlap; if a server still
  returns a sample twice (same series and time), the copy is rejected as
  ``duplicate_sample`` (or every copy as ``conflicting_sample`` when values
  differ), as :mod:`analytics.sources.prometheus_json` does for saved chunks.
* **Concurrency.** Chunks are fetched by a bounded thread pool
  (``max_workers``).
* **A step without a sample is a gap.** Prometheus evaluates a selector at
  each step with the most recent sample up to 5 minutes old (its lookback
  delta), so the first minutes of a scrape gap would repeat the last sample
  (an ``up`` of 1 read as good time). A query that is a plain series selector
  (a metric name with optional label matchers) is therefore sent as
  ``last_over_time(<selector>[<step - 1 ms>])`` (:func:`real_samples_query`):
  a step gets a value only from a sample in ``(t - step, t]``. Any other
  query is sent as it is, and the result says so in a ``"coverage:"`` note.
* **Explicit time.** An instant query always sends ``time=``: data that ends in
  the past is invisible to a query at "now", and good and total must be read at
  the same instant.
* **Reduced coverage is never hidden.** Response ``warnings`` (the server
  says its answer may be incomplete) become notes starting
  ``"partial data:"`` and set ``partial``: the evaluators make every criterion
  that reads such a source NO DATA. Data that starts later or ends earlier
  than the requested range (short retention, series born late, scraping
  stopped) becomes a note starting ``"coverage:"``; it does not set
  ``partial``, because each criterion measures the coverage of its own
  evidence window from the samples (a window the data does not cover is NO
  DATA through ``min_coverage``, a covered one is judged).
* **Only Prometheus answers count.** Any answer that is not the Prometheus
  API's JSON (an HTML login page from a proxy, a body cut short, JSON of
  another shape) raises :class:`PrometheusError` naming the server, the
  status and the content type, like a connection failure.
* **Errors a person can act on.** Connection errors and 5xx answers are
  retried a bounded number of times with exponential backoff, then raise
  :class:`PrometheusError` naming the server (credentials removed), the query
  and what to do. A rejected query (400, 422) is not retried. A refused
  request (401, 403) names the credential variables that were sent (never
  their values), or says that none were set; an ``https://`` URL on a port
  that does not speak TLS says so instead of blaming the certificate.

Credentials come from the environment or from files, never from arguments
that could end up in a notebook:

=================================  ===============================================
``PROMETHEUS_BEARER_TOKEN``        bearer token (or ``PROMETHEUS_BEARER_TOKEN_FILE``)
``PROMETHEUS_USERNAME``            basic auth user, with ``PROMETHEUS_PASSWORD``
                                   or ``PROMETHEUS_PASSWORD_FILE``
``PROMETHEUS_CA_FILE``             PEM bundle of the CA that signed the server
``PROMETHEUS_HEADERS``             extra headers, ``Name=value`` separated by
                                   commas, e.g. ``X-Scope-OrgID=tenant-1``
=================================  ===============================================

They are never logged, printed or written into a result, a snapshot or an
error message. TLS verification is on unless ``verify_tls=False`` is passed,
and every result of such a source carries a note saying so.

Examples
--------
>>> redact_url("https://user:secret@prom.example:9090/api?token=x")
'https://prom.example:9090/api'
"""

from __future__ import annotations

import base64
import gc
import json
import logging
import math
import os
import re
import ssl
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd
import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from analytics.errors import ConfigError, InputError
from analytics.frames import (
    REJECTED_COLUMNS,
    SAMPLES_COLUMNS,
    file_sha256,
    repeat_text,
    series_time_order,
)
from analytics.sources.metric_files import (
    TIMESTAMP_DTYPE,
    SamplesLoadResult,
    series_key,
)

__all__ = [
    "COVERAGE_NOTE_PREFIX",
    "MAX_POINTS_PER_SERIES",
    "PARTIAL_NOTE_PREFIX",
    "PrometheusError",
    "PrometheusLoadResult",
    "PrometheusSource",
    "chunk_ranges",
    "load_snapshot",
    "real_samples_query",
    "redact_url",
    "save_snapshot",
]

logger = logging.getLogger(__name__)

MAX_POINTS_PER_SERIES: Final = 11_000
"""Prometheus refuses range queries with more points than this per series."""

PARTIAL_NOTE_PREFIX: Final = "partial data:"
"""Notes of an answer the server itself flagged as incomplete (``warnings``)
start with this text; they set ``partial``, which blocks GO."""

COVERAGE_NOTE_PREFIX: Final = "coverage:"
"""Notes about samples that start after the requested start or end before the
requested end start with this text. They are information: each criterion
measures the coverage of its own evidence window."""

SOURCE_NAME: Final = "prometheus"
"""``source_file`` of rejected rows from a live pull."""

_RETRY_STATUS: Final = (500, 502, 503, 504)
_MANIFEST: Final = "manifest.json"
_SAMPLES: Final = "samples.parquet"
_SNAPSHOT_NOTE: Final = "read from the snapshot"


class PrometheusError(InputError):
    """A query could not be answered: server down, timeout, 5xx, or a bad query.

    ``path`` is the server URL with credentials removed; ``query`` the PromQL.
    """

    def __init__(self, server: str, query: str, problem: str, *, fix: str) -> None:
        self.query = query
        super().__init__(server, f"query {query!r}: {problem}", fix=fix)


@dataclass
class PrometheusLoadResult(SamplesLoadResult):
    """A :class:`~analytics.sources.metric_files.SamplesLoadResult` from a live pull.

    Attributes
    ----------
    query
        The PromQL asked for (the source's ``query``).
    server
        The server URL without credentials.
    range_start, range_end
        Requested range (an instant query has ``range_start == range_end``).
    step_seconds
        Resolution of a range query; 0 for an instant query.
    pulled_at
        When the pull finished (UTC).
    snapshot
        Path of the snapshot manifest this result was read from; empty for a
        live pull.
    sent_query
        The PromQL sent to the server: ``query`` itself, or for a range pull
        of a plain selector ``last_over_time(query[step - 1 ms])`` (see
        :func:`real_samples_query`). Empty when unknown (older snapshots).
    """

    query: str = ""
    server: str = ""
    range_start: pd.Timestamp | None = None
    range_end: pd.Timestamp | None = None
    step_seconds: float = 0.0
    pulled_at: pd.Timestamp | None = None
    snapshot: str = ""
    sent_query: str = ""

    def provenance(self) -> dict[str, Any]:
        """Where the samples come from, JSON-ready: query, server, range, step, pull.

        Examples
        --------
        >>> r = PrometheusLoadResult(frame=pd.DataFrame(), rejected=pd.DataFrame(),
        ...     source_file="x", kind="samples", rows_in=0, rows_used=0, query="up",
        ...     server="http://p:9090", step_seconds=60.0)
        >>> r.provenance()["query"], r.provenance()["snapshot"]
        ('up', None)
        """
        return {
            "query": self.query,
            "server": self.server,
            "range_start": _iso(self.range_start),
            "range_end": _iso(self.range_end),
            "step_seconds": self.step_seconds,
            "pulled_at": _iso(self.pulled_at),
            "snapshot": self.snapshot or None,
            "sent_query": self.sent_query or None,
        }


# --- helpers anyone may use -------------------------------------------------------


def redact_url(url: str) -> str:
    """The URL without user, password, query string or fragment.

    Examples
    --------
    >>> redact_url("http://127.0.0.1:9090")
    'http://127.0.0.1:9090'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def chunk_ranges(
    start: float, end: float, step_seconds: float, max_points: int
) -> list[tuple[float, float]]:
    """Split ``[start, end]`` (epoch seconds) into aligned, non-overlapping chunks.

    Evaluation instants are ``start + k * step`` for every ``k`` with the
    instant ``<= end``; each chunk holds at most ``max_points`` of them.

    Examples
    --------
    >>> chunk_ranges(0, 100, 10, 4)
    [(0.0, 30.0), (40.0, 70.0), (80.0, 100.0)]
    """
    if not step_seconds > 0:
        raise ConfigError(f"step_seconds must be > 0, got {step_seconds!r}")
    if not 1 <= max_points <= MAX_POINTS_PER_SERIES:
        raise ConfigError(
            f"max_points must be in 1..{MAX_POINTS_PER_SERIES:,}, got {max_points!r}"
        )
    start, end = float(start), float(end)
    points = math.floor((end - start) / step_seconds + 1e-9) + 1
    chunks = []
    for first in range(0, points, max_points):
        last = min(first + max_points, points) - 1
        chunks.append((start + first * step_seconds, start + last * step_seconds))
    return chunks


_METRIC_NAME: Final = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_MATCHERS: Final = r"""\{(?:[^{}"'`]|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)*\}"""
_PLAIN_SELECTOR: Final = re.compile(
    rf"\s*(?P<name>{_METRIC_NAME})?\s*(?P<matchers>{_MATCHERS})?\s*"
)

LOOKBACK_NOTE: Final = (
    f"{COVERAGE_NOTE_PREFIX} the query is not a plain series selector (a metric"
    " name with label matchers), so it was sent as it is and a step may get a"
    " value from older samples: a selector in it takes the most recent sample up"
    " to 5 minutes old (Prometheus's lookback delta), a range function its whole"
    " range, so the first minutes of a scrape gap can read as data (an up of 1 as"
    " good time, a counter as flat) and coverage is overstated. Query the series"
    " themselves so that a step without a sample of its own is a gap"
)
"""Note of a range pull whose query could not be sent as :func:`real_samples_query`."""


def _plain_selector(query: str) -> tuple[str, str] | None:
    """``(selector, metric name or "")`` of a plain series selector; else None."""
    match = _PLAIN_SELECTOR.fullmatch(query)
    if match is None or not (match["name"] or match["matchers"]):
        return None
    name = match["name"] or ""
    if name.lower() in _NOT_METRIC_NAMES:
        return None
    return f"{name}{match['matchers'] or ''}", name


_NOT_METRIC_NAMES: Final = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "offset", "bool"}
)


def real_samples_query(query: str, step_seconds: float) -> str | None:
    """The range query that gives a step only a sample of its own, or None.

    Prometheus evaluates a selector at each step with the most recent sample up
    to 5 minutes old (its lookback delta): after a scrape gap starts, the last
    sample is repeated at every step for 5 minutes, and an ``up`` of 1 would
    read as good time where nothing was scraped. For a plain series selector
    (a metric name and/or label matchers, nothing else) this returns
    ``last_over_time(<selector>[<step - 1 ms>])``: the step at ``t`` takes the
    last sample in ``(t - step, t]`` and has no value when that window holds
    none. The window is one millisecond shorter than the step because
    Prometheus 2 includes both ends of a range (a window of one step would
    repeat a sample lying exactly on the previous step); Prometheus 3 leaves
    the start out, so there a sample exactly 1 ms after a step is lost (a
    missing slot, never a good one). Without a gap the values are those of the
    plain query, and a step shorter than the scrape interval gets a point only
    where a scrape lies, so the spacing of points is the scrape interval.

    None when the query is anything else (a function, an aggregation,
    arithmetic, ``offset``/``@``): a subquery would not help, since its inner
    steps use the same lookback. Such a query is sent as it is and the pull
    carries :data:`LOOKBACK_NOTE`.

    Examples
    --------
    >>> real_samples_query('up{job="api"}', 60)
    'last_over_time(up{job="api"}[59999ms])'
    >>> real_samples_query('{__name__="up", job="a}b"}', 15)
    'last_over_time({__name__="up", job="a}b"}[14999ms])'
    >>> real_samples_query('avg(up{job="api"})', 60) is None
    True
    """
    found = _plain_selector(query)
    window_ms = round(step_seconds * 1000) - 1
    if found is None or window_ms < 1:
        return None
    return f"last_over_time({found[0]}[{window_ms}ms])"


# --- the source -------------------------------------------------------------------


class PrometheusSource:
    """A Prometheus HTTP API to query, with credentials taken from the environment.

    Parameters
    ----------
    url
        Base URL of the server (``http://host:9090``, or a Mimir/Thanos prefix
        such as ``https://mimir.example/prometheus``). Must not hold credentials.
    timeout_seconds
        Connect and read timeout of every request.
    retries
        Retries after a connection error, a read timeout or a 5xx answer.
    backoff_seconds
        Backoff factor: waits of 0, 2×, 4× … this value between retries
        (a ``Retry-After`` header is honoured).
    max_workers
        Chunks fetched at the same time.
    max_points_per_chunk
        Evaluation steps per range-query chunk (at most 11,000).
    verify_tls
        Keyword-only. ``False`` disables certificate checks; every result then
        carries a note saying so.
    environ
        Where to read ``PROMETHEUS_*`` settings (default ``os.environ``).

    Examples
    --------
    >>> source = PrometheusSource("http://127.0.0.1:9090", environ={})
    >>> source.server
    'http://127.0.0.1:9090'
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float = 30.0,
        retries: int = 3,
        backoff_seconds: float = 0.5,
        max_workers: int = 4,
        max_points_per_chunk: int = 10_000,
        verify_tls: bool = True,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        _check_url(url)
        if not 1 <= max_points_per_chunk <= MAX_POINTS_PER_SERIES:
            raise ConfigError(
                f"max_points_per_chunk must be in 1..{MAX_POINTS_PER_SERIES:,},"
                f" got {max_points_per_chunk!r}"
            )
        if max_workers < 1 or retries < 0 or not timeout_seconds > 0:
            raise ConfigError(
                "max_workers must be >= 1, retries >= 0 and timeout_seconds > 0"
            )
        self.url = url.rstrip("/")
        self.server = redact_url(self.url)
        self.timeout_seconds = float(timeout_seconds)
        self.max_workers = max_workers
        self.max_points_per_chunk = max_points_per_chunk
        self.verify_tls = verify_tls

        settings = _Settings.from_environ(os.environ if environ is None else environ)
        self._credentials = settings.credential_names
        self._secrets = settings.secret_values()
        self._last = threading.local()
        self._session = _session(settings, verify_tls=verify_tls)
        self._session.hooks["response"].append(self._remember)
        retry = Retry(
            total=retries,
            backoff_factor=backoff_seconds,
            status_forcelist=_RETRY_STATUS,
            allowed_methods=frozenset({"GET"}),
        )
        self.client = PrometheusConnect(
            url=self.url,
            headers=settings.headers,
            retry=retry,
            session=self._session,
            timeout=self.timeout_seconds,
            auth=settings.basic_auth,
        )
        self._base_notes = (
            [
                "TLS certificate verification was disabled for this server"
                " (verify_tls=False)"
            ]
            if not verify_tls
            else []
        )

    def __repr__(self) -> str:
        return f"PrometheusSource({self.server!r})"

    def close(self) -> None:
        """Release the HTTP connections."""
        self.client.close()

    # --- range queries ------------------------------------------------------------

    def range_query(
        self,
        query: str,
        start: str | datetime | pd.Timestamp,
        end: str | datetime | pd.Timestamp,
        step_seconds: float,
    ) -> PrometheusLoadResult:
        """Evaluate ``query`` at ``start + k * step`` up to ``end`` (both included).

        Parameters
        ----------
        query
            PromQL expression.
        start, end
            Range, tz-aware (ISO text with offset, datetime or Timestamp).
        step_seconds
            Resolution. Any range length works: the range is split into
            chunks of at most ``max_points_per_chunk`` steps.

        A plain series selector is sent as :func:`real_samples_query` makes
        it, so that a step without a sample of its own in ``(t - step, t]``
        has no value (a gap) instead of repeating an older sample up to 5
        minutes old; any other query is sent as it is, with
        :data:`LOOKBACK_NOTE` among the notes.

        Returns
        -------
        PrometheusLoadResult
            Kind ``"samples"``, the canonical samples frame sorted by series and
            time. ``rows_in`` counts every sample received; NaN and infinite
            values and repeated samples are rejected with a reason code.
            ``query`` is the query asked for, ``sent_query`` the one sent.

        Raises
        ------
        PrometheusError
            The server cannot be reached, times out, keeps failing, or rejects
            the query.
        """
        started = time.perf_counter()
        first, last = _utc(start, "start"), _utc(end, "end")
        if last < first:
            raise ConfigError(f"end {last} is before start {first}")
        chunks = chunk_ranges(
            first.timestamp(), last.timestamp(), step_seconds, self.max_points_per_chunk
        )

        wrapped = real_samples_query(query, step_seconds)
        sent = wrapped or query
        workers = min(self.max_workers, len(chunks))
        with _cyclic_gc_paused(), ThreadPoolExecutor(max_workers=workers) as pool:
            answers = list(
                pool.map(
                    lambda chunk: self._fetch_range(
                        query, chunk, step_seconds, sent=sent
                    ),
                    chunks,
                )
            )

        series = [item for result, _ in answers for item in result]
        if wrapped is not None:
            series = _with_metric_name(series, query)
        warnings = [warning for _, found in answers for warning in found]
        result = self._result(
            query, series, warnings, (first, last, float(step_seconds))
        )
        result.sent_query = sent
        if wrapped is None:
            result.notes.append(LOOKBACK_NOTE)
        logger.info(
            "prometheus %s query_range %r (sent %r) %s..%s step %gs: %d chunks,"
            " %d samples, %d series in %.3f s",
            self.server,
            query,
            sent,
            first.isoformat(),
            last.isoformat(),
            step_seconds,
            len(chunks),
            result.rows_in,
            result.frame["series"].nunique(),
            time.perf_counter() - started,
        )
        return result

    def instant_query(
        self, query: str, at: str | datetime | pd.Timestamp
    ) -> PrometheusLoadResult:
        """Evaluate ``query`` at the instant ``at`` (always sent as ``time=``).

        A scalar result becomes one sample with metric ``""`` and series
        ``"scalar"``.

        Raises
        ------
        PrometheusError
            As for :meth:`range_query`.
        """
        started = time.perf_counter()
        moment = _utc(at, "at")
        seconds = moment.timestamp()
        self._call(
            query,
            lambda: self.client.custom_query(
                query, params={"time": _seconds_text(seconds)}
            ),
        )
        body = self._body(query)
        data = body["data"]
        result = data.get("result", [])
        if data.get("resultType") == "scalar":
            result = [{"metric": {"__name__": ""}, "value": result}]
        try:
            series = [
                _series_arrays(
                    {"metric": item.get("metric", {}), "values": [item["value"]]}
                )
                for item in result
            ]
        except _MALFORMED as exc:
            raise self._not_api(query, getattr(self._last, "response", None)) from exc
        warnings = [self._scrub(w) for w in _warnings(body)]
        loaded = self._result(query, series, warnings, (moment, moment, 0.0))
        logger.info(
            "prometheus %s query %r at %s: %d samples in %.3f s",
            self.server,
            query,
            moment.isoformat(),
            loaded.rows_in,
            time.perf_counter() - started,
        )
        return loaded

    def instant_value(
        self, query: str, at: str | datetime | pd.Timestamp
    ) -> float | None:
        """The single number an aggregating query returns at ``at``; None if empty.

        Raises
        ------
        PrometheusError
            When the query returns more than one series, or as for
            :meth:`instant_query`.
        """
        frame = self.instant_query(query, at).frame
        if len(frame) > 1:
            raise PrometheusError(
                self.server,
                query,
                f"returned {len(frame)} series where one number was expected",
                fix="aggregate the query, e.g. wrap it in sum(...)",
            )
        return None if frame.empty else float(frame["value"].iloc[0])

    # --- one request --------------------------------------------------------------

    def _fetch_range(
        self,
        query: str,
        chunk: tuple[float, float],
        step_seconds: float,
        *,
        sent: str | None = None,
    ) -> tuple[list[_SeriesArrays], list[str]]:
        """The series of one chunk, as arrays, and its warnings.

        ``sent`` is the PromQL sent (default ``query``); errors name ``query``,
        the one in the config.

        The pairs become arrays here, in the worker thread, while other chunks
        are still on the wire; the chunk's Python lists can then be freed.
        """
        first, last = chunk
        params = {"start": _seconds_text(first), "end": _seconds_text(last)}
        promql = query if sent is None else sent
        result = self._call(
            query,
            lambda: self.client.custom_query_range(
                promql,
                start_time=datetime.fromtimestamp(first, UTC),
                end_time=datetime.fromtimestamp(last, UTC),
                step=f"{step_seconds:g}",
                params=params,
            ),
        )
        response = getattr(self._last, "response", None)
        try:
            warnings: list[str] = []
            if response is not None and b'"warnings"' in response.content:
                warnings = [self._scrub(w) for w in _warnings(response.json())]
            return [_series_arrays(item) for item in result or []], warnings
        except _MALFORMED as exc:
            raise self._not_api(query, response) from exc

    def _call(self, query: str, send: Any) -> Any:
        """Run one client call; turn every failure into a PrometheusError."""
        self._last.response = None
        try:
            return send()
        except PrometheusApiClientException as exc:
            raise self._rejected(query) from exc
        except requests.exceptions.JSONDecodeError as exc:
            # The client read a 200 answer as JSON: a login page, a body cut short.
            raise self._not_api(query, getattr(self._last, "response", None)) from exc
        except requests.exceptions.RetryError as exc:
            raise PrometheusError(
                self.server,
                query,
                "the server kept answering with a 5xx error",
                fix="check the server's health and load, then pull again;"
                " the result would have been incomplete",
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise self._timed_out(query) from exc
        except requests.exceptions.SSLError as exc:
            raise self._tls_failed(query, exc) from exc
        except requests.exceptions.ConnectionError as exc:
            # Read timeouts that used up the retries arrive as connection errors.
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if isinstance(reason, ReadTimeoutError):
                raise self._timed_out(query) from exc
            raise PrometheusError(
                self.server,
                query,
                "cannot connect to the server",
                fix="check that the server runs and the URL is right",
            ) from exc
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            raise PrometheusError(
                self.server,
                query,
                "the answer was cut off: the connection closed in the middle of the"
                " response (the server stopped or restarted, or a proxy timed out)",
                fix="check that the server runs, then pull again; the result would"
                " have been incomplete",
            ) from exc
        except requests.exceptions.RequestException as exc:
            # Anything else (a header requests refuses, a body cut short): the
            # exception's text may repeat the request, so only its kind is named.
            raise PrometheusError(
                self.server,
                query,
                f"the request failed ({type(exc).__name__})",
                fix="check the URL (the Prometheus API root) and PROMETHEUS_HEADERS,"
                " then pull again",
            ) from exc
        except _MALFORMED as exc:
            # JSON of another shape: the client took ["data"]["result"] from it.
            raise self._not_api(query, getattr(self._last, "response", None)) from exc

    def _tls_failed(
        self, query: str, exc: requests.exceptions.SSLError
    ) -> PrometheusError:
        reason = _ssl_reason(exc)
        if reason in _NOT_TLS_REASONS:
            return PrometheusError(
                self.server,
                query,
                "the server does not speak TLS on that port (the TLS handshake got"
                f" a plain answer: {reason})",
                fix="use http:// for this port, or the port where the server"
                " serves TLS",
            )
        if reason in _UNVERIFIED_REASONS:
            return PrometheusError(
                self.server,
                query,
                "the TLS certificate could not be verified",
                fix="set PROMETHEUS_CA_FILE to the CA bundle that signed the server",
            )
        return PrometheusError(
            self.server,
            query,
            f"the TLS handshake failed ({reason or 'no reason given'})",
            fix="check the URL's scheme and port; for a private CA set"
            " PROMETHEUS_CA_FILE",
        )

    def _timed_out(self, query: str) -> PrometheusError:
        return PrometheusError(
            self.server,
            query,
            f"no answer within {self.timeout_seconds:g} s",
            fix="set a coarser step or a shorter lookback on this metrics source"
            " (Python: pass a larger timeout_seconds=, a coarser step or a shorter"
            " range)",
        )

    def _rejected(self, query: str) -> PrometheusError:
        response = getattr(self._last, "response", None)
        status = response.status_code if response is not None else 0
        detail = ""
        if response is not None:
            try:
                body = response.json()
                detail = f" ({body.get('errorType', '?')}: {body.get('error', '?')})"
            except ValueError:
                detail = ""
            # A server (or a proxy) may echo the request in its error text.
            detail = self._scrub(detail)
        if status in (401, 403):
            return self._refused(query, status, detail)
        if status in (400, 422):
            fix = "correct the PromQL (try it in the Prometheus web UI first)"
        else:
            fix = "check the URL points at a Prometheus HTTP API"
        return PrometheusError(
            self.server, query, f"the server answered HTTP {status}{detail}", fix=fix
        )

    def _scrub(self, text: str) -> str:
        """``text`` with every credential this source sends replaced."""
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def _refused(self, query: str, status: int, detail: str) -> PrometheusError:
        """A 401 or 403: name the credentials that were sent, never their values."""
        if not self._credentials:
            return PrometheusError(
                self.server,
                query,
                f"the server answered HTTP {status}{detail} and no credentials"
                " were set",
                fix="set PROMETHEUS_BEARER_TOKEN(_FILE) or PROMETHEUS_USERNAME and"
                " PROMETHEUS_PASSWORD(_FILE) in the environment of the run; for"
                " Mimir also PROMETHEUS_HEADERS (X-Scope-OrgID)",
            )
        sent = " and ".join(self._credentials)
        if status == 401:
            problem = (
                f"the server answered HTTP 401{detail}: it refused the credentials"
                f" from {sent} (values not shown)"
            )
            fix = (
                f"the credentials in {sent} are expired or wrong: renew them (a new"
                " token, the current password) and pull again"
            )
        else:
            problem = (
                f"the server answered HTTP 403{detail}: the credentials from {sent}"
                " (values not shown) were accepted but are not allowed to query"
            )
            fix = (
                f"give the account behind {sent} read access to the query API, or"
                " use one that has it; for Mimir check the tenant in"
                " PROMETHEUS_HEADERS (X-Scope-OrgID)"
            )
        return PrometheusError(self.server, query, problem, fix=fix)

    def _not_api(
        self, query: str, response: requests.Response | None
    ) -> PrometheusError:
        """An answer that is not the Prometheus API's JSON (a login page, say)."""
        if response is None:
            return PrometheusError(
                self.server,
                query,
                "the answer is not a Prometheus JSON response",
                fix="check the URL is the Prometheus API root",
            )
        kind = response.headers.get("Content-Type", "").split(";")[0].strip()
        via = ""
        if response.history:
            # A redirect (to a login page, typically); its query string may
            # carry a session or a return address: redacted like any URL.
            via = f" after a redirect to {redact_url(response.url)}"
        what = "the Prometheus API JSON"
        if kind == "application/json":
            what = "JSON with the Prometheus API's status, data and result"
        return PrometheusError(
            self.server,
            query,
            f"the server at {self.server} answered {response.status_code}{via}"
            f" with {kind or 'no content type'}, not {what}",
            fix="is the URL the Prometheus API root (the address whose"
            " /api/v1/query answers), and not a web UI or a login proxy? Point url"
            " at the API root, or let the proxy through with PROMETHEUS_BEARER_TOKEN"
            "(_FILE), PROMETHEUS_USERNAME/PROMETHEUS_PASSWORD(_FILE) or"
            " PROMETHEUS_HEADERS (see docs/prometheus.md)",
        )

    def _body(self, query: str) -> dict[str, Any]:
        response = getattr(self._last, "response", None)
        try:
            body = response.json() if response is not None else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise self._not_api(query, response)
        return body

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Session hook: keep this thread's last response (for warnings and errors)."""
        self._last.response = response

    # --- assembling ---------------------------------------------------------------

    def _result(
        self,
        query: str,
        series: list[_SeriesArrays],
        warnings: list[str],
        requested: tuple[pd.Timestamp, pd.Timestamp, float],
    ) -> PrometheusLoadResult:
        first, last, step = requested
        frame, rejected, rows_in = _samples(series)
        notes = [*self._base_notes]
        notes.extend(
            f"{PARTIAL_NOTE_PREFIX} {self.server} warned: {warning}"
            for warning in dict.fromkeys(warnings)
        )
        notes.extend(_coverage_notes(frame, first, last, step))
        if not rejected.empty:
            counts = rejected["reason_code"].value_counts().sort_index()
            listed = ", ".join(f"{code} {count:,}" for code, count in counts.items())
            notes.append(f"rejected {len(rejected):,} samples: {listed}")
        if frame.empty:
            notes.append(f"the query returned no samples: {query!r}")
        return PrometheusLoadResult(
            frame=frame,
            rejected=rejected,
            source_file=f"{self.server} {query}",
            kind="samples",
            rows_in=rows_in,
            rows_used=len(frame),
            notes=notes,
            partial=any(note.startswith(PARTIAL_NOTE_PREFIX) for note in notes),
            query=query,
            sent_query=query,
            server=self.server,
            range_start=first,
            range_end=last,
            step_seconds=step,
            pulled_at=pd.Timestamp.now(tz="UTC"),
        )


_MALFORMED: Final = (ValueError, KeyError, TypeError, IndexError, AttributeError)
"""What reading an answer of the wrong shape raises (JSONDecodeError is a ValueError)."""

_NOT_TLS_REASONS: Final = frozenset(
    {
        "WRONG_VERSION_NUMBER",  # OpenSSL 1.1 and 3.0
        "RECORD_LAYER_FAILURE",  # OpenSSL 3.2 and later
        "PACKET_LENGTH_TOO_LONG",
        "HTTP_REQUEST",
        "UNKNOWN_PROTOCOL",
    }
)
"""OpenSSL reasons meaning the port answered in plain text, not TLS."""

_UNVERIFIED_REASONS: Final = frozenset({"CERTIFICATE_VERIFY_FAILED"})


def _ssl_reason(exc: BaseException) -> str:
    """The OpenSSL reason code behind a requests SSLError (``""`` if none is found).

    requests wraps urllib3's MaxRetryError, which wraps urllib3's SSLError, which
    wraps :class:`ssl.SSLError`; the code is its ``reason`` (or, failing that, the
    ``[SSL: CODE]`` in its text). Only the code is returned: the texts around it
    repeat the request.

    >>> import ssl
    >>> _ssl_reason(requests.exceptions.SSLError(ssl.SSLError(1, "[SSL: X_Y] z")))
    'X_Y'
    """
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            code = getattr(current, "reason", None)
            if code:
                return str(code)
            text = str(current)
            if "[SSL: " in text:
                return text.split("[SSL: ", 1)[1].split("]", 1)[0]
        linked: list[object] = [
            *current.args,
            getattr(current, "reason", None),
            current.__cause__,
            current.__context__,
        ]
        pending.extend(e for e in linked if isinstance(e, BaseException))
    text = str(exc).lower()
    if "wrong version number" in text:
        return "WRONG_VERSION_NUMBER"
    if "record layer failure" in text:
        return "RECORD_LAYER_FAILURE"
    return ""


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while answers are parsed.

    Parsing a chunk's JSON creates a list, a number and a string per sample,
    none of them in a reference cycle. With the collector on, those allocations
    keep triggering collections that walk every live object, the other chunks'
    answers included, so the parse slows down with the size of the pull (2 to 8
    times for a 10,000-step chunk of 20 series, measured). Reference counting
    still frees everything; cycles made meanwhile are collected afterwards. The
    pause is process-wide for the length of the pull; the previous state is
    restored, so a caller who disabled the collector keeps it disabled.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- settings from the environment ------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    headers: dict[str, str]
    basic_auth: tuple[str, str] | None
    ca_file: str | None
    credential_names: tuple[str, ...] = ()
    """The variables the credentials came from (names only, for messages)."""

    def __repr__(self) -> str:  # never show secrets, even in a debugger
        return f"_Settings(headers={sorted(self.headers)}, basic_auth=<hidden>)"

    def secret_values(self) -> tuple[str, ...]:
        """Every form in which a credential is sent, longest first.

        A server's error text may repeat the request (its headers, a decoded
        Basic header): these strings are taken out of anything it says before
        it reaches a message.

        >>> _Settings({"Authorization": "Bearer t0k3n", "X-Scope-OrgID": "a"},
        ...           None, None).secret_values()
        ('Bearer t0k3n', 't0k3n')
        """
        found: set[str] = set()
        for name, value in self.headers.items():
            if _is_credential(name) and value:
                found.add(value)
                scheme, _, credential = value.partition(" ")
                if credential and scheme.lower() in ("bearer", "basic", "token"):
                    found.add(credential)
        if self.basic_auth is not None:
            user, password = self.basic_auth
            pair = f"{user}:{password}".encode()
            found.update(
                (password, base64.b64encode(pair).decode(), f"{user}:{password}")
            )
        return tuple(sorted((v for v in found if v), key=lambda v: (-len(v), v)))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> _Settings:
        headers = _extra_headers(environ.get("PROMETHEUS_HEADERS", ""))
        keyed = any(map(_is_credential, headers))
        token = _secret(environ, "PROMETHEUS_BEARER_TOKEN")
        user = environ.get("PROMETHEUS_USERNAME", "")
        password = _secret(environ, "PROMETHEUS_PASSWORD")
        if token and user:
            raise ConfigError(
                "both a bearer token and a username are set: keep one of"
                " PROMETHEUS_BEARER_TOKEN(_FILE) and PROMETHEUS_USERNAME"
            )
        if password and not user:
            raise ConfigError(
                "PROMETHEUS_PASSWORD(_FILE) is set without PROMETHEUS_USERNAME"
            )
        if token:
            headers["Authorization"] = f"Bearer {token}"
        ca_file = environ.get("PROMETHEUS_CA_FILE") or None
        if ca_file is not None and not Path(ca_file).is_file():
            raise ConfigError(f"PROMETHEUS_CA_FILE {ca_file!r} is not a file")
        names = [
            _source_name(environ, "PROMETHEUS_BEARER_TOKEN") if token else "",
            "PROMETHEUS_USERNAME" if user else "",
            _source_name(environ, "PROMETHEUS_PASSWORD") if password else "",
            "PROMETHEUS_HEADERS" if keyed else "",
        ]
        return cls(
            headers,
            (user, password) if user else None,
            ca_file,
            tuple(name for name in names if name),
        )


def _is_credential(header: str) -> bool:
    """Whether an extra header carries a credential (a key, a token, a cookie).

    >>> _is_credential("X-Api-Key"), _is_credential("X-Scope-OrgID")
    (True, False)
    """
    name = header.lower()
    return name in ("authorization", "proxy-authorization", "cookie") or any(
        word in name for word in ("token", "auth", "key", "secret", "session")
    )


def _source_name(environ: Mapping[str, str], name: str) -> str:
    """``NAME_FILE`` when the secret was read from a file, else ``NAME``."""
    return f"{name}_FILE" if environ.get(f"{name}_FILE", "") else name


def _secret(environ: Mapping[str, str], name: str) -> str:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    value = environ.get(name, "")
    file_name = environ.get(f"{name}_FILE", "")
    if value and file_name:
        raise ConfigError(f"both {name} and {name}_FILE are set: keep one")
    if not file_name:
        return value.strip()
    try:
        return Path(file_name).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"{name}_FILE names {file_name!r}, which cannot be read ({exc.strerror})"
        ) from exc


def _extra_headers(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in text.replace("\n", ",").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            # The value may be a secret: name the problem, not the text.
            raise ConfigError(
                "PROMETHEUS_HEADERS must be Name=value pairs separated by commas,"
                " e.g. X-Scope-OrgID=tenant-1"
            )
        headers[name.strip()] = value.strip()
    return headers


def _session(settings: _Settings, *, verify_tls: bool) -> requests.Session:
    session = requests.Session()
    session.verify = (settings.ca_file or True) if verify_tls else False
    return session


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"Prometheus URL {redact_url(url)!r} must start with http:// or https://"
            " and name a host"
        )
    if parts.username or parts.password:
        raise ConfigError(
            f"the Prometheus URL {redact_url(url)!r} carries credentials; remove them"
            " and set PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD(_FILE) instead"
        )
    if parts.query or parts.fragment:
        raise ConfigError(
            f"the Prometheus URL {redact_url(url)!r} has a query string or fragment"
            " (not shown: it may hold a token); the API paths are appended to the"
            " URL, so it must end with the host, port and path. Remove it; a token"
            " goes in PROMETHEUS_BEARER_TOKEN(_FILE), other headers in"
            " PROMETHEUS_HEADERS"
        )


# --- converting answers ------------------------------------------------------------


@dataclass(frozen=True)
class _SeriesArrays:
    """One series object of an answer: its ``metric`` labels and its pairs as arrays."""

    metric: Mapping[str, Any]
    seconds: np.ndarray
    values: np.ndarray


def _series_arrays(item: Mapping[str, Any]) -> _SeriesArrays:
    """Timestamps and values of an API series object (``values`` pairs)."""
    pairs = item.get("values") or []
    return _SeriesArrays(
        item.get("metric", {}),
        np.fromiter(map(_FIRST, pairs), float, len(pairs)),
        # numpy parses "NaN", "+Inf" and numbers from text in one call.
        np.array(list(map(_SECOND, pairs)), dtype=float),
    )


def _with_metric_name(series: list[_SeriesArrays], query: str) -> list[_SeriesArrays]:
    """Series of a wrapped plain selector, each with the selector's metric name.

    Prometheus keeps the name through ``last_over_time``; an engine that drops
    it would change every series key, so the name is put back when missing.
    """
    found = _plain_selector(query)
    name = found[1] if found is not None else ""
    if not name:
        return series
    return [
        item
        if "__name__" in item.metric
        else _SeriesArrays({**item.metric, "__name__": name}, item.seconds, item.values)
        for item in series
    ]


def _samples(
    series: Sequence[_SeriesArrays],
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Samples frame, rejected rows and samples received, from the answer's series."""
    keys: list[str] = []
    names: list[str] = []
    label_sets: list[dict[str, str]] = []
    index: dict[str, int] = {}
    codes = []
    for item in series:
        labels = {str(k): str(v) for k, v in item.metric.items()}
        name = labels.pop("__name__", "")
        key = series_key(name, labels) if (name or labels) else "scalar"
        if key not in index:
            index[key] = len(keys)
            keys.append(key)
            names.append(name)
            label_sets.append(labels)
        codes.append(np.full(len(item.seconds), index[key], dtype=np.int64))
    stamps = [item.seconds for item in series]
    values = [item.values for item in series]

    code = np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)
    stamp = np.concatenate(stamps) if stamps else np.empty(0)
    value = np.concatenate(values) if values else np.empty(0)
    millis = np.rint(stamp * 1000.0).astype(np.int64)
    # One stable sort serves both the de-duplication and the frame: a stable
    # sort restricted to the kept rows is their own stable sort.
    order = series_time_order(code, millis)
    reasons = _reasons(code, millis, value, order)

    kept = order[reasons[order] == _USABLE]
    kept_code = code[kept]
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(millis[kept], unit="ms", utc=True).astype(
                TIMESTAMP_DTYPE
            ),
            "metric": repeat_text(names, kept_code),
            # One dict per series, shared by its rows: do not mutate in place.
            "labels": np.asarray([*label_sets, None], dtype=object)[:-1][kept_code],
            "series": repeat_text(keys, kept_code),
            "value": value[kept],
        },
        columns=list(SAMPLES_COLUMNS),
    )
    rejected = _rejected(reasons, code, millis, value, keys)
    return frame, rejected, len(code)


_FIRST: Final = itemgetter(0)
_SECOND: Final = itemgetter(1)

_REASON_CODES: Final = (
    "",
    "nan_value",
    "infinite_value",
    "duplicate_sample",
    "conflicting_sample",
)
"""Reason codes by their index in the small-integer array of :func:`_reasons`."""
_USABLE, _NAN, _INFINITE, _DUPLICATE, _CONFLICTING = range(len(_REASON_CODES))


def _reasons(
    code: np.ndarray, millis: np.ndarray, value: np.ndarray, order: np.ndarray
) -> np.ndarray:
    """Reason per sample (index into ``_REASON_CODES``): nan/infinite, copies.

    ``order`` is the stable sort of all samples by series and time.
    """
    reasons = np.zeros(len(code), dtype=np.int8)
    reasons[np.isnan(value)] = _NAN
    reasons[np.isinf(value)] = _INFINITE

    usable = order[reasons[order] == _USABLE]
    same = (code[usable][1:] == code[usable][:-1]) & (
        millis[usable][1:] == millis[usable][:-1]
    )
    if not same.any():
        return reasons
    group = np.concatenate(([0], np.cumsum(~same)))
    frame = pd.DataFrame({"group": group, "value": value[usable], "row": usable})
    distinct = frame.groupby("group")["value"].transform("nunique").to_numpy()
    size = frame.groupby("group")["value"].transform("size").to_numpy()
    later = frame.duplicated("group", keep="first").to_numpy()
    reasons[usable[(size > 1) & (distinct > 1)]] = _CONFLICTING
    reasons[usable[(distinct == 1) & later]] = _DUPLICATE
    return reasons


_REJECT_TEXT = {
    "nan_value": ("value", "value is NaN: a gap, counted as unknown, never as good"),
    "infinite_value": ("value", "value is infinite"),
    "duplicate_sample": (
        "timestamp",
        "same series and timestamp as an earlier sample with the same value: kept once",
    ),
    "conflicting_sample": (
        "value",
        "another sample of this series at this timestamp has a different value:"
        " every copy is rejected and the instant is unknown",
    ),
}


def _rejected(
    reasons: np.ndarray,
    code: np.ndarray,
    millis: np.ndarray,
    value: np.ndarray,
    keys: list[str],
) -> pd.DataFrame:
    bad = np.flatnonzero(reasons != _USABLE)
    rows = []
    for position in bad:
        reason = _REASON_CODES[int(reasons[position])]
        column, text = _REJECT_TEXT[reason]
        shown = (
            str(pd.Timestamp(int(millis[position]), unit="ms", tz="UTC"))
            if column == "timestamp"
            else str(value[position])
        )
        rows.append(
            {
                "source_file": SOURCE_NAME,
                "row_number": int(position) + 1,
                "column": column,
                "value": shown,
                "reason_code": reason,
                "message": f"{text} (series {keys[int(code[position])]})",
            }
        )
    return pd.DataFrame(rows, columns=list(REJECTED_COLUMNS)).astype(
        {"row_number": "int64"}
    )


def _coverage_notes(
    frame: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp, step: float
) -> list[str]:
    """Coverage notes when the samples start late or end early.

    Information, not a block: the pulled range is often longer than a
    criterion's window, and each criterion measures the coverage of its own
    window from the samples (below ``min_coverage`` it is NO DATA).
    """
    if frame.empty or step <= 0:
        return []
    slack = pd.Timedelta(seconds=step)
    notes = []
    earliest, latest = frame["timestamp"].min(), frame["timestamp"].max()
    if earliest - first >= slack:
        notes.append(
            f"{COVERAGE_NOTE_PREFIX} the first sample is at {earliest.isoformat()},"
            f" {_hours(earliest - first)} after the requested start {first.isoformat()}"
            " (short retention, or the series began later): the pulled range is not"
            " fully covered; each criterion's coverage of its own window says"
            " whether it can be judged"
        )
    if last - latest >= slack:
        notes.append(
            f"{COVERAGE_NOTE_PREFIX} the last sample is at {latest.isoformat()},"
            f" {_hours(last - latest)} before the requested end {last.isoformat()};"
            " each criterion's coverage of its own window says whether it can be"
            " judged"
        )
    return notes


def _hours(delta: pd.Timedelta) -> str:
    return f"{delta.total_seconds() / 3600:,.1f} h"


def _warnings(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    found = body.get("warnings") or []
    return [found] if isinstance(found, str) else [str(item) for item in found]


def _seconds_text(seconds: float) -> str:
    return f"{seconds:.3f}"


def _utc(value: str | datetime | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} {value!r} is not a date and time") from exc
    if pd.isna(stamp) or stamp.tzinfo is None:
        raise ConfigError(
            f"{name} {value!r} has no time zone; give one, e.g. '2024-05-01T00:00:00Z'"
        )
    return stamp.tz_convert("UTC")


# --- snapshots ---------------------------------------------------------------------


def save_snapshot(result: PrometheusLoadResult, folder: str | Path) -> Path:
    """Save a pull as ``samples.parquet`` plus ``manifest.json`` in ``folder``.

    The manifest holds the query, the query sent, range, step, server (without credentials),
    the time of the pull, the notes, the series' labels and the Parquet file's
    SHA-256, so that :func:`load_snapshot` can rebuild the same result later.

    Returns
    -------
    pathlib.Path
        The manifest's path.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    frame = result.frame
    series = frame.drop_duplicates("series")[["series", "metric", "labels"]]
    frame[["timestamp", "series", "value"]].to_parquet(target / _SAMPLES, index=False)
    manifest: dict[str, Any] = {
        "format": "readiness-analytics prometheus snapshot 1",
        "query": result.query,
        "sent_query": result.sent_query,
        "server": redact_url(result.server) if result.server else "",
        "range_start": _iso(result.range_start),
        "range_end": _iso(result.range_end),
        "step_seconds": result.step_seconds,
        "pulled_at": _iso(result.pulled_at),
        "rows_in": result.rows_in,
        "rows_used": result.rows_used,
        "partial": result.partial,
        # A snapshot of a snapshot keeps the original pull's notes only.
        "notes": [n for n in result.notes if not n.startswith(_SNAPSHOT_NOTE)],
        "rejected": result.rejected.to_dict(orient="records"),
        "series": [
            {"series": key, "metric": name, "labels": dict(labels)}
            for key, name, labels in zip(
                series["series"], series["metric"], series["labels"], strict=True
            )
        ],
        "samples_sha256": file_sha256(target / _SAMPLES),
    }
    path = target / _MANIFEST
    path.write_text(
        json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return path


def load_snapshot(folder: str | Path) -> PrometheusLoadResult:
    """Rebuild a :class:`PrometheusLoadResult` saved by :func:`save_snapshot`.

    ``folder`` is the snapshot folder or its ``manifest.json``. The result
    keeps the pull's query, server, range, step, time of pull, notes and
    ``partial`` flag (a partial pull stays partial), records the manifest's
    path in ``snapshot``, and gets a first note naming the snapshot and its
    pull, so a report rendered from it says where its numbers come from.

    Raises
    ------
    InputError
        The folder has no manifest or Parquet file, or the Parquet file changed
        since it was saved (its SHA-256 differs).
    """
    source = Path(folder)
    if source.name == _MANIFEST and not source.is_dir():
        source = source.parent
    manifest_path, samples_path = source / _MANIFEST, source / _SAMPLES
    for path in (manifest_path, samples_path):
        if not path.is_file():
            raise InputError(
                path, "missing from the snapshot folder", fix="save it again"
            )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            manifest_path, "not a JSON manifest", fix="save it again"
        ) from exc
    digest = file_sha256(samples_path)
    if digest != manifest.get("samples_sha256"):
        raise InputError(
            samples_path,
            "the samples differ from the ones the manifest describes"
            " (SHA-256 mismatch)",
            fix="restore the original file or pull and save the snapshot again",
        )

    stored = pd.read_parquet(samples_path)
    described = {item["series"]: item for item in manifest["series"]}
    frame = pd.DataFrame(
        {
            "timestamp": stored["timestamp"].astype(TIMESTAMP_DTYPE),
            "metric": [described[key]["metric"] for key in stored["series"]],
            "labels": [dict(described[key]["labels"]) for key in stored["series"]],
            "series": stored["series"].to_numpy(dtype=object),
            "value": stored["value"].astype(float),
        },
        columns=list(SAMPLES_COLUMNS),
    )
    rejected = pd.DataFrame(manifest["rejected"], columns=list(REJECTED_COLUMNS))
    notes = [_current_note(note) for note in manifest["notes"]]
    notes.extend(_old_pull_notes(manifest))
    # Partial only through the server's own warnings (older snapshots also
    # flagged a late first sample, now a coverage note).
    partial = bool(manifest["partial"]) and any(
        note.startswith(PARTIAL_NOTE_PREFIX) for note in notes
    )
    result = PrometheusLoadResult(
        frame=frame,
        rejected=rejected.astype({"row_number": "int64"}),
        source_file=str(samples_path),
        kind="samples",
        rows_in=int(manifest["rows_in"]),
        rows_used=int(manifest["rows_used"]),
        sha256=digest,
        notes=[_snapshot_note(manifest_path, manifest), *notes],
        partial=partial,
        files=(str(samples_path),),
        file_hashes={str(samples_path): digest},
        query=manifest["query"],
        sent_query=str(manifest.get("sent_query") or ""),
        server=manifest["server"],
        range_start=_timestamp(manifest["range_start"]),
        range_end=_timestamp(manifest["range_end"]),
        step_seconds=float(manifest["step_seconds"]),
        pulled_at=_timestamp(manifest["pulled_at"]),
        snapshot=str(manifest_path),
    )
    logger.info("read snapshot %s: %d samples of %r", source, len(frame), result.query)
    return result


_OLD_COVERAGE_NOTES: Final = (
    f"{PARTIAL_NOTE_PREFIX} the first sample is at ",
    f"{PARTIAL_NOTE_PREFIX} the last sample is at ",
)


def _current_note(note: str) -> str:
    """A note of an older snapshot in today's words: coverage notes are not partial.

    >>> _current_note("partial data: the last sample is at 2024-05-01")
    'coverage: the last sample is at 2024-05-01'
    """
    if note.startswith(_OLD_COVERAGE_NOTES):
        return COVERAGE_NOTE_PREFIX + note.removeprefix(PARTIAL_NOTE_PREFIX)
    return note


def _old_pull_notes(manifest: Mapping[str, Any]) -> list[str]:
    """A note for a snapshot of a range pull saved before ``sent_query`` existed.

    Such pulls sent every query as it is, so their samples may repeat a
    series' last sample for up to 5 minutes into a scrape gap. Snapshots that
    record ``sent_query`` say what was sent and already carry any note.
    """
    if "sent_query" in manifest or not float(manifest.get("step_seconds") or 0.0):
        return []
    return [
        f"{COVERAGE_NOTE_PREFIX} this snapshot was saved before pulls kept scrape"
        " gaps as gaps: its query was sent as it is, so the first minutes of a"
        " scrape gap may repeat a series' last sample (Prometheus's 5-minute"
        " lookback) and read as data (an up of 1 as good time). Pull and save it"
        " again to keep those steps unknown"
    ]


def _snapshot_note(path: Path, manifest: Mapping[str, Any]) -> str:
    return (
        f"{_SNAPSHOT_NOTE} {path}: query {manifest.get('query')!r} on"
        f" {manifest.get('server') or 'an unnamed server'},"
        f" range {manifest.get('range_start')} .. {manifest.get('range_end')}"
        f" at {float(manifest.get('step_seconds') or 0.0):g} s steps,"
        f" pulled at {manifest.get('pulled_at')}"
    )


def _iso(stamp: pd.Timestamp | None) -> str | None:
    return None if stamp is None else stamp.isoformat()


def _timestamp(text: str | None) -> pd.Timestamp | None:
    return None if text is None else pd.Timestamp(text).tz_convert("UTC")
