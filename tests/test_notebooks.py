"""The analyst notebook runs top to bottom on generated data (the bench's generator, 20,000 events)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotty.bench.report_bench import generate

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "analysis.ipynb"


def test_analysis_notebook_runs(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    generate(data_dir, 20_000)
    monkeypatch.setenv("LOTTY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LOTTY_EXPERIMENT", "bench")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "bench (running)" in text and "SRM p =" in text
