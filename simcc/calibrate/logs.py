"""Contact logs: a generic per-contact format, and loaders for real call-center data.

A contact log has one row per contact attempt with the columns of :data:`LOG_COLUMNS`
(documented in ``docs/log_format.md``). Loaders never drop a row silently: every
dropped row is counted under a named reason, and rows kept but suspect are counted too,
in :attr:`ContactLog.problems`; :meth:`ContactLog.summary` explains each count.

Loaders
-------
:func:`load_generic`
    the generic format, CSV or Parquet.
:func:`load_anonymous_bank`
    the "Anonymous Bank" call-center records (Israel, 1999; Technion SEE Center,
    I. Guedj and A. Mandelbaum; Brown et al. 2005, JASA 100(469):36-50), mapped to the
    generic format with its quirks handled (see ``docs/log_format.md``).
:func:`load_log`
    either of the above by name.

All timestamps are naive local times (``datetime64[ns]``); durations are in seconds.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from simcc.errors import SimccError

LOG_COLUMNS = (
    "contact_id", "customer_id", "channel", "intent", "segment",
    "arrival", "queue_entry", "queue_exit", "answer", "end",
    "outcome", "agent",
)
"""The columns of the generic contact-log format, in order."""

TIMESTAMP_COLUMNS = ("arrival", "queue_entry", "queue_exit", "answer", "end")
CATEGORY_COLUMNS = ("channel", "intent", "segment", "agent")
ID_COLUMNS = ("contact_id", "customer_id")

OUTCOMES = ("handled", "abandoned", "self_service")
"""Allowed ``outcome`` values: served by an agent, left the agent queue before an
answer, ended before reaching the agent queue (e.g. IVR only)."""

MON_FRI = (0, 1, 2, 3, 4)
"""Monday to Friday in Python weekday numbers (Monday = 0)."""

BANK_WORKING_WEEK = (6, 0, 1, 2, 3)
"""Sunday to Thursday: the working week of the Anonymous Bank (Israel)."""

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

ORDER_TOLERANCE_S = 5.0
"""Clock disagreement tolerated between subsystems (IVR, queue, agent), seconds."""

SHORT_SERVICE_S = 10.0
"""Services this short or shorter (seconds) are counted as suspect (kept)."""

_DAY_S = 86400
_MISSING_TOKENS = frozenset({"", "NaT", "NaN", "nan", "NA", "<NA>", "None", "null", "NULL"})
_TZ_SUFFIX = re.compile(r"^(.*\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")

# Dropped rows are counted under exactly one of these reasons (the first that applies).
DROP_REASONS = frozenset({
    "missing_contact_id", "invalid_outcome", "unparseable_timestamp", "missing_arrival",
    "malformed_line", "unparseable_field", "phantom", "invalid_type", "invalid_priority",
})

PROBLEM_TEXT = {
    # generic format, dropped
    "missing_contact_id": "dropped: empty contact_id",
    "invalid_outcome": "dropped: outcome not one of " + ", ".join(OUTCOMES),
    "unparseable_timestamp": "dropped: a timestamp that is not ISO 8601",
    "missing_arrival": "dropped: empty arrival",
    # generic format, kept
    "timezone_removed": "kept: UTC offset removed, wall-clock time kept (naive local time)",
    "missing_channel": "kept: empty channel",
    "missing_intent": "kept: empty intent",
    "missing_segment": "kept: empty segment",
    "handled_without_answer": "kept: handled but no answer time (no wait or handle time)",
    "abandoned_with_answer": "kept: abandoned but an answer time is given",
    "abandoned_without_queue_entry": "kept: abandoned but no queue_entry (no patience data)",
    "self_service_with_queue_or_answer": "kept: self_service but queue_entry or answer given",
    # Anonymous Bank, dropped
    "malformed_line": "dropped: a line with too many or too few fields",
    "unparseable_field": "dropped: date (yymmdd) or a time (h:mm:ss) that cannot be read",
    "phantom": "dropped: PHANTOM (virtual) call; the documentation says to ignore them",
    "invalid_type": "dropped: type not one of PS, PE, IN, NE, NW, TT (e.g. AA)",
    "invalid_priority": "dropped: priority not 0, 1 or 2",
    # Anonymous Bank, kept
    "priority_0": "kept as segment 'regular': priority 0 (the 'did not wait' bug: customer "
                  "id not recorded for callers who did not queue); not a segment property",
    "scientific_customer_id": "kept, id as written: customer_id in scientific notation "
                              "(precision lost by a spreadsheet); repeat linking approximate",
    "agent_without_service": "kept as handled with empty answer/end: AGENT without a service "
                             "start (queue times kept when queued)",
    "agent_no_server": "kept as handled with empty agent: AGENT with server NO_SERVER",
    "hang_with_service": "HANG with service times: abandoned (queued) or self_service, service "
                         "times discarded; handled instead when a named server is recorded",
    "crossed_midnight": "kept: a time more than 1 h before vru_entry was moved to the next "
                        "day (+24 h)",
    "midnight_recovered": "kept: a 0:00:00 read as midnight, not missing, because the paired "
                          "time and the duration field agree",
    "duration_mismatch": "kept: q_time or ser_time differs from exit - start",
    # both formats, kept (consistency of the generic rows)
    "queue_entry_before_arrival": "kept: queue_entry more than 5 s before arrival (clock skew)",
    "answer_before_arrival": "kept: answer more than 5 s before arrival (clock skew)",
    "queue_exit_before_entry": "kept: queue_exit before queue_entry (negative wait)",
    "answer_before_queue_entry": "kept: answer more than 5 s before queue_entry",
    "answer_far_from_queue_exit": "kept: answer more than 5 s away from queue_exit",
    "end_before_answer": "kept: end before answer (negative handle time)",
    "short_service": "kept: handled with end - answer <= 10 s (likely artefacts)",
    "duplicate_contact_id": "kept: contact_id shared by several rows (rows counted)",
}
"""What each problem name means and what the loader did about it."""


@dataclass
class ContactLog:
    """A contact log in the generic format, with the problems met while loading it.

    Attributes
    ----------
    records : pandas.DataFrame
        One row per contact, the columns of :data:`LOG_COLUMNS` in order, sorted by
        ``arrival``. Timestamps are ``datetime64[ns]`` (naive local time, NaT when
        empty); ``contact_id`` and ``customer_id`` are ``string``; ``channel``,
        ``intent``, ``segment``, ``agent`` are categorical; ``outcome`` is categorical
        with categories :data:`OUTCOMES`.
    problems : dict of str to int
        Problem name -> number of rows affected (only problems that occurred). Names in
        :data:`DROP_REASONS` counted dropped rows, each dropped row under one name; the
        others counted kept but suspect rows (a row may count under several names).
        :data:`PROBLEM_TEXT` says what each means.
    source : str
        Where the log came from (paths).
    rows_read : int
        Data rows read from the source(s), before dropping.
    working_week : tuple of int
        Python weekday numbers (Monday = 0) of the working week; ``filter_days``
        uses it for ``"weekdays"``.
    format : str
        ``"generic"`` or ``"anonymous-bank"``.
    history : list of str
        Filters applied since loading, with row counts.
    """

    records: pd.DataFrame
    problems: dict[str, int] = field(default_factory=dict)
    source: str = ""
    rows_read: int = 0
    working_week: tuple[int, ...] = MON_FRI
    format: str = "generic"
    history: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def rows_dropped(self) -> int:
        """Rows dropped while loading (sum of the dropping problems)."""
        return sum(n for name, n in self.problems.items() if name in DROP_REASONS)

    def days(self) -> list[dt.date]:
        """The distinct dates of ``arrival``, sorted."""
        arrival = self.records["arrival"].dropna()
        return [ts.date() for ts in sorted(arrival.dt.normalize().unique())]

    def summary(self) -> str:
        """Readable multi-line text: rows read and kept, each problem with its count and
        what was done, outcomes and days."""
        kept = self.rows_read - self.rows_dropped
        lines = [
            f"contact log ({self.format}): {self.source}",
            f"  rows read: {self.rows_read}",
            f"  rows kept: {kept} ({self.rows_dropped} dropped)",
        ]
        dropped = sorted((n, k) for k, n in self.problems.items() if k in DROP_REASONS)
        flagged = sorted((n, k) for k, n in self.problems.items() if k not in DROP_REASONS)
        for title, items in (("dropped rows", dropped), ("kept but flagged", flagged)):
            if items:
                lines.append(f"  {title}:")
                for count, name in reversed(items):
                    text = PROBLEM_TEXT.get(name, "")
                    lines.append(f"    {name:<34} {count:>7}  {text}")
        if not self.problems:
            lines.append("  no problems found")
        for step in self.history:
            lines.append(f"  {step}")
        if self.history:
            lines.append(f"  rows in this log: {len(self.records)}")
        counts = self.records["outcome"].value_counts()
        lines.append("  outcomes: " + ", ".join(f"{o} {int(counts.get(o, 0))}" for o in OUTCOMES))
        days = self.days()
        if days:
            lines.append(f"  days: {len(days)} ({days[0]} to {days[-1]})")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- helpers


class _Tally:
    """Counts rows dropped under one reason each (the first that applies)."""

    def __init__(self, n: int):
        self.dropped = np.zeros(n, dtype=bool)
        self.problems: dict[str, int] = {}

    def drop(self, name: str, mask: np.ndarray) -> None:
        new = np.asarray(mask, dtype=bool) & ~self.dropped
        count = int(new.sum())
        if count:
            self.problems[name] = self.problems.get(name, 0) + count
            self.dropped |= new


def _count(problems: dict[str, int], name: str, mask: np.ndarray | pd.Series) -> None:
    count = int(np.asarray(mask, dtype=bool).sum())
    if count:
        problems[name] = problems.get(name, 0) + count


def _as_paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    out = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not out:
        raise SimccError("no contact-log file given")
    for path in out:
        if not path.is_file():
            raise SimccError(f"{path}: no such file")
    return out


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The generic columns in order, with their dtypes, sorted by arrival."""
    out = pd.DataFrame(index=frame.index)
    for col in LOG_COLUMNS:
        values = frame[col]
        if col in TIMESTAMP_COLUMNS:
            out[col] = pd.to_datetime(values).astype("datetime64[ns]")
        elif col == "outcome":
            out[col] = pd.Categorical(values.astype(object), categories=list(OUTCOMES))
        elif col in ID_COLUMNS:
            out[col] = values.astype("string")
        else:
            out[col] = values.astype("string").astype("category")
    out = out.sort_values(["arrival", "contact_id"], kind="stable", na_position="last")
    return out.reset_index(drop=True)


