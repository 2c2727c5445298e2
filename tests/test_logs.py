"""Contact logs: the generic format, the Anonymous Bank loader and day filters."""

from __future__ import annotations

import dataclasses
import gzip
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simcc.calibrate.logs import (
    BANK_WORKING_WEEK,
    DROP_REASONS,
    LOG_COLUMNS,
    MON_FRI,
    OUTCOMES,
    ContactLog,
    filter_days,
    load_anonymous_bank,
    load_generic,
    load_log,
)
from simcc.errors import SimccError

ROOT = Path(__file__).resolve().parents[1]
BANK_DIR = ROOT / "data" / "anonymous_bank"
JUNE = BANK_DIR / "06_June.txt.gz"

HEADER = ("vru+line call_id customer_id priority type date vru_entry vru_exit vru_time "
          "q_start q_exit q_time outcome ser_start ser_exit ser_time server")

# 1999-06-06 is a Sunday, 06-07 a Monday, 06-11 a Friday.
BANK_A = [
    # handled after queueing
    "AA0101 1001 12345678 2 PS 990606 10:00:00 10:00:05 5 10:00:05 10:01:05 60 AGENT "
    "10:01:04 10:05:04 240 MICHAL",
    # HANG after queueing -> abandoned
    "AA0101 1002 23456789 1 NE 990606 11:00:00 11:00:06 6 11:00:06 11:02:06 120 HANG "
    "0:00:00 0:00:00 0 NO_SERVER",
    # HANG in the VRU -> self_service (priority 0, unidentified customer)
    "AA0102 1003 0 0 PS 990606 12:00:00 12:00:10 10 0:00:00 0:00:00 0 HANG "
    "0:00:00 0:00:00 0 NO_SERVER",
    # PHANTOM -> dropped
    "AA0102 1004 0 0 PS 990606 12:30:00 12:30:09 9 12:30:09 12:30:20 11 PHANTOM "
    "12:30:20 12:31:00 40 NO_SERVER",
    # type AA -> dropped
    "AA0102 1005 0 0 AA 990606 13:00:00 13:00:02 2 0:00:00 0:00:00 0 HANG "
    "0:00:00 0:00:00 0 NO_SERVER",
    # service ends after midnight
    "AA0103 1006 34567890 2 PS 990606 23:58:00 23:58:06 6 23:58:06 23:59:30 84 AGENT "
    "23:59:30 0:04:30 300 DORIT",
    # priority 0, did not wait, 8 s service
    "AA0103 1007 0 0 NW 990606 14:00:00 14:00:10 10 0:00:00 0:00:00 0 AGENT "
    "14:00:10 14:00:18 8 AVNI",
]
BANK_B = [
    # scientific-notation customer id
    "AA0104 1008 6.02E+11 1 PE 990607 15:00:00 15:00:05 5 15:00:05 15:00:35 30 AGENT "
    "15:00:35 15:03:35 180 TOVA",
    # joined the queue exactly at midnight: q_start 0:00:00 is midnight, not missing
    "AA0104 1009 15696776 2 PS 990607 23:59:54 23:59:54 0 0:00:00 0:00:27 27 AGENT "
    "0:00:26 0:01:33 67 AVNI",
    # HANG with service times and NO_SERVER -> abandoned, service discarded
    "AA0105 1010 45678901 2 PS 990607 16:00:00 16:00:05 5 16:00:05 16:00:30 25 HANG "
    "16:00:30 16:00:36 6 NO_SERVER",
    # AGENT queued but without service times
    "AA0105 1011 56789012 1 PS 990607 17:00:00 17:00:05 5 17:00:05 17:01:00 55 AGENT "
    "0:00:00 0:00:00 0 IDIT",
    "AA0106 1099 1 2 PS 990607 17:30:00 17:30:05 5 17:30:05 EXTRA 17:31:00 55 AGENT "
    "0:00:00 0:00:00 0 IDIT",  # too many fields
    # AGENT with NO_SERVER, 5 s service
    "AA0106 1012 0 0 PS 990611 18:00:00 18:00:08 8 0:00:00 0:00:00 0 AGENT "
    "18:00:09 18:00:14 5 NO_SERVER",
    # VRU clock ahead: vru_exit (= q_start) 50 s before vru_entry
    "AA0106 1013 11111111 2 PS 990611 19:00:50 19:00:00 -50 19:00:00 19:01:00 60 AGENT "
    "19:00:59 19:03:00 121 SHARON",
    # unreadable time
    "AA0106 1014 0 1 PS 990611 9:7:00 9:07:05 5 0:00:00 0:00:00 0 HANG "
    "0:00:00 0:00:00 0 NO_SERVER",
    "AA0106 1098 0 1 PS 990611 9:08:00 9:08:05 5",  # too few fields
]

