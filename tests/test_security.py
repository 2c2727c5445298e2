"""Hostile scenario files and names (issue 15, items 2, 3 and 5): a scenario cannot make
simcc build an arbitrary class, user policies can be refused, the working directory
does not shadow installed packages, and user text is printed as text."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import small
from typer.testing import CliRunner

import simcc
from simcc.cli import PIPED_WIDTH, _CliConsole, app
from simcc.report.terminal import markup_safe, plain, visible
from simcc.routing.registry import is_policy_class, make_policy
from simcc.runtime import working_directory_last

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-n", "1", "--executor", "serial", "--quiet"]


def invoke(*args, env=None):
    """Run the CLI in-process; the result's output holds stdout and stderr."""
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def write(folder: Path, name: str, doc: dict) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


def popen_routing(marker: Path) -> dict:
    return {"policy": "subprocess:Popen",
            "params": {"args": f"touch {marker}", "shell": True}}


def fileio_routing(victim: Path) -> dict:
    return {"policy": "io:FileIO", "params": {"file": str(victim), "mode": "w"}}


# -- item 2: only routing policies are built; user code can be refused ----------------------

@pytest.mark.parametrize("command", [["validate"], ["run", *FAST]])
def test_a_scenario_cannot_run_a_shell_command_or_empty_a_file(tmp_path, command):
    marker, victim = tmp_path / "marker", tmp_path / "victim.txt"
    victim.write_text("precious")
    for routing in (popen_routing(marker), fileio_routing(victim)):
        scenario = write(tmp_path, "evil.yaml", small(routing=routing))
        result = invoke(command[0], scenario, *command[1:])
        assert result.exit_code == 2, result.output
        assert "routing.policy" in result.output and "not a routing policy" in result.output
    assert not marker.exists()
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("command", [["validate"], ["compare", *FAST]])
def test_a_variant_cannot_either(tmp_path, command):
    marker, victim = tmp_path / "marker", tmp_path / "victim.txt"
    victim.write_text("precious")
    for routing in (popen_routing(marker), fileio_routing(victim)):
        doc = small(variants={"evil": {"routing": routing}})
        result = invoke(command[0], write(tmp_path, "evil.yaml", doc), *command[1:])
        assert result.exit_code == 2, result.output
        assert "variants.evil -> routing.policy" in result.output
    assert not marker.exists()
    assert victim.read_text() == "precious"


def test_the_python_api_refuses_non_policies_before_building_them(tmp_path):
    marker = tmp_path / "marker"
    for call in (simcc.validate, simcc.load_scenario, simcc.simulate, simcc.compare):
        with pytest.raises(simcc.ScenarioError, match="routing.policy"):
            call(small(routing=popen_routing(marker)))
    assert not marker.exists()


def test_a_user_policy_still_runs_and_is_refused_on_request(tmp_path):
    scenario = write(tmp_path, "user.yaml",
                     small(routing={"policy": "worse_policy:LeastProficient"}))
    assert invoke("run", scenario, *FAST).exit_code == 0
    assert invoke("validate", scenario).exit_code == 0
    for args, env in ((["--no-user-code"], None), ([], {"SIMCC_NO_USER_CODE": "1"})):
        for command in (["validate"], ["run", *FAST], ["compare", *FAST],
                        ["sweep", "--grid", "agents.team.count=5", *FAST]):
            result = invoke(command[0], scenario, *command[1:], *args, env=env)
            assert result.exit_code == 2, (command, result.output)
            assert "routing.policy" in result.output and "user code is disabled" in result.output


def test_check_refuses_a_user_policy_in_a_variant_with_no_user_code(tmp_path):
    doc = small(variants={"worse": {"routing.policy": "worse_policy:LeastProficient"}})
    scenario = write(tmp_path, "center.yaml", doc)
    baseline = tmp_path / "center.json"
    result = invoke("check", scenario, "--baseline", baseline, "--no-user-code")
    assert result.exit_code == 2, result.output
    assert "variants.worse -> routing.policy" in result.output
    assert not baseline.exists()


def test_the_user_code_flag_of_the_api():
    doc = small(routing={"policy": "worse_policy:LeastProficient"})
    with pytest.raises(simcc.ScenarioError, match="user code is disabled"):
        simcc.validate(doc, user_code=False)
    assert simcc.validate(doc, user_code=True) == []
    # built-in names are not user code
    assert simcc.validate(small(routing={"policy": "fifo"}), user_code=False) == []


