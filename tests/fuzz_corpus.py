"""A deterministic corpus of hostile scenario inputs and a driver that runs it through
the command line under a memory cap and a time budget (used by tests/test_fuzz.py).

The corpus mutates the example scenarios (``scenarios/*.yaml``): dropped keys, wrong
types, extreme and non-finite numbers, distribution parameters at the edge of what the
samplers handle, alias bombs, duplicate keys, rich markup and terminal escape codes in
names, deep nesting, binary and special files, hostile command-line options.

Each case runs ``simcc validate`` (some also ``simcc run`` on a ten-minute horizon) in a
driver subprocess that imports simcc once and runs many cases in a row, with
``RLIMIT_AS`` capped and an alarm per case; the parent restarts the driver after a case
that hangs or kills it. A case is *clean* when it exits 0 or 2 (or the exit it
``expect``-s), prints no traceback, no "internal error", no raw escape code and no
flood of output, and finishes in time.

Run ``python tests/fuzz_corpus.py`` for the counts by kind.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import math
import os
import random
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("SIMCC_FUZZ_CODE", ROOT))
"""Where the simcc under test is imported from (default: this checkout)."""
SEED = 20240615
MEMORY_CAP = 2 * 1024**3
"""Address-space cap of the driver process, bytes."""
CASE_BUDGET_S = 10.0
"""Longest a case may take before it counts as a hang."""
MAX_OUTPUT = 100_000
"""More characters of output than this is a flood (an echoed alias bomb)."""
FILE_TOKEN = "{file}"


@dataclass
class Case:
    """One input: the file content (text, or ``binary`` base64) or a ``special`` file
    (fifo, dir, devzero, missing), and the command line with ``{file}`` in it."""

    id: str
    kind: str
    args: list[str]
    text: str | None = None
    binary: str | None = None
    special: str | None = None
    expect: int | None = None


@dataclass
class Outcome:
    """What a case did: exit code, output size and the problems that make it unclean."""

    id: str
    kind: str
    command: str
    code: int | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    tail: str = ""

    @property
    def clean(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------- the corpus


def _examples() -> dict[str, dict[str, Any]]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / "scenarios").glob("*.yaml"))}


def _walk(node: Any, path: tuple = ()):
    """Every (path, value) of a document, containers included, depth first."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def _get(doc: Any, path: tuple) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=False, width=1000)


def tiny(doc: dict[str, Any]) -> dict[str, Any]:
    """The document on a ten-minute horizon without drain (for ``simcc run``)."""
    doc = copy.deepcopy(doc)
    doc["horizon"] = {k: v for k, v in doc["horizon"].items() if k not in ("days", "warmup")}
    doc["horizon"].update(duration=600, drain=0)
    doc.pop("sweep", None)
    return doc


def _paths(doc: dict[str, Any], want) -> list[tuple]:
    return [path for path, value in _walk(doc) if path and want(path, value)]


def _drop_key(rng, doc):
    path = rng.choice(_paths(doc, lambda p, v: isinstance(p[-1], str)))
    del _get(doc, path[:-1])[path[-1]]
    return "drop " + _label(path), None


WRONG_VALUES = (["a", 1], {"x": 1}, "text", True, None, 3, "", [], {})


def _wrong_type(rng, doc):
    path = rng.choice(_paths(doc, lambda p, v: not isinstance(v, dict | list)))
    _set(doc, path, copy.deepcopy(rng.choice(WRONG_VALUES)))
    return "retype " + _label(path), None


EXTREMES = (0, -1, 1e308, -1e308, 5e-324, 10**30, 2**63, 1e9, 1e-9, -0.0)


def _extreme(rng, doc):
    path = rng.choice(_paths(doc, lambda p, v: _is_number(v)))
    value = rng.choice(EXTREMES)
    _set(doc, path, value)
    return f"{_label(path)}={value!r}", None


def _nonfinite(rng, doc):
    path = rng.choice(_paths(doc, lambda p, v: _is_number(v) and "params" not in p))
    value = rng.choice((math.inf, -math.inf, math.nan))
    _set(doc, path, value)
    return f"{_label(path)}={value!r}", 2


DIST_EXTREMES = {
    "cv": (math.inf, 1e308, 1e-300, 1e6),
    "shape": (0.001, 1e-300, 1e308, math.inf),
    "k": (10**9, 10**30),
    "mean": (1e308, 5e-324, "1e300s"),
}


def _dist_extreme(rng, doc):
    choices = [(path + (key,), value) for path, node in _walk(doc)
               if isinstance(node, dict) and "dist" in node
               for key, values in DIST_EXTREMES.items() if key in node for value in values]
    path, value = rng.choice(choices)
    _set(doc, path, value)
    return f"{_label(path)}={value!r}", 2


