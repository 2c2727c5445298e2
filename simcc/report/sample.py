"""The record sample behind the report's record-based figures (wait distribution,
journeys).

Every other figure is drawn from the run's accumulated totals (``Result.intervals``,
``Result.kpis``), which do not depend on the records kept. The two figures that need
per-contact records use the *same* sample whatever ``--records`` was: the issues that
:func:`simcc.experiment.records_out.in_sample` puts in a ``SAMPLE_SHARE`` sample (a
hash of the issue id). Records kept in memory (all or a sample) or written to Parquet
files (``--records all`` or ``sample`` with ``--out``) are reduced to those issues, so
the page is the same in every records mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simcc.experiment.records_out import SAMPLE_SHARE, in_sample
from simcc.experiment.result import Result

_CONTACT_COLUMNS = ["replication", "issue_id", "contact_id", "channel", "arrival_s",
                    "answered", "wait_s"]
_LEG_COLUMNS = ["replication", "contact_id", "leg", "group", "answered_s"]


@dataclass(frozen=True)
class RecordSample:
    """The sampled records: ``contacts`` and ``legs`` (columns of the figures that use
    them) of the issues in a ``share`` sample of all issues, every replication."""

    contacts: pd.DataFrame
    legs: pd.DataFrame
    share: float = SAMPLE_SHARE

    @property
    def issues(self) -> int:
        """Number of sampled issues (summed over replications)."""
        return int(self.contacts[["replication", "issue_id"]].drop_duplicates().shape[0])

    def describe(self) -> str:
        """``"sample: 5 % of issues (hash of the issue id), 253 issues, 262 contacts"``."""
        return (f"sample: {self.share:.0%} of issues (chosen by a hash of the issue id), "
                f"{self.issues:,} issues, {len(self.contacts):,} contacts")


def record_sample(result: Result, folder: Path | None = None,
                  share: float = SAMPLE_SHARE) -> RecordSample | None:
    """The ``share`` sample of the records of ``result``: from its records in memory
    when it has some, else from the Parquet files under ``folder`` (``OUT/records``),
    else None (no records were kept)."""
    if not result.contacts.empty:
        return _sample_frames(result.contacts, result.legs, share)
    if folder is not None and (Path(folder) / "contacts").is_dir():
        return _sample_files(Path(folder), share)
    return None


def _sample_frames(contacts: pd.DataFrame, legs: pd.DataFrame,
                   share: float) -> RecordSample:
    keep = in_sample(contacts["issue_id"].to_numpy(), share)
    contacts = contacts.loc[keep, _CONTACT_COLUMNS]
    legs = legs[_LEG_COLUMNS].merge(contacts[["replication", "contact_id"]],
                                    on=["replication", "contact_id"])
    return _sorted(contacts, legs, share)


def _sample_files(folder: Path, share: float) -> RecordSample:
    """Read only the sampled rows: issue ids first, then the contacts of the sampled
    issues and their legs (Parquet filters), so memory stays that of the sample."""
    ids = pd.read_parquet(folder / "contacts", columns=["issue_id"])["issue_id"].to_numpy()
    sampled = np.unique(ids[in_sample(ids, share)])
    contacts = pd.read_parquet(folder / "contacts", columns=_CONTACT_COLUMNS,
                               filters=[("issue_id", "in", sampled.tolist())])
    legs = pd.DataFrame(columns=_LEG_COLUMNS)
    if (folder / "legs").is_dir() and len(contacts):
        legs = pd.read_parquet(folder / "legs", columns=_LEG_COLUMNS,
                               filters=[("contact_id", "in",
                                         np.unique(contacts["contact_id"]).tolist())])
        legs = legs.merge(contacts[["replication", "contact_id"]],
                          on=["replication", "contact_id"])
    return _sorted(contacts, legs, share)


def _sorted(contacts: pd.DataFrame, legs: pd.DataFrame, share: float) -> RecordSample:
    """One row order and plain dtypes whatever the source (memory or files)."""
    contacts = contacts.astype({"channel": str}).sort_values(
        ["replication", "arrival_s", "contact_id"], kind="stable", ignore_index=True)
    legs = legs.astype({"group": str}).sort_values(
        ["replication", "contact_id", "leg"], kind="stable", ignore_index=True)
    return RecordSample(contacts, legs, share)
