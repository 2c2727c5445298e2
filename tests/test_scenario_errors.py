"""Bad input: a ScenarioError naming the place, and from the CLI exit 2, no traceback,
nothing written."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import scenario

from simcc import ScenarioError, load_scenario

BAD = [
    ({"agents.team.cuont": 3}, "agents.team.cuont", "did you mean 'count'"),
    ({"agents.team.count": -1}, "agents.team.count", "must be >= 0"),
    ({"demand[0].rate.per_hour": 0}, "demand[0].rate.per_hour", "must be > 0"),
    ({"demand[0].rate.per_hour": -5}, "demand[0].rate.per_hour", "must be > 0"),
    ({"replications": 0}, "replications", "must be >= 1"),
    ({"demand[0].mix": {"genral": 1.0}}, "demand[0].mix.genral", "unknown intent"),
    ({"demand[0].channel": "chat"}, "demand[0].channel", "unknown channel 'chat'"),
    ({"agents.team.skills": {"general": 1.0, "billing": 1.0}}, "agents.team.skills.billing",
     "unknown skill"),
    ({"agents.team.channels": ["voice", "email"]}, "agents.team.channels", "unknown channel"),
    ({"agents.team.skills.general": 1.5}, "agents.team.skills.general", "must be <= 1"),
    ({"agents.team.skills.general": 0}, "agents.team.skills.general", "must be > 0"),
    ({"channels.voice.patience.mean": "ten minutes"}, "channels.voice.patience.mean",
     "cannot read duration"),
    ({"demand[0].mix": {"general": 0.6}}, "demand[0].mix", "sum to 1"),
    ({"horizon.warmup": "8h"}, "horizon.warmup", "shorter than the duration"),
    ({"routing.policy": "no_such_policy"}, "routing.policy", "unknown policy"),
    ({"routing.policy": "nowhere.mod:Policy"}, "routing.policy", "cannot import module"),
    ({"channels.voice.patience": {"dist": "gamma", "mean": "5m"}}, "channels.voice.patience",
     "missing cv"),
    ({"segments": {"a": {"share": 0.5}, "b": {"share": 0.3}}}, "segments", "sum to 1"),
    ({"agents.team.shifts": [{"start": "08:00", "end": "16:00", "count": 2}]}, "agents.team",
     "exactly one of 'count', 'shifts' or 'staffing'"),
    ({"agents.team.channels": ["voice"], "intents.billing": {
        "skill": "billing", "handle_time": {"dist": "exponential", "mean": 60}},
      "demand[0].mix": {"general": 0.5, "billing": 0.5}}, "demand[0].mix.billing",
     "no agent group has skill 'billing'"),
    # journeys
    ({"channels.email": {"mode": "async", "patience": {"dist": "exponential", "mean": 60}}},
     "channels.email", "async channels never abandon nor block: remove patience"),
    ({"channels.voice.self_service": {"containment": {"genral": 0.5}}},
     "channels.voice.self_service.containment.genral", "did you mean 'general'"),
    ({"intents.general.escalation": {"probability": 0.1, "to": "expert"}},
     "intents.general.escalation.to", "no agent group has skill 'expert'"),
    ({"channels.chat": {}, "channels.email": {"mode": "async"},
      "repeats": {"probability": 0.5, "switch": {"voice": {"chat": 1.0},
                                                 "chat": {"email": 1.0}}}},
     "repeats.switch", "repeats of 'general' can reach channel 'chat'"),
    ({"repeats": {"probability": 0.5, "switch": {"voice": {"voice": 0.5}}}},
     "repeats.switch.voice", "sum to 1"),
    ({"channels.voice.callback": {"threshold": "1m", "mode": "later"}},
     "channels.voice.callback.mode", "keep_place"),
]


@pytest.mark.parametrize(("overrides", "path", "message"), BAD)
def test_bad_scenarios_name_the_place(overrides, path, message):
    with pytest.raises(ScenarioError) as info:
        load_scenario(scenario(), overrides)
    text = str(info.value)
    assert f"{path}:" in text and message in text, text


def test_every_problem_is_reported_at_once():
    with pytest.raises(ScenarioError) as info:
        load_scenario(scenario(), {"agents.team.count": -1, "replications": 0})
    assert {p for p, _ in info.value.problems} == {"agents.team.count", "replications"}


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "simcc", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("- a\n- b\n", "must be a mapping"),
    ("name: x\nhorizon: {duration: 8h\n", "YAML syntax error at line"),
    (yaml.safe_dump(scenario(agents={"team": {"count": -3, "skills": {"general": 1.0},
                                               "channels": ["voice"]}})),
     "agents.team.count: must be >= 0"),
])
def test_cli_rejects_bad_files_with_exit_2_and_writes_nothing(tmp_path, text, message):
    path = _write(tmp_path, text)
    out = tmp_path / "out"
    proc = _cli("run", str(path), "--out", str(out), "--json")
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""
    assert not out.exists()


def test_cli_missing_file_and_bad_override(tmp_path):
    proc = _cli("run", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2 and "file not found" in proc.stderr
    path = _write(tmp_path, yaml.safe_dump(scenario()))
    proc = _cli("run", str(path), "--set", "agents.team.count=many")
    assert proc.returncode == 2 and "agents.team.count: must be a whole number" in proc.stderr
    proc = _cli("run", str(path), "--set", "noequals")
    assert proc.returncode == 2 and "key.path=value" in proc.stderr


def test_cli_usage_errors_exit_2(tmp_path):
    path = _write(tmp_path, yaml.safe_dump(scenario()))
    assert _cli("run", str(path), "-n", "0").returncode == 2
    assert _cli("run", str(path), "--no-such-option").returncode == 2


def test_validate_lists_each_file(tmp_path):
    good = _write(tmp_path, yaml.safe_dump(scenario()))
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(scenario(replications=0)))
    proc = _cli("validate", str(good), str(bad))
    assert proc.returncode == 2
    assert f"ok: {good}" in proc.stdout
    assert "replications: must be >= 1" in proc.stderr


def test_schema_is_json_schema():
    proc = _cli("schema")
    assert proc.returncode == 0
    document = json.loads(proc.stdout)
    assert document["additionalProperties"] is False
    assert {"horizon", "channels", "intents", "demand", "agents"} <= set(document["required"])


def test_a_scenario_error_survives_pickling_from_a_worker():
    import pickle

    error = ScenarioError([("agents.team.count", "must be >= 0")], source="a.yaml")
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems and str(again) == str(error)