def _label(path: tuple) -> str:
    return ".".join(str(p) for p in path)


MUTATIONS = {"drop_key": _drop_key, "wrong_type": _wrong_type, "extreme": _extreme,
             "nonfinite": _nonfinite, "dist_extreme": _dist_extreme}


def _bomb(levels: int) -> str:
    """A billion-laughs flow sequence: level i lists level i-1 nine times."""
    parts = ["&l0 [" + ", ".join(["lol"] * 9) + "]"]
    parts += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


BOMB_PLACES = (("description",), ("name",), ("x_bomb",), ("routing", "params", "bomb"),
               ("variants", "v"), ("checks", "ignore"), ("agents", "BOMB"))


def _injected(doc: dict[str, Any], path: tuple, raw: str) -> str:
    """The document dumped with the raw YAML ``raw`` as the value at ``path``."""
    doc = copy.deepcopy(doc)
    node = doc
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = "__RAW__"
    return _dump(doc).replace("__RAW__", raw, 1)


def _duplicated(rng, doc: dict[str, Any]) -> tuple[str, str]:
    """The document with one key of one mapping written twice (the second value
    differs when it is a number)."""
    doc = copy.deepcopy(doc)
    path = rng.choice(_paths(doc, lambda p, v: isinstance(p[-1], str)) + [()])
    mapping = _get(doc, path[:-1]) if path else doc
    key = path[-1] if path else rng.choice(list(doc))
    value = mapping[key]
    mapping["__DUP__"] = value + 1 if _is_number(value) else copy.deepcopy(value)
    return _dump(doc).replace("__DUP__", str(key), 1), _label((*path[:-1], key))


HOSTILE_NAMES = ("[bold]x[/", "[/]", "[/bold]", "[red]team[/red]", "[link=file:///etc]x",
                 "\x1b[31mred\x1b[0m", "\x1b]0;title\x07", "a\rb", "\x00nul", "tab\there",
                 ":emoji:", "é" * 50)


def _renamed(rng, doc: dict[str, Any], name: str) -> tuple[dict[str, Any], str]:
    """The document with a name, a section key or a referenced name made ``name``."""
    doc = copy.deepcopy(doc)
    where = rng.choice(("name", "channel", "intent", "agents", "skill", "variant",
                        "description"))
    if where in ("name", "description"):
        doc[where] = name
    elif where == "channel":
        doc["channels"] = {name if i == 0 else key: value
                           for i, (key, value) in enumerate(doc["channels"].items())}
    elif where == "intent":
        first = next(iter(doc["intents"]))
        doc["intents"][name] = doc["intents"].pop(first)
    elif where == "agents":
        first = next(iter(doc["agents"]))
        doc["agents"][name] = doc["agents"].pop(first)
    elif where == "skill":
        next(iter(doc["intents"].values()))["skill"] = name
    else:
        doc["variants"] = {name: {"replications": 2}}
    return doc, f"{where}={name!r}"


def _nesting(depth: int, flow: bool) -> str:
    return "[" * depth + "]" * depth if flow else "{a: " * depth + "1" + "}" * depth


