"""docs/kpis.md lists the record tables as they are written (Parquet, `sessions`)."""

import re
from pathlib import Path

import pandas as pd
from helpers import small

import simcc
from simcc.experiment.records_out import RECORD_TABLES, RecordsSpec

DOC = Path(__file__).resolve().parents[1] / "docs" / "kpis.md"


def documented_columns() -> dict[str, str]:
    """Table name -> the text of its bullet in docs/kpis.md."""
    items = re.findall(r"^- `(\w+)`: (.*?)(?=^- `|^\s*$)", DOC.read_text(), re.M | re.S)
    return {name: text for name, text in items}


def test_every_record_table_and_column_is_documented(tmp_path):
    simcc.simulate(small(horizon={"duration": "30m"}), replications=1,
                   records=RecordsSpec("all", folder=tmp_path))
    documented = documented_columns()
    assert "agents" not in documented  # the log-in periods are the `sessions` table
    for table in RECORD_TABLES:
        columns = pd.read_parquet(tmp_path / table).columns
        words = set(re.findall(r"\w+", documented[table]))
        assert set(columns) <= words, (table, set(columns) - words)
    assert "rep-NNN.parquet" in DOC.read_text()
