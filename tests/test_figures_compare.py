"""Comparison (forest plot) and journey figures, from hand-built tables."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from simcc.report import figures  # noqa: E402

VARIANTS = ["skill_based", "plus_two_agents", "longest_idle"]


def _save(fig: Figure, path) -> None:
    fig.savefig(path, dpi=80)
    assert path.stat().st_size > 1000


def _row(variant, kpi, mean, low, high, base, scope="overall", key="all", n=10):
    return {"variant": variant, "scope": scope, "key": key, "kpi": kpi,
            "baseline_mean": base, "variant_mean": base + mean, "diff_mean": mean,
            "diff_ci_low": low, "diff_ci_high": high, "n": n}


@pytest.fixture
def differences() -> pd.DataFrame:
    rows = [
        # service level: better (+4 pp), worse (-3 pp), not significant
        _row("skill_based", "service_level", 0.04, 0.02, 0.06, 0.78),
        _row("plus_two_agents", "service_level", -0.03, -0.05, -0.01, 0.78),
        _row("longest_idle", "service_level", 0.005, -0.01, 0.02, 0.78),
        # ASA: lower is better
        _row("skill_based", "asa_s", -12.0, -18.0, -6.0, 40.0),
        _row("plus_two_agents", "asa_s", 8.0, 3.0, 13.0, 40.0),
        _row("longest_idle", "asa_s", 1.0, -2.0, 4.0, 40.0),
        # occupancy: neutral; fcr with one missing CI
        _row("skill_based", "occupancy", -0.05, -0.07, -0.03, 0.85),
        _row("plus_two_agents", "occupancy", 0.01, -0.01, 0.03, 0.85),
        _row("longest_idle", "occupancy", 0.0, -0.01, 0.01, 0.85),
        _row("skill_based", "fcr", 0.02, np.nan, np.nan, 0.7, n=1),
        # other scope: ignored by default
        _row("skill_based", "service_level", 0.5, 0.4, 0.6, 0.5, scope="channel",
             key="voice"),
        # a KPI not among the defaults
        _row("skill_based", "aht_s", 3.0, 1.0, 5.0, 300.0),
    ]
    return pd.DataFrame(rows)


def _bars(ax) -> dict[str, ErrorbarContainer]:
    """Errorbar containers of a panel by variant (y tick label of their point; the
    panels share the y axis, whose tick labels show on the first column only)."""
    labels = [t.get_text() for t in ax.figure.axes[0].get_yticklabels()]
    out = {}
    for container in ax.containers:
        if isinstance(container, ErrorbarContainer):
            y = container.lines[0].get_ydata()[0]
            out[labels[int(y)]] = container
    return out


# ----------------------------------------------------------------------------- comparison

def test_comparison_panels_points_and_bars(differences, tmp_path):
    fig = figures.comparison_figure(differences)
    _save(fig, tmp_path / "comparison.png")
    assert len(fig.axes) == 4  # service_level, asa_s, occupancy, fcr (default order)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "service level\nhigher is better; baseline 78%"
    assert titles[1] == "ASA\nlower is better; baseline 40 s"
    assert titles[2] == "occupancy\nneutral; baseline 85%"
    assert titles[3] == "FCR\nhigher is better; baseline 70%"
    assert fig.axes[0].get_xlabel() == "variant − baseline (pp)"
    assert fig.axes[1].get_xlabel() == "variant − baseline (s)"
    for ax in (fig.axes[0], fig.axes[3]):  # first column: the variant names
        assert [t.get_text() for t in ax.get_yticklabels()] == VARIANTS
    for ax in fig.axes:
        assert list(ax.get_yticks()) == [0, 1, 2]
        assert ax.get_ylim()[0] > ax.get_ylim()[1]  # first variant on top
        # the zero line
        assert any(np.allclose(line.get_xdata(), 0.0) and len(line.get_xdata()) == 2
                   for line in ax.get_lines())
        lo, hi = ax.get_xlim()
        assert lo < 0.0 < hi

    sl = _bars(fig.axes[0])
    assert set(sl) == set(VARIANTS)
    for variant, mean, low, high in [("skill_based", 4.0, 2.0, 6.0),
                                     ("plus_two_agents", -3.0, -5.0, -1.0),
                                     ("longest_idle", 0.5, -1.0, 2.0)]:
        point = sl[variant].lines[0]
        assert point.get_xdata()[0] == pytest.approx(mean)  # pp: x100
        (segment,) = sl[variant].lines[2][0].get_segments()
        assert sorted(segment[:, 0]) == pytest.approx([low, high])
        assert segment[0, 1] == segment[1, 1] == VARIANTS.index(variant)

    asa = _bars(fig.axes[1])
    assert asa["skill_based"].lines[0].get_xdata()[0] == pytest.approx(-12.0)  # s: x1
    (segment,) = asa["skill_based"].lines[2][0].get_segments()
    assert sorted(segment[:, 0]) == pytest.approx([-18.0, -6.0])

    fcr = _bars(fig.axes[3])
    assert set(fcr) == {"skill_based"}  # only one variant has this KPI
    assert fcr["skill_based"].lines[0].get_xdata()[0] == pytest.approx(2.0)
    assert not fcr["skill_based"].has_xerr  # NaN CI: no bar


def test_comparison_colors(differences):
    fig = figures.comparison_figure(differences)
    green, red, gray = to_rgba("tab:green"), to_rgba("tab:red"), to_rgba("tab:gray")

    def color(ax, variant):
        return to_rgba(_bars(ax)[variant].lines[0].get_color())

    sl, asa, occ, fcr = fig.axes
    assert color(sl, "skill_based") == green      # +4 pp, CI > 0, higher is better
    assert color(sl, "plus_two_agents") == red    # -3 pp, CI < 0
    assert color(sl, "longest_idle") == gray      # CI straddles 0
    assert color(asa, "skill_based") == green     # -12 s, lower is better
    assert color(asa, "plus_two_agents") == red
    assert color(asa, "longest_idle") == gray
    # occupancy is neutral: never green or red, even when significant
    for variant in VARIANTS:
        assert color(occ, variant) not in (green, red)
    assert color(fcr, "skill_based") == gray      # no CI
    # hollow markers when not significant
    point = _bars(sl)["longest_idle"].lines[0]
    assert to_rgba(point.get_markerfacecolor()) == to_rgba("white")
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert any(label.startswith("better") for label in labels)
    assert any(label.startswith("worse") for label in labels)
    assert any(label.startswith("not significant") for label in labels)


def test_comparison_verdicts():
    verdict = figures._diff_verdict
    assert verdict("service_level", 0.01, 0.02) == "better"
    assert verdict("service_level", -0.02, -0.01) == "worse"
    assert verdict("abandon_rate", -0.02, -0.01) == "better"
    assert verdict("wait_p90_s", 1.0, 2.0) == "worse"
    assert verdict("asa_s", -1.0, 1.0) == "not significant"
    assert verdict("asa_s", 0.0, 1.0) == "not significant"
    assert verdict("occupancy", 0.01, 0.02) == "changed"
    assert verdict("fcr", np.nan, np.nan) == "no CI"


def test_comparison_scope_and_kpis(differences, tmp_path):
    fig = figures.comparison_figure(differences, kpis=["service_level"], scope="channel",
                                    key="voice", title="voice")
    _save(fig, tmp_path / "voice.png")
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["skill_based"]
    assert _bars(ax)["skill_based"].lines[0].get_xdata()[0] == pytest.approx(50.0)
    assert "voice" in fig.get_suptitle()
    fig = figures.comparison_figure(differences, kpis=["aht_s", "asa_s"])
    assert len(fig.axes) == 2


def test_comparison_errors(differences):
    with pytest.raises(ValueError, match="scope='queue'"):
        figures.comparison_figure(differences, scope="queue")
    with pytest.raises(ValueError, match="transfer_rate"):
        figures.comparison_figure(differences, kpis=["transfer_rate"])
    with pytest.raises(ValueError, match="none of the default KPIs"):
        figures.comparison_figure(differences[differences["kpi"] == "aht_s"])
    with pytest.raises(ValueError, match="misses columns"):
        figures.comparison_figure(differences.drop(columns="diff_ci_low"))


# ----------------------------------------------------------------------------- journeys

@pytest.fixture
def contacts() -> pd.DataFrame:
    # issue 1: chat -> voice; issue 2: voice only; issue 3: email -> chat -> voice
    # (listed out of order: the figure sorts by arrival); replication 1 repeats issue 1.
    rows = [
        (0, 10, 1, "voice", 500.0), (0, 1, 1, "chat", 100.0),
        (0, 2, 2, "voice", 150.0),
        (0, 3, 3, "email", 200.0), (0, 12, 3, "voice", 900.0), (0, 11, 3, "chat", 600.0),
        (1, 1, 1, "chat", 120.0), (1, 5, 1, "voice", 400.0),
    ]
    frame = pd.DataFrame(rows, columns=["replication", "contact_id", "issue_id", "channel",
                                        "arrival_s"])
    frame["channel"] = pd.Categorical(frame["channel"], ["voice", "chat", "email", "sms"])
    frame["answered"] = True
    return frame


@pytest.fixture
def legs() -> pd.DataFrame:
    rows = [(0, 10, 0, "tier1", 510.0), (0, 10, 1, "tier2", 700.0),
            (0, 2, 0, "tier1", 160.0), (1, 10, 0, "tier2", 300.0)]
    return pd.DataFrame(rows, columns=["replication", "contact_id", "leg", "group",
                                       "answered_s"])


def _image(ax) -> np.ndarray:
    (image,) = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    return np.ma.filled(image.get_array(), 0).astype(int)


def _annotations(ax) -> np.ndarray:
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in ax.texts}
    n_rows = 1 + max(r for r, _ in cells)
    n_cols = 1 + max(c for _, c in cells)
    return np.array([[int(cells[r, c].replace(",", "")) for c in range(n_cols)]
                     for r in range(n_rows)])


def test_journey_channel_matrix(contacts, legs, tmp_path):
    fig = figures.journey_figure(contacts, legs)
    _save(fig, tmp_path / "journey.png")
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    # channels in category order, unused "sms" left out; "first contact" row on top
    assert [t.get_text() for t in ax.get_xticklabels()] == ["voice", "chat", "email"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["first contact", "voice", "chat",
                                                           "email"]
    expected = np.array([
        [1, 2, 1],  # issues starting on voice, chat, email (4 issues over 2 replications)
        [0, 0, 0],  # from voice
        [2, 0, 0],  # chat -> voice (issue 1 twice, issue 3 once... see below)
        [0, 1, 0],  # email -> chat
    ])
    expected[2, 0] = 3  # chat -> voice: issue 1 in both replications, issue 3
    np.testing.assert_array_equal(_image(ax), expected)
    np.testing.assert_array_equal(_annotations(ax), expected)
    assert "4 issues" in ax.get_title() and "4 repeat" in ax.get_title()
    assert "summed over 2 replications" in fig.get_suptitle()
    assert ax.get_ylabel().startswith("from") and ax.get_xlabel().startswith("to")


def test_journey_transfers(contacts, legs):
    fig = figures.journey_figure(contacts, legs)
    ax = fig.axes[1]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["tier1", "tier2"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["tier1", "tier2"]
    expected = np.array([[0, 1], [0, 0]])  # one transfer tier1 -> tier2
    np.testing.assert_array_equal(_image(ax), expected)
    np.testing.assert_array_equal(_annotations(ax), expected)
    assert "transfers" in ax.get_title()


def test_journey_no_transfers_and_no_legs(contacts, legs, tmp_path):
    single = legs[legs["leg"] == 0]
    fig = figures.journey_figure(contacts, single)
    _save(fig, tmp_path / "no_transfers.png")
    ax = fig.axes[1]
    assert [t.get_text() for t in ax.texts] == ["no transfers in these records"]
    assert not [a for a in ax.get_children() if isinstance(a, AxesImage)]
    assert len(figures.journey_figure(contacts).axes) == 1


def test_journey_errors(contacts, legs):
    with pytest.raises(ValueError, match="issue_id"):
        figures.journey_figure(contacts.drop(columns="issue_id"))
    with pytest.raises(ValueError, match="empty"):
        figures.journey_figure(contacts.iloc[:0])
    with pytest.raises(ValueError, match="legs misses"):
        figures.journey_figure(contacts, legs.drop(columns="leg"))
