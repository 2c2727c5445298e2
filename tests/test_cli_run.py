"""`simcc run` output: the JSON contract, the human tables, the result files."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import interruptible

ROOT = Path(__file__).resolve().parents[1]
SECTION_6_KPIS = ("offered", "handled", "abandoned", "abandon_rate", "blocked_rate", "p_wait",
                  "asa_s", "mean_wait_s", "service_level", "wait_p90_s", "aht_s", "occupancy",
                  "transfer_rate", "fcr", "repeat_rate")
SHORT = ["--set", "horizon.duration=3h", "-n", "3", "--workers", "2"]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "simcc", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def json_run():
    proc = cli("run", "scenarios/bank_multiskill.yaml", "--json", *SHORT)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_json_is_the_design_contract(json_run):
    document = json.loads(json_run)  # stdout holds the JSON object and nothing else
    assert document["scenario"] == "bank-multiskill"
    assert document["replications"] == 3 and document["seed"] == 7
    overall = document["kpis"]["overall"]
    for kpi in SECTION_6_KPIS:
        assert set(overall[kpi]) == {"mean", "ci95"}
        low, high = overall[kpi]["ci95"]
        assert low <= overall[kpi]["mean"] <= high
    assert set(document["kpis"]["by_segment"]) == {"standard", "gold", "platinum"}
    assert set(document["kpis"]["by_intent"]) == {"billing", "cards", "loans", "fraud"}
    assert set(document["kpis"]["by_group"]) == {"generalists", "lending", "fraud_desk"}
    assert "service_level" in document["kpis"]["by_channel"]["voice"]


def test_same_command_same_json(json_run):
    again = cli("run", "scenarios/bank_multiskill.yaml", "--json", *SHORT[:-2], "--workers", "1")
    assert again.stdout == json_run


def test_human_output_and_files(tmp_path):
    out = tmp_path / "results"
    proc = cli("run", "scenarios/erlang_a.yaml", "--set", "horizon.duration=2h",
               "--set", "horizon.warmup=30m", "-n", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for label in ("service level", "95% CI", "by channel", "by group"):
        assert label in proc.stdout
    names = {p.name for p in out.iterdir()}
    assert names == {"kpis.csv", "replication_kpis.csv", "intervals.csv", "intervals_wfm.csv",
                     "result.json",
                     ".simcc-output"}  # the marker: simcc may replace this folder
    result = json.loads((out / "result.json").read_text())
    assert result["replications"] == 2


def test_records_are_written_as_parquet_per_table_and_replication(tmp_path):
    out = tmp_path / "results"
    proc = cli("run", "scenarios/retail_omnichannel.yaml", "--set", "horizon.duration=4h",
               "-n", "2", "--out", str(out), "--records", "all", "--json")
    assert proc.returncode == 0, proc.stderr
    for table in ("contacts", "legs", "sessions", "issues"):
        files = sorted(p.name for p in (out / "records" / table).iterdir())
        assert files == ["rep-000.parquet", "rep-001.parquet"]
    contacts = pd.read_parquet(out / "records" / "contacts")
    kpis = json.loads(proc.stdout)["kpis"]["overall"]
    assert sorted(contacts["replication"].unique()) == [0, 1]
    counted = contacts[contacts["arrival_s"] < 4 * 3600].groupby("replication").size()
    assert counted.mean() == pytest.approx(kpis["arrivals"]["mean"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]  # no staging left


def test_records_need_an_output_folder():
    proc = cli("run", "scenarios/erlang_a.yaml", "--records", "all")
    assert proc.returncode == 2
    assert "--records all needs --out" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("run", "scenarios/erlang_a.yaml", "--records", "most", "--out", "x")
    assert proc.returncode == 2 and "unknown mode 'most'" in proc.stderr


def test_more_agents_less_wait():
    waits = []
    for count in (96, 104):
        proc = cli("run", "scenarios/erlang_a.yaml", "--json", "-n", "4", "--set",
                   f"agents.team.count={count}", "--set", "horizon.duration=4h")
        waits.append(json.loads(proc.stdout)["kpis"]["overall"]["asa_s"]["mean"])
    assert waits[1] < waits[0]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_stops_cleanly_and_writes_nothing(tmp_path, workers):
    """Also with records being written chunk by chunk: their staging folder goes too."""
    import os
    import signal
    import time

    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "simcc", "run",
                             "benchmarks/erlang_a_500k.yaml", "-n", "2", "--workers", workers,
                             "--out", str(out), "--records", "all"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True, preexec_fn=interruptible)
    time.sleep(4)  # well inside the run (imports done, simulating)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "interrupted; no result files were written" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("command", ["run", "compare"])
def test_an_unwritable_report_is_refused_before_simulating(command, tmp_path):
    """``--report afile/r.html`` (a file where a folder is needed) is exit 2 at once, and
    the --out folder is not written (it was an internal error after the run)."""
    (tmp_path / "afile").write_text("x")
    proc = subprocess.run([sys.executable, "-m", "simcc", command,
                           "scenarios/bank_multiskill.yaml", "-n", "2", "--out",
                           str(tmp_path / "out"), "--report", str(tmp_path / "afile" / "r.html")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "--report" in proc.stderr and "is not a folder" in proc.stderr
    assert not (tmp_path / "out").exists()