EXPECTED_BANK_PROBLEMS = {
    "phantom": 1, "invalid_type": 1, "unparseable_field": 1, "malformed_line": 2,
    "priority_0": 3, "scientific_customer_id": 1, "agent_without_service": 1,
    "agent_no_server": 1, "hang_with_service": 1, "crossed_midnight": 2,
    "midnight_recovered": 1, "queue_entry_before_arrival": 1, "short_service": 2,
}

NaT = None
# contact_id: (customer, intent, segment, arrival, queue_entry, queue_exit, answer, end,
#              outcome, agent)
EXPECTED_BANK_ROWS = {
    "AA0101-990606-1001": ("12345678", "PS", "high", "1999-06-06 10:00:00",
                           "1999-06-06 10:00:05", "1999-06-06 10:01:05", "1999-06-06 10:01:04",
                           "1999-06-06 10:05:04", "handled", "MICHAL"),
    "AA0101-990606-1002": ("23456789", "NE", "regular", "1999-06-06 11:00:00",
                           "1999-06-06 11:00:06", "1999-06-06 11:02:06", NaT, NaT,
                           "abandoned", None),
    "AA0102-990606-1003": (None, "PS", "regular", "1999-06-06 12:00:00", NaT, NaT, NaT, NaT,
                           "self_service", None),
    "AA0103-990606-1006": ("34567890", "PS", "high", "1999-06-06 23:58:00",
                           "1999-06-06 23:58:06", "1999-06-06 23:59:30", "1999-06-06 23:59:30",
                           "1999-06-07 00:04:30", "handled", "DORIT"),
    "AA0103-990606-1007": (None, "NW", "regular", "1999-06-06 14:00:00", NaT, NaT,
                           "1999-06-06 14:00:10", "1999-06-06 14:00:18", "handled", "AVNI"),
    "AA0104-990607-1008": ("6.02E+11", "PE", "regular", "1999-06-07 15:00:00",
                           "1999-06-07 15:00:05", "1999-06-07 15:00:35", "1999-06-07 15:00:35",
                           "1999-06-07 15:03:35", "handled", "TOVA"),
    "AA0104-990607-1009": ("15696776", "PS", "high", "1999-06-07 23:59:54",
                           "1999-06-08 00:00:00", "1999-06-08 00:00:27", "1999-06-08 00:00:26",
                           "1999-06-08 00:01:33", "handled", "AVNI"),
    "AA0105-990607-1010": ("45678901", "PS", "high", "1999-06-07 16:00:00",
                           "1999-06-07 16:00:05", "1999-06-07 16:00:30", NaT, NaT,
                           "abandoned", None),
    "AA0105-990607-1011": ("56789012", "PS", "regular", "1999-06-07 17:00:00",
                           "1999-06-07 17:00:05", "1999-06-07 17:01:00", NaT, NaT,
                           "handled", "IDIT"),
    "AA0106-990611-1012": (None, "PS", "regular", "1999-06-11 18:00:00", NaT, NaT,
                           "1999-06-11 18:00:09", "1999-06-11 18:00:14", "handled", None),
    "AA0106-990611-1013": ("11111111", "PS", "high", "1999-06-11 19:00:50",
                           "1999-06-11 19:00:00", "1999-06-11 19:01:00", "1999-06-11 19:00:59",
                           "1999-06-11 19:03:00", "handled", "SHARON"),
}


def _bank_text(rows: list[str]) -> str:
    lines = [HEADER, *rows]
    return "\n".join("\t".join(line.split()) for line in lines) + "\n"


