"""Peer baseline: statsforecast's MSTL on the folds of bench_forecast.py.

Runs in its own virtualenv, never in the project's (statsforecast needs
pandas < 3)::

    python3.11 -m venv .venv-peer
    .venv-peer/bin/pip install -r benchmarks/requirements-peer.txt
    .venv-peer/bin/python benchmarks/peer_statsforecast.py folds.json out.json

``folds.json``: a list of ``{"id", "y", "h", "periods"}``. ``out.json``: per
id, ``mean``, ``lo_80``, ``hi_80``, ``lo_95``, ``hi_95`` and ``seconds``.
The model is statsforecast's ``MSTL(season_length=periods)`` with its default
trend forecaster (AutoETS without seasonality), as a user would run it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from statsforecast.models import MSTL


def main(folds_path: str, out_path: str) -> None:
    folds = json.loads(Path(folds_path).read_text(encoding="utf-8"))
    out = {}
    for fold in folds:
        y = np.asarray(fold["y"], dtype=float)
        started = time.perf_counter()
        result = MSTL(season_length=list(fold["periods"])).forecast(
            y=y, h=int(fold["h"]), level=[80, 95]
        )
        out[fold["id"]] = {
            "mean": result["mean"].tolist(),
            "lo_80": result["lo-80"].tolist(),
            "hi_80": result["hi-80"].tolist(),
            "lo_95": result["lo-95"].tolist(),
            "hi_95": result["hi-95"].tolist(),
            "seconds": time.perf_counter() - started,
        }
    Path(out_path).write_text(json.dumps(out), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
