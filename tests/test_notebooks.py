"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, without an error, quickly.

The committed copies carry their outputs (regenerate them with
``.venv/bin/python notebooks/execute.py``); here they are executed afresh and only the run is
checked, not that the outputs are byte-identical.
"""

from __future__ import annotations

import time

import pytest

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01-tour.ipynb", "02-cohort-study.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_a_fresh_kernel(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    notebook = nbformat.read(path, as_version=4)
    committed = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.outputs for c in committed if c.source.strip()), f"{path.name} is committed without outputs"
    start = time.perf_counter()
    # A fresh kernel, run from an empty directory: the notebooks must not depend on the cwd.
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.perf_counter() - start
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, errors
    assert elapsed < 60, f"{path.name} took {elapsed:.0f} s"
    # Each notebook says the posteriors are model estimates, and shows at least one picture.
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "estimate" in text and "not clinical predictions" in text
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert images
    assert sorted(tmp_path.iterdir()) == []