def _check_records(rec: pd.DataFrame, problems: dict[str, int]) -> None:
    """Count kept rows whose timestamps disagree (both formats)."""
    arrival, q_in, q_out, answer, end = (rec[c] for c in TIMESTAMP_COLUMNS)
    tol = pd.Timedelta(seconds=ORDER_TOLERANCE_S)
    handled = rec["outcome"].eq("handled").to_numpy(dtype=bool)
    _count(problems, "queue_entry_before_arrival", q_in < arrival - tol)
    _count(problems, "answer_before_arrival", answer < arrival - tol)
    _count(problems, "queue_exit_before_entry", q_out < q_in)
    _count(problems, "answer_before_queue_entry", answer < q_in - tol)
    _count(problems, "answer_far_from_queue_exit", ((answer - q_out).abs() > tol) & handled)
    _count(problems, "end_before_answer", end < answer)
    short = (end - answer) <= pd.Timedelta(seconds=SHORT_SERVICE_S)
    _count(problems, "short_service", short & handled)
    _count(problems, "duplicate_contact_id", rec["contact_id"].duplicated(keep=False))


def _combine(logs: Sequence[ContactLog]) -> ContactLog:
    """One log from several (records concatenated, counts added)."""
    if len(logs) == 1:
        return logs[0]
    records = pd.concat(
        [log.records.astype({c: object for c in CATEGORY_COLUMNS + ("outcome",)})
         for log in logs], ignore_index=True)
    problems: dict[str, int] = {}
    for log in logs:
        for name, count in log.problems.items():
            problems[name] = problems.get(name, 0) + count
    problems.pop("duplicate_contact_id", None)
    merged = _typed(records)
    _count(problems, "duplicate_contact_id", merged["contact_id"].duplicated(keep=False))
    return ContactLog(
        records=merged, problems=problems, source=", ".join(log.source for log in logs),
        rows_read=sum(log.rows_read for log in logs), working_week=logs[0].working_week,
        format=logs[0].format,
    )