def corpus(seed: int = SEED, per_kind: int = 12, run_per_kind: int = 2) -> list[Case]:
    """The hostile cases, the same for the same ``seed``."""
    rng = random.Random(seed)
    examples = _examples()
    names = list(examples)
    cases: list[Case] = []

    def add(kind: str, label: str, text: str | None = None, expect: int | None = None,
            run: bool = False, args: list[str] | None = None, **extra: Any) -> None:
        args = args or (["run", FILE_TOKEN, "-n", "1", "--executor", "serial", "-q", "--json"]
                        if run else ["validate", FILE_TOKEN])
        cases.append(Case(f"{kind}-{len(cases)}: {label}", kind, args, text=text,
                          expect=expect, **extra))

    for kind, mutate in MUTATIONS.items():
        for i in range(per_kind + run_per_kind):
            run = i >= per_kind
            base = examples[rng.choice(names)]
            doc = copy.deepcopy(tiny(base) if run else base)
            label, expect = mutate(rng, doc)
            add(kind, label, _dump(doc), expect, run)
    for i in range(per_kind // 2):
        base, levels = examples[rng.choice(names)], rng.randint(6, 9)
        place = rng.choice(BOMB_PLACES)
        add("alias_bomb", f"{levels} levels at {_label(place)}",
            _injected(base, place, _bomb(levels)), 2, run=i == 0)
    for i in range(per_kind // 2):
        text, label = _duplicated(rng, examples[rng.choice(names)])
        add("duplicate_key", label, text, 2, run=i == 0)
    hostile = list(HOSTILE_NAMES) + [rng.choice(HOSTILE_NAMES) for _ in range(run_per_kind)]
    for i, name in enumerate(hostile):
        run = i >= len(HOSTILE_NAMES)
        base = examples[rng.choice(names)]
        doc, label = _renamed(rng, tiny(base) if run else base, name)
        kind = "control" if any(ord(c) < 32 for c in label.encode().decode(
            "unicode_escape")) else "markup"
        add(kind, label, _dump(doc), run=run)
    for depth, flow, place in ((100_000, True, "description"), (20_000, False, "routing"),
                               (3_000, True, "variants"), (900, False, "name")):
        add("deep_nesting", f"{depth} levels at {place}",
            _injected(examples["erlang_a"], (place,), _nesting(depth, flow)), 2)
    _special_cases(rng, add, examples)
    _option_cases(add, examples)
    return cases


def _special_cases(rng, add, examples) -> None:
    add("special_file", "fifo", special="fifo", expect=2)
    add("special_file", "directory", special="dir", expect=2)
    add("special_file", "/dev/zero", special="devzero", expect=2)
    add("special_file", "missing file", special="missing", expect=2)
    add("special_file", "empty file", "", expect=2)
    add("special_file", "2 MB name", _dump({**examples["erlang_a"], "name": "n" * 2_000_000}),
        expect=2)
    add("special_file", "2 MB description",
        _dump({**examples["erlang_a"], "description": "d" * 2_000_000}))
    for size in (64, 4096):
        add("binary", f"{size} random bytes",
            binary=base64.b64encode(rng.randbytes(size)).decode(), expect=2)
    add("binary", "utf-16", binary=base64.b64encode(
        _dump(examples["erlang_a"]).encode("utf-16")).decode(), expect=2)
    add("binary", "nul bytes", "name: a\x00b\n", expect=2)
    add("binary", "a python object tag", "!!python/object/apply:os.system ['true']\n",
        expect=2)


OPTIONS = (
    ["validate", FILE_TOKEN, "--set", "demand[-1].rate.per_hour=5"],
    ["validate", FILE_TOKEN, "--set", "demand[99].channel=voice"],
    ["validate", FILE_TOKEN, "--set", "=5"],
    ["validate", FILE_TOKEN, "--set", "agents..count=3"],
    ["validate", FILE_TOKEN, "--set", "demand[0.rate=3"],
    ["validate", FILE_TOKEN, "--set", "agents.team.count=[[[[[[["],
    ["validate", FILE_TOKEN, "--set", "agents.team.count=&a [*a]"],
    ["validate", FILE_TOKEN, "--set", "name.x=1"],
    ["run", FILE_TOKEN, "--scheduler", "notaurl", "-q"],
    ["run", FILE_TOKEN, "--executor", "nowhere", "-q"],
    ["run", FILE_TOKEN, "--limit", "contacts=-5", "-q"],
)


def _option_cases(add, examples) -> None:
    text = _dump(tiny(examples["erlang_a"]))
    for args in OPTIONS:
        add("cli_option", " ".join(args[2:]), text, expect=2, args=list(args))


# ---------------------------------------------------------------- the driver


class _Hang(BaseException):
    """Raised by the per-case alarm."""


def _materialise(case: Case, folder: Path) -> Path:
    path = folder / f"case{abs(hash(case.id)) % 10**8}.yaml"
    if case.special == "fifo":
        path = folder / "fifo.yaml"
        if not path.exists():
            os.mkfifo(path)
    elif case.special == "dir":
        path = folder / "dir.yaml"
        path.mkdir(exist_ok=True)
    elif case.special == "devzero":
        path = Path("/dev/zero")
    elif case.special == "missing":
        path = folder / "missing.yaml"
    elif case.binary is not None:
        path.write_bytes(base64.b64decode(case.binary))
    else:
        path.write_text(case.text or "", encoding="utf-8")
    return path


def _run_in_process(case: Case, folder: Path) -> dict[str, Any]:
    """Run one case through the command line in this process; return its record."""
    from simcc.cli import app

    path = _materialise(case, folder)
    args = [str(path) if a == FILE_TOKEN else a for a in case.args]
    out, err = io.StringIO(), io.StringIO()
    code, problems = None, []
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_BUDGET_S)
    start = time.monotonic()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            app(args, prog_name="simcc", standalone_mode=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except _Hang:
        problems.append("hang")
    except MemoryError:
        problems.append("memory")
    except BaseException as exc:  # noqa: BLE001 - any escape is what the fuzz looks for
        problems.append(f"traceback {exc.__class__.__name__}")
        err.write("".join(traceback.format_exception(exc))[-2000:])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.monotonic() - start
    if path.is_file() and path.parent == folder:
        path.unlink()
    return {"code": code, "seconds": seconds, "problems": problems,
            "stdout": out.getvalue(), "stderr": err.getvalue()}


def _alarm(signum, frame):
    raise _Hang


def driver_main(cases_file: str, folder: str) -> None:
    """Run the cases of ``cases_file`` from ``start`` on; one JSON line per case."""
    cases = [Case(**c) for c in json.loads(Path(cases_file).read_text())]
    real = sys.stdout
    for case in cases:
        real.write(json.dumps({"start": case.id}) + "\n")
        real.flush()
        record = _run_in_process(case, Path(folder))
        real.write(json.dumps({"done": case.id, **record}) + "\n")
        real.flush()


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def judge(case: Case, record: dict[str, Any]) -> Outcome:
    """The outcome of a case from its driver record."""
    output = record["stdout"] + record["stderr"]
    outcome = Outcome(case.id, case.kind, case.args[0], record["code"], record["seconds"],
                      list(record["problems"]), record["stderr"][-600:])
    code = record["code"]
    if code is not None and code not in (0, 2):
        outcome.problems.append(f"exit {code}")
    elif code is not None and case.expect is not None and code != case.expect:
        outcome.problems.append(f"exit {code}, expected {case.expect}")
    if "Traceback" in output:
        outcome.problems.append("traceback in output")
    if "internal error" in output:
        outcome.problems.append("internal error")
    if "\x1b" in output:
        outcome.problems.append("raw escape code in output")
    if len(output) > MAX_OUTPUT:
        outcome.problems.append(f"{len(output)} characters of output")
    outcome.problems = list(dict.fromkeys(outcome.problems))
    return outcome


def run_corpus(cases: list[Case]) -> list[Outcome]:
    """Run every case in driver subprocesses (restarted after a case kills one)."""
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="simcc-fuzz-") as folder:
        pending = list(cases)
        while pending:
            done = _run_batch(pending, Path(folder))
            outcomes += done
            pending = pending[len(done):]
    return outcomes


def _run_batch(cases: list[Case], folder: Path) -> list[Outcome]:
    """Run ``cases`` in one driver until they are all done or one dies or hangs."""
    cases_file = folder / "cases.json"
    cases_file.write_text(json.dumps([asdict(c) for c in cases]))
    env = {**os.environ, "PYTHONPATH": str(CODE), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "COLUMNS": "120",
           "TERM": "dumb"}
    proc = subprocess.Popen(
        [sys.executable, __file__, "--driver", str(cases_file), str(folder)], cwd=folder,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, preexec_fn=_cap_memory)
    by_id = {c.id: c for c in cases}
    outcomes, current, buffer = [], None, b""
    deadline = time.monotonic() + CASE_BUDGET_S + 20  # the first case also imports
    try:
        while True:
            line, buffer = _read_line(proc, buffer, deadline)
            if line is None:  # hang beyond the alarm, or the driver died
                if current is not None:
                    died = proc.poll() is not None
                    problem = f"driver died ({proc.returncode})" if died else "hang (killed)"
                    record = {"code": None, "seconds": 0.0, "problems": [problem],
                              "stdout": "", "stderr": ""}
                    outcomes.append(judge(by_id[current], record))
                return outcomes
            message = json.loads(line)
            if "start" in message:
                current = message["start"]
                deadline = time.monotonic() + CASE_BUDGET_S + 5
            else:
                outcomes.append(judge(by_id[message.pop("done")], message))
                current = None
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _read_line(proc, buffer: bytes, deadline: float) -> tuple[str | None, bytes]:
    while b"\n" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, buffer
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if not ready:
            return None, buffer
        chunk = os.read(proc.stdout.fileno(), 1 << 16)
        if not chunk:
            return None, buffer
        buffer += chunk
    line, _, rest = buffer.partition(b"\n")
    return line.decode(), rest


def counts(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    """kind -> (clean, not clean)."""
    clean, dirty = Counter(), Counter()
    for o in outcomes:
        (clean if o.clean else dirty)[o.kind] += 1
    return {kind: (clean[kind], dirty[kind]) for kind in dict.fromkeys(o.kind for o in outcomes)}


def main() -> None:
    """Print the counts by kind and every case that is not clean."""
    start = time.monotonic()
    outcomes = run_corpus(corpus())
    for o in outcomes:
        if not o.clean:
            print(f"NOT CLEAN [{o.command}] {o.id[:110]!r}: {', '.join(o.problems)}"
                  f" ({o.seconds:.1f} s)\n    {o.tail[-300:]!r}")
    print(f"{'kind':<15} clean  not clean")
    for kind, (ok, bad) in counts(outcomes).items():
        print(f"{kind:<15} {ok:5d}  {bad:9d}")
    total_bad = sum(not o.clean for o in outcomes)
    print(f"total {len(outcomes)} cases, {len(outcomes) - total_bad} clean, {total_bad} not "
          f"clean, {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--driver"]:
        sys.path.insert(0, str(CODE))
        driver_main(sys.argv[2], sys.argv[3])
    else:
        main()