def test_the_environment_variable_is_read_at_each_call(monkeypatch):
    doc = small(routing={"policy": "worse_policy:LeastProficient"})
    monkeypatch.setenv("SIMCC_NO_USER_CODE", "1")
    with pytest.raises(simcc.ScenarioError, match="SIMCC_NO_USER_CODE"):
        simcc.validate(doc)
    assert simcc.validate(doc, user_code=True) == []  # the explicit flag wins
    monkeypatch.setenv("SIMCC_NO_USER_CODE", "0")
    assert simcc.validate(doc) == []


class DuckPolicy:
    """Not a RoutingPolicy subclass, but defines the three hooks."""

    def on_entry(self, contact, view):
        return "queue"

    def select_agent(self, contact, pools, view):
        return None

    def select_contact(self, agent, queues, view):
        return None


class Builtins:
    on_entry = select_agent = select_contact = print  # callables, not Python functions


def test_the_class_check_is_static():
    import io

    assert is_policy_class(DuckPolicy)
    assert not is_policy_class(Builtins)
    assert not is_policy_class(subprocess.Popen) and not is_policy_class(io.FileIO)


def test_a_failing_user_module_or_constructor_is_a_scenario_error(tmp_path, monkeypatch):
    (tmp_path / "broken_at_import.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "broken_init.py").write_text(
        "from simcc.routing import RoutingPolicy\n\n"
        "class P(RoutingPolicy):\n"
        "    def __init__(self):\n"
        "        raise KeyError('nope')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(simcc.ScenarioError, match="routing.policy: importing module "
                                                  "'broken_at_import' failed: RuntimeError"):
        make_policy("broken_at_import:P", {})
    with pytest.raises(simcc.ScenarioError, match="routing.params: broken_init:P: building "
                                                  "the policy failed: KeyError"):
        make_policy("broken_init:P", {})


# -- item 3: the working directory does not shadow installed packages ------------------------

HOSTILE = "open({marker!r}, 'w').write('imported')\nraise SystemExit('hijacked')\n"


