"""Forecast benchmark on real hourly series from the NAB folder.

Run separately (never by the tests)::

    .venv/bin/python benchmarks/bench_forecast.py
    .venv/bin/python benchmarks/bench_forecast.py --series taxi --no-peer \
        --out /tmp/forecast-subset        # a quicker subset, results elsewhere

Writes ``benchmarks/results/forecast.md`` and ``forecast.csv``.

Procedure:

* Series: ``nyc_taxi`` (30-min passenger counts, summed per hour), the EC2 CPU
  of ``cpu_utilization_asg_misconfiguration`` (5-min, mean per hour; the only
  EC2 CPU series in the folder longer than two weeks) and
  ``elb_request_count_8c0756`` (5-min request counts, summed per hour; two
  weeks only).
* Rolling origins one week apart; horizon one week (168 h). Training is all
  data before the origin, capped to the last ``MAX_TRAIN_WEEKS`` weeks (runtime).
  The first origin is after two weeks (after one week for the two-week ELB
  series, whose only origin therefore has no weekly cycle to learn from).
  A test week that overlaps a labelled NAB anomaly window is skipped, so
  accuracy is measured on normal behaviour.
* MASE: mean absolute error over the test week divided by the in-sample mean
  absolute error of seasonal naive at lag 168 (lag 24 when the training part
  is shorter than two weeks). "rel. to SN168" divides a model's MASE by the
  seasonal-naive-168 MASE on the same origins (< 1 beats the baseline).
* Coverage: share of test hours inside the model's 80 % / 95 % Gaussian
  interval (uncalibrated: the conformal widening of
  :func:`analytics.metrics.forecast.forecast_capacity` is not applied here).
* ``auto``: what :func:`analytics.metrics.forecast.forecast_capacity` does with
  its default settings, on the training part only, through the same functions
  (:func:`~analytics.metrics.forecast.backtest`,
  :func:`~analytics.metrics.forecast.choose_model`,
  :func:`~analytics.metrics.forecast.fit_choice`): a rolling-origin backtest
  of the default candidates (``DEFAULT_MODELS``: seasonal naive and seasonal
  median at both lags, the MSTL models and ETS; 6 folds of one week, origins
  56 h apart), the best model or the equal-weight mean of the best two when
  that backtests better, and split-conformal rescaling of each interval level
  whose backtest coverage is more than 5 points off nominal (widened in full,
  narrowed half-way in log scale). Its coverage is of the rescaled intervals.
* ``statsforecast_mstl``: the peer, statsforecast's MSTL (default AutoETS trend
  forecaster) on the same training arrays, run by
  ``benchmarks/peer_statsforecast.py`` in the separate ``.venv-peer`` (see
  ``benchmarks/requirements-peer.txt``); skipped, and said so, when that
  virtualenv is missing. ``--peer-from DETAIL.csv`` reuses the peer's rows of
  an earlier run instead, only for folds (series and origin) of this run, and
  says so.
* Summary: per series, the geometric mean over origins of each model's MASE
  relative to seasonal naive 168 on the same origin (``geo_rel_sn168``).
* Time: fit + forecast wall time of each origin (median and p90); for ``auto``
  it includes its backtest.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import math
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
from scipy import stats

from analytics import nab
from analytics.metrics.forecast import (
    ForecastModelFit,
    _seasonal_median,  # the sweep varies the cycle count, not a product parameter
    backtest,
    choose_model,
    fit_choice,
    fit_model,
    forecast_capacity,
)

NAB = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "metrics" / "nab"
OUT = Path(__file__).resolve().parent / "results"
WEEK = 168
MAX_TRAIN_WEEKS = 8
MODELS = (
    "seasonal_naive_24",
    "seasonal_naive_168",
    "seasonal_median_24",
    "seasonal_median_168",
    "mstl_ets",
    "mstl_level",
    "snaive_mstl",
    "unobserved_components",
    "ets",
)
# `auto` measures forecast_capacity with its default settings.
_DEFAULTS = inspect.signature(forecast_capacity).parameters
AUTO_FOLDS = int(_DEFAULTS["folds"].default)
AUTO_FOLD_STEP = WEEK // 3  # forecast_capacity's default: a third of the horizon
AUTO_COMBINE_TOP = int(_DEFAULTS["combine_top"].default)
AUTO_SIMPLER_WITHIN = float(_DEFAULTS["simpler_within"].default)
AUTO_NARROW = bool(_DEFAULTS["narrow"].default)
AUTO_NARROW_FRACTION = float(_DEFAULTS["narrow_fraction"].default)
AUTO_MODELS = tuple(_DEFAULTS["models"].default)
PEER_PYTHON = Path(__file__).resolve().parents[1] / ".venv-peer" / "bin" / "python"
PEER_SCRIPT = Path(__file__).resolve().parent / "peer_statsforecast.py"
SERIES = {
    "nyc_taxi (sum/h)": ("realKnownCause/nyc_taxi.csv", "sum"),
    "ec2 cpu asg (mean/h)": (
        "realKnownCause/cpu_utilization_asg_misconfiguration.csv",
        "mean",
    ),
    "elb_request_count (sum/h)": (
        "realAWSCloudwatch/elb_request_count_8c0756.csv",
        "sum",
    ),
}


@dataclass(frozen=True)
class AutoFit:
    """`auto`'s forecast and its interval scale per level."""

    fit: ForecastModelFit
    interval_scale: dict[float, float]


