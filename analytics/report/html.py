"""Small HTML building blocks for reports, escaping every piece of data.

Reports are shown in JupyterLab and exported by nbconvert, which passes HTML
outputs through verbatim. Everything that comes from input data (ticket
fields, label values, file names) is therefore escaped here, at the source,
with :func:`html.escape`; only the markup written in this module is trusted.
"""

from __future__ import annotations

import html
import itertools
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "CSS",
    "MAX_LINE_POINTS",
    "PLOTLYJS_AT_EXPORT_ENV",
    "Chart",
    "Html",
    "chart_text",
    "esc",
    "format_value",
    "minmax_indices",
    "plotlyjs_added_at_export",
    "table",
]

CSS = """
<style>
.rr { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 14px; }
.rr table { border-collapse: collapse; margin: 0.5em 0 1em; }
/* JupyterLab's and nbconvert's ":not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td"
   right-aligns every cell; ".jp-RenderedHTMLCommon .rr" outranks it. */
.rr table th, .rr table td,
.jp-RenderedHTMLCommon .rr table th, .jp-RenderedHTMLCommon .rr table td {
  border: 1px solid #d0d4da; padding: 4px 8px; text-align: left; vertical-align: top; }
.rr th { background: #f2f4f7; }
.rr table td.num, .jp-RenderedHTMLCommon .rr table td.num {
  text-align: right; font-variant-numeric: tabular-nums; }
.rr .st { font-weight: 600; padding: 1px 6px; border-radius: 3px; white-space: nowrap; }
.rr .st-PASS { background: #d9f2e3; color: #0b5d2a; }
.rr .st-WARN { background: #fff1cc; color: #7a5200; }
.rr .st-FAIL { background: #fbdcdc; color: #8a1010; }
.rr .st-NO-DATA { background: #e4e4e4; color: #333; }
.rr .st-INFO { background: #eef2f7; color: #1d3557; font-weight: 400; }
.rr .decision { font-size: 28px; font-weight: 700; padding: 12px 18px; border-radius: 6px;
  display: inline-block; margin: 4px 0 8px; }
.rr .decision-GO { background: #d9f2e3; color: #0b5d2a; }
.rr .decision-GO-WITH-CONDITIONS { background: #fff1cc; color: #7a5200; }
.rr .decision-NO-GO { background: #fbdcdc; color: #8a1010; }
.rr .note { color: #555; }
.rr .box { border-left: 4px solid #9aa3ad; padding: 4px 10px; background: #f7f8fa; }
/* On paper a wide table cannot scroll: shrink it to the page and wrap long cells. */
@page { size: A4 landscape; margin: 12mm; }
@media print {
  .jp-OutputArea-output, .jp-RenderedHTMLCommon { overflow: visible !important; }
  .rr table { width: 100%; table-layout: auto; font-size: 9px; }
  .rr table th, .rr table td,
  .jp-RenderedHTMLCommon .rr table th, .jp-RenderedHTMLCommon .rr table td {
    padding: 2px 3px; }
  /* The long explanations go last: they give way, short cells keep their words. */
  .rr table td:last-child { overflow-wrap: anywhere; }
  .rr table th:last-child { width: 35%; }
}
</style>
"""


def esc(value: object) -> str:
    """Escape any value for HTML text or attributes.

    Examples
    --------
    >>> esc('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return html.escape(str(value), quote=True)


def chart_text(value: object) -> str:
    """Escape a text shown inside a plotly chart (trace name, title, axis label).

    plotly draws ``<b>``, ``<a href>`` and other tags in these texts, so ``<``,
    ``>`` and ``&`` are escaped and no tag of the data is ever drawn; quotes
    are left alone, since plotly does not decode ``&quot;`` and a quote cannot
    open a tag.

    >>> chart_text('<img src=x onerror="alert(1)"> {job="api"}')
    '&lt;img src=x onerror="alert(1)"&gt; {job="api"}'
    """
    return html.escape(str(value), quote=False)


class Html:
    """Trusted markup built by this module, shown as HTML in notebooks."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup

    def __str__(self) -> str:
        return self.markup


