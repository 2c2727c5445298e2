"""Writing a result to a folder: CSV tables (Parquet too when pyarrow is present) and
the JSON object. Every file is written to a temporary name and renamed into place, so
an interrupted run never leaves a half-written file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from simcc.experiment.result import Result
from simcc.runtime import write_atomic

TABLES = ("kpis", "replication_kpis", "intervals", "contacts", "legs", "agents", "issues")


def write_result(result: Result, folder: Path, records: bool = True) -> list[Path]:
    """Write ``result`` into ``folder`` (created if needed); return the written paths.
    ``records``: also the per-contact records held in memory (CSV and Parquet)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    parquet = _has_parquet()
    for name in TABLES if records else TABLES[:3]:
        frame = getattr(result, name)
        if frame is None or frame.empty:
            continue
        written.append(_atomic(folder / f"{name}.csv", lambda p, f=frame: f.to_csv(p, index=False)))
        if parquet and name in ("contacts", "legs", "agents", "issues"):
            written.append(_atomic(folder / f"{name}.parquet",
                                   lambda p, f=frame: f.to_parquet(p, index=False)))
    text = json.dumps(result.to_json(), indent=2)
    written.append(_atomic(folder / "result.json", lambda p: Path(p).write_text(text)))
    return written


def write_comparison(comparison, folder: Path) -> list[Path]:
    """Write a comparison: ``kpis.csv`` (every run), ``differences.csv`` and
    ``comparison.json``; each file atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(comparison.to_json(), indent=2)
    return [
        _atomic(folder / "kpis.csv", lambda p: comparison.kpis.to_csv(p, index=False)),
        _atomic(folder / "differences.csv",
                lambda p: comparison.differences.to_csv(p, index=False)),
        _atomic(folder / "comparison.json", lambda p: Path(p).write_text(text)),
    ]


def write_text_atomic(target: Path, text: str) -> Path:
    """Write ``text`` to ``target`` through a temporary file and a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return _atomic(target, lambda p: Path(p).write_text(text))


def _atomic(target: Path, write: Callable[[str], object]) -> Path:
    return write_atomic(target, write)


def _has_parquet() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True