def hourly(key: str, how: str) -> pd.Series:
    """The NAB file resampled to full hours; partial first/last hours dropped."""
    frame = nab.read_nab_series(NAB / "data" / key)
    y = frame.set_index("timestamp")["value"]
    counts = y.resample("h").count()
    full = counts >= counts.median()
    out = y.resample("h").agg(how)[full]
    return out.asfreq("h").interpolate(limit=3)


def _auto(train: np.ndarray, periods: tuple[int, ...]) -> AutoFit:
    """forecast_capacity's choice and calibration, on the training part only."""
    started = time.perf_counter()
    table, errors = backtest(
        train,
        horizon_steps=WEEK,
        seasonal_periods=periods,
        models=AUTO_MODELS,
        folds=AUTO_FOLDS,
        fold_step_steps=AUTO_FOLD_STEP,
    )
    choice = choose_model(
        table,
        errors,
        combine_top=AUTO_COMBINE_TOP,
        simpler_within=AUTO_SIMPLER_WITHIN,
        narrow=AUTO_NARROW,
        narrow_fraction=AUTO_NARROW_FRACTION,
    )
    fit = fit_choice(choice, train, WEEK, periods)
    fit = ForecastModelFit(
        f"auto:{choice.name}",
        fit.mean,
        fit.sd,
        time.perf_counter() - started,
        fit.warnings,
    )
    return AutoFit(fit, choice.interval_scale)


def _row(
    label: str,
    origin: pd.Timestamp,
    model: str,
    train: np.ndarray,
    test: np.ndarray,
    scale: float,
    mean: np.ndarray,
    bands: dict[float, tuple[np.ndarray, np.ndarray]],
    seconds: float,
    warnings: int,
) -> dict[str, object]:
    error = test - mean
    row: dict[str, object] = {
        "series": label,
        "origin": origin,
        "model": model,
        "train_hours": len(train),
        "mase": float(np.mean(np.abs(error))) / scale,
        "seconds": seconds,
        "warnings": warnings,
    }
    for level, (lower, upper) in bands.items():
        inside = (test >= lower) & (test <= upper)
        row[f"coverage_{round(level * 100)}"] = float(np.mean(inside))
    return row


