"""Throughput and scaling of simcc against plain SimPy on the Erlang-A center.

Prints, in one run:

1. throughput at one size (default 10^6 contacts): contacts per second of simcc and of
   the plain SimPy models (tuned and idiomatic) of the same M/M/100+M model, the ratios
   of simcc's time per contact to theirs, and the peak memory (RSS) of each run;
2. a scaling table for N = 10^4, 10^5, 10^6, 10^7 contacts: simcc with records off and
   plain SimPy tuned, each with wall time, contacts per second, time per contact
   relative to the smallest size, peak RSS and its growth over the smallest size;
3. a one-line verdict on simcc's time (linear?) and memory (flat?), and a JSON summary
   as the last line.

N is scaled by lengthening the horizon at the fixed arrival rate (1176 per hour): the
horizon is a 1 h warm-up plus ``round(N / 1176)`` counted hours, as in
``bench_erlang_a.py --arrivals N``. Time per contact is the wall time divided by the
expected number of simulated arrivals (rate x horizon, warm-up included), the same for
every model at a given N.

Every (model, N) runs once in a fresh subprocess (``--child``) that imports its
libraries, notes its RSS (the baseline), runs the model once and prints one JSON line:
the wall time of the run only (imports excluded) and the peak RSS of the process.

Usage::

    python benchmarks/bench_scaling.py [--size N] [--max-contacts N] [--quick]
        [--throughput-models simcc,tuned,idiomatic] [--seed S] [--timeout SECONDS]
    python benchmarks/bench_scaling.py --profile [--profile-contacts N]
    python benchmarks/bench_scaling.py --profile-scenario scenarios/retail_omnichannel.yaml
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from erlang_a_common import ARRIVALS_PER_HOUR, WARMUP_S, counted_hours

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIO = HERE / "erlang_a_500k.yaml"
MODELS = ("simcc", "tuned", "idiomatic")
LABELS = {"simcc": "simcc", "tuned": "simpy-tuned", "idiomatic": "simpy-idiomatic"}
SIZES = (10**4, 10**5, 10**6, 10**7)
QUICK_MAX = 10**5
DEFAULT_SIZE = 10**6
PROFILE_TOP = 25
LINEAR_LIMIT = 1.25  # per-contact time at the largest N over the smallest: "linear" if <=
FLAT_LIMIT_MIB = 64.0  # peak RSS growth over the last tenfold step of N: "flat" if <=


# --------------------------------------------------------------------------- child side


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def simcc_document(contacts: int, seed: int) -> dict:
    """The Erlang-A scenario as a mapping, with the horizon for ``contacts``."""
    import yaml

    document = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    document["horizon"]["duration"] = f"{total_hours(contacts)}h"
    document["horizon"]["warmup"] = f"{WARMUP_S / 3600.0:g}h"
    document["seed"] = seed
    return document


def measured(run: Callable[[], Any]) -> tuple[Any, dict]:
    """``run()``'s value, and its wall time and the process's RSS before and after."""
    baseline = peak_rss_mib()
    started = time.perf_counter()
    value = run()
    wall = time.perf_counter() - started
    return value, {"wall_s": wall, "baseline_rss_mib": baseline, "peak_rss_mib": peak_rss_mib()}


def child_simcc(contacts: int, seed: int) -> dict:
    """Run simcc once on the Erlang-A center (records off); return timing, memory and a
    few KPIs."""
    import simcc

    document = simcc_document(contacts, seed)
    result, output = measured(lambda: simcc.simulate(document, replications=1, workers=1,
                                                     records="none"))
    return output | {"records": 'records="none"', "counted": round(result.kpi("offered")),
                     "abandon_rate": result.kpi("abandon_rate"),
                     "asa_s": result.kpi("asa_s")}


def child_plain(model: str, contacts: int, seed: int) -> dict:
    """Run a plain SimPy model once; return timing, memory and a few statistics."""
    if model == "tuned":
        import plain_simpy_tuned as module
    else:
        import plain_simpy_idiomatic as module
    stats, output = measured(lambda: module.simulate(contacts, seed))
    return output | {key: stats[name] for key, name in (
        ("counted", "contacts"), ("arrivals_total", "arrivals_total"),
        ("abandon_rate", "abandon_rate"), ("asa_s", "asa_s"))}


def run_child(model: str, contacts: int, seed: int) -> None:
    """Body of ``--child``: run one model once and print one JSON line."""
    run = child_simcc if model == "simcc" else partial(child_plain, model)
    output = run(contacts, seed)
    output.update(model=model, contacts=contacts, seed=seed)
    print(json.dumps(output))


# -------------------------------------------------------------------------- parent side


def total_hours(contacts: int) -> int:
    """Simulated hours for about ``contacts`` counted contacts: warm-up + counted."""
    return counted_hours(contacts) + round(WARMUP_S / 3600.0)


def nominal_arrivals(contacts: int) -> float:
    """Expected arrivals over the whole simulated horizon (warm-up included)."""
    return ARRIVALS_PER_HOUR * total_hours(contacts)


@dataclass
class Run:
    """One (model, N) run of a child process: its JSON line, or why it failed."""

    model: str
    contacts: int
    data: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the child ran and reported."""
        return self.error is None

    @property
    def wall_s(self) -> float:
        """Wall time of the run itself (imports excluded)."""
        return self.data["wall_s"]

    @property
    def per_contact_us(self) -> float:
        """Wall time per expected simulated arrival, in microseconds."""
        return 1e6 * self.wall_s / nominal_arrivals(self.contacts)

    @property
    def contacts_per_s(self) -> float:
        """Expected simulated arrivals per second of wall time."""
        return nominal_arrivals(self.contacts) / self.wall_s


