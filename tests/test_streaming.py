"""Streaming KPIs: chunked accumulation gives the record-based KPIs, memory stays bounded,
and records are kept (sample, all, Parquet) chunk by chunk."""

import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simcc
from simcc.experiment.records_out import RecordsSpec, in_sample
from simcc.experiment.replications import run_replication
from simcc.metrics.intervals import interval_table
from simcc.metrics.kpis import Period, replication_kpis
from simcc.metrics.records import member_of, to_frames
from simcc.metrics.streaming import WaitHistogram
from simcc.model import build, replication_seedseq
from tests.helpers import scenario

engine = importlib.import_module("simcc.model.build")

P90_RELATIVE, P90_ABSOLUTE_S = 0.005, 5e-4  # the WaitHistogram's stated error


def journey_doc(**changes):
    """Two channels with self-service, callbacks, retrials, repeats, transfers, a
    warm-up: issues with several contacts that span chunk boundaries."""
    doc = simcc.load_scenario("scenarios/retail_omnichannel.yaml").model_dump(mode="json")
    doc["horizon"].update(duration="1d", warmup="2h")
    doc.pop("variants", None)
    doc.update(changes)
    return doc


CASES = {
    "erlang_a": scenario(horizon={"duration": "6h", "warmup": "1h"}),
    "journeys": journey_doc(),
    "telecom": simcc.load_scenario("scenarios/telecom_intent_routing.yaml",
                                   {"horizon.duration": "1d", "horizon.warmup": "4h",
                                    "horizon.drain": "1d"}).model_dump(mode="json"),
}


@pytest.fixture
def small_chunks(monkeypatch):
    """Hand over finished issues every few hundred rows (and check every 100 events)."""
    monkeypatch.setattr(engine, "CHUNK_ROWS", 300)
    monkeypatch.setattr(engine, "STEPS_PER_CHECK", 100)
    original = engine.Replication.run
    chunks = []

    def run(self, on_chunk=None, chunk_rows=None):
        def counted(chunk):
            chunks.append(chunk)
            on_chunk(chunk)
        return original(self, counted if on_chunk else None, 300)

    monkeypatch.setattr(engine.Replication, "run", run)
    return chunks


def reference(doc):
    """KPIs and intervals from the whole records of replication 0, computed at once."""
    model = simcc.load_scenario(doc)
    frames = to_frames(build(model, replication_seedseq(model.seed, 0)).run())
    period = Period.of(model)
    groups = {name: g.channels for name, g in model.agents.items()}
    return (replication_kpis(frames, period),
            interval_table(frames, period, model.horizon.interval, model.horizon.start, groups),
            frames)


def assert_same_kpis(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    joined = expected.merge(actual, on=["scope", "key", "kpi"], how="outer",
                            suffixes=("_ref", "_stream"), indicator=True)
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"]
    ref, got = joined["value_ref"].to_numpy(float), joined["value_stream"].to_numpy(float)
    assert np.array_equal(np.isnan(ref), np.isnan(got))
    p90 = (joined["kpi"] == "wait_p90_s").to_numpy()
    exact = ~p90 & ~np.isnan(ref)
    np.testing.assert_allclose(got[exact], ref[exact], rtol=1e-9, atol=1e-9)
    close = ~np.isnan(ref) & p90
    error = np.abs(got[close] - ref[close])
    assert np.all(error <= P90_RELATIVE * ref[close] + P90_ABSOLUTE_S), joined[close]


@pytest.mark.parametrize("name", sorted(CASES))
def test_chunked_kpis_equal_the_record_based_ones(name, small_chunks):
    doc = CASES[name]
    kpis, intervals, frames = reference(doc)
    model = simcc.load_scenario(doc)
    streamed = run_replication(model, model.seed, 0, "none")
    assert len(small_chunks) > 5  # the run really was cut into chunks
    assert_same_kpis(kpis, streamed.kpis)
    pd.testing.assert_frame_equal(streamed.intervals, intervals, rtol=1e-9)
    assert kpis.query("kpi == 'arrivals' and scope == 'overall'")["value"].item() > 100


def test_a_chunk_holds_whole_issues_and_every_row_once(small_chunks):
    model = simcc.load_scenario(CASES["journeys"])
    kept = run_replication(model, model.seed, 0, "all").frames
    _, _, frames = reference(CASES["journeys"])
    issue_chunks = {}
    for number, chunk in enumerate(small_chunks):
        contacts = to_frames(chunk)["contacts"]
        for issue in contacts["issue_id"].unique():
            assert issue_chunks.setdefault(issue, number) == number
    for table in ("contacts", "legs", "sessions"):
        pd.testing.assert_frame_equal(kept[table], frames[table])
    assert frames["contacts"]["issue_id"].duplicated().any()  # issues with several contacts


@pytest.mark.slow
def test_memory_held_does_not_grow_with_the_horizon(monkeypatch):
    """Rows held between chunks stay bounded by the open issues, whatever the length."""
    held = {}
    # Chunks of 1,000 rows (25 or more a day): half the per-chunk KPI cost of 500 rows,
    # the same peaks of held rows (1,130 for one day, 2,160 for four, measured).
    monkeypatch.setattr(engine, "STEPS_PER_CHECK", 200)
    original = engine.Replication.run
    for days in (1, 4):
        sizes = []

        def run(self, on_chunk=None, chunk_rows=None, sizes=sizes):
            def watch(chunk):
                on_chunk(chunk)
                sizes.append(self.records.pending_rows())
            return original(self, watch, 1000)

        monkeypatch.setattr(engine.Replication, "run", run)
        model = simcc.load_scenario(journey_doc(horizon={"duration": f"{days}d",
                                                         "warmup": "0"}))
        run_replication(model, model.seed, 0, "none")
        held[days] = max(sizes[:-1])
        assert len(sizes) > 3 * days
    assert held[4] < 1.5 * held[1] + 500


@given(st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 1e7)), min_size=1, max_size=300),
       st.sampled_from([0.5, 0.9, 0.99, 0.0, 1.0]))
