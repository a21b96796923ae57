"""The package's public surface and the notebooks' storage rules."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import analytics

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(analytics.__path__, prefix="analytics.")
        if not info.name.rsplit(".", 1)[-1].startswith("_")
    ]


def test_every_module_declares_all_and_it_is_honest() -> None:
    for name in _modules():
        module = importlib.import_module(name)
        if module.__file__ and module.__file__.endswith("__init__.py"):
            continue
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{name} has no __all__"
        for symbol in exported:
            assert hasattr(module, symbol), f"{name}.__all__ names missing {symbol}"


def test_notebooks_are_stored_without_outputs() -> None:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = json.loads(path.read_text("utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [], f"{path.name} has stored outputs"
                assert cell["execution_count"] is None, (
                    f"{path.name} has execution counts"
                )


def test_notebooks_are_thin() -> None:
    """A parameters cell, an import, then one call per code cell: no defs, loops or branches."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text("utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert "parameters" in code[0]["metadata"].get("tags", [])
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        for cell in code[1:]:
            source = "".join(cell["source"])
            assert len(source.strip().splitlines()) == 1, f"{path.name}: {source!r}"
            for keyword in ("def ", "for ", "while ", "if ", "class ", "lambda"):
                assert keyword not in source, f"{path.name}: {source!r}"
