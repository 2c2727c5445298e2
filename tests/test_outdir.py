"""Reusing --out: a previous simcc output is replaced as a whole, user files are never
deleted, a failing run leaves the previous output intact, problems are found before
simulating, and staging folders of killed runs are cleaned by the next run."""

import json
import os
import socket

import pytest
import yaml
from helpers import small
from typer.testing import CliRunner

import simcc.experiment
from simcc.cli import app
from simcc.experiment.outdir import MARKER, folder_state


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small(horizon={"duration": "1h", "warmup": "10m"})))
    return path


def run(scenario, out, *extra, command="run"):
    return CliRunner().invoke(app, [command, str(scenario), "--executor", "serial", "-q",
                                    "--out", str(out), *extra])


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_second_run_replaces_the_previous_output_as_a_whole(scenario, tmp_path):
    out = tmp_path / "out"
    assert run(scenario, out, "--records", "sample").exit_code == 0
    assert (out / "records" / "contacts").is_dir() and folder_state(out) == "output"
    assert json.loads((out / MARKER).read_text())["kind"] == "run"
    proc = run(scenario, out)  # no records this time: the old ones must go
    assert proc.exit_code == 0, proc.output
    assert not (out / "records").exists()
    assert {p.name for p in out.iterdir()} == {MARKER, "kpis.csv", "replication_kpis.csv",
                                               "intervals.csv", "intervals_wfm.csv",
                                               "result.json"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "small.yaml"]  # no staging


def test_a_folder_with_user_files_is_refused_without_force(scenario, tmp_path):
    out = tmp_path / "out"
    (out / "records").mkdir(parents=True)
    (out / "records" / "mine.txt").write_text("keep me")
    (out / "result.json").write_text("{}")
    before = listing(out)
    proc = run(scenario, out, "--records", "all")
    assert proc.exit_code == 2
    assert "files simcc did not write" in " ".join(proc.stderr.split())
    assert listing(out) == before
    proc = run(scenario, out, "--records", "all", "--force")
    assert proc.exit_code == 0, proc.output
    assert (out / "records" / "mine.txt").read_text() == "keep me"
    assert (out / "records" / "contacts" / "rep-000.parquet").is_file()
    assert json.loads((out / "result.json").read_text())["replications"] == 2


def test_force_refuses_before_simulating_when_a_file_is_named_records(scenario, tmp_path,
                                                                     monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "records").write_text("a user's file")
    monkeypatch.setattr(simcc.experiment, "simulate", None)  # would fail if it ran
    proc = run(scenario, out, "--records", "all", "--force")
    assert proc.exit_code == 2, proc.output
    assert "is a file where simcc writes its records folder" in " ".join(proc.stderr.split())
    assert (out / "records").read_text() == "a user's file"
    assert listing(out) == ["records"]


def test_a_simcc_output_with_an_added_user_file_is_not_replaced(scenario, tmp_path):
    out = tmp_path / "out"
    assert run(scenario, out).exit_code == 0
    (out / "notes.txt").write_text("mine")
    assert run(scenario, out).exit_code == 2
    assert run(scenario, out, "--force").exit_code == 0
    assert (out / "notes.txt").read_text() == "mine"


def test_a_failing_run_leaves_the_previous_output_intact(scenario, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run(scenario, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(simcc.experiment, "simulate", broken)
    proc = run(scenario, out, "--seed", "9")
    assert proc.exit_code == 1 and "simulated crash" in proc.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "small.yaml"]


def test_problems_with_out_are_found_before_simulating(scenario, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(simcc.experiment, "simulate", lambda *a, **k: calls.append(a))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run(scenario, blocker / "out")  # its parent is a file: cannot be created
    assert proc.exit_code == 2 and "cannot write there" in proc.stderr
    proc = run(scenario, blocker)
    assert proc.exit_code == 2 and "exists and is not a folder" in proc.stderr
    for command in ("run", "compare", "sweep"):
        proc = CliRunner().invoke(app, [command, str(scenario), "--out", ""])
        assert proc.exit_code == 2 and "--out: empty folder name" in proc.stderr
    assert calls == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "small.yaml"]


def test_compare_replaces_its_output_and_kinds_do_not_mix(scenario, tmp_path):
    out = tmp_path / "cmp"
    assert run(scenario, out, command="compare").exit_code == 0
    assert run(scenario, out, command="compare").exit_code == 0
    assert {p.name for p in out.iterdir()} == {MARKER, "kpis.csv", "differences.csv",
                                               "comparison.json"}
    assert run(scenario, out).exit_code == 0  # a run may replace a comparison: both simcc's
    swept = tmp_path / "sweep"
    grid = ["--grid", "agents.team.count=4,5", "-n", "1"]
    assert run(scenario, swept, *grid, command="sweep").exit_code == 0
    assert folder_state(swept) == "sweep"
    refused = run(scenario, swept)
    assert refused.exit_code == 2 and "sweep folder" in refused.stderr
    refused = run(scenario, out, *grid, command="sweep")
    assert refused.exit_code == 2 and "give the sweep another folder" in refused.stderr
    assert run(scenario, swept, *grid, command="sweep").exit_code == 0  # resumes
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "data.csv").write_text("a\n")
    assert run(scenario, foreign, *grid, command="sweep").exit_code == 2
    assert run(scenario, foreign, *grid, "--force", command="sweep").exit_code == 0
    assert (foreign / "data.csv").read_text() == "a\n" and (foreign / "sweep.csv").is_file()


def test_staging_folders_of_dead_commands_are_removed(scenario, tmp_path):
    out = tmp_path / "out"
    host = socket.gethostname()
    dead = tmp_path / f".out.simcc-staging.{host}.{2**22 + 12345}.abc123"
    swapped = tmp_path / f".out.simcc-staging.{host}.{2**22 + 12345}.def456.old"
    alive = tmp_path / f".out.simcc-staging.{host}.{os.getpid()}.xyz789"
    elsewhere = tmp_path / f".out.simcc-staging.otherhost.{2**22 + 12345}.qrs000"
    for folder in (dead, swapped, alive, elsewhere):
        (folder / "records").mkdir(parents=True)
    assert run(scenario, out).exit_code == 0
    assert not dead.exists() and not swapped.exists()
    assert alive.exists() and elsewhere.exists()  # a running command, another machine