@pytest.fixture
def bank_files(tmp_path: Path) -> list[Path]:
    first = tmp_path / "a.txt.gz"
    with gzip.open(first, "wt") as fh:
        fh.write(_bank_text(BANK_A))
    second = tmp_path / "b.txt"
    second.write_text(_bank_text(BANK_B))
    return [first, second]


def _value(value: object) -> object:
    return None if pd.isna(value) else value


def test_bank_snippet_rows_and_problems(bank_files):
    log = load_anonymous_bank(bank_files)
    assert log.problems == EXPECTED_BANK_PROBLEMS
    assert log.rows_read == len(BANK_A) + len(BANK_B)
    assert len(log) == log.rows_read - log.rows_dropped == len(EXPECTED_BANK_ROWS)
    assert tuple(log.records.columns) == LOG_COLUMNS
    assert set(log.records["channel"]) == {"voice"}
    for row in log.records.itertuples(index=False):
        want = EXPECTED_BANK_ROWS[row.contact_id]
        got = (row.customer_id, row.intent, row.segment, row.arrival, row.queue_entry,
               row.queue_exit, row.answer, row.end, row.outcome, row.agent)
        for name, w, g in zip(("customer_id", "intent", "segment", "arrival", "queue_entry",
                               "queue_exit", "answer", "end", "outcome", "agent"),
                              want, got, strict=True):
            expected = pd.Timestamp(w) if name in ("arrival", "queue_entry", "queue_exit",
                                                    "answer", "end") and w else w
            assert _value(g) == expected, (row.contact_id, name)


def test_bank_records_have_generic_dtypes(bank_files):
    rec = load_anonymous_bank(bank_files).records
    for col in ("arrival", "queue_entry", "queue_exit", "answer", "end"):
        assert rec[col].dtype == np.dtype("datetime64[ns]")
    assert rec["contact_id"].dtype == "string"
    assert isinstance(rec["outcome"].dtype, pd.CategoricalDtype)
    assert tuple(rec["outcome"].cat.categories) == OUTCOMES
    assert rec["arrival"].is_monotonic_increasing


def test_gz_and_plain_text_give_the_same_log(tmp_path):
    text = _bank_text(BANK_A + BANK_B)
    plain = tmp_path / "m.txt"
    plain.write_text(text)
    packed = tmp_path / "m.txt.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    a, b = load_anonymous_bank(plain), load_anonymous_bank(packed)
    pd.testing.assert_frame_equal(a.records, b.records)
    assert a.problems == b.problems == EXPECTED_BANK_PROBLEMS


def test_bank_summary_explains_every_problem(bank_files):
    log = load_anonymous_bank(bank_files)
    text = log.summary()
    assert f"rows read: {log.rows_read}" in text
    assert f"rows kept: {len(log)} (5 dropped)" in text
    for name, count in log.problems.items():
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(name + " "))
        assert str(count) in line
        assert ("dropped" in line) == (name in DROP_REASONS)


def test_bank_missing_header_column_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(HEADER.replace(" server", "") + "\n")
    with pytest.raises(SimccError, match="missing columns server"):
        load_anonymous_bank(path)
    with pytest.raises(SimccError, match="no such file"):
        load_anonymous_bank(tmp_path / "nope.txt")


def test_real_month_loads_fast_and_is_consistent():
    with gzip.open(JUNE, "rt") as fh:
        file_rows = sum(1 for line in fh if line.strip()) - 1
    started = time.perf_counter()
    log = load_log(JUNE, format="anonymous-bank")
    elapsed = time.perf_counter() - started
    assert elapsed < 4.0
    assert log.rows_read == file_rows == 37935
    assert len(log) == file_rows - log.rows_dropped
    assert log.problems["phantom"] == 322
    assert log.problems["crossed_midnight"] == 31
    assert log.problems["scientific_customer_id"] == 14
    assert log.working_week == BANK_WORKING_WEEK

    rec = log.records
    tol = pd.Timedelta(seconds=5)
    early = rec["answer"] < rec["queue_entry"] - tol
    assert int(early.sum()) == log.problems.get("answer_before_queue_entry", 0) <= 5
    assert not (rec["end"] < rec["answer"]).any()
    assert not (rec["queue_exit"] < rec["queue_entry"]).any()
    assert (rec["arrival"].dt.strftime("%y%m") == "9906").all()
    offered = rec["outcome"].isin(["handled", "abandoned"])
    share = (rec["outcome"] == "abandoned").sum() / offered.sum()
    assert 0.05 <= share <= 0.25
    served = rec["end"] - rec["answer"]
    assert served.dropna().dt.total_seconds().median() > 60
    assert len(log.days()) == 30


