"""Time simcc against plain SimPy (tuned and idiomatic) and Ciw on the Erlang-A center.

Every model runs as a subprocess of this interpreter (``sys.executable``), so the
wall time includes starting Python and importing the libraries, as a user sees it.
With ``--repeat K`` each model runs K times (interleaved) and its fastest run counts.
The script prints a table (wall time, contacts per second, abandon rate, ASA, service
level), the wall-time ratios of simcc to the other models with their targets, and a
one-line JSON summary as its last line.

Usage::

    python benchmarks/bench_erlang_a.py [--arrivals N] [--repeat K] [--seed S]
        [--models simcc,tuned,idiomatic,ciw] [--timeout SECONDS] [--check]

A model that fails (simcc not ready, Ciw not installed) is reported with its error
and left out of the ratios; the other models still run. ``--check`` makes the exit
status 1 when simcc failed or missed a target.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from erlang_a_common import ARRIVALS_PER_HOUR, DEFAULT_ARRIVALS, counted_hours

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIO = HERE / "erlang_a_500k.yaml"
SCENARIO_HOURS = 426  # horizon.duration in the scenario file (warm-up included)
SCENARIO_SEED = 1
MODELS = ("simcc", "tuned", "idiomatic", "ciw")
LABELS = {
    "simcc": "simcc",
    "tuned": "simpy-tuned",
    "idiomatic": "simpy-idiomatic",
    "ciw": "ciw",
}
SCRIPTS = {
    "tuned": "plain_simpy_tuned.py",
    "idiomatic": "plain_simpy_idiomatic.py",
    "ciw": "plain_ciw.py",
}
TARGETS = {"simcc/tuned": 1.5, "simcc/idiomatic": 0.35}
KPIS = ("abandon_rate", "asa_s", "service_level", "occupancy")
CIW_UNSUPPORTED_EXIT = 3


@dataclass
class Outcome:
    """What one model gave: best wall time, its statistics, or why it failed."""

    name: str
    walls: list[float] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    error: str | None = None
    skipped: bool = False

    @property
    def wall_s(self) -> float | None:
        """Fastest wall time in seconds, or None if the model did not run."""
        return min(self.walls) if self.walls and self.error is None else None

    @property
    def contacts_per_s(self) -> float | None:
        """Counted contacts simulated per second of wall time."""
        contacts = self.stats.get("contacts")
        wall = self.wall_s
        return contacts / wall if contacts and wall else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the benchmark's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--arrivals",
        type=int,
        default=DEFAULT_ARRIVALS,
        help=f"about how many counted contacts arrive (default {DEFAULT_ARRIVALS})",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per model; the fastest counts")
    parser.add_argument("--seed", type=int, default=SCENARIO_SEED, help="root seed (default 1)")
    parser.add_argument(
        "--models",
        default=",".join(MODELS),
        help=f"comma-separated subset of {','.join(MODELS)} (default: all)",
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="limit per run in seconds (default 3600)"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if simcc failed or missed a target"
    )
    args = parser.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(args.models) - set(MODELS))
    if unknown:
        parser.error(f"unknown models: {', '.join(unknown)} (choose from {', '.join(MODELS)})")
    if args.repeat < 1 or args.arrivals < 1:
        parser.error("--repeat and --arrivals must be at least 1")
    return args


def command(model: str, arrivals: int, seed: int) -> list[str]:
    """The command line that runs ``model`` at this size and seed."""
    if model != "simcc":
        script = str(HERE / SCRIPTS[model])
        return [sys.executable, script, "--arrivals", str(arrivals), "--seed", str(seed)]
    cmd = [sys.executable, "-m", "simcc", "run", str(SCENARIO), "--json", "-n", "1"]
    cmd += ["--workers", "1"]
    hours = counted_hours(arrivals) + 1
    if hours != SCENARIO_HOURS:
        cmd += ["--set", f"horizon.duration={hours}h"]
    if seed != SCENARIO_SEED:
        cmd += ["--set", f"seed={seed}"]
    return cmd


def last_json_line(stdout: str) -> dict:
    """The last JSON object on ``stdout`` that starts at the beginning of a line.

    Handles both one-line and pretty-printed (multi-line) objects, with any log lines
    before them.
    """
    lines = stdout.splitlines(keepends=True)
    decoder = json.JSONDecoder()
    for index in range(len(lines) - 1, -1, -1):
        if not lines[index].startswith("{"):
            continue
        try:
            value, _ = decoder.raw_decode("".join(lines[index:]))
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise ValueError("no JSON object on stdout")


def simcc_stats(output: dict) -> dict:
    """Pick the statistics out of ``simcc run --json`` (``kpis.overall.<kpi>.mean``)."""
    overall = output.get("kpis", {}).get("overall", {})

    def mean(key: str) -> float | None:
        value = overall.get(key)
        return value.get("mean") if isinstance(value, dict) else value

    stats = {key: mean(key) for key in KPIS}
    offered = mean("offered")
    stats["contacts"] = round(offered) if offered is not None else None
    return stats


def run_model(model: str, cmd: list[str], timeout: float) -> tuple[float, dict]:
    """Run one model once; return (wall seconds, statistics) or raise RuntimeError."""
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"timed out after {timeout:g} s") from exc
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(
            f"exit status {proc.returncode}: {tail(proc.stderr) or tail(proc.stdout)}",
            proc.returncode,
        )
    try:
        output = last_json_line(proc.stdout)
    except ValueError as exc:
        raise RuntimeError(f"{exc}; stdout: {tail(proc.stdout)}") from exc
    return wall, simcc_stats(output) if model == "simcc" else output


def tail(text: str, lines: int = 15) -> str:
    """The last ``lines`` lines of ``text``, stripped."""
    return "\n".join(text.strip().splitlines()[-lines:])


def run_all(args: argparse.Namespace) -> dict[str, Outcome]:
    """Run the selected models ``args.repeat`` times each, interleaved."""
    outcomes = {model: Outcome(LABELS[model]) for model in args.models}
    if "ciw" in outcomes and not ciw_available():
        outcomes["ciw"].skipped = True
        outcomes["ciw"].error = "ciw is not installed (pip install ciw)"
    for round_ in range(1, args.repeat + 1):
        for model, outcome in outcomes.items():
            if outcome.error is not None:
                continue
            cmd = command(model, args.arrivals, args.seed)
            log(f"[{round_}/{args.repeat}] {outcome.name}: {' '.join(cmd[1:])}")
            try:
                wall, stats = run_model(model, cmd, args.timeout)
            except RuntimeError as exc:
                outcome.error = str(exc.args[0])
                code = exc.args[1] if len(exc.args) > 1 else None
                outcome.skipped = model == "ciw" and code == CIW_UNSUPPORTED_EXIT
                log(f"    failed: {outcome.error}")
                continue
            log(f"    {wall:.2f} s")
            outcome.walls.append(wall)
            outcome.stats = stats
    return outcomes


def ciw_available() -> bool:
    """Whether ``ciw`` can be imported by the interpreter that runs the models."""
    probe = [sys.executable, "-c", "import ciw"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def ratios(outcomes: dict[str, Outcome]) -> dict[str, float | None]:
    """Wall-time ratios of simcc to each other model that ran."""
    simcc = outcomes.get("simcc")
    result = {}
    for model, outcome in outcomes.items():
        if model == "simcc":
            continue
        ok = simcc is not None and simcc.wall_s and outcome.wall_s
        result[f"simcc/{model}"] = simcc.wall_s / outcome.wall_s if ok else None
    return result


def verdicts(ratio: dict[str, float | None]) -> dict[str, bool | None]:
    """For each target ratio: met (True), missed (False) or not measured (None)."""
    return {
        key: (None if ratio.get(key) is None else ratio[key] <= limit)
        for key, limit in TARGETS.items()
    }


def exact_reference() -> dict | None:
    """Exact steady-state Erlang-A KPIs, or None if they cannot be computed here."""
    try:
        from erlang_a_exact import benchmark_model

        return benchmark_model()
    except Exception as exc:  # the reference row is optional
        log(f"exact Erlang-A reference unavailable: {exc}")
        return None


def fmt(value: float | None, spec: str) -> str:
    """Format a number, or a dash when it is missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def print_table(args, outcomes, ratio, verdict, exact) -> None:
    """Print the human-readable results."""
    hours = counted_hours(args.arrivals)
    print(
        f"\nErlang-A M/M/100+M, load 0.98: {hours} counted hours "
        f"(~{hours * ARRIVALS_PER_HOUR:,.0f} arrivals) + 1 h warm-up, seed {args.seed}, "
        f"best of {args.repeat}"
    )
    header = f"{'model':<18}{'wall s':>9}{'contacts/s':>12}{'contacts':>10}"
    header += f"{'abandon':>9}{'ASA s':>8}{'SL':>7}{'occ':>7}"
    print(header)
    print("-" * len(header))
    for outcome in outcomes.values():
        stats = outcome.stats
        if outcome.error is not None:
            status = "skipped" if outcome.skipped else "FAILED"
            print(f"{outcome.name:<18}{status:>9}   {outcome.error.splitlines()[-1][:70]}")
            continue
        print(
            f"{outcome.name:<18}{fmt(outcome.wall_s, '.2f'):>9}"
            f"{fmt(outcome.contacts_per_s, ',.0f'):>12}{fmt(stats.get('contacts'), ',d'):>10}"
            f"{fmt(stats.get('abandon_rate'), '.4f'):>9}{fmt(stats.get('asa_s'), '.2f'):>8}"
            f"{fmt(stats.get('service_level'), '.3f'):>7}{fmt(stats.get('occupancy'), '.3f'):>7}"
        )
    if exact:
        print(
            f"{'Erlang A (exact)':<18}{'':>31}{exact['abandon_rate']:>9.4f}"
            f"{exact['asa_s']:>8.2f}{exact['service_level']:>7.3f}{exact['occupancy']:>7.3f}"
        )
    print("\nwall-time ratios (lower is better for simcc):")
    for key, value in ratio.items():
        line = f"  {key:<16}{fmt(value, '.3f'):>7}"
        if key in TARGETS:
            met = verdict[key]
            mark = "not measured" if met is None else ("met" if met else "MISSED")
            line += f"   target <= {TARGETS[key]}: {mark}"
        print(line)
    failed = [o for o in outcomes.values() if o.error is not None and not o.skipped]
    for outcome in failed:
        print(f"\n{outcome.name} failed:\n{outcome.error}")


