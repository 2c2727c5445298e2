"""Every command in the README's code blocks works as written.

The commands are read from the README itself, so a changed or added command is checked
(or, if nobody classified it, fails ``test_every_readme_command_is_classified``).

* Commands that take seconds run for real, exactly as written, through ``bash`` (globs
  and ``>`` behave as in a terminal) in a fresh folder where ``scenarios/``,
  ``baselines/``, ``data/`` and ``benchmarks/`` are links to this checkout's folders, so
  the files they write (``results/``, ``report.html``, ``bank.yaml``, ...) land there and
  never in the repository. ``simcc`` on that PATH is ``python -m simcc`` of the running
  interpreter and this checkout: the tested code is this code, whatever else is
  installed.
* Commands that cannot run here are checked dry: the command line parses with the real
  ``simcc`` parser (options, types, choices), the files it names exist, the scenario
  (with its variants and ``--set`` values) validates and fits the default resource
  limits. Why each one is not run is said in :data:`DRY`.
* Commands of :data:`SLOW` (10-20 s each on a loaded two-core machine, behaviour that
  other tests cover on smaller cases) are checked dry by default and run for real in
  the ``slow`` step of ``.ci/run``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import typer

from simcc.cli import app
from simcc.experiment import prepare
from simcc.experiment.limits import check_work, command_limits, estimate_work
from simcc.scenario import parse_assignment

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LINKED = ("scenarios", "baselines", "data", "benchmarks")
SCENARIOS = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))


def readme_commands(text: str | None = None) -> list[str]:
    """The commands of the README's ``bash`` blocks, in order, without duplicates:
    comments dropped, ``a && b`` split into its steps."""
    text = README.read_text() if text is None else text
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"(^|\s)#.*$", "", line).strip()
            for step in filter(None, (s.strip() for s in line.split("&&"))):
                if step not in commands:
                    commands.append(step)
    return commands


def _checks_baselines(proc: subprocess.CompletedProcess, folder: Path) -> None:
    """Every example scenario has a committed baseline and passes against it."""
    assert sorted(p.stem for p in (ROOT / "baselines").glob("*.json")) == \
        sorted(Path(s).stem for s in SCENARIOS)
    assert proc.stdout.count("passed") == len(SCENARIOS), proc.stdout


def _is_json(proc: subprocess.CompletedProcess, folder: Path) -> None:
    assert "kpis" in json.loads(proc.stdout)


def _wrote(*names: str):
    def check(proc: subprocess.CompletedProcess, folder: Path) -> None:
        for name in names:
            path = folder / name
            assert path.exists() and (path.is_dir() or path.stat().st_size > 0), name
    return check


def _nothing(proc: subprocess.CompletedProcess, folder: Path) -> None:
    """Exit code 0 and no traceback (checked for every command) is the claim."""


SEPTEMBER_DAYS = ("simcc calibrate data/anonymous_bank/09_September.txt.gz --format "
                  "anonymous-bank -o sep.yaml --days-out sep_days/")
WEEK_STAFF = "simcc staff scenarios/wfm/week.yaml -o staffed.yaml --requirements req.csv"
WEEK_SCHEDULE = ("simcc schedule req.csv -p scenarios/wfm/patterns.yaml -s "
                 "scenarios/wfm/week.yaml -o rostered.yaml --plot coverage.png")

# Commands run for real, with what each must leave behind (besides exit code 0). A
# command needing a file that an earlier README command writes lists that command first.
RUN = {
    "simcc run scenarios/erlang_a.yaml": ([], _nothing),
    "simcc run scenarios/erlang_a.yaml --set agents.team.count=105 -n 10": ([], _nothing),
    "simcc run scenarios/bank_multiskill.yaml --json": ([], _is_json),
    "simcc run scenarios/bank_multiskill.yaml --out results/": (
        [], _wrote("results/result.json")),
    "simcc run scenarios/bank_multiskill.yaml --out results/ --records all": (
        [], _wrote("results/result.json", "results/records/contacts")),
    "simcc run scenarios/bank_multiskill.yaml --report report.html": (
        [], _wrote("report.html")),
    "simcc run scenarios/retail_omnichannel.yaml -n 5": ([], _nothing),
    "simcc compare scenarios/bank_multiskill.yaml -n 10": ([], _nothing),
    "simcc sweep scenarios/erlang_a.yaml --grid agents.team.count=96:104:2 -n 10 --out sweep/":
        ([], _wrote("sweep")),
    "simcc check scenarios/*.yaml --baselines baselines/": ([], _checks_baselines),
    "simcc validate scenarios/*.yaml": ([], _nothing),
    "simcc schema > scenario.schema.json": ([], _wrote("scenario.schema.json")),
    "simcc calibrate data/anonymous_bank/06_June.txt.gz --format anonymous-bank -o bank.yaml":
        ([], _wrote("bank.yaml")),
    "simcc backtest data/anonymous_bank/07_July.txt.gz --format anonymous-bank -s bank.yaml": (
        ["simcc calibrate data/anonymous_bank/06_June.txt.gz --format anonymous-bank "
         "-o bank.yaml"], _nothing),
    "simcc compare scenarios/telecom_intent_routing.yaml": ([], _nothing),
    "simcc backtest data/anonymous_bank/07_July.txt.gz --format anonymous-bank -s bank.yaml "
    "--plan-from data/anonymous_bank/07_July.txt.gz": (
        ["simcc calibrate data/anonymous_bank/06_June.txt.gz --format anonymous-bank "
         "-o bank.yaml"], _nothing),
    "simcc replay data/anonymous_bank/07_July.txt.gz --format anonymous-bank -s bank.yaml "
    "--staffing log": (
        ["simcc calibrate data/anonymous_bank/06_June.txt.gz --format anonymous-bank "
         "-o bank.yaml"], _nothing),
    SEPTEMBER_DAYS: ([], _wrote("sep.yaml", "sep_days/scenario.yaml", "sep_days/forecast.csv",
                                "sep_days/plan.csv")),
    "simcc run sep_days/scenario.yaml": ([SEPTEMBER_DAYS], _nothing),
    "simcc run scenarios/wfm/week.yaml": ([], _nothing),
    WEEK_STAFF: ([], _wrote("staffed.yaml", "req.csv")),
    WEEK_SCHEDULE: ([WEEK_STAFF], _wrote("rostered.yaml", "coverage.png")),
    "simcc run rostered.yaml --out week/": ([WEEK_STAFF, WEEK_SCHEDULE],
                                            _wrote("week/intervals_wfm.csv")),
}
# Run for real only with -m slow; checked dry by default. Their claims are also tested on
# smaller cases: test_telecom_example.py, test_compare.py, test_sweep.py, test_journeys.py,
# and the committed erlang_a baseline in test_baselines.py.
SLOW = {
    "simcc check scenarios/*.yaml --baselines baselines/",
    "simcc compare scenarios/telecom_intent_routing.yaml",
    "simcc compare scenarios/bank_multiskill.yaml -n 10",
    "simcc sweep scenarios/erlang_a.yaml --grid agents.team.count=96:104:2 -n 10 --out sweep/",
    "simcc run scenarios/retail_omnichannel.yaml -n 5",
    WEEK_STAFF,
    WEEK_SCHEDULE,
    "simcc run rostered.yaml --out week/",
}

# Commands checked dry (parsed, files and scenarios checked), and why they are not run.
DRY = {
    "simcc run benchmarks/retail_year_12m.yaml":
        "a simulated year of 12 million contacts takes about 16 minutes on two cores",
    "simcc compare scenarios/bank_multiskill.yaml --executor dask --scheduler "
    "tcp://host:8786": "needs a Dask scheduler at a placeholder address; the dask "
                       "executor itself is tested against a local cluster "
                       "(test_executors.py)",
}

# Set-up steps: not run inside the suite (they install packages or are the suite).
SETUP = {
    "pip install -e .": "installs the package; the suite runs from an installed checkout",
    'pip install -e ".[test]"': "installs the test extra; .ci/run runs it on a fresh venv",
    "python -m pytest -q": "the suite itself; .ci/run runs it exactly as written",
}


def test_every_readme_command_is_classified():
    commands = readme_commands()
    assert "simcc check scenarios/*.yaml --baselines baselines/" in commands
    assert set(commands) == set(RUN) | set(DRY) | set(SETUP), \
        "classify every README command here (run, dry or set-up)"
    assert not set(RUN) & set(DRY) and set(RUN) >= SLOW


def test_the_extraction_sees_comments_continuations_and_steps():
    text = ("```bash\npip install -e . && simcc run a.yaml   # tables\n"
            "                 # a continued comment\nsimcc run a.yaml\n```\n"
            "```python\nsimcc.run()\n```\n")
    assert readme_commands(text) == ["pip install -e .", "simcc run a.yaml"]


def test_the_set_up_lines_are_what_the_project_provides():
    """`pip install -e . && simcc ...` needs the console script; the README's test
    command is what .ci/run runs, word for word, and the test extra exists."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["simcc"] == "simcc.cli:main"
    assert "test" in project["optional-dependencies"]
    ci_lines = [line.split(" || ")[0] for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert 'pip install -e ".[test]" && python -m pytest -q' in ci_lines


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A working folder that sees the project's inputs, and a PATH whose ``simcc`` is
    this checkout run by this interpreter."""
    for name in LINKED:
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    bin_dir = tmp_path.parent / f"{tmp_path.name}-bin"
    bin_dir.mkdir()
    shim = bin_dir / "simcc"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m simcc "$@"\n')
    shim.chmod(0o755)
    return tmp_path


def run_as_written(command: str, folder: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{folder.parent / (folder.name + '-bin')}:{os.environ['PATH']}",
               PYTHONPATH=str(ROOT), COLUMNS="120")
    return subprocess.run(["bash", "-c", command], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)


def _params(commands, slow=()):
    return [pytest.param(c, id=c, marks=[pytest.mark.slow] if c in slow else [])
            for c in commands]


@pytest.mark.parametrize("command", _params(RUN, slow=SLOW))
def test_a_readme_command_runs_as_written(command, folder):
    before, check = RUN[command]
    for earlier in before:
        assert run_as_written(earlier, folder).returncode == 0, earlier
    proc = run_as_written(command, folder)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    check(proc, folder)


def parse(command: str) -> tuple[str, dict]:
    """The subcommand and its parameters, parsed by simcc's own command line (raises on
    an unknown option, a bad type or choice, a missing argument)."""
    words = shlex.split(command)
    assert words[0] == "simcc"
    group = typer.main.get_command(app)
    parent = group.context_class(group, info_name="simcc")
    name = words[1]
    subcommand = group.get_command(parent, name)
    assert subcommand is not None, f"simcc has no command {name!r}"
    context = subcommand.make_context(name, words[2:], parent=parent)
    return name, context.params


def dry_check(command: str) -> None:
    """Everything a run or compare does before simulating: parse, find the scenario,
    validate it with its ``--set`` values, and check the work against the limits; for
    ``check``, every scenario of the glob validates and has a valid baseline."""
    name, params = parse(command)
    if name == "check":
        return dry_check_baselines(params)
    if name == "schedule":  # its requirements come from the `simcc staff` before it
        from simcc.planning.schedule import load_patterns
        from simcc.scenario.load import read_document

        load_patterns(read_document(ROOT / params["patterns"]))
        prepare(ROOT / params["scenario"])
        return None
    scenario = ROOT / params["scenario"]
    if not scenario.exists() and RUN.get(command, ([],))[0]:
        return None  # written by the README commands before it (run in the slow step)
    assert scenario.is_file(), scenario
    model = prepare(scenario, dict(parse_assignment(a)
                                   for a in params.get("assignments") or ()))
    runs = [model]
    for assignment in params.get("grid") or ():  # the first point of each sweep axis
        key, values = assignment.split("=", 1)
        first = values.split(":")[0].split(",")[0]
        runs.append(prepare(scenario, dict([parse_assignment(f"{key}={first}")])))
    if name == "compare":
        runs += [model.variant(v) for v in (params["variant"] or model.variants)]
        assert len(runs) > 1, "compare needs variants"
    check_work(estimate_work(runs, params["replications"] or model.replications,
                             params["workers"]), command_limits(params.get("limits") or ()))
    if params.get("executor") == "dask":
        pytest.importorskip("distributed")  # installed with the test extra
        assert params["scheduler"].startswith("tcp://")


def dry_check_baselines(params: dict) -> None:
    """``simcc check GLOB --baselines DIR`` before simulating: the shell's glob (as run
    from the repository root) names scenarios that validate, each with a baseline
    ``DIR/<stem>.json`` that passes the baseline schema for that scenario."""
    from simcc.experiment.baseline import read_baseline, scenario_hash

    paths = sorted(p for pattern in params["scenarios"] for p in ROOT.glob(str(pattern)))
    assert paths, params["scenarios"]
    for path in paths:
        model = prepare(path)
        baseline = read_baseline(ROOT / params["baselines"] / f"{path.stem}.json")
        assert baseline.scenario == model.name, path
        assert baseline.scenario_hash == scenario_hash(model), f"{path}: baseline is stale"


@pytest.mark.parametrize("command", list(DRY) + sorted(SLOW))
def test_a_readme_command_that_is_not_run_parses_and_its_inputs_are_valid(command):
    dry_check(command)


@pytest.mark.parametrize("command", [
    "simcc run scenarios/erlang_a.yaml --records most -n x",   # bad choice and type
    "simcc run scenarios/erlang_a.yaml --sett a=1",             # unknown option
    "simcc run scenarios/missing.yaml",                         # no such file
    "simcc run scenarios/erlang_a.yaml --set agents.team.count=-1",  # invalid value
    "simcc compare scenarios/bank_multiskill.yaml --workers 0",  # below the minimum
    "simcc compare scenarios/erlang_a.yaml",                    # no variants to compare
    "simcc sweep scenarios/erlang_a.yaml --grid agents.team.cnt=96:104:2",  # no such key
    "simcc runn scenarios/erlang_a.yaml",                        # unknown command
])
def test_the_dry_check_rejects_a_broken_command(command):
    with pytest.raises((Exception, SystemExit)):  # noqa: B017 - any refusal will do
        dry_check(command)


def test_the_python_example_compiles_and_names_what_exists():
    """The README's Python block (not run: it calls a placeholder policy
    ``mypkg.routing:MyPolicy``): valid Python, and every simcc name it uses exists."""
    import simcc
    from simcc import theory
    from simcc.experiment.compare import Comparison
    from simcc.experiment.result import Result

    def members(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)} | set(dir(cls))

    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    compile(block, "README.md", "exec")
    for name in ("load_scenario", "simulate", "compare", "check_policy"):
        assert callable(getattr(simcc, name)), name
    assert {"kpis", "table", "intervals", "contacts", "legs", "agents", "issues",
            "to_json"} <= members(Result)
    assert "differences" in members(Comparison)
    assert callable(theory.erlang_a_metrics)
