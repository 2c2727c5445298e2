"""Hostile and absurd input (issue 15 items 6, 8, 9, 10): alias bombs, duplicate keys,
non-finite and out-of-range parameters, deep nesting, special files, huge names and
bad command-line values all end in a ScenarioError / exit 2, quickly."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers import small
from typer.testing import CliRunner

from simcc.cli import app
from simcc.errors import ScenarioError, shown
from simcc.scenario import load_scenario, parse_assignment, read_document
from simcc.scenario.yamltext import MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, parse_yaml

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _problems(exc: pytest.ExceptionInfo[ScenarioError]) -> str:
    return str(exc.value)


# ---------------------------------------------------------------- item 6: alias bombs


def test_a_one_kilobyte_billion_laughs_is_refused_at_once(tmp_path):
    text = yaml.safe_dump(small(), sort_keys=False) + _bomb(9)
    assert len(text) < 2000
    path = _write(tmp_path, text)
    start = time.monotonic()
    with pytest.raises(ScenarioError) as exc:
        read_document(path)
    assert time.monotonic() - start < 0.5
    assert "alias" in _problems(exc) and f"{MAX_ALIAS_NODES:,}" in _problems(exc)
    assert str(path) in _problems(exc)


def test_the_cli_refuses_an_alias_bomb_with_exit_2(tmp_path):
    path = _write(tmp_path, yaml.safe_dump(small(), sort_keys=False) + _bomb(9))
    start = time.monotonic()
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert time.monotonic() - start < 2
    assert "alias bomb" in result.output


def test_aliases_that_expand_modestly_are_accepted():
    doc = parse_yaml("x: &x [1, 2, 3]\ny: [*x, *x, *x]\n")
    assert doc == {"x": [1, 2, 3], "y": [[1, 2, 3]] * 3}


def test_recursive_aliases_are_refused():
    with pytest.raises(ScenarioError, match="contains it"):
        parse_yaml("a: &a [1, *a]\n")


def test_a_recursive_alias_in_set_is_refused():
    with pytest.raises(ScenarioError, match=r"--set agents.team.count.*contains it"):
        parse_assignment("agents.team.count=&a [*a]")


def test_values_echoed_in_messages_are_cut_with_their_length():
    document = small(description=["x" * 50] * 10_000)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(document)
    assert len(_problems(exc)) < 1500
    assert shown("y" * 5000).endswith("... (5,000 characters)")
    assert len(shown(list(range(100_000)))) < 250


def test_a_six_level_bomb_in_a_text_field_gives_a_short_message(tmp_path):
    base = yaml.safe_dump({k: v for k, v in small().items() if k != "name"}, sort_keys=False)
    levels = ", ".join(["&l0 [" + ", ".join(["lol"] * 9) + "]"] +
                       [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 5)])
    path = _write(tmp_path, base + f"name: [{levels}]\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert len(result.output) < 2000


# ---------------------------------------------------------------- item 9: duplicate keys


def test_duplicate_keys_are_refused_with_the_path_and_line(tmp_path):
    text = yaml.safe_dump(small(), sort_keys=False).replace(
        "    count: 5\n", "    count: 100\n    count: 60\n")
    path = _write(tmp_path, text)
    line = text.splitlines().index("    count: 60") + 1
    with pytest.raises(ScenarioError) as exc:
        read_document(path)
    assert f"agents.team: duplicate key 'count' (line {line}; first on line {line - 1})" \
        in _problems(exc)


def test_duplicate_keys_at_the_top_and_in_flow_mappings():
    with pytest.raises(ScenarioError, match=r"^invalid scenario: duplicate key 'seed'"):
        parse_yaml("seed: 1\nseed: 2\n")
    with pytest.raises(ScenarioError, match=r"a\[0\]: duplicate key 'x' \(line 1"):
        parse_yaml("a: [{x: 1, x: 2}]\n")


def test_merge_keys_may_override():
    assert parse_yaml("b: &b {x: 1}\nc: {<<: *b, x: 2}\n")["c"] == {"x": 2}


# ---------------------------------------------------------------- item 8: parameter bounds


@pytest.mark.parametrize("dist, problem", [
    ({"dist": "weibull", "mean": 300, "shape": 0.001}, "must be >= 0.25"),
    ({"dist": "weibull", "mean": 300, "shape": 1e6}, "must be <= 1000"),
    ({"dist": "gamma", "mean": 300, "cv": math.inf}, "must be a finite number"),
    ({"dist": "gamma", "mean": 300, "cv": 1e-300}, "must be >= 0.001"),
    ({"dist": "lognormal", "mean": 300, "cv": 1e308}, "must be <= 10"),
    ({"dist": "erlang", "mean": 300, "k": 10**9}, "must be <= 1000000"),
    ({"dist": "exponential", "mean": 1e308}, "at most 1e+09 s"),
    ({"dist": "exponential", "mean": 1e-9}, "mean must be >= 0.001 s"),
    ({"dist": "empirical", "values": [60, math.nan]}, "finite"),
])
def test_distribution_parameters_are_bounded(dist, problem):
    document = small()
    document["intents"]["general"]["handle_time"] = dist
    with pytest.raises(ScenarioError, match="intents.general.handle_time") as exc:
        load_scenario(document)
    assert problem in _problems(exc)


@pytest.mark.parametrize("path, value, problem", [
    ("demand[0].rate.per_hour", math.inf, "must be a finite number"),
    ("demand[0].rate.per_hour", math.nan, "must be a finite number"),
    ("demand[0].rate.per_hour", 1e300, "must be <= 1000000000"),
    ("segments.default.patience_factor", 1e308, "must be <= 1000"),
    ("channels.voice.concurrency_stretch", math.inf, "must be a finite number"),
    ("agents.team.cost_per_hour", 1e300, "must be <= 1000000000"),
    ("demand[0].busyness.cv", math.inf, "must be a finite number"),
    ("horizon.duration", 1e300, "at most 1e+09 s"),
])
def test_rates_and_numbers_are_finite_and_bounded(path, value, problem):
    document = small(segments={"default": {"share": 1.0}})
    with pytest.raises(ScenarioError) as exc:
        load_scenario(document, {path: value})
    assert problem in _problems(exc)


def test_the_examples_lie_within_the_bounds():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        load_scenario(path)


# ---------------------------------------------------------------- item 10: the rest


def test_deep_nesting_is_refused_before_the_parser_recurses(tmp_path):
    path = _write(tmp_path, "name: x\ndescription: " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ScenarioError, match=f"more than {MAX_DEPTH} levels deep"):
        read_document(path)
    nested = "{a: " * (MAX_DEPTH - 2) + "1" + "}" * (MAX_DEPTH - 2)
    assert parse_yaml(f"x: {nested}\n")["x"]["a"]


@pytest.mark.parametrize("kind", ["fifo", "directory", "device", "missing", "large"])
def test_special_and_oversized_files_are_refused_without_reading(tmp_path, kind):
    path = tmp_path / "s.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "device":
        path = Path("/dev/zero")
    elif kind == "large":
        with open(path, "wb") as handle:
            handle.truncate(MAX_FILE_BYTES + 1)
    expected = {"fifo": "a FIFO", "directory": "a directory", "device": "character device",
                "missing": "not found", "large": "at most 10 MiB"}[kind]
    start = time.monotonic()
    result = runner.invoke(app, ["validate", str(path)])
    assert time.monotonic() - start < 2
    assert result.exit_code == 2
    assert expected in result.output


def test_binary_and_non_utf8_files_are_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        read_document(path)
    path.write_bytes(b"name: a\x00b\n")
    with pytest.raises(ScenarioError, match="YAML syntax error"):
        read_document(path)


def test_a_twenty_megabyte_name_is_refused_quickly(tmp_path):
    text = yaml.safe_dump({**small(), "name": "NAME"}).replace("NAME", "n" * 20_000_000)
    path = _write(tmp_path, text)  # (yaml.safe_dump of the long name itself takes ~10 s)
    start = time.monotonic()
    result = runner.invoke(app, ["validate", str(path)])
    assert time.monotonic() - start < 3
    assert result.exit_code == 2 and "at most 10 MiB" in result.output


def test_long_names_and_keys_are_refused():
    with pytest.raises(ScenarioError, match=r"name: must be at most 200 characters, got 5,000"):
        load_scenario(small(name="n" * 5000))
    document = small()
    document["agents"]["k" * 300] = document["agents"].pop("team")
    with pytest.raises(ScenarioError, match="names are at most 200 characters"):
        load_scenario(document)
    with pytest.raises(ScenarioError, match="text of 20,000 characters"):
        load_scenario(small(description="d" * 20_000))


@pytest.mark.parametrize("assignment, problem", [
    ("demand[-1].rate.per_hour=5", "a list index is a whole number from 0, got '-1'"),
    ("demand[0.rate=3", "unmatched bracket"),
])
def test_bad_set_paths_exit_2(assignment, problem):
    result = runner.invoke(app, ["validate", str(ROOT / "scenarios/erlang_a.yaml"),
                                 "--set", assignment])
    assert result.exit_code == 2
    assert problem in result.output


def test_a_path_with_a_word_in_brackets_is_refused():
    with pytest.raises(ScenarioError, match=r"demand\[x\].rate: a list index is a whole "
                       "number from 0, got 'x'"):
        load_scenario(small(), {"demand[x].rate": 5})


@pytest.mark.parametrize("address", ["notaurl", "tcp://host", "http://a b:1", ""])
def test_a_bad_scheduler_address_exits_2_quickly(address):
    start = time.monotonic()
    result = runner.invoke(app, ["run", str(ROOT / "scenarios/erlang_a.yaml"), "-q",
                                 "--scheduler", address, "--set", "horizon={duration: 60}"])
    assert time.monotonic() - start < 5
    assert result.exit_code == 2, result.output
    assert "--scheduler" in result.output


def test_a_bad_scheduler_address_in_the_environment_is_named(monkeypatch):
    """``SIMCC_SCHEDULER`` is checked like ``--scheduler`` (and in the Python API)."""
    monkeypatch.setenv("SIMCC_SCHEDULER", "not a url")
    result = runner.invoke(app, ["run", str(ROOT / "scenarios/erlang_a.yaml"), "-q",
                                 "--set", "horizon={duration: 60}"])
    assert result.exit_code == 2, result.output
    assert "SIMCC_SCHEDULER: expected a Dask scheduler address" in result.output


def test_calibrate_refuses_a_zero_interval(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("contact_id\n1\n")
    result = runner.invoke(app, ["calibrate", str(log), "-o", str(tmp_path / "o.yaml"),
                                 "--interval", "0s"])
    assert result.exit_code == 2
    assert "--interval: must lie between 1m and 24h" in result.output
    assert not (tmp_path / "o.yaml").exists()


def test_python_m_simcc_refuses_a_fifo_without_hanging(tmp_path):
    fifo = tmp_path / "f.yaml"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "simcc", "validate", str(fifo)],
                          capture_output=True, text=True, timeout=30, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert "not a regular file (a FIFO)" in done.stderr