class Runner:
    """Runs children, one fresh process per (model, N), and remembers their results."""

    def __init__(self, seed: int, timeout: float):
        self.seed = seed
        self.timeout = timeout
        self.runs: dict[tuple[str, int], Run] = {}

    def get(self, model: str, contacts: int) -> Run:
        """The run of ``model`` at ``contacts``; started now unless already done."""
        key = (model, contacts)
        if key not in self.runs:
            self.runs[key] = self._spawn(model, contacts)
        return self.runs[key]

    def _spawn(self, model: str, contacts: int) -> Run:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", model,
               "--contacts", str(contacts), "--seed", str(self.seed)]
        log(f"{LABELS[model]} at N={contacts:,} ({total_hours(contacts)} h) ...")
        run = Run(model, contacts)
        try:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                                  timeout=self.timeout)
        except subprocess.TimeoutExpired:
            run.error = f"timed out after {self.timeout:g} s"
            log(f"    {run.error}")
            return run
        if proc.returncode != 0:
            run.error = f"exit status {proc.returncode}: {tail(proc.stderr or proc.stdout)}"
        else:
            try:
                run.data = json.loads(proc.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                run.error = f"no JSON line on stdout: {tail(proc.stdout)}"
        log(f"    {run.error}" if run.error else
            f"    {run.wall_s:.2f} s, peak RSS {run.data['peak_rss_mib']:.0f} MiB")
        return run


def tail(text: str, lines: int = 8) -> str:
    """The last ``lines`` lines of ``text``, stripped."""
    return "\n".join(text.strip().splitlines()[-lines:])


def log(message: str) -> None:
    """Progress message on stderr (stdout carries the results)."""
    print(message, file=sys.stderr, flush=True)


def fmt(value: float | None, spec: str) -> str:
    """Format a number, or a dash when it is missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def size_label(contacts: int) -> str:
    """``10^6`` for powers of ten, else the number with separators."""
    exponent = math.log10(contacts) if contacts > 0 else 0.0
    return f"10^{round(exponent)}" if exponent == round(exponent) else f"{contacts:,}"


def failed_row(run: Run, prefix: str) -> str:
    """A table row for a run that did not report."""
    return f"{prefix}   FAILED  {run.error.splitlines()[-1][:70]}"


# ------------------------------------------------------------------------------ output


def throughput(runner: Runner, size: int, models: list[str]) -> dict:
    """Run the throughput comparison at ``size``; print its table; return its summary."""
    runs = {model: runner.get(model, size) for model in models}
    simcc = runs.get("simcc")
    print(f"\n1. Throughput: Erlang-A M/M/100+M at N={size:,} "
          f"({total_hours(size)} h incl. 1 h warm-up, ~{nominal_arrivals(size):,.0f} arrivals)")
    if simcc is not None and simcc.ok:
        print(f"   simcc measured with {simcc.data['records']}")
    header = (f"{'model':<17}{'wall s':>9}{'contacts/s':>12}{'us/contact':>11}"
              f"{'simcc/model':>12}{'base MiB':>9}{'peak MiB':>9}{'abandon':>9}{'ASA s':>7}")
    print(header)
    print("-" * len(header))
    summary = {}
    for model, run in runs.items():
        if not run.ok:
            print(failed_row(run, f"{LABELS[model]:<17}"))
            summary[model] = {"error": run.error}
            continue
        ratio = None
        if model != "simcc" and simcc is not None and simcc.ok:
            ratio = simcc.wall_s / run.wall_s
        data = run.data
        print(f"{LABELS[model]:<17}{run.wall_s:>9.2f}{run.contacts_per_s:>12,.0f}"
              f"{run.per_contact_us:>11.2f}{fmt(ratio, '.2f'):>12}"
              f"{data['baseline_rss_mib']:>9.0f}{data['peak_rss_mib']:>9.0f}"
              f"{fmt(data['abandon_rate'], '.4f'):>9}{fmt(data['asa_s'], '.1f'):>7}")
        summary[model] = {"wall_s": run.wall_s, "contacts_per_s": run.contacts_per_s,
                          "us_per_contact": run.per_contact_us, "simcc_over_model": ratio,
                          "baseline_rss_mib": data["baseline_rss_mib"],
                          "peak_rss_mib": data["peak_rss_mib"]}
    print("   simcc/model: simcc's time per contact over the model's (lower is better "
          "for simcc)")
    return summary


def scaling(runner: Runner, sizes: list[int]) -> dict:
    """Run simcc and simpy-tuned at every size; print the table; return its summary."""
    print(f"\n2. Scaling: N = {', '.join(size_label(n) for n in sizes)} "
          "(horizon lengthened at 1176 arrivals/h)")
    header = (f"{'N':>7}  {'model':<13}{'hours':>7}{'wall s':>9}{'contacts/s':>12}"
              f"{'us/contact':>11}{'rel. time':>10}{'marginal':>9}{'base MiB':>9}"
              f"{'peak MiB':>9}{'run MiB':>8}{'+peak MiB':>10}")
    print(header)
    print("-" * len(header))
    summary: dict = {"simcc": [], "tuned": []}
    first: dict[str, Run] = {}
    previous: dict[str, Run] = {}
    for contacts in sizes:
        for model in ("simcc", "tuned"):
            run = runner.get(model, contacts)
            prefix = f"{size_label(contacts):>7}  {LABELS[model]:<13}{total_hours(contacts):>7}"
            if not run.ok:
                print(failed_row(run, prefix))
                summary[model].append({"contacts": contacts, "error": run.error})
                continue
            base = first.setdefault(model, run)
            rel = run.per_contact_us / base.per_contact_us
            marginal = marginal_us(previous.get(model), run)
            previous[model] = run
            data = run.data
            growth = data["peak_rss_mib"] - base.data["peak_rss_mib"]
            run_mib = data["peak_rss_mib"] - data["baseline_rss_mib"]
            print(f"{prefix}{run.wall_s:>9.2f}{run.contacts_per_s:>12,.0f}"
                  f"{run.per_contact_us:>11.2f}{rel:>10.2f}{fmt(marginal, '.2f'):>9}"
                  f"{data['baseline_rss_mib']:>9.0f}{data['peak_rss_mib']:>9.0f}"
                  f"{run_mib:>8.0f}{growth:>+10.0f}")
            summary[model].append({
                "contacts": contacts, "hours": total_hours(contacts), "wall_s": run.wall_s,
                "contacts_per_s": run.contacts_per_s, "us_per_contact": run.per_contact_us,
                "relative_time_per_contact": rel, "marginal_us_per_contact": marginal,
                "baseline_rss_mib": data["baseline_rss_mib"],
                "peak_rss_mib": data["peak_rss_mib"], "peak_rss_growth_mib": growth})
    print("   rel. time: us/contact over the same model's at the smallest N; marginal: "
          "extra us per extra contact\n   since the previous N (fixed costs cancel out); "
          "run MiB: peak - base of this run;\n   +peak MiB: peak RSS over the same "
          "model's at the smallest N")
    return summary


def marginal_us(before: Run | None, after: Run) -> float | None:
    """Extra wall time per extra simulated contact from ``before`` to ``after``, in us."""
    if before is None:
        return None
    extra = nominal_arrivals(after.contacts) - nominal_arrivals(before.contacts)
    return 1e6 * (after.wall_s - before.wall_s) / extra if extra > 0 else None


def verdicts(rows: list[dict]) -> dict:
    """One-line verdicts on simcc's time and memory, from its scaling rows."""
    good = [row for row in rows if "error" not in row]
    if len(good) < 2:
        print("\n3. Verdict: not enough successful simcc sizes to judge scaling")
        return {}
    small, previous, large = good[0], good[-2], good[-1]
    rel = large["us_per_contact"] / small["us_per_contact"]
    growth = large["peak_rss_mib"] - small["peak_rss_mib"]
    last_growth = large["peak_rss_mib"] - previous["peak_rss_mib"]
    big, little = size_label(large["contacts"]), size_label(small["contacts"])
    linear = rel <= LINEAR_LIMIT
    flat = last_growth <= FLAT_LIMIT_MIB
    time_word = "time grows linearly" if linear else "time grows faster than linearly"
    memory_word = "memory flat" if flat else "memory grows"
    print("\n3. Verdict (simcc):")
    print(f"   {time_word}: per-contact time at {big} is {rel:.2f} of that at {little}")
    print(f"   {memory_word}: peak RSS at {big} is {last_growth:+.0f} MiB over "
          f"{size_label(previous['contacts'])} ({growth:+.0f} MiB over {little}: small runs "
          "end before the first chunk of finished issues, about 200,000 rows, is full)")
    print(f"   (linear: ratio <= {LINEAR_LIMIT}; flat: growth <= {FLAT_LIMIT_MIB:g} MiB on the "
          "last step)")
    first_step, last_step = good[1], good[-1]
    fixed = small["wall_s"] - first_step["marginal_us_per_contact"] * 1e-6 * (
        nominal_arrivals(small["contacts"]))
    steps = f"{first_step['marginal_us_per_contact']:.2f} us/contact from {little} to "
    steps += size_label(first_step["contacts"])
    if last_step is not first_step:
        steps += f", {last_step['marginal_us_per_contact']:.2f} on the last step to {big}"
    print(f"   marginal cost: {steps}; fixed cost per run ~{fixed:.2f} s")
    return {"time_ratio": rel, "linear": linear, "rss_growth_mib": growth,
            "rss_growth_last_step_mib": last_growth, "flat": flat,
            "smallest": small["contacts"], "largest": large["contacts"],
            "fixed_cost_s": fixed}


# ----------------------------------------------------------------------------- profile


def short_path(filename: str) -> str:
    """``simcc/model/center.py`` or ``simpy/core.py`` rather than the absolute path."""
    marker = "site-packages/"
    if marker in filename:
        return filename.rsplit(marker, 1)[1]
    path = Path(filename)
    if path.is_absolute() and path.is_relative_to(ROOT):
        return str(path.relative_to(ROOT))
    return filename


def shorten_paths(stats) -> None:
    """Like ``pstats.Stats.strip_dirs`` but keeping the package path (which ``core.py``)."""
    import pstats

    def short(func: tuple) -> tuple:
        return (short_path(func[0]), *func[1:])

    merged: dict = {}
    for func, (cc, nc, tt, ct, callers) in stats.stats.items():
        entry = (cc, nc, tt, ct, {short(caller): v for caller, v in callers.items()})
        key = short(func)
        merged[key] = pstats.add_func_stats(merged[key], entry) if key in merged else entry
    stats.stats = merged
    stats.top_level = {short(func) for func in stats.top_level}
    stats.fcn_list = None
    stats.all_callees = None


def print_profile(profile, title: str) -> None:
    """Print the top functions of a finished ``cProfile.Profile`` by both orders."""
    import pstats

    stats = pstats.Stats(profile, stream=sys.stdout)
    shorten_paths(stats)
    for order, name in (("cumulative", "cumulative"), ("tottime", "total")):
        print(f"\n=== {title}: top {PROFILE_TOP} by {name} time ===")
        stats.sort_stats(order).print_stats(PROFILE_TOP)


def profile_simcc(source, title: str, overrides: dict | None = None) -> None:
    """Profile one simcc replication (records off) of ``source`` and print the top."""
    import cProfile

    import simcc

    scenario = simcc.load_scenario(source, overrides)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    simcc.simulate(scenario, replications=1, workers=1, records="none")
    profile.disable()
    wall = time.perf_counter() - started
    print(f'\n{title}: {wall:.2f} s under cProfile, simcc measured with records="none"')
    print_profile(profile, title)


# -------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=None,
                        help=f"contacts for the throughput part (default {DEFAULT_SIZE:,}; "
                        f"{QUICK_MAX:,} with --quick)")
    parser.add_argument("--max-contacts", type=int, default=SIZES[-1],
                        help="largest N of the scaling table: sizes are the powers of ten "
                        f"from 10^4 up to it (default {SIZES[-1]:,})")
    parser.add_argument("--quick", action="store_true",
                        help=f"stop at N = {QUICK_MAX:,} everywhere (a check that all runs)")
    parser.add_argument("--throughput-models", default=",".join(MODELS),
                        help=f"models of the throughput part (default {','.join(MODELS)})")
    parser.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    parser.add_argument("--timeout", type=float, default=7200.0,
                        help="limit per run in seconds (default 7200)")
    parser.add_argument("--profile", action="store_true",
                        help="only profile simcc on the Erlang-A center (cProfile)")
    parser.add_argument("--profile-contacts", type=int, default=10**5,
                        help="contacts of the --profile run (default 100,000)")
    parser.add_argument("--profile-scenario", type=Path, default=None, metavar="PATH",
                        help="only profile simcc on this scenario file (e.g. "
                        "scenarios/retail_omnichannel.yaml)")
    parser.add_argument("--profile-duration", default="1d",
                        help="horizon.duration override of --profile-scenario (default 1d)")
    parser.add_argument("--child", choices=MODELS, help=argparse.SUPPRESS)
    parser.add_argument("--contacts", type=int, default=DEFAULT_SIZE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.throughput_models = [m.strip() for m in args.throughput_models.split(",") if m.strip()]
    unknown = sorted(set(args.throughput_models) - set(MODELS))
    if unknown:
        parser.error(f"unknown models: {', '.join(unknown)} (choose from {', '.join(MODELS)})")
    if args.quick:
        args.max_contacts = min(args.max_contacts, QUICK_MAX)
    if args.size is None:
        args.size = min(DEFAULT_SIZE, args.max_contacts) if args.quick else DEFAULT_SIZE
    if min(args.size, args.max_contacts, args.contacts, args.profile_contacts) < 1:
        parser.error("sizes must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or a child, or a profile); return the exit status."""
    args = parse_args(argv)
    if args.child:
        run_child(args.child, args.contacts, args.seed)
        return 0
    if args.profile or args.profile_scenario:
        if args.profile:
            profile_simcc(simcc_document(args.profile_contacts, args.seed),
                          f"simcc Erlang-A, N={args.profile_contacts:,}")
        if args.profile_scenario:
            profile_simcc(args.profile_scenario, f"simcc {args.profile_scenario}",
                          {"horizon.duration": args.profile_duration})
        return 0
    runner = Runner(args.seed, args.timeout)
    sizes = [n for n in SIZES if n <= args.max_contacts] or [args.max_contacts]
    through = throughput(runner, args.size, args.throughput_models)
    scale = scaling(runner, sizes)
    verdict = verdicts(scale["simcc"])
    simcc_runs = [run for (model, _), run in runner.runs.items() if model == "simcc" and run.ok]
    print(json.dumps({
        "benchmark": "scaling", "seed": args.seed, "size": args.size, "sizes": sizes,
        "python": sys.version.split()[0],
        "simcc_records": simcc_runs[0].data["records"] if simcc_runs else None,
        "throughput": through, "scaling": scale, "verdict": verdict,
    }))
    return 0 if all(run.ok for run in runner.runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
