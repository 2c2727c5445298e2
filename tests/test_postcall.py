"""The agents' post-call time estimated from a log without wrap-up
(simcc.calibrate.postcall): counted gaps by hand, and a simulated log whose wrap-up is
known."""

import pytest
from helpers import offered, scenario

import simcc
from simcc.calibrate.estimate import estimate
from simcc.calibrate.logs import load_generic
from simcc.calibrate.observed import offered_contacts
from simcc.calibrate.postcall import MIN_GAPS, busy_gaps, post_call_time
from simcc.calibrate.synthetic import result_to_log


def test_only_gaps_while_two_callers_wait_count():
    contacts = offered([
        ("a", 0.0, 0.0, 100.0),      # a ends at 100 ...
        (None, 90.0, 50.0, None),    # ... while two callers wait (one abandons at 140)
        ("a", 95.0, 11.0, 50.0),     # a answers at 106: a 6 s gap, counted; ends at 156
        ("a", 400.0, 0.0, 10.0),     # nobody waited at 156: not counted
        ("b", 0.0, 0.0, 100.0),      # b ends at 100 with two waiting, but its next
        ("b", 500.0, 0.0, 10.0),     # answer is 400 s later: beyond the session gap
    ])
    assert busy_gaps(contacts).tolist() == [6.0]
    assert busy_gaps(contacts, session_gap_s=500.0).tolist() == [6.0, 400.0]
    assert post_call_time(contacts).wrap_up_s is None  # fewer than MIN_GAPS


def test_enough_gaps_give_their_median():
    rows = []
    for k in range(MIN_GAPS + 1):  # agent k: a call ending at 100 while two wait
        gap = float(k % 3 + 4)      # 4, 5 or 6 s
        rows += [(f"a{k}", 0.0, 0.0, 100.0), (f"a{k}", 99.0, 1.0 + gap, 10.0),
                 (None, 99.0, 30.0, None)]
    post = post_call_time(offered(rows))
    assert post.wrap_up_s == 5.0 and post.diagnostics()["n"] == MIN_GAPS + 1


@pytest.fixture(scope="module")
def wrapped_log(tmp_path_factory):
    """A busy simulated center whose agents wrap up 12 s after every call."""
    doc = scenario(
        horizon={"duration": "6h", "start": "08:00"},
        channels={"voice": {"patience": {"dist": "exponential", "mean": 300.0}}},
        intents={"general": {"skill": "general", "handle_time": {
            "dist": "exponential", "mean": 240.0}}},
        demand=[{"channel": "voice", "rate": {"per_hour": 160}, "mix": {"general": 1.0}}],
        agents={"team": {"count": 11, "skills": {"general": 1.0}, "channels": ["voice"],
                         "wrap_up": 12.0}},
        replications=4,
    )
    path = tmp_path_factory.mktemp("log") / "log.csv"
    result_to_log(simcc.simulate(doc, workers=1)).to_csv(path, index=False)
    return offered_contacts(load_generic(path).records)


def test_calibration_recovers_a_known_wrap_up(wrapped_log):
    post = post_call_time(wrapped_log)
    assert post.diagnostics()["n"] > 500
    assert post.wrap_up_s == pytest.approx(12.0, abs=0.5)
    group = estimate(wrapped_log, "wrapped").scenario["agents"]["agents"]
    assert group["wrap_up"] == pytest.approx(12.0, abs=0.5)
    assert "wrap_up" not in estimate(wrapped_log, "w", wrap_up="none").scenario["agents"][
        "agents"]


def test_wrap_up_rule_is_checked(wrapped_log):
    with pytest.raises(ValueError, match="wrap_up: expected auto or none"):
        estimate(wrapped_log, "x", wrap_up="sometimes")
