"""The architecture as a fact: the layer contract in pyproject.toml holds, and no import circle.

Layers, top to bottom: interfaces (CLI, dashboard), the run library call,
reporting, analysis, experiments, the model and the core below it
(``[tool.importlinter]`` in pyproject.toml; ``docs/architecture.md``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str | None:
    """The ``lint-imports`` next to this Python (the venv's), else one on the PATH."""
    here = Path(sys.executable).with_name("lint-imports")
    return str(here) if here.is_file() else shutil.which("lint-imports")


def test_the_layer_contract_holds():
    command = _lint_imports()
    if command is None:
        pytest.skip("lint-imports is not installed (pip install 'hidsim[test]' brings "
                    "import-linter)")
    done = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_no_import_circle():
    """No module imports itself through others at run time (a function-local import counts).

    Imports under ``if TYPE_CHECKING:`` are left out: they never run.
    """
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter")
    graph = grimp.build_graph("hidsim", exclude_type_checking_imports=True)
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    circles = [sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1]
    assert circles == []
