"""Every notebook runs top to bottom, small: its ``parameters`` cell is replaced, then executed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install nbformat nbclient ipykernel")
nbclient = pytest.importorskip("nbclient", reason="pip install nbclient ipykernel")
pytest.importorskip("ipykernel", reason="pip install ipykernel")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT_S = 300

#: Small values for each notebook's parameters cell; outputs go to the test's tmp_path.
SMALL = {
    "01_first_run": {"SCALE": 100, "WEEKS": 40, "SEED": 1},
    "02_pilot_strategies": {"REPLICATIONS": 2, "SCALE": 100, "WEEKS": 30, "WORKERS": 1,
                            "OUT": "{tmp}/strategies"},
    "03_sweeps_and_sensitivity": {"SAMPLES": 8, "REPLICATIONS": 1, "SCALE": 100, "WEEKS": 30,
                                  "WORKERS": 1, "OUT": "{tmp}/sensitivity",
                                  "MORRIS_TRAJECTORIES": 2, "MORRIS_REPLICATIONS": 2},
}


def test_every_notebook_has_small_parameters():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(SMALL)


def inject(book, values: dict) -> None:
    """Replace the assignments of the cell tagged ``parameters`` (each must exist there)."""
    cells = [c for c in book.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "a notebook needs exactly one cell tagged 'parameters'"
    assert book.cells.index(cells[0]) <= 1, "the parameters cell comes first"
    lines = cells[0].source.splitlines()
    for name, value in values.items():
        hits = [i for i, line in enumerate(lines) if line.split("=")[0].strip() == name]
        assert hits, f"parameter {name} is not in the parameters cell"
        lines[hits[0]] = f"{name} = {value!r}"
    cells[0].source = "\n".join(lines)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_runs_top_to_bottom(name, tmp_path, monkeypatch):
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    values = {k: v.format(tmp=tmp_path) if isinstance(v, str) else v
              for k, v in SMALL[name].items()}
    inject(book, values)
    # Figures render off-screen; a single thread per kernel keeps the 2-core CI machine calm.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    client = nbclient.NotebookClient(book, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, with the failing cell, on any error
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    shown = sum(1 for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
                if "image/png" in o.get("data", {}))
    assert shown >= 1, "the notebook should show its figures"
    assert os.listdir(tmp_path) or name == "01_first_run"
