"""The report's figures: drawn from the run's totals (the same numbers as the KPI and
interval tables, whatever records were kept), record figures from one labelled sample,
day labels on multi-day horizons, one time axis per channel, and escaped names."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import html  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from helpers import small  # noqa: E402

import simcc  # noqa: E402
from simcc.experiment.records_out import RecordsSpec, in_sample  # noqa: E402
from simcc.report import figures  # noqa: E402
from simcc.report.html import render_report, sample_figures, totals_figures  # noqa: E402
from simcc.report.sample import record_sample  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# bank_multiskill, 3 hours, plus a chat channel (concurrency 2, its own threshold) and
# a chat team that logs in at 09:00 (blank occupancy cells before); unresolved issues
# come back (repeat contacts: a journey figure).
OVERRIDES = {
    "horizon.duration": "5h",
    "channels.chat": {"patience": {"dist": "exponential", "mean": "6m"}, "concurrency": 2,
                      "service_level": {"threshold": "2m", "target": 0.7}},
    "demand": [
        {"channel": "voice", "rate": {"per_day": 5200, "profile": "weekday"},
         "mix": {"billing": 0.45, "cards": 0.30, "loans": 0.15, "fraud": 0.10}},
        {"channel": "chat", "rate": {"per_hour": 60}, "mix": {"billing": 1.0}},
    ],
    "agents.chat_team": {"skills": {"billing": 1.0}, "channels": ["chat"],
                         "shifts": [{"start": "09:00", "end": "20:00", "count": 3}]},
    "repeats": {"probability": 0.6, "delay": {"dist": "exponential", "mean": "20m"},
                "window": "1d", "switch": {"chat": {"voice": 0.5, "chat": 0.5}}},
}
MODES = ("none", "sample", "all")
pytestmark = pytest.mark.filterwarnings("ignore::simcc.errors.ScenarioWarning")


@pytest.fixture(scope="module")
def scenario():
    return simcc.load_scenario("scenarios/bank_multiskill.yaml", OVERRIDES)


@pytest.fixture(scope="module")
def runs(scenario, tmp_path_factory):
    """mode -> (result, records folder or None): records none, a sample or all, in
    memory ("memory-*") and written to Parquet files (the other two)."""
    out = {}
    for mode in MODES:
        out[f"memory-{mode}"] = (simcc.simulate(scenario, replications=2, workers=1,
                                                records=mode), None)
    for mode in ("sample", "all"):
        folder = tmp_path_factory.mktemp(mode) / "records"
        spec = RecordsSpec(mode, folder=folder)
        out[f"files-{mode}"] = (simcc.simulate(scenario, replications=2, workers=1,
                                               records=spec), folder)
    return out


def _pngs(page: str) -> list[str]:
    return re.findall(r'src="data:image/png;base64,([^"]+)"', page)


def test_same_page_whatever_records_were_kept(runs):
    pages = {name: render_report(result, records=folder)
             for name, (result, folder) in runs.items()}
    kept = [pages[name] for name in ("memory-sample", "memory-all", "files-sample",
                                     "files-all")]
    assert all(page == kept[0] for page in kept)
    # 2 channels: pooled intraday, one per channel, occupancy; then wait CDF, journeys
    assert len(_pngs(kept[0])) == 6
    assert "sample: 5% of issues" in kept[0]
    # without any records the totals figures are the same images, and the page says why
    # the record figures are missing
    bare = pages["memory-none"]
    assert _pngs(bare) == _pngs(kept[0])[:4]
    assert "need per-contact records" in bare and "sample: 5%" not in bare


@pytest.mark.parametrize("name", ["memory-none", "memory-sample", "memory-all", "files-all"])
def test_every_totals_figure_equals_the_tables(runs, name):
    result, _ = runs[name]
    channels = list(result.scenario.channels)
    table = result.intervals
    bins = table.drop_duplicates("interval").sort_values("interval")["interval"]
    drawn = totals_figures(result)
    assert len(drawn) == 2 + len(channels)
    pooled, *per_channel, heatmap = (fig for fig, _ in drawn)
    by_channel = result.kpis[result.kpis["scope"] == "channel"].set_index(["key", "kpi"])
    stacked = np.zeros(len(bins))
    for i, channel in enumerate(channels):
        rows = table[table["channel"] == channel].set_index("interval").reindex(bins)
        top, bottom, twin = per_channel[i].axes
        offered = np.array([bar.get_height() for bar in top.containers[0]])
        np.testing.assert_allclose(offered, rows["offered"])
        np.testing.assert_allclose(twin.lines[0].get_ydata(), rows["staffed_agents"])
        np.testing.assert_allclose(bottom.lines[0].get_ydata(), rows["service_level"] * 100)
        # the bars add up to the channel's offered contacts of the KPI table
        assert offered.sum() == pytest.approx(by_channel.loc[(channel, "offered"), "mean"])
        pooled_bars = [bar.get_height() for bar in pooled.axes[0].containers[i]]
        np.testing.assert_allclose(pooled_bars, rows["offered"].fillna(0))
        np.testing.assert_allclose(pooled.axes[1].lines[2 * i].get_ydata(),
                                   rows["service_level"] * 100)
        stacked += pooled_bars
    assert stacked.sum() == pytest.approx(result.kpi("offered"))
    # heatmap cells = interval occupancy of the agents serving each channel (1/c for chat)
    cells = np.ma.filled(heatmap.axes[0].images[0].get_array().astype(float), np.nan)
    expected = np.vstack([table[table["channel"] == c].set_index("interval")
                          .reindex(bins)["occupancy"].to_numpy() for c in channels]) * 100
    np.testing.assert_allclose(cells, expected)
    chat = list(bins.map(dict(zip(table["interval"], table["clock"], strict=False))))
    assert np.isnan(cells[1, chat.index("08:30")]) and np.isfinite(cells[1, chat.index("09:00")])
    assert np.nanmax(cells) <= 100.0 + 1e-9


def test_occupancy_at_the_peak_is_not_the_sample_share(runs):
    """The defect of issue 14: busy time of a 5 % sample over all logged-in time gave
    2-8 %. The heatmap shows the interval table's occupancy, about that of the table."""
    result, _ = runs["memory-sample"]
    cells = np.ma.filled(figures.occupancy_heatmap(result).axes[0].images[0].get_array(),
                         np.nan)
    assert np.nanmean(cells[0]) > 50.0
    voice = result.kpi("occupancy")
    assert np.nanmean(cells[0]) == pytest.approx(100 * voice, abs=15)


