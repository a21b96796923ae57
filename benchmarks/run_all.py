"""Run every benchmark that needs no arguments, one after the other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
QUICK = ("bench_render.py",)


def main() -> None:
    """Run the quick benchmarks; the others document their own arguments."""
    for name in QUICK:
        print(f"== {name}", flush=True)
        subprocess.run([sys.executable, str(HERE / name)], check=True)
    others = sorted(p.name for p in HERE.glob("bench_*.py") if p.name not in QUICK)
    print(
        "Not run here (see each file's docstring for its arguments): "
        + ", ".join(others)
    )


if __name__ == "__main__":
    main()