def test_real_month_round_trips_through_the_generic_csv(tmp_path):
    log = load_anonymous_bank(JUNE)
    path = tmp_path / "june.csv"
    log.records.to_csv(path, index=False)
    back = load_generic(path)
    pd.testing.assert_frame_equal(back.records, log.records)
    assert back.rows_read == len(log)
    assert all(name not in DROP_REASONS for name in back.problems)


# ------------------------------------------------------------------------- generic


def _generic_frame() -> pd.DataFrame:
    t = pd.Timestamp
    return pd.DataFrame({
        "contact_id": ["c1", "c2", "c3", "c4"],
        "customer_id": ["42", None, None, "7"],
        "channel": ["voice", "voice", "voice", "chat"],
        "intent": ["billing", "billing", "balance", "billing"],
        "segment": ["regular", "high", "regular", "regular"],
        "arrival": [t("2026-01-05 08:00:31"), t("2026-01-05 08:02:00"),
                    t("2026-01-05 08:02:05"), t("2026-01-09 09:00:00")],
        "queue_entry": [t("2026-01-05 08:00:40"), t("2026-01-05 08:02:07"), None,
                        t("2026-01-09 09:00:00")],
        "queue_exit": [t("2026-01-05 08:01:10"), t("2026-01-05 08:03:30"), None,
                       t("2026-01-09 09:00:20")],
        "answer": [t("2026-01-05 08:01:10"), None, None, t("2026-01-09 09:00:20")],
        "end": [t("2026-01-05 08:05:02"), None, None, t("2026-01-09 09:10:00")],
        "outcome": ["handled", "abandoned", "self_service", "handled"],
        "agent": ["ann", None, None, "bob"],
    })


def test_generic_csv_round_trip(tmp_path):
    frame = _generic_frame()
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    log = load_generic(path)
    assert log.problems == {}
    assert log.rows_read == 4 and len(log) == 4
    rec = log.records
    assert tuple(rec.columns) == LOG_COLUMNS
    for col in LOG_COLUMNS:
        got = [_value(v) for v in rec[col]]
        want = [_value(v) for v in frame[col]]
        assert got == want, col
    assert log.days() == [pd.Timestamp("2026-01-05").date(), pd.Timestamp("2026-01-09").date()]
    # load_log dispatches to the same loader, and concatenates several files
    twice = load_log([path, path])
    assert len(twice) == 8 and twice.problems == {"duplicate_contact_id": 8}


def test_generic_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "log.parquet"
    _generic_frame().to_parquet(path)
    via_parquet = load_generic(path).records
    csv = tmp_path / "log.csv"
    _generic_frame().to_csv(csv, index=False)
    pd.testing.assert_frame_equal(via_parquet, load_generic(csv).records)


def test_generic_missing_column_is_a_clear_error(tmp_path):
    path = tmp_path / "log.csv"
    _generic_frame().drop(columns=["queue_exit", "agent"]).to_csv(path, index=False)
    with pytest.raises(SimccError, match=r"log\.csv: missing columns queue_exit, agent"):
        load_generic(path)


def test_generic_bad_rows_are_counted_not_silently_dropped(tmp_path):
    frame = _generic_frame().astype({c: object for c in ("arrival", "answer", "end")})
    frame.loc[0, "outcome"] = "served"             # invalid outcome -> dropped
    frame.loc[1, "arrival"] = "05/01/2026 08:02"   # not ISO 8601 -> dropped
    frame.loc[3, "answer"] = "2026-01-09T09:00:27+02:00"  # offset removed, kept
    frame.loc[3, "end"] = "2026-01-09 09:00:30"    # 5 s service: kept, flagged
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    log = load_generic(path)
    assert log.problems == {
        "invalid_outcome": 1, "unparseable_timestamp": 1, "timezone_removed": 1,
        "answer_far_from_queue_exit": 1, "short_service": 1,
    }
    assert log.rows_read == 4 and len(log) == 2 and log.rows_dropped == 2
    assert list(log.records["contact_id"]) == ["c3", "c4"]
    assert log.records["answer"].iloc[1] == pd.Timestamp("2026-01-09 09:00:27")
    text = log.summary()
    assert "rows kept: 2 (2 dropped)" in text and "invalid_outcome" in text