# ----------------------------------------------------------------------- generic format


def _read_table(path: Path) -> pd.DataFrame:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".parquet":
        try:
            return pd.read_parquet(path)
        except ImportError as exc:
            raise SimccError(f"{path}: reading Parquet needs pyarrow or fastparquet "
                             "(pip install pyarrow); or write the log as CSV") from exc
    if ".csv" in suffixes:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise SimccError(f"{path}: cannot read as CSV: {exc}") from exc
    raise SimccError(f"{path}: unknown file type; the generic contact log is .csv, .csv.gz "
                     "or .parquet")


def _text(values: pd.Series) -> pd.Series:
    """Strings stripped of spaces, empty -> NA."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _timestamps(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse ISO 8601 text: ``(timestamps, unparseable mask, offset-removed mask)``."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = values.dt.tz_localize(None).astype("datetime64[ns]")
        tz = stamps.notna().to_numpy()
        return stamps, np.zeros(len(values), dtype=bool), tz
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.astype("datetime64[ns]"), np.zeros(len(values), dtype=bool), \
            np.zeros(len(values), dtype=bool)
    text = values.astype("string").str.strip().fillna("")
    present = ~text.isin(_MISSING_TOKENS).to_numpy(dtype=bool)
    candidates = text.where(present, None).astype(object)
    try:  # the common case: naive timestamps, parsed in one vectorized call
        parsed = pd.to_datetime(candidates, format="ISO8601", errors="coerce")
        naive = not isinstance(parsed.dtype, pd.DatetimeTZDtype)
    except (ValueError, TypeError):  # mixed UTC offsets
        naive = False
    tz = np.zeros(len(values), dtype=bool)
    if not naive:
        stripped = text.str.replace(_TZ_SUFFIX, r"\1", regex=True)
        tz = (stripped != text).to_numpy(dtype=bool) & present
        parsed = pd.to_datetime(stripped.where(present, None).astype(object), format="ISO8601",
                                errors="coerce")
    bad = present & parsed.isna().to_numpy(dtype=bool)
    return parsed.astype("datetime64[ns]"), bad, tz


def load_generic(path: str | Path) -> ContactLog:
    """Load a contact log in the generic format (``docs/log_format.md``).

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (optionally ``.csv.gz``) or ``.parquet`` file with a header row and
        the columns of :data:`LOG_COLUMNS` (extra columns are ignored). Timestamps are
        ISO 8601 naive local times (``2026-01-05 08:00:31``); empty means none.

    Returns
    -------
    ContactLog
        Rows with an empty ``contact_id`` or ``arrival``, an ``outcome`` outside
        :data:`OUTCOMES` or an unreadable timestamp are dropped and counted; rows whose
        timestamps disagree with each other or with the outcome are kept and counted.

    Raises
    ------
    SimccError
        The file is missing or unreadable, or a column is missing.
    """
    (path,) = _as_paths(path)
    raw = _read_table(path)
    missing = [c for c in LOG_COLUMNS if c not in raw.columns]
    if missing:
        raise SimccError(
            f"{path}: missing columns {', '.join(missing)}; a generic contact log needs the "
            f"columns {', '.join(LOG_COLUMNS)} (see docs/log_format.md)")
    raw = raw.reset_index(drop=True)
    tally = _Tally(len(raw))
    problems = tally.problems
    frame = pd.DataFrame(index=raw.index)
    for col in ID_COLUMNS + CATEGORY_COLUMNS:
        frame[col] = _text(raw[col])
    outcome = _text(raw["outcome"]).str.lower()
    frame["outcome"] = outcome
    bad_ts = np.zeros(len(raw), dtype=bool)
    tz = np.zeros(len(raw), dtype=bool)
    for col in TIMESTAMP_COLUMNS:
        frame[col], bad, shifted = _timestamps(raw[col])
        bad_ts |= bad
        tz |= shifted

    tally.drop("missing_contact_id", frame["contact_id"].isna().to_numpy())
    tally.drop("invalid_outcome", ~outcome.isin(OUTCOMES).fillna(False).to_numpy(dtype=bool))
    tally.drop("unparseable_timestamp", bad_ts)
    tally.drop("missing_arrival", frame["arrival"].isna().to_numpy())
    keep = ~tally.dropped
    _count(problems, "timezone_removed", tz & keep)
    for col in ("channel", "intent", "segment"):
        _count(problems, f"missing_{col}", frame[col].isna().to_numpy() & keep)

    records = _typed(frame[keep])
    outcome_of = records["outcome"]
    answered = records["answer"].notna()
    _count(problems, "handled_without_answer", outcome_of.eq("handled") & ~answered)
    _count(problems, "abandoned_with_answer", outcome_of.eq("abandoned") & answered)
    _count(problems, "abandoned_without_queue_entry",
           outcome_of.eq("abandoned") & records["queue_entry"].isna())
    _count(problems, "self_service_with_queue_or_answer",
           outcome_of.eq("self_service") & (records["queue_entry"].notna() | answered))
    _check_records(records, problems)
    return ContactLog(records=records, problems=problems, source=str(path),
                      rows_read=len(raw), format="generic")


# ------------------------------------------------------------------- Anonymous Bank 1999

BANK_FIELDS = (
    "vru+line", "call_id", "customer_id", "priority", "type", "date",
    "vru_entry", "vru_exit", "vru_time", "q_start", "q_exit", "q_time",
    "outcome", "ser_start", "ser_exit", "ser_time", "server",
)
BANK_TYPES = ("PS", "PE", "IN", "NE", "NW", "TT")
_BANK_TIMES = ("vru_entry", "q_start", "q_exit", "ser_start", "ser_exit")
_SCIENTIFIC = r"^[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+$"
_SKEW_S = 3600  # a time up to 1 h before vru_entry is clock skew, more is the next day


def _read_bank_file(path: Path) -> tuple[pd.DataFrame, int, int]:
    """``(fields as text, data rows read, malformed lines)`` of one monthly file.

    A line is malformed when its number of whitespace-separated fields differs from the
    header's; malformed lines are left out of the frame (and counted by the caller).
    """
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError) as exc:
        raise SimccError(f"{path}: cannot read: {exc}") from exc
    lines = [line for line in data.splitlines() if line.strip()]
    if not lines:
        raise SimccError(f"{path}: empty file; expected Anonymous Bank records with the header "
                         f"{' '.join(BANK_FIELDS)}")
    header = lines[0].decode("ascii", errors="replace").split()
    missing = [c for c in BANK_FIELDS if c not in header]
    if missing:
        raise SimccError(f"{path}: missing columns {', '.join(missing)}; an Anonymous Bank file "
                         f"has the header {' '.join(BANK_FIELDS)}")
    width = len(header)
    good = [line for line in lines[1:] if len(line.split()) == width]
    try:
        frame = pd.read_csv(io.BytesIO(b"\n".join([lines[0], *good])), sep=r"\s+", dtype=str,
                            keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SimccError(f"{path}: cannot read as Anonymous Bank records: {exc}") from exc
    rows = len(lines) - 1
    return frame[list(BANK_FIELDS)], rows, rows - len(good)


def _clock_seconds(values: pd.Series) -> np.ndarray:
    """``h:mm:ss`` or ``hh:mm:ss`` -> seconds after midnight (float); NaN when unreadable.

    Vectorized: the zero-padded text is read as 8 bytes per value.
    """
    text = values.astype(str)
    ok = text.str.len().isin((7, 8)).to_numpy() & text.str.isascii().to_numpy()
    padded = text.str.zfill(8).where(ok, "xx:xx:xx")
    raw = np.array(padded.tolist(), dtype="S8").view(np.uint8).reshape(-1, 8)
    d = raw.astype(np.int64) - ord("0")
    digits = d[:, [0, 1, 3, 4, 6, 7]]
    ok &= (raw[:, 2] == ord(":")) & (raw[:, 5] == ord(":"))
    ok &= ((digits >= 0) & (digits <= 9)).all(axis=1)
    hours, minutes, seconds = d[:, 0] * 10 + d[:, 1], d[:, 3] * 10 + d[:, 4], d[:, 6] * 10 + d[:, 7]
    ok &= (hours < 24) & (minutes < 60) & (seconds < 60)
    return np.where(ok, hours * 3600 + minutes * 60 + seconds, np.nan).astype(float)


def load_anonymous_bank(paths: str | Path | Iterable[str | Path]) -> ContactLog:
    """Load Anonymous Bank call-center records (one or several monthly files).

    Parameters
    ----------
    paths : str, Path or iterable of them
        Tab/space-separated ``.txt`` or gzipped ``.txt.gz`` files with the header
        ``vru+line call_id customer_id priority type date vru_entry vru_exit vru_time
        q_start q_exit q_time outcome ser_start ser_exit ser_time server``.

    Returns
    -------
    ContactLog
        In the generic format, with ``working_week`` Sunday to Thursday. Mapping:
        ``contact_id = vru+line-date-call_id``, ``customer_id`` (``0`` -> empty),
        ``channel = voice``, ``intent = type``, ``segment = high`` (priority 2) or
        ``regular`` (0, 1), ``arrival = vru_entry``, ``queue_entry = q_start``,
        ``queue_exit = q_exit``, ``answer = ser_start``, ``end = ser_exit``,
        ``agent = server`` (``NO_SERVER`` -> empty). Outcome: AGENT -> handled;
        HANG -> abandoned when queued, else self_service; PHANTOM dropped.

    Notes
    -----
    Quirks handled (each counted in ``problems``; rules in ``docs/log_format.md``):
    times of day relative to ``date`` (``0:00:00`` = missing, unless the paired time
    and duration show it is midnight); times more than 1 h before ``vru_entry`` are on
    the next day; PHANTOM, invalid type (``AA``) and unreadable rows dropped; AGENT
    without service start kept as handled without answer; AGENT with ``NO_SERVER``
    kept as handled; HANG with service times kept as abandoned (service times
    discarded) unless a named server is recorded (then handled); priority 0,
    scientific-notation customer ids and services <= 10 s kept and counted.
    """
    path_list = _as_paths(paths)
    frames, rows_read, skipped = [], 0, 0
    for path in path_list:
        frame, rows, lost = _read_bank_file(path)
        frames.append(frame)
        rows_read += rows
        skipped += lost
    raw = pd.concat(frames, ignore_index=True)
    tally = _Tally(len(raw))
    if skipped:
        tally.problems["malformed_line"] = skipped

    date = pd.to_datetime(raw["date"], format="%y%m%d", errors="coerce")
    clock = {c: _clock_seconds(raw[c]) for c in _BANK_TIMES}
    unreadable = date.isna().to_numpy() | np.logical_or.reduce(
        [np.isnan(v) for v in clock.values()])
    tally.drop("unparseable_field", unreadable)
    outcome = raw["outcome"].to_numpy(dtype=object)
    tally.drop("phantom", outcome == "PHANTOM")
    tally.drop("invalid_type", ~raw["type"].isin(BANK_TYPES).to_numpy())
    tally.drop("invalid_outcome", ~np.isin(outcome, ("AGENT", "HANG")))
    tally.drop("invalid_priority", ~raw["priority"].isin(("0", "1", "2")).to_numpy())
    problems = tally.problems

    keep = ~tally.dropped
    raw = raw[keep].reset_index(drop=True)
    date = date[keep].reset_index(drop=True)
    clock = {c: v[keep] for c, v in clock.items()}
    q_time = pd.to_numeric(raw["q_time"], errors="coerce").to_numpy(dtype=float)
    ser_time = pd.to_numeric(raw["ser_time"], errors="coerce").to_numpy(dtype=float)

    # 0:00:00 means "missing", unless the paired time and the duration say midnight.
    present = {c: clock[c] != 0 for c in _BANK_TIMES[1:]}
    present["vru_entry"] = np.ones(len(raw), dtype=bool)
    recovered = np.zeros(len(raw), dtype=bool)
    for start, end, duration in (("q_start", "q_exit", q_time),
                                 ("ser_start", "ser_exit", ser_time)):
        fix_start = (~present[start] & present[end]
                     & ((clock[end] - duration) % _DAY_S == 0))
        fix_end = (present[start] & ~present[end]
                   & ((clock[start] + duration) % _DAY_S == 0) & (duration > 0))
        present[start] = present[start] | fix_start
        present[end] = present[end] | fix_end
        recovered |= fix_start | fix_end

    # Offsets from vru_entry in seconds; more than 1 h earlier = the next day.
    entry = clock["vru_entry"]
    offset: dict[str, np.ndarray] = {"vru_entry": np.zeros(len(raw))}
    crossed = np.zeros(len(raw), dtype=bool)
    for col in _BANK_TIMES[1:]:
        off = np.where(present[col], clock[col] - entry, np.nan)
        later = off < -_SKEW_S
        off = np.where(later, off + _DAY_S, off)
        crossed |= later
        offset[col] = off
    base = date + pd.to_timedelta(entry, unit="s")

    def stamp(col: str, where: np.ndarray) -> pd.Series:
        off = np.where(where, offset[col], np.nan)
        return (base + pd.to_timedelta(off, unit="s")).astype("datetime64[ns]")

    is_agent = outcome[keep] == "AGENT"
    is_hang = ~is_agent
    server = raw["server"]
    named = (server != "NO_SERVER").to_numpy()
    served = present["ser_start"]
    queued = present["q_start"]
    handled = is_agent | (is_hang & served & named)
    abandoned = ~handled & queued

    customer = raw["customer_id"].astype("string")
    frame = pd.DataFrame({
        "contact_id": raw["vru+line"] + "-" + raw["date"] + "-" + raw["call_id"],
        "customer_id": customer.mask(customer == "0"),
        "channel": "voice",
        "intent": raw["type"],
        "segment": np.where(raw["priority"].to_numpy() == "2", "high", "regular"),
        "arrival": base.astype("datetime64[ns]"),
        "queue_entry": stamp("q_start", queued),
        "queue_exit": stamp("q_exit", present["q_exit"]),
        "answer": stamp("ser_start", handled & served),
        "end": stamp("ser_exit", handled & served & present["ser_exit"]),
        "outcome": np.select([handled, abandoned], ["handled", "abandoned"], "self_service"),
        "agent": server.astype("string").where(handled & named),
    })

    _count(problems, "priority_0", raw["priority"] == "0")
    _count(problems, "scientific_customer_id", customer.str.fullmatch(_SCIENTIFIC).fillna(False))
    _count(problems, "agent_without_service", is_agent & ~served)
    _count(problems, "agent_no_server", handled & ~named)
    _count(problems, "hang_with_service", is_hang & (served | present["ser_exit"]))
    _count(problems, "crossed_midnight", crossed)
    _count(problems, "midnight_recovered", recovered)
    q_diff = offset["q_exit"] - offset["q_start"]
    s_diff = offset["ser_exit"] - offset["ser_start"]
    _count(problems, "duration_mismatch",
           (np.abs(q_diff - q_time) > 0.5) | (np.abs(s_diff - ser_time) > 0.5))
    records = _typed(frame)
    _check_records(records, problems)
    return ContactLog(records=records, problems=problems,
                      source=", ".join(str(p) for p in path_list), rows_read=rows_read,
                      working_week=BANK_WORKING_WEEK, format="anonymous-bank")


# ------------------------------------------------------------------ dispatch and filters

FORMATS = ("generic", "anonymous-bank")


def load_log(paths: str | Path | Iterable[str | Path], format: str = "generic") -> ContactLog:
    """Load a contact log in the named format.

    Parameters
    ----------
    paths : str, Path or iterable of them
        One or several files; several generic files are concatenated.
    format : {"generic", "anonymous-bank"}
        The file format (``anonymous_bank`` and ``bank`` are accepted too).

    Returns
    -------
    ContactLog
    """
    name = format.strip().lower().replace("_", "-")
    if name == "generic":
        return _combine([load_generic(p) for p in _as_paths(paths)])
    if name in ("anonymous-bank", "bank"):
        return load_anonymous_bank(paths)
    raise SimccError(f"unknown contact-log format {format!r}; use one of {', '.join(FORMATS)}")


def _weekday_numbers(days: object, week: tuple[int, ...]) -> set[int]:
    def one(value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            for number, name in enumerate(DAY_NAMES):
                if len(text) >= 3 and name.startswith(text):
                    return number
        raise SimccError(f"unknown day {value!r}: use 'all', 'weekdays', 'weekends', a day "
                         "name ('sunday', 'sun') or Python weekday numbers (Monday = 0)")

    if isinstance(days, str):
        key = days.strip().lower()
        if key == "all":
            return set(range(7))
        if key in ("weekdays", "working", "workdays"):
            return set(week)
        if key in ("weekends", "weekend"):
            return set(range(7)) - set(week)
        return {one(days)}
    if isinstance(days, Iterable):
        return {one(d) for d in days}
    return {one(days)}


def _as_date(value: object, what: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise SimccError(f"{what}: cannot read {value!r} as a date (use 1999-06-01)") from exc
    if pd.isna(stamp):
        raise SimccError(f"{what}: cannot read {value!r} as a date (use 1999-06-01)")
    return stamp.normalize()


def filter_days(log: ContactLog, days: object = "all", start: object = None,
                end: object = None, weekdays: Sequence[int] | None = None) -> ContactLog:
    """Keep the contacts that arrived on some days.

    Parameters
    ----------
    log : ContactLog
        The log to filter (not changed).
    days : str or iterable, default "all"
        ``"all"``; ``"weekdays"`` (the working week); ``"weekends"`` (the other days);
        a day name (``"friday"``, ``"fri"``); or an iterable of day names or Python
        weekday numbers (Monday = 0, Sunday = 6).
    start, end : date-like, optional
        First and last date to keep, both inclusive (``"1999-06-01"``).
    weekdays : sequence of int, optional
        The working week in Python weekday numbers; default ``log.working_week``:
        Sunday to Thursday ``(6, 0, 1, 2, 3)`` for the Anonymous Bank, Monday to Friday
        for the generic format.

    Returns
    -------
    ContactLog
        A new log with the selected rows; ``problems`` are those of loading and
        ``history`` records the filter.
    """
    week = tuple(weekdays) if weekdays is not None else log.working_week
    wanted = _weekday_numbers(days, week)
    arrival = log.records["arrival"]
    date = arrival.dt.normalize()
    mask = arrival.dt.day_of_week.isin(sorted(wanted)).to_numpy(dtype=bool).copy()
    first = _as_date(start, "start") if start is not None else None
    last = _as_date(end, "end") if end is not None else None
    if first is not None and last is not None and first > last:
        raise SimccError(f"start {first.date()} is after end {last.date()}")
    if first is not None:
        mask &= (date >= first).to_numpy(dtype=bool)
    if last is not None:
        mask &= (date <= last).to_numpy(dtype=bool)
    records = log.records[mask].reset_index(drop=True)
    names = ",".join(DAY_NAMES[d][:3] for d in sorted(wanted))
    span = f"{first.date() if first is not None else '...'} to " \
           f"{last.date() if last is not None else '...'}"
    step = (f"filter_days(days={days!r} [{names}], {span}): "
            f"{len(log.records)} -> {len(records)} rows")
    return replace(log, records=records, history=[*log.history, step])