def _gaussian_bands(
    fit: ForecastModelFit, scale: dict[float, float] | None = None
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    bands = {}
    for level in (0.80, 0.95):
        factor = scale[level] if scale else 1.0
        half = stats.norm.ppf(0.5 + level / 2) * fit.sd * factor
        bands[level] = (fit.mean - half, fit.mean + half)
    return bands


@dataclass(frozen=True)
class Fold:
    """One scored test week: the training part before it, or why it is skipped."""

    origin: pd.Timestamp
    train: np.ndarray
    test: np.ndarray
    skipped: bool


def folds_of(
    y: pd.Series, windows: list[tuple[pd.Timestamp, pd.Timestamp]]
) -> list[Fold]:
    """The weekly origins of one series; test weeks overlapping a window are skipped."""
    values = y.to_numpy(dtype=float)
    # Two weeks of training where the series allows (weekly seasonality
    # needs two cycles); the two-week ELB series gets its single origin.
    first = 2 * WEEK if len(values) >= 3 * WEEK else WEEK
    out = []
    for origin in range(first, len(values) - WEEK + 1, WEEK):
        test_times = y.index[origin : origin + WEEK]
        overlaps = any(
            (a <= test_times[-1]) and (b >= test_times[0]) for a, b in windows
        )
        train = values[max(0, origin - MAX_TRAIN_WEEKS * WEEK) : origin]
        test = values[origin : origin + WEEK]
        missing = bool(np.isnan(train).any() or np.isnan(test).any())
        out.append(Fold(y.index[origin], train, test, overlaps or missing))
    return out


def run(
    series: dict[str, tuple[str, str]], *, peer: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    windows = nab.load_windows(NAB / "labels/combined_windows.json")
    rows: list[dict[str, object]] = []
    skipped: list[dict[str, object]] = []
    folds: list[dict[str, object]] = []
    for label, (key, how) in series.items():
        y = hourly(key, how)
        for week in folds_of(y, windows[key]):
            if week.skipped:
                skipped.append({"series": label, "origin": week.origin})
                continue
            train, test = week.train, week.test
            lag = WEEK if len(train) >= 2 * WEEK else 24
            scale = float(np.mean(np.abs(train[lag:] - train[:-lag])))
            periods = (24, 168) if len(train) >= 2 * WEEK else (24,)
            stamp = week.origin
            fits: list[tuple[ForecastModelFit, dict[float, float] | None]] = []
            for model in MODELS:
                if model == "seasonal_naive_168" and len(train) < WEEK:
                    continue
                started = time.perf_counter()
                fit = fit_model(model, train, WEEK, periods)
                seconds = time.perf_counter() - started
                fits.append(
                    (
                        ForecastModelFit(
                            model, fit.mean, fit.sd, seconds, fit.warnings
                        ),
                        None,
                    )
                )
            if len(train) >= 3 * WEEK:
                auto = _auto(train, periods)
                fits.append((auto.fit, auto.interval_scale))
            for fit, interval_scale in fits:
                name = "auto" if fit.name.startswith("auto:") else fit.name
                row = _row(
                    label,
                    stamp,
                    name,
                    train,
                    test,
                    scale,
                    fit.mean,
                    _gaussian_bands(fit, interval_scale),
                    fit.fit_seconds,
                    len(fit.warnings),
                )
                if name == "auto":
                    row["chosen"] = fit.name.removeprefix("auto:")
                rows.append(row)
            fold_id = f"{label}|{stamp.isoformat()}"
            folds.append(
                {
                    "id": fold_id,
                    "y": train.tolist(),
                    "h": WEEK,
                    "periods": list(periods),
                    "test": test.tolist(),
                    "scale": scale,
                    "label": label,
                    "origin": stamp.isoformat(),
                }
            )
    peer_note = (
        _peer(folds, rows) if peer else "statsforecast MSTL: not run (--no-peer)."
    )
    return pd.DataFrame(rows), pd.DataFrame(skipped), peer_note


def _peer(folds: list[dict[str, object]], rows: list[dict[str, object]]) -> str:
    """statsforecast's MSTL on the same folds, in the separate .venv-peer."""
    if not PEER_PYTHON.exists():
        return (
            "statsforecast MSTL: not run, `.venv-peer` is missing (create it with"
            " `python3.11 -m venv .venv-peer && .venv-peer/bin/pip install -r"
            " benchmarks/requirements-peer.txt`)."
        )
    with tempfile.TemporaryDirectory() as tmp:
        folds_path, out_path = Path(tmp) / "folds.json", Path(tmp) / "out.json"
        folds_path.write_text(json.dumps(folds))
        subprocess.run(
            [str(PEER_PYTHON), str(PEER_SCRIPT), str(folds_path), str(out_path)],
            check=True,
            timeout=1800,
        )
        out = json.loads(out_path.read_text())
        version = subprocess.run(
            [
                str(PEER_PYTHON),
                "-c",
                "import statsforecast; print(statsforecast.__version__)",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    for fold in folds:
        result = out[str(fold["id"])]
        test = np.asarray(fold["test"], dtype=float)
        bands = {
            level: (
                np.asarray(result[f"lo_{round(level * 100)}"]),
                np.asarray(result[f"hi_{round(level * 100)}"]),
            )
            for level in (0.80, 0.95)
        }
        rows.append(
            _row(
                str(fold["label"]),
                pd.Timestamp(str(fold["origin"])),
                "statsforecast_mstl",
                np.asarray(fold["y"]),
                test,
                float(str(fold["scale"])),
                np.asarray(result["mean"]),
                bands,
                float(result["seconds"]),
                0,
            )
        )
    return (
        f"statsforecast {version} MSTL (default AutoETS trend forecaster) ran in"
        " `.venv-peer` (pandas < 3) on the same training arrays and test weeks."
    )


def summarise(detail: pd.DataFrame) -> pd.DataFrame:
    """One row per series and model: mean MASE, ratio to SN168, coverage, time."""
    baseline = detail[detail["model"] == "seasonal_naive_168"].set_index(
        ["series", "origin"]
    )["mase"]
    detail = detail.join(baseline.rename("sn168"), on=["series", "origin"])
    detail["log_rel"] = np.log(detail["mase"] / detail["sn168"])
    grouped = detail.groupby(["series", "model"], sort=False)
    table = grouped.agg(
        origins=("mase", "size"),
        mase=("mase", "mean"),
        mase_median=("mase", "median"),
        sn168_mase=("sn168", "mean"),
        log_rel=("log_rel", "mean"),
        coverage_80=("coverage_80", "mean"),
        coverage_95=("coverage_95", "mean"),
        seconds_median=("seconds", "median"),
        seconds_p90=("seconds", lambda s: float(np.quantile(s, 0.9))),
        warnings=("warnings", "sum"),
    )
    table.insert(2, "rel_to_sn168", table["mase"] / table.pop("sn168_mase"))
    table.insert(3, "geo_rel_sn168", np.exp(table.pop("log_rel")))
    return table


def _verdict(table: pd.DataFrame, detail: pd.DataFrame) -> str:
    """Plain wins and losses against the issue's goal, computed from the table."""
    lines = ["## Against the goal", ""]
    lines.append(
        "Goal: geometric-mean relative MASE below the better seasonal-naive lag and"
        " no worse than statsforecast's MSTL; coverage within ±8 (80 %) / ±5"
        " (95 %) points of nominal."
    )
    lines.append("")
    for series, part in table.groupby("series", sort=False):
        by = part.set_index("model")
        if "auto" not in by.index or pd.isna(by.loc["auto", "geo_rel_sn168"]):
            lines.append(
                f"- {series}: no `auto` or seasonal-naive-168 origins; not judged."
            )
            continue
        naive = by.loc[["seasonal_naive_24", "seasonal_naive_168"], "geo_rel_sn168"]
        best_naive, best_name = float(naive.min()), str(naive.idxmin())
        auto = by.loc["auto"]
        parts = [
            f"auto {auto.geo_rel_sn168:.3f} vs {best_name} {best_naive:.3f}:"
            f" {'wins' if auto.geo_rel_sn168 < best_naive else 'loses'}"
        ]
        if "statsforecast_mstl" in by.index:
            peer = float(by.loc["statsforecast_mstl", "geo_rel_sn168"])
            parts.append(
                f"vs statsforecast MSTL {peer:.3f}:"
                f" {'no worse' if auto.geo_rel_sn168 <= peer else 'worse'}"
            )
        cov80, cov95 = float(auto.coverage_80), float(auto.coverage_95)
        ok = abs(cov80 - 0.80) <= 0.08 and abs(cov95 - 0.95) <= 0.05
        parts.append(
            f"coverage {cov80:.0%} / {cov95:.0%}: {'within' if ok else 'outside'}"
            " tolerance"
        )
        picks = detail[(detail["series"] == series) & (detail["model"] == "auto")]
        chosen = picks["chosen"].value_counts()
        parts.append("auto chose " + ", ".join(f"{n} ×{c}" for n, c in chosen.items()))
        ours = by.drop(
            index=[m for m in ("auto", "statsforecast_mstl") if m in by.index]
        )["geo_rel_sn168"]
        parts.append(f"best single model of ours {ours.idxmin()} {ours.min():.3f}")
        parts.append(_same_origins(detail[detail["series"] == series], picks))
        lines.append(f"- {series}: " + "; ".join(parts) + ".")
    return "\n".join(lines) + "\n"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Forecast benchmark on hourly NAB series (see the module docstring)."
    )
    parser.add_argument(
        "--series",
        action="append",
        help="run only series whose label contains this text (repeatable), e.g."
        " --series taxi; default: all",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=OUT,
        help=f"folder for forecast.md/.csv (default {OUT}); use another one for"
        " subset runs so the published results stay intact",
    )
    parser.add_argument(
        "--no-peer", action="store_true", help="skip statsforecast (.venv-peer)"
    )
    parser.add_argument(
        "--median-cycles",
        action="store_true",
        help="only write forecast_median_cycles.md/.csv: the seasonal median with"
        " 2-8 cycles on the same folds (seconds; no model fitting)",
    )
    parser.add_argument(
        "--peer-from",
        type=Path,
        help="reuse the statsforecast_mstl rows of an earlier forecast_detail.csv"
        " (same folds) instead of running the peer",
    )
    return parser.parse_args()


def median_cycles_sweep(series: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Seasonal median with 2–8 cycles, on the benchmark's folds.

    One row per series, lag and cycle count: the geometric mean over the
    scored origins (those where `auto` runs: three weeks of training) of the
    MASE relative to seasonal naive 168 on the same origin.
    """
    windows = nab.load_windows(NAB / "labels/combined_windows.json")
    rows = []
    for label, (key, how) in series.items():
        weeks = [
            w
            for w in folds_of(hourly(key, how), windows[key])
            if not w.skipped and len(w.train) >= 3 * WEEK
        ]
        if not weeks:  # the two-week ELB series has none
            continue
        for lag, cycles in itertools.product((24, WEEK), range(2, 9)):
            log_rel = [
                math.log(
                    float(np.mean(np.abs(w.test - seasonal_median(w, lag, cycles))))
                    / float(np.mean(np.abs(w.test - w.train[-WEEK:])))
                )
                for w in weeks
            ]
            rows.append(
                {
                    "series": label,
                    "lag": lag,
                    "cycles": cycles,
                    "origins": len(weeks),
                    "geo_rel_sn168": math.exp(float(np.mean(log_rel))),
                }
            )
    return pd.DataFrame(rows)


def seasonal_median(week: Fold, lag: int, cycles: int) -> np.ndarray:
    """The product's seasonal median forecast of one test week with ``cycles``."""
    mean, _ = _seasonal_median(week.train, WEEK, lag, cycles)
    return mean


def reuse_peer(detail: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, str]:
    """Add the peer's rows of an earlier run for the folds of this run.

    The earlier rows must cover every fold (series, origin) of this run and
    their training length must match, otherwise the folds changed and the
    peer has to be re-run.
    """
    earlier = pd.read_csv(path, parse_dates=["origin"])
    peer = earlier[earlier["model"] == "statsforecast_mstl"]
    folds = detail[["series", "origin", "train_hours"]].drop_duplicates()
    merged = folds.merge(
        peer, on=["series", "origin"], how="left", suffixes=("", "_peer")
    )
    if (
        merged["mase"].isna().any()
        or not (merged["train_hours"] == merged["train_hours_peer"]).all()
    ):
        raise SystemExit(
            f"{path} does not have statsforecast_mstl rows for every fold of this"
            " run (or their training length differs): re-run the peer."
        )
    rows = merged.drop(columns="train_hours_peer")[peer.columns]
    note = (
        "statsforecast MSTL (default AutoETS trend forecaster): not re-run; its"
        f" rows are reused from an earlier run's `{path.name}` (same data, folds"
        " and training lengths, checked per fold; its version is in that run's"
        " forecast.md)."
    )
    return pd.concat([detail, rows], ignore_index=True), note


def _same_origins(detail: pd.DataFrame, picks: pd.DataFrame) -> str:
    """The comparison restricted to the origins where `auto` ran."""
    same = detail[detail["origin"].isin(picks["origin"])]
    geo = summarise(same)["geo_rel_sn168"].droplevel("series")
    naive = geo[["seasonal_naive_24", "seasonal_naive_168"]]
    text = (
        f"on auto's {len(picks)} origins only: auto {geo['auto']:.3f} vs"
        f" {naive.idxmin()} {naive.min():.3f}"
        f" ({'wins' if geo['auto'] < naive.min() else 'loses'})"
    )
    if "statsforecast_mstl" in geo.index:
        peer = float(geo["statsforecast_mstl"])
        text += (
            f", statsforecast MSTL {peer:.3f}"
            f" ({'no worse' if geo['auto'] <= peer else 'worse'})"
        )
    return text


def main() -> None:
    args = _arguments()
    started = time.perf_counter()
    series = {
        label: spec
        for label, spec in SERIES.items()
        if not args.series or any(part in label for part in args.series)
    }
    if args.median_cycles:
        sweep = median_cycles_sweep(series)
        args.out.mkdir(parents=True, exist_ok=True)
        sweep.to_csv(args.out / "forecast_median_cycles.csv", index=False)
        wide = sweep.pivot_table(
            index=["series", "lag"], columns="cycles", values="geo_rel_sn168"
        ).round(3)
        wide.columns = [f"{c} cycles" for c in wide.columns]
        (args.out / "forecast_median_cycles.md").write_text(
            "# Seasonal median: number of cycles\n\n"
            "geo_rel_sn168 of `seasonal_median_<lag>` with 2–8 cycles on the"
            " benchmark's scored origins with three weeks of training or more"
            " (where `auto` runs). The product uses five. Command:"
            " `.venv/bin/python benchmarks/bench_forecast.py --median-cycles`.\n\n"
            + _markdown(wide.reset_index())
            + "\n"
        )
        print(wide.to_string())
        return
    use_peer = not args.no_peer and args.peer_from is None
    detail, skipped, peer_note = run(series, peer=use_peer)
    if args.peer_from is not None:
        detail, peer_note = reuse_peer(detail, args.peer_from)
    table = summarise(detail).reset_index()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    detail.to_csv(out / "forecast_detail.csv", index=False)
    table.to_csv(out / "forecast.csv", index=False)
    shown = table.copy()
    for column in (
        "mase",
        "mase_median",
        "rel_to_sn168",
        "geo_rel_sn168",
        "coverage_80",
        "coverage_95",
    ):
        shown[column] = shown[column].round(3)
    for column in ("seconds_median", "seconds_p90"):
        shown[column] = shown[column].round(2)
    skipped_text = (
        skipped.groupby("series")["origin"].size().to_string()
        if len(skipped)
        else "none"
    )
    header = (
        "# Forecast benchmark: hourly NAB series, weekly rolling origins,"
        " one-week horizon\n\n"
        f"numpy {np.__version__}, statsmodels {statsmodels.__version__},"
        f" pandas {pd.__version__}; {os.cpu_count()} CPU(s); training capped to the"
        f" last {MAX_TRAIN_WEEKS} weeks; wall time"
        f" {time.perf_counter() - started:.0f} s.\n\n"
        "MASE scale: in-sample seasonal naive at lag 168 (lag 24 when training is"
        " under two weeks, i.e. the ELB series). rel_to_sn168 < 1 beats seasonal"
        " naive 168 on the same origins. Coverage is of the raw model intervals,"
        " except `auto`'s (rescaled per level when its inner backtest coverage was"
        " more than 5 points off nominal: widened in full, narrowed half-way in"
        " log scale)."
        " `auto` needs three weeks of training, so it has one origin fewer per"
        " series than the other models.\n\n"
        f"{peer_note}\n\n"
        "geo_rel_sn168: geometric mean over origins of MASE / seasonal-naive-168"
        " MASE on the same origin. Command: `.venv/bin/python"
        " benchmarks/bench_forecast.py`.\n\n"
        f"Test weeks skipped (overlap a labelled anomaly window or missing data):\n\n"
        f"```\n{skipped_text}\n```\n\n"
    )
    (out / "forecast.md").write_text(
        header + _markdown(shown) + "\n\n" + _verdict(table, detail)
    )
    print(header + shown.to_string(index=False))


def _markdown(table: pd.DataFrame) -> str:
    cells = table.astype(object).where(table.notna(), "")
    lines = ["| " + " | ".join(map(str, table.columns)) + " |"]
    lines.append("|" + "---|" * len(table.columns))
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in cells.to_numpy()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
