"""Go-live readiness and capacity analytics.

Evidence in (Prometheus, metric files, ticket and survey exports), decisions
out (GO / GO WITH CONDITIONS / NO-GO), rendered as offline HTML reports.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("readiness-analytics")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
