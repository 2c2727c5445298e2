"""Semantic warnings: valid scenarios whose runs make no sense are named, path and
problem; the shipped scenarios get none; the CLI prints them on stderr and --strict
turns them into exit code 2."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from helpers import scenario, small

import simcc
from simcc.scenario.semantics import scenario_warnings

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("benchmarks/*.yaml")])


def paths(doc) -> list[str]:
    return [w.path for w in scenario_warnings(simcc.load_scenario(doc))]


def team(**staffing):
    return {"team": {**staffing, "skills": {"general": 1.0}, "channels": ["voice"]}}


def day_shifts(*spans, count=10):
    return team(shifts=[{"start": a, "end": b, "count": count} for a, b in spans])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_and_their_variants_get_no_warning(path):
    assert simcc.validate(path) == []


def test_shifts_outside_the_default_horizon_start():
    # The issue's case: 08:00-16:00 shifts, horizon.start left at 00:00, 8 hours.
    doc = scenario(agents=day_shifts(("08:00", "16:00"), count=100))
    found = scenario_warnings(simcc.load_scenario(doc))
    assert [w.path for w in found] == ["demand[0].mix.general", "agents.team.shifts[0]"]
    assert "outside the horizon" in found[1].message and "horizon.start" in found[1].message
    doc["horizon"]["start"] = "08:00"
    assert paths(doc) == []


def test_only_the_shift_outside_is_named():
    doc = small(horizon={"duration": "8h", "start": "08:00"},
                agents=day_shifts(("08:00", "16:00"), ("18:00", "22:00")))
    assert paths(doc) == ["agents.team.shifts[1]"]


def test_a_staffing_table_outside_the_horizon():
    doc = small(horizon={"duration": "4h", "start": "00:00"},
                agents=team(staffing={"start": "06:00", "interval": "1h", "counts": [5, 5]}))
    assert "agents.team.staffing" in paths(doc)


def test_demand_without_any_agent():
    doc = small(agents=team(count=0))
    found = scenario_warnings(simcc.load_scenario(doc))
    assert [w.path for w in found] == ["demand[0].mix.general"]
    assert "agents.team: count 0" in found[0].message


def test_no_agent_logged_in_while_open_with_demand():
    doc = small(horizon={"duration": "8h", "start": "08:00"},
                agents=day_shifts(("08:00", "12:00"), ("13:00", "16:00")))
    found = scenario_warnings(simcc.load_scenario(doc))
    assert [w.path for w in found] == ["demand[0]"]
    assert "from 12:00 to 13:00" in found[0].message


def test_closed_hours_without_agents_are_fine_and_async_backlogs_wait():
    doc = small(horizon={"duration": "1d", "start": "00:00"},
                agents=day_shifts(("08:00", "20:00")))
    doc["channels"]["voice"]["hours"] = {"open": "08:00", "close": "20:00"}
    assert paths(doc) == []
    doc["channels"] = {"voice": {"mode": "async"}}
    doc["channels"]["voice"].pop("hours", None)
    assert paths(doc) == []  # email-like: the night's contacts wait for the shift


def test_the_gap_names_the_skill_without_agents_then():
    doc = small(horizon={"duration": "8h", "start": "08:00"},
                intents={"a": {"skill": "sa", "handle_time": {"dist": "constant", "mean": 60}},
                         "b": {"skill": "sb", "handle_time": {"dist": "constant", "mean": 60}}},
                demand=[{"channel": "voice", "rate": {"per_hour": 20}, "mix": {"a": .5, "b": .5}}],
                agents={"ta": {"count": 3, "skills": {"sa": 1.0}, "channels": ["voice"]},
                        "tb": {"shifts": [{"start": "08:00", "end": "12:00", "count": 3}],
                               "skills": {"sb": 1.0}, "channels": ["voice"]}})
    found = scenario_warnings(simcc.load_scenario(doc))
    assert [w.path for w in found] == ["demand[0]"]
    assert "skill 'sb'" in found[0].message and "from 12:00 to 16:00" in found[0].message


def test_offered_load_above_staffed_capacity():
    # 1176 calls/h x 5 min = 98 Erlangs.
    assert paths(scenario(agents=team(count=97))) == ["agents.team"]
    assert paths(scenario(agents=team(count=99))) == []


def test_chat_concurrency_counts_as_capacity():
    # 300 chats/h x 6 min = 30 Erlangs; 12 agents holding 3 chats stretched by 0.25 do
    # the work of 12 x 3 / 1.5 = 24 single-contact agents; 16 do that of 32.
    def chat(agents):
        return small(channels={"chat": {"concurrency": 3, "concurrency_stretch": 0.25}},
                     intents={"g": {"skill": "g", "handle_time": {"dist": "constant",
                                                                  "mean": "6m"}}},
                     demand=[{"channel": "chat", "rate": {"per_hour": 300}, "mix": {"g": 1}}],
                     agents={"t": {"count": agents, "skills": {"g": 1.0}, "channels": ["chat"]}})
    assert paths(chat(12)) == ["agents.t"]
    assert paths(chat(16)) == []


def test_agents_of_a_channel_offered_to_waiting_customers_count_as_capacity():
    # 100 calls/h x 5 min = 8.3 Erlangs: 5 voice agents alone cannot do it; with a chat
    # offer to waiting callers, the 4 chat agents take part of the work.
    def offered(offers):
        return small(channels={"voice": {}, "chat": {}},
                     demand=[{"channel": "voice", "rate": {"per_hour": 100},
                              "mix": {"general": 1.0}}],
                     agents={"voice": {"count": 5, "skills": {"general": 1.0},
                                       "channels": ["voice"]},
                             "chat": {"count": 4, "skills": {"general": 1.0},
                                      "channels": ["chat"]}},
                     routing={"policy": "fifo", "params": {"offers": offers}})
    assert paths(offered([])) == ["agents.voice"]
    assert paths(offered([{"offer": "chat", "when_wait_over": "30s", "acceptance": 0.4}])) == []
    assert paths(offered([{"offer": "callback", "when_wait_over": "30s"}])) == ["agents.voice"]


def test_warmup_as_long_as_the_busy_part():
    doc = small(horizon={"duration": "24h", "warmup": "10h", "start": "00:00"},
                profiles={"day": {"start": "08:00", "interval": "1h", "weights": [1] * 9}},
                demand=[{"channel": "voice", "rate": {"per_day": 400, "profile": "day"},
                         "mix": {"general": 1.0}}],
                agents=day_shifts(("08:00", "17:00")))
    found = scenario_warnings(simcc.load_scenario(doc))
    assert [w.path for w in found] == ["horizon.warmup"]
    assert "2h of it" in found[0].message
    doc["horizon"]["warmup"] = "1h"
    assert paths(doc) == []


def test_a_variant_is_named_by_its_path():
    doc = small(variants={"empty": {"agents.team.count": 0}})
    assert [w.path for w in simcc.validate(doc)] == ["variants.empty -> demand[0].mix.general"]


def test_simulate_issues_them_as_python_warnings():
    doc = small(horizon={"duration": "30m"}, agents=team(count=0))
    with pytest.warns(simcc.ScenarioWarning, match=r"demand\[0\]\.mix\.general"):
        simcc.simulate(doc, replications=1, workers=1, records="none")
    with warnings.catch_warnings():
        warnings.simplefilter("error", simcc.SimccWarning)
        with pytest.raises(simcc.ScenarioWarning):
            simcc.simulate(doc, replications=1, workers=1, records="none")


def cli(*args):
    return subprocess.run([sys.executable, "-m", "simcc", *args], capture_output=True,
                          text=True, cwd=ROOT)


@pytest.fixture
def nonsense(tmp_path):
    path = tmp_path / "nonsense.yaml"
    doc = scenario(horizon={"duration": "1h"}, agents=day_shifts(("08:00", "16:00")),
                   replications=1)
    path.write_text(yaml.safe_dump(doc))
    return path


def test_cli_prints_warnings_on_stderr_and_strict_exits_2(nonsense):
    checked = cli("validate", str(nonsense))
    assert checked.returncode == 0
    assert "agents.team.shifts[0]" in checked.stderr and "warning" in checked.stderr
    assert "shifts[0]" not in checked.stdout
    strict = cli("validate", "--strict", str(nonsense))
    assert strict.returncode == 2 and "--strict" in strict.stderr
    run = cli("run", str(nonsense), "--json", "-q", "--executor", "serial")
    assert run.returncode == 0
    json.loads(run.stdout)  # stdout stays one clean JSON object
    assert run.stderr.count("warning:") == 2
    assert cli("run", str(nonsense), "--strict", "--json").returncode == 2


def test_cli_validate_of_a_shipped_scenario_is_quiet():
    checked = cli("validate", "--strict", "scenarios/bank_multiskill.yaml")
    assert checked.returncode == 0 and checked.stderr == ""


def test_a_break_everyone_takes_at_once_leaves_the_channel_unstaffed():
    doc = small(horizon={"duration": "10h", "warmup": 0})
    doc["agents"]["team"] = {"shifts": [{"start": "00:00", "end": "10:00", "count": 4,
                                         "breaks": [{"start": "05:00", "duration": "30m"}]}],
                             "skills": {"general": 1.0}, "channels": ["voice"]}
    texts = [str(w) for w in scenario_warnings(simcc.load_scenario(doc))]
    assert any("from 05:00 to 05:30, but no agent" in t for t in texts)
    staggered = doc["agents"]["team"]["shifts"][0]
    staggered["breaks"] = [{"window": ["05:00", "07:00"], "duration": "30m"}]
    texts = [str(w) for w in scenario_warnings(simcc.load_scenario(doc))]
    assert not any("no agent with the skill" in t for t in texts)  # staggered: covered


def test_a_weekday_shift_leaves_the_weekend_unstaffed_and_says_how_long():
    doc = small(horizon={"days": 7}, calendar={"start_date": "2026-03-02"})  # a Monday
    doc["agents"]["team"] = {"shifts": [{"start": "00:00", "end": "12:00", "count": 9,
                                         "days": ["mon", "tue", "wed", "thu", "fri"]}],
                             "skills": {"general": 1.0}, "channels": ["voice"]}
    texts = [str(w) for w in scenario_warnings(simcc.load_scenario(doc))]
    assert any("from 12:00 to 00:00 on 4 of 7 days" in t and "(60h in a row)" in t
               for t in texts)
    assert any("than the 540 agent-hours its agents are logged in" in t for t in texts)