def test_record_figures_are_the_labelled_sample(runs):
    result, _ = runs["memory-all"]
    contacts = result.contacts
    expected = contacts[in_sample(contacts["issue_id"].to_numpy(), 0.05)]
    sample = record_sample(result)
    assert len(sample.contacts) == len(expected)
    n_issues = len(expected[["replication", "issue_id"]].drop_duplicates())
    assert sample.issues == n_issues
    label = f"{n_issues:,} issues, {len(expected):,} contacts"
    wait, journeys = sample_figures(result, sample)
    assert "sample: 5% of issues" in wait[0].get_suptitle() and label in wait[0].get_suptitle()
    assert label in wait[1] and "sampling error" in wait[1]
    assert label in journeys[0].get_suptitle()
    horizon = result.scenario.horizon
    counted = expected[(expected["arrival_s"] >= horizon.warmup) & expected["answered"]
                       & (expected["arrival_s"] < horizon.length_s)]
    for ax, channel in zip(wait[0].axes, result.scenario.channels, strict=True):
        waits = np.sort(counted.loc[counted["channel"] == channel, "wait_s"])
        solid = [line for line in ax.lines if line.get_linestyle() == "-"]
        np.testing.assert_allclose(solid[0].get_xdata()[1:], waits)  # seconds axes here


def test_each_channel_has_its_own_wait_axis(scenario):
    """Thresholds of 20 s and 24 h never share an axis: one panel per channel, in a
    unit that fits its threshold, with only its own threshold line."""
    email = scenario.with_overrides({
        "channels.email": {"mode": "async", "service_level": {"threshold": "24h",
                                                               "target": 0.9}},
        "demand": [*[d.model_dump(exclude_none=True) for d in scenario.demand],
                   {"channel": "email", "rate": {"per_hour": 20}, "mix": {"billing": 1.0}}],
        "agents.chat_team.channels": ["chat", "email"]})
    result = simcc.simulate(email, replications=1, workers=1, records="sample")
    fig = figures.wait_cdf_figure(result)
    assert len(fig.axes) == 3
    for ax, channel, unit, scale in zip(fig.axes, ["voice", "chat", "email"],
                                        ["s", "s", "h"], [1, 1, 3600], strict=True):
        assert ax.get_title() == channel and f"({unit})" in ax.get_xlabel()
        dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
        threshold = email.channels[channel].service_level.threshold
        assert len(dashed) == 1 and np.allclose(dashed[0].get_xdata(), threshold / scale)


def test_multi_day_charts_name_the_day():
    document = small(horizon={"duration": "2d", "warmup": 0, "start": "00:00",
                              "interval": "1h"}, replications=1)
    result = simcc.simulate(document, workers=1, records="none")
    for fig in (figures.intraday_figure(result, "voice"), figures.occupancy_heatmap(result)):
        ax = fig.axes[1] if len(fig.axes) == 3 else fig.axes[0]
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert "day 1\n00:00" in labels and "day 2\n00:00" in labels
        assert "day of the horizon" in ax.get_xlabel()
        dotted = [line for line in ax.lines if line.get_linestyle() == ":"]
        assert [line.get_xdata()[0] for line in dotted] == [23.5]  # the day change
    assert figures.time_labels(result, result.intervals)[25] == "day 2 01:00"
    one_day = simcc.simulate(small(replications=1), workers=1, records="none")
    ax = figures.intraday_figure(one_day, "voice").axes[1]
    assert all("day" not in t.get_text() for t in ax.get_xticklabels())