@settings(max_examples=200, deadline=None)
def test_histogram_quantile_is_within_its_stated_error(waits, q):
    histogram = WaitHistogram()
    half = len(waits) // 2
    histogram.add("k", np.array(waits[:half]))  # merged from two chunks
    histogram.add("k", np.array(waits[half:]))
    exact = float(np.quantile(waits, q))
    assert abs(histogram.quantile("k", q) - exact) <= P90_RELATIVE * exact + P90_ABSOLUTE_S


def test_histogram_of_nothing_is_nan():
    assert np.isnan(WaitHistogram().quantile("k", 0.9))


def test_a_sample_keeps_a_share_of_whole_issues():
    doc = journey_doc()
    everything = simcc.simulate(doc, replications=1, workers=1, records="all")
    sample = simcc.simulate(doc, replications=1, workers=1,
                            records=RecordsSpec("sample", share=0.2))
    issues = everything.contacts["issue_id"].unique()
    chosen = sample.contacts["issue_id"].unique()
    assert set(chosen) == set(issues[in_sample(issues, 0.2)])
    assert 0.15 < len(chosen) / len(issues) < 0.25
    full = everything.contacts[everything.contacts["issue_id"].isin(chosen)]
    assert len(sample.contacts) == len(full)  # every contact of a chosen issue
    assert set(sample.legs["contact_id"]) == set(full["contact_id"][full["answered"]])
    assert sample.to_json() == everything.to_json()  # KPIs never depend on records


def test_parquet_records_equal_the_records_in_memory(tmp_path, small_chunks):
    # Three busy hours (about 1,500 contacts, 20 chunks a replication) rather than a
    # day: each small chunk costs ~0.1 s of KPI sums, and a few dozen chunk boundaries
    # per replication are what this test needs.
    doc = journey_doc(horizon={"duration": "3h", "warmup": "30m", "start": "10:00",
                               "interval": "30m"})
    in_memory = simcc.simulate(doc, replications=2, workers=1, records="all")
    on_disk = simcc.simulate(doc, replications=2, workers=1,
                             records=RecordsSpec("all", folder=tmp_path))
    assert on_disk.contacts.empty and on_disk.to_json() == in_memory.to_json()
    for table, name in (("contacts", "contacts"), ("legs", "legs"), ("sessions", "agents"),
                        ("issues", "issues")):
        read = pd.read_parquet(tmp_path / table)
        expected = getattr(in_memory, name)
        keys = {"contacts": ["replication", "arrival_s", "contact_id"],
                "legs": ["replication", "contact_id", "answered_s"],
                "sessions": ["replication", "start_s", "agent"],
                "issues": ["replication", "issue_id"]}[table]
        read = read.sort_values(keys, ignore_index=True)[list(expected.columns)]
        expected = expected.sort_values(keys, ignore_index=True)
        pd.testing.assert_frame_equal(read, expected, check_dtype=False,
                                      check_categorical=False)
    assert len(small_chunks) > 4 * 15  # every run were written chunk by chunk
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**41), max_size=60), st.lists(st.integers(0, 2**41), max_size=60))
def test_member_of_is_isin(values, pool):
    """The sorted-lookup membership of take_finished answers as np.isin does."""
    values, pool = np.array(values, dtype=np.int64), np.array(pool, dtype=np.int64)
    assert np.array_equal(member_of(values, np.unique(pool)), np.isin(values, pool))
