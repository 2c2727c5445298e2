"""Where per-contact records go: nowhere, into memory, or into Parquet files chunk by
chunk.

Modes (``--records``): ``none`` keeps no per-contact records (KPIs are accumulated on
the fly, memory does not grow with the number of contacts); ``sample`` keeps the
records of a fixed share of issues, chosen by a hash of the issue id (the same issues
under every policy, so samples of compared runs are paired); ``all`` keeps every record.

Kept records are either returned in memory (:class:`MemorySink`) or written to a folder
(:class:`ParquetSink`) as one Parquet file per table and replication,
``FOLDER/<table>/rep-<r>.parquet`` with a ``replication`` column, so
``pandas.read_parquet("FOLDER/contacts")`` reads all replications of a table. Each file is
written one row group per chunk under a temporary name and renamed when complete.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simcc.errors import SimccError

RECORD_MODES = ("none", "sample", "all")
RECORD_TABLES = ("contacts", "legs", "sessions", "issues")
SAMPLE_SHARE = 0.05
"""Share of issues kept by ``--records sample`` unless told otherwise."""
_HASH_MULTIPLIER = 0x9E3779B97F4A7C15  # Fibonacci hashing: spreads consecutive issue ids
_SORT_KEYS = {"contacts": ["arrival_s", "contact_id"], "legs": ["contact_id", "answered_s"],
              "sessions": ["start_s", "agent"], "issues": ["issue_id"]}


@dataclass(frozen=True)
class RecordsSpec:
    """What per-contact records a replication keeps: ``mode`` (see the module), the
    ``folder`` to write them to (None: return them in memory) and the ``share`` of
    issues a sample keeps."""

    mode: str = "all"
    folder: Path | None = None
    share: float = SAMPLE_SHARE

    def __post_init__(self) -> None:
        if self.mode not in RECORD_MODES:
            raise SimccError(f"records: unknown mode {self.mode!r}: use one of "
                             f"{', '.join(RECORD_MODES)}")
        if not 0.0 < self.share <= 1.0:
            raise SimccError(f"records: the sample share must be in (0, 1], got {self.share}")

    @classmethod
    def of(cls, records: RecordsSpec | str) -> RecordsSpec:
        """A spec from a mode name (or the spec itself)."""
        return records if isinstance(records, RecordsSpec) else cls(records)

    def sink(self, replication: int) -> MemorySink | ParquetSink | None:
        """Where replication ``replication`` sends its record chunks (None: nowhere)."""
        if self.mode == "none":
            return None
        share = self.share if self.mode == "sample" else None
        if self.folder is None:
            return MemorySink(share)
        return ParquetSink(self.folder, replication, share)


def sampled(frames: dict[str, pd.DataFrame], share: float | None) -> dict[str, pd.DataFrame]:
    """The records of the issues in the sample (every record when ``share`` is None);
    sessions are always kept whole."""
    if share is None:
        return frames
    keep_issue = frames["contacts"]["issue_id"].to_numpy()[in_sample(
        frames["contacts"]["issue_id"].to_numpy(), share)]
    contacts = frames["contacts"][frames["contacts"]["issue_id"].isin(keep_issue)]
    out = dict(frames)
    out["contacts"] = contacts.reset_index(drop=True)
    out["legs"] = frames["legs"][frames["legs"]["contact_id"].isin(
        contacts["contact_id"])].reset_index(drop=True)
    out["issues"] = frames["issues"][frames["issues"]["issue_id"].isin(
        keep_issue)].reset_index(drop=True)
    return out


def in_sample(issue_ids: np.ndarray, share: float) -> np.ndarray:
    """Whether each issue is in a sample of ``share`` of all issues (deterministic)."""
    hashed = (issue_ids.astype(np.uint64) * np.uint64(_HASH_MULTIPLIER)) >> np.uint64(11)
    return hashed < np.uint64(share * 2.0**53)


class MemorySink:
    """Collects the record chunks of a replication; :meth:`close` returns one DataFrame
    per table, in the order of :func:`~simcc.metrics.records.to_frames`."""

    def __init__(self, share: float | None = None):
        self.share = share
        self._parts: dict[str, list[pd.DataFrame]] = {name: [] for name in RECORD_TABLES}

    def add(self, frames: dict[str, pd.DataFrame]) -> None:
        for name, frame in sampled(frames, self.share).items():
            self._parts[name].append(frame)

    def close(self) -> dict[str, pd.DataFrame]:
        out = {}
        for name, parts in self._parts.items():
            filled = [part for part in parts if len(part)] or parts[:1]
            frame = pd.concat(filled, ignore_index=True) if len(filled) > 1 else filled[0]
            out[name] = frame.sort_values(_SORT_KEYS[name], kind="stable", ignore_index=True)
        return out


class ParquetSink:
    """Writes the record chunks of replication ``replication`` to
    ``folder/<table>/rep-<replication>.parquet``, one row group per chunk."""

    def __init__(self, folder: Path, replication: int, share: float | None = None):
        self.pyarrow = _import_pyarrow()
        self.share = share
        self.replication = replication
        self._targets = {name: Path(folder) / name / f"rep-{replication:03d}.parquet"
                         for name in RECORD_TABLES}
        self._writers: dict[str, object] = {}

    def _temporary(self, name: str) -> Path:
        target = self._targets[name]
        return target.with_name(f".{target.name}.partial")

    def add(self, frames: dict[str, pd.DataFrame]) -> None:
        pa, pq = self.pyarrow
        for name, frame in sampled(frames, self.share).items():
            if frame.empty:
                continue
            table = pa.Table.from_pandas(frame.assign(replication=self.replication),
                                         preserve_index=False)
            writer = self._writers.get(name)
            if writer is None:
                self._temporary(name).parent.mkdir(parents=True, exist_ok=True)
                writer = self._writers[name] = pq.ParquetWriter(self._temporary(name),
                                                                table.schema)
            writer.write_table(table.cast(writer.schema))

    def close(self) -> None:
        """Finish the files and move them into place; returns nothing to keep in memory."""
        for name, writer in self._writers.items():
            writer.close()
            os.replace(self._temporary(name), self._targets[name])


def _import_pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise SimccError("writing records needs pyarrow: pip install pyarrow") from None
    return pa, pq