def test_a_scipy_py_in_the_working_directory_is_not_imported(tmp_path):
    markers = {name: tmp_path / f"{name}.imported" for name in ("scipy", "numpy", "yaml")}
    for name, marker in markers.items():
        (tmp_path / f"{name}.py").write_text(HOSTILE.format(marker=str(marker)))
    # a user policy module in the working directory is still found
    (tmp_path / "mypolicy.py").write_text((ROOT / "tests" / "worse_policy.py").read_text())
    doc = small(routing={"policy": "mypolicy:LeastProficient"})
    write(tmp_path, "center.yaml", doc)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    console_script = Path(sys.executable).parent / "simcc"
    for command in ([sys.executable, "-m", "simcc"], [str(console_script)]):
        proc = subprocess.run([*command, "run", "center.yaml", "-n", "2", "--executor",
                               "serial", "--quiet"],  # two replications: scipy for the CIs
                              cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, (command, proc.stderr)
        assert "hijacked" not in proc.stderr
        assert not [m for m in markers.values() if m.exists()], command


def test_a_bare_import_of_simcc_imports_no_third_party_package():
    code = ("import sys, simcc; assert not {'numpy', 'scipy', 'yaml', 'pandas'} & "
            "set(sys.modules), sorted(sys.modules)\n"
            "assert simcc.routing.registered_policies() and simcc.simulate\n"
            "from simcc import Scenario, load_scenario; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.strip() == "ok", proc.stderr


def test_working_directory_last_moves_every_spelling_of_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = ["", str(tmp_path), "/usr/lib/python3", ".", "/site-packages"]
    assert working_directory_last(path) == ["/usr/lib/python3", "/site-packages",
                                            str(tmp_path)]
    assert working_directory_last(["/a"]) == ["/a", str(tmp_path)]


# -- item 5: user text is printed as text ---------------------------------------------------

NAMES = ["[bold]x[/", "[/]", "[link=http://evil.example]y[/link]", "\x1b[31mred",
         "bell\x07", "c1\x9b2J", "rtl\u202eabc"]


def assert_clean(result, codes=(0, 2)):
    assert result.exit_code in codes, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    for bad in ("Traceback", "\x1b", "\x07", "\x9b", "\u202e", "MarkupError"):
        assert bad not in result.output, (bad, result.output)


@pytest.mark.parametrize("name", NAMES)
def test_hostile_names_print_as_text(tmp_path, name):
    doc = small(name=name, intents={name: {"skill": "general",
                                           "handle_time": {"dist": "exponential",
                                                           "mean": "5m"}}},
                demand=[{"channel": "voice", "rate": {"per_hour": 50}, "mix": {name: 1.0}}],
                variants={name: {"agents.team.count": 6}})
    scenario = write(tmp_path, "names.yaml", doc)
    for command in (["validate"], ["run", *FAST], ["compare", *FAST]):
        result = invoke(command[0], scenario, *command[1:])
        assert_clean(result, codes=(0,))
        assert visible(name) in result.output
    baseline = tmp_path / "names.json"
    assert_clean(invoke("check", scenario, "--baseline", baseline, "--update"), codes=(0,))
    assert_clean(invoke("check", scenario, "--baseline", baseline), codes=(0,))


@pytest.mark.parametrize("name", NAMES)
def test_hostile_names_in_error_messages(tmp_path, name):
    bad_mix = small(demand=[{"channel": "voice", "rate": {"per_hour": 50}, "mix": {name: 1.0}}])
    scenario = write(tmp_path, "bad.yaml", bad_mix)
    for command in (["validate"], ["run", *FAST], ["compare", *FAST]):
        result = invoke(command[0], scenario, *command[1:])
        assert_clean(result, codes=(2,))
        assert "unknown intent" in result.output and visible(name) in result.output
    good = write(tmp_path, "good.yaml", small())
    for args in (["run", tmp_path / f"{name}.yaml"], ["run", good, "--records", name],
                 ["run", good, "--set", f"name={name}", "--seed", "x"],
                 ["check", good, "--baseline", tmp_path / f"{name}.json"],
                 ["compare", good, "--variant", name, *FAST]):
        assert_clean(invoke(*args), codes=(2,))


def test_calibrate_on_a_log_with_hostile_names(tmp_path):
    from simcc.calibrate.synthetic import result_to_log

    result = simcc.simulate(small(horizon={"duration": "4h", "start": "08:00"}), workers=1)
    log = result_to_log(result)
    log["intent"], log["segment"] = "[bold]x[/\x1b[31m", "[/]"
    log.to_csv(tmp_path / "log.csv", index=False)
    out = tmp_path / "calibrated.yaml"
    run = invoke("calibrate", tmp_path / "log.csv", "-o", out)
    assert_clean(run, codes=(0,))
    assert "[bold]x[/\\x1b[31m" in run.output and out.exists()


def test_the_helpers_escape_control_characters_and_markup():
    assert visible("a\x1bb\x07c\x9bd\u202ee\n") == "a\\x1bb\\x07c\\x9bd\\u202ee\\x0a"
    assert visible("two\nlines\t", keep="\n\t") == "two\nlines\t"
    assert markup_safe("[bold]x[/]") == "\\[bold]x\\[/]"
    assert plain("[/]\x1b").plain == "[/]\\x1b"


def test_piped_output_is_wide_unless_columns_says_otherwise(monkeypatch):
    with open(os.devnull, "w") as sink:
        monkeypatch.delenv("COLUMNS", raising=False)
        assert _CliConsole(file=sink).width == PIPED_WIDTH
        monkeypatch.setenv("COLUMNS", "77")
        console = _CliConsole(file=sink)
        assert console.width == 77
        monkeypatch.setenv("COLUMNS", "91")  # read when printing, not when made
        assert console.width == 91
        assert _CliConsole(file=sink, width=60).width == 60


def test_piped_tables_are_not_squeezed_into_80_columns(tmp_path, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    variants = {f"plus_{k}": {"agents.team.count": 5 + k} for k in range(1, 5)}
    scenario = write(tmp_path, "center.yaml", small(variants=variants))
    result = invoke("compare", scenario, *FAST)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "abandon rate" in line)
    assert row.count("pp") == 4 and len(row) > 80  # every variant's difference on one line


@pytest.mark.parametrize("where", ["channel", "group", "scenario", "variant"])
def test_names_cannot_be_spreadsheet_formulas(where):
    doc = small()
    if where == "channel":
        doc["channels"]["=HYPERLINK(\"http://x\")"] = {}
    elif where == "group":
        doc["agents"]["@team"] = doc["agents"].pop("team")
    elif where == "scenario":
        doc["name"] = "+1"
    else:
        doc["variants"] = {"-more": {"agents.team.count": 6}}
    with pytest.raises(simcc.ScenarioError, match="must not start with .*formula"):
        simcc.load_scenario(doc)
