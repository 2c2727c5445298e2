"""The numpy path of the KPIs: record columns, totals by code (every counting strategy
gives the same totals), the wait histogram fed by code, and record tables (plain or
categorical) coded the same way as the engine's records."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simcc
from simcc.errors import ModelError
from simcc.metrics.columns import columns_of_frames
from simcc.metrics.kpis import Period, _marginal_sums, replication_kpis, totals_by_code
from simcc.metrics.records import Records, frames_of, record_columns
from simcc.metrics.streaming import WaitHistogram
from simcc.model import build, replication_seedseq
from tests.test_metrics import PERIOD, frames


def naive_totals(codes, size, values):
    return np.column_stack([np.bincount(codes, weights=None if v is None else v.astype(float),
                                        minlength=size) for v in values])


@given(st.integers(1, 40), st.integers(0, 300), st.integers(0, 2**32 - 1))
@settings(max_examples=150, deadline=None)
def test_totals_by_code_equal_one_bincount_per_value(size, n, seed):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, size, n)
    values = [None, np.zeros(n, dtype=bool), rng.random(n) * 100, np.zeros(n),
              rng.integers(0, 5, n)] + [rng.random(n) < p for p in rng.random(9)]
    np.testing.assert_allclose(totals_by_code(codes, size, values),
                               naive_totals(codes, size, values), rtol=1e-12)


def test_totals_of_nan_values_stay_in_their_code():
    codes = np.array([0, 1, 1, 2])
    out = totals_by_code(codes, 3, [np.array([np.nan, 1.0, 2.0, 0.0])])
    assert np.isnan(out[0, 0]) and out[1:, 0].tolist() == [3.0, 0.0]


@pytest.mark.parametrize("sizes", [[2, 3, 1], [50, 60, 70]])  # one table, or per scope
def test_marginal_sums_are_the_totals_per_scope(sizes):
    rng = np.random.default_rng(7)
    n = 500
    codes = [rng.integers(0, size, n) for size in sizes]
    values = [None, rng.random(n), rng.random(n) < 0.3]
    total, per_code = _marginal_sums(codes, sizes, values)
    np.testing.assert_allclose(total, naive_totals(np.zeros(n, int), 1, values)[0])
    for code, size, table in zip(codes, sizes, per_code, strict=True):
        np.testing.assert_allclose(table, naive_totals(code, size, values))


def test_histogram_fed_by_code_equals_one_key_at_a_time():
    rng = np.random.default_rng(3)
    waits = np.concatenate([np.zeros(20), rng.exponential(30, 400)])
    codes = rng.integers(0, 3, len(waits))
    by_code, by_key = WaitHistogram(), WaitHistogram()
    by_code.add_binned(["a", "b", "c"], codes, by_code.bins(waits))
    for k, key in enumerate("abc"):
        by_key.add(key, waits[codes == k])
    for key in "abc":
        assert np.array_equal(np.trim_zeros(by_code.counts[key], "b"),
                              np.trim_zeros(by_key.counts[key], "b"))
        assert by_code.quantile(key, 0.9) == by_key.quantile(key, 0.9)


def test_categorical_and_plain_tables_give_the_same_kpis():
    plain = frames()
    categorical = {name: table.copy() for name, table in plain.items()}
    contacts = categorical["contacts"]
    for column in ("channel", "intent", "segment", "outcome"):
        contacts[column] = contacts[column].astype("category")
    pd.testing.assert_frame_equal(replication_kpis(categorical, PERIOD),
                                  replication_kpis(plain, PERIOD))


def test_plain_text_is_coded_in_sorted_order():
    columns = columns_of_frames(frames())
    assert columns.labels["intent"] == ["a", "b"]
    assert columns.contacts["intent"].tolist() == [0, 0, 1, 1, 0, 0]
    assert columns.contacts["kind"].tolist() == [0] * 6  # each contact its own issue
    assert columns.legs["row"].tolist() == [0, 1, 2, 5]


def test_a_hand_built_retrial_counts_as_a_repeat():
    tables = frames()
    tables["contacts"].loc[5, "issue_id"] = 3  # contact 5 retries the abandoned issue 3
    kpis = replication_kpis(tables, PERIOD).query("scope == 'overall'").set_index("kpi")
    assert kpis.loc["repeat_rate", "value"] == pytest.approx(1 / 4)
    assert kpis.loc["issues", "value"] == 4
    assert kpis.loc["contacts_per_issue", "value"] == pytest.approx(5 / 4)


def journey_records() -> tuple[Records, Period]:
    model = simcc.load_scenario("scenarios/retail_omnichannel.yaml",
                                {"horizon.duration": "1d", "horizon.warmup": "2h"})
    return build(model, replication_seedseq(model.seed, 0)).run(), Period.of(model)


def test_record_columns_and_their_tables_give_the_same_kpis():
    records, period = journey_records()
    columns = record_columns(records)
    recoded = columns_of_frames(frames_of(columns))
    for name in ("channel", "intent", "segment", "group"):
        assert recoded.labels[name] == columns.labels[name]
    kpis = replication_kpis(frames_of(columns), period)
    assert kpis.query("kpi == 'transfer_rate' and scope == 'overall'")["value"].item() > 0
    assert (kpis["scope"] == "group").sum() == 4 * 9  # four groups, nine group KPIs


def test_inconsistent_records_are_refused():
    records, _ = journey_records()
    records.outcomes.columns["contact_id"].append(records.legs.columns["contact_id"][0])
    records.outcomes.columns["outcome"].append(1)
    records.outcomes.columns["wait_s"].append(1.0)
    records.outcomes.columns["end_s"].append(1.0)
    with pytest.raises(ModelError, match="both answered and not answered"):
        record_columns(records)
    records.legs.columns["contact_id"][0] = 10**12
    with pytest.raises(ModelError, match="unknown contact"):
        record_columns(records)