def test_offered_bars_of_a_long_horizon_touch_without_edges():
    # A week of half-hours (336 bars): white edges between bars this thin hid the bars.
    week = simcc.simulate(small(horizon={"duration": "7d", "warmup": 0, "start": "00:00",
                                         "interval": "30m"}, replications=1),
                          workers=1, records="none")
    day = simcc.simulate(small(replications=1), workers=1, records="none")
    for result, width, edge in ((week, 1.0, 0.0), (day, 0.8, None)):
        for fig in (figures.intraday_figure(result, "voice"), figures.intraday_figure(result)):
            bars = fig.axes[0].patches
            assert bars and all(abs(b.get_width() - width) < 1e-9 for b in bars)
            if edge is not None:
                assert all(b.get_linewidth() == edge for b in bars)

# ----------------------------------------------------------------------------- injection

SCRIPT = "<script>alert('{}')</script>"
IMG = "\"><img src=x onerror=alert('{}')>"


def _hostile() -> tuple[dict, dict[str, str]]:
    """A small scenario with markup in every user-given name, and those names by the
    place they are in."""
    n = {"scenario": SCRIPT.format("name"), "description": IMG.format("description"),
         "channel": SCRIPT.format("ch$nnel"), "skill": IMG.format("skill"),
         "intent": SCRIPT.format("intent"), "segment_a": IMG.format("segment"),
         "segment_b": SCRIPT.format("segment"), "group": IMG.format("group"),
         "variant": SCRIPT.format("variant")}
    document = small(
        name=n["scenario"], description=n["description"],
        channels={n["channel"]: {"patience": {"dist": "exponential", "mean": "10m"},
                                 "service_level": {"threshold": "20s", "target": 0.8}}},
        segments={n["segment_a"]: {"share": 0.6}, n["segment_b"]: {"share": 0.4}},
        intents={n["intent"]: {"skill": n["skill"],
                               "handle_time": {"dist": "exponential", "mean": "5m"}}},
        demand=[{"channel": n["channel"], "rate": {"per_hour": 50},
                 "mix": {n["intent"]: 1.0}}],
        agents={n["group"]: {"count": 5, "skills": {n["skill"]: 1.0},
                             "channels": [n["channel"]]}},
        variants={n["variant"]: {"routing.policy": "fifo"}})
    return document, n


@pytest.mark.parametrize("command", ["run", "compare"])
def test_names_are_escaped_in_the_report(command, tmp_path):
    document, names = _hostile()
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    report = tmp_path / "r.html"
    proc = subprocess.run([sys.executable, "-m", "simcc", command, str(path), "-n", "2",
                           "--quiet", "--report", str(report)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = report.read_text()
    assert "<script" not in page.lower() and "<img src=x" not in page
    shown = {place for place, name in names.items() if html.escape(name) in page}
    if command == "run":  # every name but the variant's (a run has none)
        assert shown == set(names) - {"variant"}
    else:  # the baseline summary and the variants; no description nor segment tables
        assert shown == {"scenario", "channel", "skill", "intent", "group", "variant"}


def test_cli_page_is_the_same_for_every_records_option(tmp_path):
    """``simcc run --report`` with --records none, sample and all (the latter two
    written to --out): one page, with the record figures of the sample."""
    pages = []
    for mode in MODES:
        report = tmp_path / f"{mode}.html"
        out = ["--out", str(tmp_path / mode)]
        proc = subprocess.run([sys.executable, "-m", "simcc", "run",
                               "scenarios/bank_multiskill.yaml", "-n", "2", "--quiet",
                               "--set", "horizon.duration=2h", "--records", mode, *out,
                               "--report", str(report)], capture_output=True, text=True,
                              cwd=ROOT, timeout=300)
        assert proc.returncode == 0, proc.stderr
        pages.append(report.read_text())
    assert pages[0] == pages[1] == pages[2]
    assert len(_pngs(pages[0])) == 3 and "sample: 5% of issues" in pages[0]


def test_heatmap_adds_up_to_the_occupancy_of_the_kpi_table():
    """One channel served by every agent: the staffed-time weighted mean of the heatmap
    row is the overall occupancy of the KPI table (within rounding: both are means over
    replications of ratios)."""
    result = simcc.simulate(small(replications=3), workers=1, records="none")
    row = np.ma.filled(figures.occupancy_heatmap(result).axes[0].images[0].get_array(),
                       np.nan)[0] / 100
    table = result.intervals.sort_values("interval")
    horizon = result.scenario.horizon
    starts = np.clip(table["start_s"].to_numpy(), horizon.warmup, horizon.length_s)
    weight = table["staffed_agents"].to_numpy() * np.diff(np.r_[starts, horizon.length_s])
    assert np.nansum(row * weight) / weight.sum() == pytest.approx(result.kpi("occupancy"),
                                                                  abs=0.005)