def format_value(value: float | None, unit: str = "") -> str:
    """A measured value for display, with its unit; an empty string for none.

    Examples
    --------
    >>> format_value(99.91234, "%"), format_value(8247.0, "min"), format_value(None)
    ('99.912 %', '8,247 min (137.4 h)', '')

    Whole numbers (counts, most often) show no decimals:

    >>> format_value(0.0, "incidents"), format_value(4.09, "/5")
    ('0 incidents', '4.09 /5')
    """
    if value is None or not math.isfinite(value):
        return ""
    if unit == "%":
        return f"{value:.3f} %"
    if unit == "min" and abs(value) >= 120:
        return f"{value:,.0f} min ({value / 60:,.1f} h)"
    if abs(value) >= 100 or float(value).is_integer():
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


Cell = Callable[[Any], str]


def table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    *,
    cells: Mapping[str, Cell] | None = None,
    numeric: Iterable[str] = (),
) -> str:
    """An HTML table of ``frame``, every cell escaped.

    Parameters
    ----------
    columns
        ``(column, heading)`` pairs, in order.
    cells
        Per-column functions returning *trusted* markup; they must escape any
        data they include (use :func:`esc`).
    numeric
        Columns to right-align.
    """
    cells = cells or {}
    numeric = set(numeric)
    head = "".join(f"<th>{esc(title)}</th>" for _, title in columns)
    rows = []
    for record in frame.to_dict("records"):
        tds = []
        for column, _ in columns:
            value = record.get(column)
            markup = cells[column](value) if column in cells else esc(_plain(value))
            css = ' class="num"' if column in numeric else ""
            tds.append(f"<td{css}>{markup}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return "" if pd.isna(value) else value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:,.2f}" if not value.is_integer() else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value


PLOTLYJS_AT_EXPORT_ENV = "READINESS_PLOTLYJS_AT_EXPORT"
"""Set to ``1`` in a kernel whose notebook is exported by :mod:`analytics.report.render`.

The renderer adds plotly.js once to the exported HTML, so charts in such a
kernel carry none: the executed notebook stays small, which matters because
papermill saves it after every cell.
"""

# The charts' style, compact: plotly's default template (about 7 KB of JSON)
# would otherwise be repeated inside every chart of a report.
_REPORT_TEMPLATE = go.layout.Template(
    layout={
        "colorway": ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"],
        "font": {"color": "#2a3f5f"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "#f5f7fa",
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "autotypenumbers": "strict",
        "title": {"x": 0.05},
        "xaxis": {"gridcolor": "white", "linecolor": "white", "automargin": True},
        "yaxis": {"gridcolor": "white", "linecolor": "white", "automargin": True},
    }
)


def plotlyjs_added_at_export() -> bool:
    """True inside a kernel started by the report renderer (see ``PLOTLYJS_AT_EXPORT_ENV``)."""
    return os.environ.get(PLOTLYJS_AT_EXPORT_ENV) == "1"


MAX_LINE_POINTS = 2000
"""Lines longer than this are drawn decimated (see :func:`minmax_indices`)."""


def minmax_indices(values: Any, max_points: int) -> np.ndarray:
    """Positions of ``values`` that keep a line's shape in at most about ``max_points``.

    The positions are cut into ``max_points // 2`` runs of consecutive
    points; each run keeps its lowest and highest reading, and its first gap
    (NaN) so that a gap in the data stays a gap in the line. Shorter inputs
    are kept whole.

    Examples
    --------
    >>> minmax_indices([5, 1, 9, 2, 3, 8, 7, 4], 4).tolist()
    [1, 2, 4, 5]
    >>> minmax_indices([1.0, float("nan"), 3.0, 4.0], 2).tolist()
    [0, 1, 3]
    >>> minmax_indices([1, 2, 3], 10).tolist()
    [0, 1, 2]
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n <= max_points:
        return np.arange(n)
    runs = max(max_points // 2, 1)
    edges = np.linspace(0, n, runs + 1).astype(int)
    kept: list[int] = []
    for lo, hi in itertools.pairwise(edges):
        part = y[lo:hi]
        missing = np.isnan(part)
        if missing.all():
            kept.append(lo)
            continue
        filled = np.where(missing, np.nan, part)
        kept += [lo + int(np.nanargmin(filled)), lo + int(np.nanargmax(filled))]
        if missing.any():
            kept.append(lo + int(np.argmax(missing)))
    return np.unique(np.asarray(kept, dtype=int))


_PER_POINT = ("x", "y", "customdata", "text", "hovertext")


def _decimate_lines(figure: go.Figure, max_points: int) -> int:
    """Decimate long line traces in place; return how many were decimated.

    Traces that fill an area, or that the next trace fills to, keep every
    point: their polygons must share the same x positions.
    """
    traces = list(figure.data)
    decimated = 0
    for i, trace in enumerate(traces):
        if trace.type not in ("scatter", "scattergl") or trace.y is None:
            continue
        n = len(trace.y)
        follower = traces[i + 1] if i + 1 < len(traces) else None
        filled = trace.fill not in (None, "none") or (
            follower is not None
            and getattr(follower, "fill", None) in ("tonexty", "tonextx")
        )
        if n <= max_points or filled or (trace.mode and "lines" not in trace.mode):
            continue
        keep = minmax_indices(trace.y, max_points)
        update: dict[str, Any] = {}
        for name in _PER_POINT:
            column = getattr(trace, name)
            if column is not None and not isinstance(column, str) and len(column) == n:
                update[name] = np.asarray(column)[keep]
        trace.update(update)
        decimated += 1
    return decimated


def _compact_dates(figure: go.Figure, min_points: int = 50) -> None:
    """Write long date columns as ``YYYY-MM-DDTHH:MM`` when no seconds are lost.

    plotly writes a timestamp as ``2026-03-02T09:00:00.000000`` or with
    ``+00:00``, and ignores the offset when drawing; on charts with thousands
    of points the short form saves about 40 % of the bytes. Only naive or UTC
    columns are rewritten (a report's times are UTC); anything else is left as
    it is.
    """
    for trace in figure.data:
        values = getattr(trace, "x", None)
        if values is None or isinstance(values, str) or len(values) < min_points:
            continue
        if not _looks_like_time(values[0]):
            continue
        try:
            times = pd.DatetimeIndex(pd.to_datetime(pd.Index(values)))
        except (TypeError, ValueError):
            continue
        if times.tz is not None and str(times.tz) != "UTC":
            continue
        whole_minutes = times.dropna()
        if (whole_minutes != whole_minutes.floor("min")).any():
            continue
        text = times.strftime("%Y-%m-%dT%H:%M")
        trace.update(x=np.asarray(text.where(times.notna(), None), dtype=object))


_TIMESTAMP_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _looks_like_time(value: object) -> bool:
    if isinstance(value, datetime | np.datetime64):
        return True
    return isinstance(value, str) and _TIMESTAMP_TEXT.match(value) is not None


class Chart:
    """A plotly figure that exports to HTML and still shows as a live chart.

    nbconvert drops plotly's JSON mimetype, so charts are shown as HTML. In
    JupyterLab the first chart of a report carries plotly.js inline
    (``include_plotlyjs``); under the renderer no chart does, and the exported
    file gets plotly.js once (:func:`analytics.report.render.export_html`).
    Nothing is loaded from a network either way.

    To keep reports small, lines of more than :data:`MAX_LINE_POINTS` points
    are drawn from the lowest and highest reading of each interval (spikes and
    gaps stay visible; a note under the chart says so), and timestamps are
    written without zero seconds. Tables and figures elsewhere use every point.
    """

    def __init__(
        self, figure: go.Figure, *, include_plotlyjs: bool, div_id: str
    ) -> None:
        figure.update_layout(template=_REPORT_TEMPLATE)
        self.decimated = _decimate_lines(figure, MAX_LINE_POINTS)
        _compact_dates(figure)
        self.figure = figure
        self.include_plotlyjs = include_plotlyjs and not plotlyjs_added_at_export()
        self.div_id = div_id

    def _repr_html_(self) -> str:
        markup: str = self.figure.to_html(
            full_html=False,
            include_plotlyjs=self.include_plotlyjs,
            include_mathjax=False,
            div_id=self.div_id,
            config={"displaylogo": False, "responsive": True},
        )
        note = (
            f'<p class="note">Lines longer than {MAX_LINE_POINTS:,} points are drawn'
            " from the lowest and highest reading of each interval; the figures in"
            " the text and tables use every point.</p>"
            if self.decimated
            else ""
        )
        return f'<div class="rr-chart">{markup}{note}</div>'