def summary(args, outcomes, ratio, verdict, exact) -> dict:
    """The machine-readable summary printed as the last line."""
    models = {}
    for model, outcome in outcomes.items():
        entry = {"wall_s": outcome.wall_s, "contacts_per_s": outcome.contacts_per_s}
        entry.update({key: outcome.stats.get(key) for key in ("contacts", *KPIS)})
        if outcome.error is not None:
            entry["error"] = outcome.error
            entry["skipped"] = outcome.skipped
        models[model] = entry
    return {
        "benchmark": "erlang-a",
        "arrivals": args.arrivals,
        "counted_hours": counted_hours(args.arrivals),
        "seed": args.seed,
        "repeat": args.repeat,
        "python": sys.version.split()[0],
        "models": models,
        "ratios": ratio,
        "targets": TARGETS,
        "targets_met": verdict,
        "exact": exact,
    }


def log(message: str) -> None:
    """Progress message on stderr (stdout carries the results)."""
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    args = parse_args(argv)
    outcomes = run_all(args)
    ratio = ratios(outcomes)
    verdict = verdicts(ratio)
    exact = exact_reference()
    print_table(args, outcomes, ratio, verdict, exact)
    print(json.dumps(summary(args, outcomes, ratio, verdict, exact)))
    if not args.check:
        return 0
    simcc = outcomes.get("simcc")
    simcc_ok = simcc is not None and simcc.error is None
    return 0 if simcc_ok and all(v is not False for v in verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
