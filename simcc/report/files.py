"""Writing a result to a folder: the KPI tables as CSV and the JSON object. Record tables
are written by the run itself (Parquet, :class:`simcc.experiment.records_out.RecordsSpec`).
Every file is written to a temporary name and renamed into place, so an interrupted run
never leaves a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from simcc.errors import SimccError
from simcc.experiment.result import Result
from simcc.report.wfm_export import wfm_intervals
from simcc.runtime import write_atomic

TABLES = ("kpis", "replication_kpis", "intervals")
"""The KPI tables of a result, written as ``NAME.csv``."""


def write_result(result: Result, folder: Path) -> list[Path]:
    """Write ``result``'s KPI tables and ``result.json`` into ``folder`` (created if
    needed); return the written paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        frame = getattr(result, name)
        if frame is None or frame.empty:
            continue
        written.append(write_atomic(folder / f"{name}.csv",
                                    lambda p, f=frame: f.to_csv(p, index=False)))
    if result.intervals is not None and not result.intervals.empty:
        wfm = wfm_intervals(result)
        written.append(write_atomic(folder / "intervals_wfm.csv",
                                    lambda p: wfm.to_csv(p, index=False)))
    text = json.dumps(result.to_json(), indent=2)
    written.append(write_atomic(folder / "result.json", lambda p: Path(p).write_text(text)))
    return written


def write_comparison(comparison, folder: Path) -> list[Path]:
    """Write a comparison: ``kpis.csv`` (every run), ``differences.csv`` and
    ``comparison.json``; each file atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(comparison.to_json(), indent=2)
    return [
        write_atomic(folder / "kpis.csv", lambda p: comparison.kpis.to_csv(p, index=False)),
        write_atomic(folder / "differences.csv",
                     lambda p: comparison.differences.to_csv(p, index=False)),
        write_atomic(folder / "comparison.json", lambda p: Path(p).write_text(text)),
    ]


def write_text_atomic(target: Path, text: str) -> Path:
    """Write ``text`` to ``target`` through a temporary file and a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(target, lambda p: Path(p).write_text(text))



def check_writable(target: Path, option: str) -> None:
    """Raise :class:`~simcc.errors.SimccError` (``"OPTION TARGET: ..."``) unless a file
    can be written at ``target``: it is not a folder, and its folder, or the nearest one
    that exists (the missing ones are created on writing), is a folder where a file can
    be created. Checked by creating and removing a temporary file, so that a command can
    refuse before its work rather than fail after it."""
    target = Path(os.path.abspath(target))
    if target.is_dir():
        raise SimccError(f"{option} {target}: is a folder; name a file")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise SimccError(f"{option} {target}: {folder} is not a folder")
    try:
        handle, name = tempfile.mkstemp(prefix=".simcc-probe.", dir=folder)
        os.close(handle)
        os.unlink(name)
    except OSError as error:
        raise SimccError(f"{option} {target}: cannot write there "
                         f"({error.strerror or error})") from None