def test_load_log_rejects_unknown_format(tmp_path):
    path = tmp_path / "log.csv"
    _generic_frame().to_csv(path, index=False)
    with pytest.raises(SimccError, match="unknown contact-log format"):
        load_log(path, format="excel")
    with pytest.raises(SimccError, match="unknown file type"):
        load_generic(Path(__file__))


# ----------------------------------------------------------------------- filter_days


@pytest.fixture
def week_log(tmp_path: Path) -> ContactLog:
    """One contact a day from Sunday 1999-06-06 to Saturday 1999-06-12."""
    days = pd.date_range("1999-06-06 10:00", periods=7, freq="D")
    frame = pd.DataFrame({
        "contact_id": [f"c{i}" for i in range(7)], "customer_id": "", "channel": "voice",
        "intent": "PS", "segment": "regular", "arrival": days, "queue_entry": days,
        "queue_exit": days, "answer": days, "end": days + pd.Timedelta(minutes=3),
        "outcome": "handled", "agent": "ann",
    })
    path = tmp_path / "week.csv"
    frame.to_csv(path, index=False)
    return load_generic(path)


def _weekdays_of(log: ContactLog) -> list[str]:
    return [d.strftime("%a") for d in log.days()]


def test_filter_days_working_week(week_log):
    assert week_log.working_week == MON_FRI
    assert _weekdays_of(filter_days(week_log, "weekdays")) == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    bank = dataclasses.replace(week_log, working_week=BANK_WORKING_WEEK)
    assert _weekdays_of(filter_days(bank, "weekdays")) == ["Sun", "Mon", "Tue", "Wed", "Thu"]
    assert _weekdays_of(filter_days(bank, "weekends")) == ["Fri", "Sat"]
    explicit = filter_days(week_log, "weekdays", weekdays=BANK_WORKING_WEEK)
    assert len(explicit) == 5 and _weekdays_of(explicit)[0] == "Sun"
    assert _weekdays_of(filter_days(week_log, ["fri", 5])) == ["Fri", "Sat"]
    assert _weekdays_of(filter_days(week_log, "sunday")) == ["Sun"]
    assert len(filter_days(week_log, "all")) == 7


def test_filter_days_date_range_is_inclusive(week_log):
    part = filter_days(week_log, start="1999-06-07", end=pd.Timestamp("1999-06-09"))
    assert [str(d) for d in part.days()] == ["1999-06-07", "1999-06-08", "1999-06-09"]
    assert part.problems == week_log.problems and len(week_log) == 7
    assert "7 -> 3 rows" in part.history[-1] and "7 -> 3 rows" in part.summary()
    both = filter_days(part, "weekdays", weekdays=BANK_WORKING_WEEK, end="1999-06-08")
    assert len(both) == 2 and len(both.history) == 2


def test_filter_days_rejects_bad_arguments(week_log):
    with pytest.raises(SimccError, match="unknown day"):
        filter_days(week_log, "someday")
    with pytest.raises(SimccError, match="unknown day"):
        filter_days(week_log, [7])
    with pytest.raises(SimccError, match="after end"):
        filter_days(week_log, start="1999-06-09", end="1999-06-07")
    with pytest.raises(SimccError, match="cannot read"):
        filter_days(week_log, start="not a date")


def test_filter_days_on_bank_log_uses_sunday_to_thursday(bank_files):
    log = load_anonymous_bank(bank_files)
    working = filter_days(log, "weekdays")
    # 1999-06-06 Sunday and 06-07 Monday are working days, 06-11 is a Friday
    assert set(working.records["arrival"].dt.strftime("%a")) == {"Sun", "Mon"}
    assert len(working) == len(log) - 2
