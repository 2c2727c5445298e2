"""Every notebook runs top to bottom on a fresh kernel (fast mode)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


DEFAULT = "01_quickstart.ipynb"
"""The notebook of the default suite; the others run in CI's ``slow`` step."""


@pytest.mark.parametrize("path", [pytest.param(p, marks=[] if p.name == DEFAULT else
                                               [pytest.mark.slow]) for p in NOTEBOOKS],
                         ids=lambda p: p.name)
def test_notebook_runs(path, monkeypatch):
    monkeypatch.setenv("SIMCC_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for cell in notebook.cells for o in cell.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


def test_there_is_a_notebook():
    assert NOTEBOOKS and DEFAULT in {p.name for p in NOTEBOOKS}
