"""Figures: structure, units in labels, plotted data equal to the inputs, PNG output."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import simcc  # noqa: E402
from simcc.report import figures  # noqa: E402

# The bank scenario, 5 hours (a shift change at 12:00), plus a chat channel with its
# own threshold and a chat team that logs in only at 10:00 (blank heatmap cells).
OVERRIDES = {
    "horizon.duration": "5h",
    "channels.chat": {"patience": {"dist": "exponential", "mean": "6m"},
                      "service_level": {"threshold": "2m", "target": 0.7}},
    "demand": [
        {"channel": "voice", "rate": {"per_day": 5200, "profile": "weekday"},
         "mix": {"billing": 0.45, "cards": 0.30, "loans": 0.15, "fraud": 0.10}},
        {"channel": "chat", "rate": {"per_hour": 40}, "mix": {"billing": 1.0}},
    ],
    "agents.chat_team": {"skills": {"billing": 1.0}, "channels": ["chat"],
                         "shifts": [{"start": "10:00", "end": "20:00", "count": 4}]},
    "agents.generalists.channels": ["voice", "chat"],
}


@pytest.fixture(scope="module")
def result() -> simcc.Result:
    scenario = simcc.load_scenario("scenarios/bank_multiskill.yaml", OVERRIDES)
    return simcc.simulate(scenario, replications=2, workers=1)


def _labels(fig: Figure) -> list[str]:
    return [text for ax in fig.axes for text in (ax.get_xlabel(), ax.get_ylabel())]


def _save(fig: Figure, path) -> None:
    fig.savefig(path, dpi=80)
    assert path.stat().st_size > 1000


def _bins(result: simcc.Result) -> pd.DataFrame:
    return result.intervals.drop_duplicates("interval").sort_values("interval")


# ----------------------------------------------------------------------------- intraday

@pytest.mark.parametrize("channel", ["voice", "chat"])
def test_intraday_one_channel(result, channel, tmp_path):
    fig = figures.intraday_figure(result, channel)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3  # offered, service level, staffed (twin of offered)
    top, bottom, twin = fig.axes
    rows = result.intervals[result.intervals["channel"] == channel].sort_values("interval")
    heights = [bar.get_height() for bar in top.containers[0]]
    np.testing.assert_allclose(heights, rows["offered"])
    np.testing.assert_allclose(twin.lines[0].get_ydata(), rows["staffed_agents"])
    np.testing.assert_allclose(bottom.lines[0].get_ydata(), rows["service_level"] * 100)
    target = result.scenario.channels[channel].service_level.target * 100
    dashed = [line for line in bottom.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and np.allclose(dashed[0].get_ydata(), target)
    assert "(contacts per 30 min)" in top.get_ylabel()
    assert "(agents)" in twin.get_ylabel()
    assert "(%)" in bottom.get_ylabel()
    assert "HH:MM" in bottom.get_xlabel()
    labels = [t.get_text() for t in bottom.get_xticklabels()]
    assert labels[0] == rows["clock"].iloc[0]
    _save(fig, tmp_path / f"intraday_{channel}.png")


def test_intraday_all_channels(result, tmp_path):
    """Offered stacked by channel; each channel's own service level and target (never
    a pooled service level against the first channel's target)."""
    fig = figures.intraday_figure(result)
    top, bottom = fig.axes
    bins = _bins(result)["interval"]
    channels = list(result.scenario.channels)
    assert len(top.containers) == len(channels)
    for i, name in enumerate(channels):
        rows = result.intervals[result.intervals["channel"] == name].set_index(
            "interval").reindex(bins)
        np.testing.assert_allclose([b.get_height() for b in top.containers[i]],
                                   rows["offered"].fillna(0))
        solid, dashed = bottom.lines[2 * i], bottom.lines[2 * i + 1]
        np.testing.assert_allclose(solid.get_ydata(), rows["service_level"] * 100)
        target = result.scenario.channels[name].service_level.target * 100
        assert dashed.get_linestyle() == "--" and np.allclose(dashed.get_ydata(), target)
        assert solid.get_color() == dashed.get_color()
    legend = [t.get_text() for t in top.get_legend().get_texts()]
    assert legend == ["voice (SL target 80% within 30 s)", "chat (SL target 70% within 2 min)"]
    _save(fig, tmp_path / "intraday_all.png")


def test_intraday_unknown_channel(result):
    with pytest.raises(ValueError, match="unknown channel"):
        figures.intraday_figure(result, "email")


# ----------------------------------------------------------------------------- wait CDF

def test_wait_cdf(result, tmp_path):
    """One panel per channel, each with its own threshold only."""
    fig = figures.wait_cdf_figure(result)
    assert isinstance(fig, Figure)
    channels = list(result.scenario.channels)
    assert len(fig.axes) == len(channels) == 2
    horizon = result.scenario.horizon
    contacts = result.contacts
    counted = contacts[(contacts["arrival_s"] >= horizon.warmup)
                       & (contacts["arrival_s"] < horizon.length_s) & contacts["answered"]]
    for ax, name in zip(fig.axes, channels, strict=True):
        assert ax.get_title() == name
        assert "(s)" in ax.get_xlabel()
        solid = [line for line in ax.lines if line.get_linestyle() == "-"]
        dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
        assert len(solid) == len(dashed) == 1
        waits = np.sort(counted.loc[counted["channel"] == name, "wait_s"])
        np.testing.assert_allclose(solid[0].get_xdata()[1:], waits)
        y = np.asarray(solid[0].get_ydata())
        assert y[-1] == 1.0 and np.all(np.diff(y) >= 0)
        threshold = result.scenario.channels[name].service_level.threshold
        assert np.allclose(dashed[0].get_xdata(), threshold)
        assert ax.get_xlim()[1] == pytest.approx(max(np.quantile(waits, 0.99),
                                                     1.05 * threshold))
    assert "(%)" in fig.axes[0].get_ylabel()
    _save(fig, tmp_path / "wait_cdf.png")
    with pytest.raises(ValueError, match="no contact records"):
        figures.wait_cdf_figure(result, result.contacts.iloc[:0])


# ----------------------------------------------------------------------------- occupancy

def test_occupancy_heatmap(result, tmp_path):
    """Cells are the interval table's occupancy of the agents serving each channel."""
    fig = figures.occupancy_heatmap(result)
    assert len(fig.axes) == 2  # heatmap + colorbar
    ax, bar = fig.axes
    channels = list(result.scenario.channels)
    bins = _bins(result)
    data = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
    assert data.shape == (len(channels), len(bins))
    for row, name in enumerate(channels):
        rows = result.intervals[result.intervals["channel"] == name].set_index(
            "interval").reindex(bins["interval"])
        np.testing.assert_allclose(data[row], rows["occupancy"] * 100)
    assert ax.images[0].get_clim() == (0.0, 100.0)
    assert "(%)" in bar.get_ylabel()
    assert "HH:MM" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == channels
    _save(fig, tmp_path / "occupancy.png")


# ----------------------------------------------------------------------------- sweep

@pytest.fixture
def sweep() -> tuple[pd.DataFrame, pd.DataFrame]:
    agents = np.arange(8, 14)
    sl = np.linspace(0.5, 0.95, len(agents))
    ab = np.linspace(0.12, 0.01, len(agents))
    asa = np.linspace(80.0, 5.0, len(agents))
    rows = []
    for kpi, values, half in (("service_level", sl, 0.02), ("abandon_rate", ab, 0.005),
                              ("asa_s", asa, 3.0)):
        rows += [{"agents": a, "kpi": kpi, "mean": v, "ci_low": v - half, "ci_high": v + half}
                 for a, v in zip(agents, values, strict=True)]
    sweep = pd.DataFrame(rows)
    sweep.loc[0, ["ci_low", "ci_high"]] = np.nan  # a single replication: no CI
    theory = sweep[sweep["kpi"] != "abandon_rate"][["agents", "kpi"]].assign(
        value=sweep["mean"] * 1.02)
    return sweep, theory


def test_staffing_sweep(sweep, tmp_path):
    table, theory = sweep
    fig = figures.staffing_sweep_figure(table, theory)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    for ax, kpi in zip(fig.axes, ["service_level", "abandon_rate", "asa_s"], strict=True):
        unit = "(s)" if kpi == "asa_s" else "(%)"
        assert unit in ax.get_ylabel() and "agents" in ax.get_xlabel()
        scale = 1.0 if kpi == "asa_s" else 100.0
        bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        assert len(bars) == 1
        part = table[table["kpi"] == kpi]
        line = bars[0].lines[0]
        np.testing.assert_allclose(np.asarray(line.get_ydata(), float), part["mean"] * scale)
        np.testing.assert_allclose(np.asarray(line.get_xdata(), float), part["agents"])
        erlang = [line for line in ax.lines if line.get_label() == "Erlang A"]
        if kpi == "abandon_rate":
            assert not erlang
        else:
            expected = theory.loc[theory["kpi"] == kpi, "value"] * scale
            np.testing.assert_allclose(erlang[0].get_ydata(), expected)
    _save(fig, tmp_path / "sweep.png")


def test_staffing_sweep_layout_and_errors(sweep):
    table, _ = sweep
    many = pd.concat([table, table.assign(kpi="occupancy"), table.assign(kpi="wait_p90_s")])
    fig = figures.staffing_sweep_figure(many)
    assert len(fig.axes) == 5  # 2 rows of 3, the unused panel removed
    assert all(not [ln for ln in ax.lines if ln.get_label() == "Erlang A"] for ax in fig.axes)
    with pytest.raises(ValueError, match="misses columns"):
        figures.staffing_sweep_figure(table.drop(columns="ci_low"))


# ----------------------------------------------------------------------------- style

def test_backtest_figure_unchanged(tmp_path):
    hours = pd.DataFrame({f"{m}_{s}": np.linspace(1, 2, 24) for m in figures.PANELS
                          for s in ("obs", "sim")}, index=range(24))
    fig = figures.backtest_figure(hours, title="bt")
    assert len(fig.axes) == 4
    assert fig.get_size_inches().tolist() == [10.0, 6.5]
    assert [ax.get_ylabel() for ax in fig.axes] == [
        "offered contacts per day", "abandon rate (%)", "ASA (s)", "service level (%)"]
    assert fig.axes[0].lines[0].get_color() == "black"
    _save(fig, tmp_path / "backtest.png")


def test_shared_style():
    assert figures.kpi_label("service_level") == ("service level (%)", 100.0)
    assert figures.kpi_label("blocked_rate")[1] == 100.0
    assert figures.kpi_label("some_wait_s") == ("some wait (s)", 1.0)
    fig, ax = figures.new_figure(height=3)
    assert fig.get_size_inches()[0] == figures.FIG_WIDTH
    figures.style_axes(ax)
    assert ax.xaxis.get_gridlines()[0].get_visible()
