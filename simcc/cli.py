"""Command line: ``simcc run``, ``simcc compare``, ``simcc sweep``, ``simcc staff``,
``simcc validate``, ``simcc schema`` (and more: ``simcc --help``).

Exit codes: 0 success; 2 invalid input or usage (a message naming the problem, no
traceback, nothing written); 1 anything else.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec

import typer
from rich.console import Console, ConsoleDimensions

from simcc.errors import ScenarioWarning, SimccError
from simcc.report.terminal import line, plain, visible

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="simcc: discrete-event contact-center simulator.")

PIPED_WIDTH = 200
"""Line width of output that does not go to a terminal (CI logs, files, pipes) unless
``$COLUMNS`` says otherwise: wide enough that tables keep every column and long paths
stay on one line."""


class _CliConsole(Console):
    """A console as wide as the terminal, or, writing elsewhere, ``$COLUMNS`` or
    :data:`PIPED_WIDTH` characters (rich alone would wrap piped output at 80).
    ``$COLUMNS`` is read when printing, not frozen when the console is made."""

    def __init__(self, *args, width: int | None = None, **kwargs):
        super().__init__(*args, width=width, **kwargs)
        self._width = width  # rich copies $COLUMNS here at construction

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self._width is None and not self.is_terminal and "COLUMNS" not in os.environ:
            return ConsoleDimensions(PIPED_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)


stdout = _CliConsole()
stderr = _CliConsole(stderr=True)

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2
P = ParamSpec("P")

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="override a scenario value: key.path=value (repeatable)")]
ReplicationsOpt = Annotated[int | None, typer.Option(
    "-n", "--replications", min=1, help="replications (default: the scenario's)")]
SeedOpt = Annotated[int | None, typer.Option(min=0, help="seed (default: the scenario's)")]
WorkersOpt = Annotated[int | None, typer.Option(
    min=1, help="parallel processes (default: one per core)")]
ExecutorOpt = Annotated[str | None, typer.Option(
    "--executor", help="where replications run: local (processes on this machine), serial, "
    "or dask (a Dask cluster; default when --scheduler or SIMCC_SCHEDULER is set)")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Dask scheduler address, tcp://host:8786 (default: $SIMCC_SCHEDULER)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the JSON result only")]
OutOpt = Annotated[str | None, typer.Option(
    "--out", help="write tables and JSON to this folder (a previous simcc output there is "
    "replaced as a whole; docs/kpis.md)", show_default=False)]
ForceOpt = Annotated[bool, typer.Option(
    "--force", help="write into an --out folder that holds files simcc did not write")]
LimitOpt = Annotated[list[str] | None, typer.Option(
    "--limit", help="raise a resource limit: NAME=N or NAME=none, NAME one of contacts, "
    "day_contacts, agents, tasks (repeatable; docs/scenario.md, Resource limits)")]
ReportOpt = Annotated[Path | None, typer.Option(help="write a self-contained HTML report")]
RecordsOpt = Annotated[str, typer.Option(
    "--records", help="per-contact records written under OUT/records as Parquet, chunk by "
    "chunk: none (KPIs only; memory does not grow with the contacts), sample (5%% of "
    "issues) or all")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")]
StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="treat scenario warnings (docs/scenario.md) as errors: exit 2")]
IntervalsOpt = Annotated[bool, typer.Option(
    "--intervals", help="also print the KPIs of every reporting interval and channel, "
    "flagging intervals below the service-level target")]
ChannelOpt = Annotated[str | None, typer.Option(
    "--channel", help="with --intervals: only this channel's intervals")]


NoUserCodeOpt = Annotated[bool, typer.Option(
    "--no-user-code", help="refuse user routing policies (routing.policy: module:Class "
    "imports and runs that module): only built-in policies; also SIMCC_NO_USER_CODE=1 "
    "(docs/security.md)")]


def _user_code(no_user_code: bool) -> bool | None:
    """The ``user_code`` argument of the API for ``--no-user-code`` (None: the default,
    which honours ``SIMCC_NO_USER_CODE``)."""
    return False if no_user_code else None


def _fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    """Print ``error: message`` on stderr as plain text (never read as markup, control
    characters made visible) and return the exit to raise. Printing cannot fail: if
    rich cannot write the message, it is written directly."""
    _say(stderr, line(("error:", "bold red"), " ", message))
    return typer.Exit(code)


def _say(console: Console, text) -> None:
    """Print ``text`` (a rich renderable) on ``console``, unwrapped; should rich fail,
    write its plain form to the console's stream instead, unencodable characters
    escaped."""
    try:
        console.print(text, highlight=False, soft_wrap=True, emoji=False)
    except Exception:
        stream = sys.stderr if console.stderr else sys.stdout
        data = (visible(getattr(text, "plain", text), keep="\n\t") + "\n")
        stream.write(data.encode(stream.encoding or "utf-8", "backslashreplace")
                     .decode(stream.encoding or "utf-8", "replace"))


def _reports_errors(command: Callable[P, None]) -> Callable[P, None]:
    """Turn simcc errors into exit code 2 and unexpected ones into exit code 1, each
    with a one-paragraph message and no traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        previous = _terminate_as_interrupt()
        try:
            with warnings.catch_warnings():  # printed by _warn_about instead
                warnings.simplefilter("ignore", ScenarioWarning)
                command(*args, **kwargs)
        except SimccError as exc:
            raise _fail(str(exc)) from None
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            raise _fail("interrupted; no result files were written", 130) from None
        except Exception as exc:
            raise _fail(f"internal error: {exc.__class__.__name__}: {exc}",
                        EXIT_FAILURE) from None
        finally:
            _restore_signal(previous)

    return wrapper


def _terminate_as_interrupt():
    """Handle SIGTERM like Ctrl-C (queued work cancelled, workers and staging folders
    removed, exit 130); returns the previous handler (None off the main thread)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _restore_signal(previous) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def _out_path(text: str | None) -> Path | None:
    """The --out folder (``''`` is an error, not the working directory)."""
    if text is None:
        return None
    if not text.strip():
        raise _fail("--out: empty folder name")
    return Path(text)


def _check_work(scenarios: list, replications: int, workers: int | None,
                limits: list[str] | None, quiet: bool):
    """Refuse work beyond the resource limits before anything is written; announce a long
    run on stderr. Returns the estimate and the limits (passed on to the run)."""
    from simcc.experiment.limits import check_work, command_limits, estimate_work

    bounds = command_limits(limits or [])
    estimate = check_work(estimate_work(scenarios, replications, workers), bounds)
    if not quiet and estimate.seconds[1] >= LONG_RUN_S:
        _say(stderr, line("large run: ", estimate.describe()))
    return estimate, bounds


LONG_RUN_S = 60.0
"""Runs estimated to take longer (slowest case) announce themselves and show progress
even when stderr is not a terminal."""


def _overrides(assignments: list[str] | None) -> dict:
    from simcc.scenario import parse_assignment

    return dict(parse_assignment(text) for text in assignments or [])


def _warn_about(model, source: Path, variants: list[str] | None = (),
                strict: bool = False) -> list[ScenarioWarning]:
    """Print the semantic warnings of ``model`` and of ``variants`` (None: all of its
    variants) on stderr, one line each naming the file and the path; with ``strict``
    any warning stops the command with exit code 2."""
    from simcc.experiment import semantic_warnings

    found = semantic_warnings(model, variants)
    for warning in found:
        _say(stderr, line(("warning:", "bold yellow"), f" {source}: {warning}"))
    if strict and found:
        raise _fail(f"{source}: {len(found)} warning(s) and --strict")
    return found


@app.command()
@_reports_errors
def run(
    scenario: ScenarioArg,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = None,
    scheduler: SchedulerOpt = None,
    assignments: SetOpt = None,
    as_json: JsonOpt = False,
    out_text: OutOpt = None,
    force: ForceOpt = False,
    records: RecordsOpt = "none",
    report: ReportOpt = None,
    limits: LimitOpt = None,
    quiet: QuietOpt = False,
    strict: StrictOpt = False,
    intervals: IntervalsOpt = False,
    channel: ChannelOpt = None,
    no_user_code: NoUserCodeOpt = False,
) -> None:
    """Simulate a scenario and report its KPIs with 95% confidence intervals."""
    from simcc.experiment import prepare, simulate
    from simcc.experiment.outdir import check_out, staged_output
    from simcc.experiment.records_out import RecordsSpec

    out = _out_path(out_text)
    check_out(out, "run", force)
    _check_outputs({"--report": report})
    if RecordsSpec(records).mode != "none" and out is None:
        raise _fail(f"--records {records} needs --out (records are written to OUT/records)")
    model = prepare(scenario, _overrides(assignments), user_code=_user_code(no_user_code))
    _warn_about(model, scenario, strict=strict)
    _check_intervals_options(intervals, channel, as_json, model)
    reps = replications or model.replications
    estimate, bounds = _check_work([model], reps, workers, limits, quiet)
    with staged_output(out, "run", force) as staging, \
            _executor(executor, workers, scheduler) as runner, \
            _progress(reps, _progress_mode(quiet, as_json, estimate)) as progress:
        result = simulate(model, replications=reps, seed=seed, executor=runner,
                          progress=progress, records=_records_spec(records, staging, report),
                          limits=bounds)
        if staging is not None:
            from simcc.report.files import write_result

            write_result(result, staging)
    if report is not None:
        from simcc.report.files import write_text_atomic
        from simcc.report.html import render_report

        kept = out / "records" if out is not None and records != "none" else None
        write_text_atomic(report, render_report(result, records=kept))
    _finish(as_json, result.to_json, lambda: _print_tables(result, intervals, channel), out,
            report)


def _check_intervals_options(intervals: bool, channel: str | None, as_json: bool,
                             model) -> None:
    """--channel needs --intervals and a channel of the scenario; --json prints JSON only."""
    if channel is not None and not intervals:
        raise _fail("--channel selects the intervals shown: use it with --intervals")
    if intervals and as_json:
        raise _fail("--intervals prints a table; with --json, use --out (intervals.csv)")
    if channel is not None and channel not in model.channels:
        raise _fail(f"--channel {channel}: not a channel of the scenario (channels: "
                    f"{', '.join(model.channels)})")


def _progress_mode(quiet: bool, as_json: bool, estimate=None) -> str | None:
    """``bar`` for a person at a terminal (never with --json), ``lines`` on stderr for
    a long run elsewhere, else None (and always None with --quiet)."""
    if quiet:
        return None
    if not as_json and stdout.is_terminal and stderr.is_terminal:
        return "bar"
    if estimate is not None and estimate.seconds[1] >= LONG_RUN_S:
        return "lines"
    return None


def _finish(as_json: bool, document: Callable[[], dict], print_tables: Callable[[], None],
            *written: Path | None) -> None:
    """Print the JSON object alone, or the tables and the files written."""
    if as_json:
        sys.stdout.write(json.dumps(document()) + "\n")
        return
    print_tables()
    for path in written:
        if path is not None:
            _say(stdout, line("written: ", path))


def _print_tables(result, intervals: bool = False, channel: str | None = None) -> None:
    from simcc.report.tables import (
        interval_table,
        issue_table,
        outcome_table,
        overall_table,
        scope_table,
    )

    stdout.print(overall_table(result))
    for scope in ("channel", "segment", "intent", "group"):
        table = scope_table(result, scope)
        if table is not None and (scope != "segment" or len(table.rows) > 1):
            stdout.print(table)
    issues = issue_table(result)
    if issues is not None:
        stdout.print(issues)
    outcomes = outcome_table(result)
    if outcomes is not None:
        stdout.print(outcomes)
    if intervals:
        stdout.print(interval_table(result, channel))


def _records_spec(mode: str, staging: Path | None, report: Path | None):
    """The records spec of ``simcc run``: ``mode`` written to ``staging/records`` (the
    staged --out folder), or a sample in memory for the report's figures, or none."""
    from simcc.experiment.records_out import RecordsSpec

    if mode == "none" or staging is None:
        return RecordsSpec("sample" if report is not None else "none")
    return RecordsSpec(mode, folder=staging / "records")


def _executor(kind: str | None, workers: int | None, scheduler: str | None):
    """The executor the options ask for (a context manager that releases it)."""
    from simcc.experiment.executors import check_scheduler_address, make_executor

    if scheduler is not None:
        check_scheduler_address(scheduler)
    return make_executor(kind, workers, scheduler)


class _progress:
    """Progress on stderr: a rich bar (``mode="bar"``), a line at most every
    :data:`PROGRESS_LINE_S` seconds (``"lines"``), or nothing (None)."""

    def __init__(self, total: int, mode: str | None):
        self.total, self.mode = total, mode
        self._bar = None

    def __enter__(self):
        if self.mode == "lines":
            return _progress_lines(self.total)
        if self.mode != "bar":
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("left"),
                             TimeRemainingColumn(), console=stderr, transient=True)
        self._bar.start()
        task = self._bar.add_task("replications", total=self.total)
        return lambda done, total: self._bar.update(task, completed=done)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()


PROGRESS_LINE_S = 30.0


def _progress_lines(total: int) -> Callable[[int, int], None]:
    """``progress(done, total)`` printing ``progress: 3/20 replications, 41 s`` lines."""
    import time

    start = last = time.monotonic()

    def report(done: int, _total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_LINE_S or done == total:
            last = now
            _say(stderr, line(f"progress: {done}/{total} replications, {now - start:.0f} s"))

    return report


@app.command("compare")
@_reports_errors
def compare_command(
    scenario: ScenarioArg,
    variant: Annotated[list[str] | None, typer.Option(
        "--variant", help="variant to run (repeatable; default: all of the scenario's)")
                       ] = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = None,
    scheduler: SchedulerOpt = None,
    assignments: SetOpt = None,
    as_json: JsonOpt = False,
    out_text: OutOpt = None,
    force: ForceOpt = False,
    report: ReportOpt = None,
    limits: LimitOpt = None,
    quiet: QuietOpt = False,
    no_user_code: NoUserCodeOpt = False,
) -> None:
    """Run the baseline and its variants on common random numbers; paired differences."""
    from simcc.experiment import compare, prepare
    from simcc.experiment.outdir import check_out, staged_output

    out = _out_path(out_text)
    check_out(out, "compare", force)
    _check_outputs({"--report": report})
    model = prepare(scenario, _overrides(assignments), user_code=_user_code(no_user_code))
    names = variant or list(model.variants)
    runs = [model, *(model.variant(name) for name in names)]  # unknown names fail here
    _warn_about(model, scenario, names)
    reps = replications or model.replications
    estimate, bounds = _check_work(runs, reps, workers, limits, quiet)
    with staged_output(out, "compare", force) as staging, \
            _executor(executor, workers, scheduler) as runner, \
            _progress(reps * len(runs), _progress_mode(quiet, as_json, estimate)) as progress:
        comparison = compare(model, names, replications=reps, seed=seed, executor=runner,
                             progress=progress, records="none",  # the page needs none
                             limits=bounds)
        if staging is not None:
            from simcc.report.files import write_comparison

            write_comparison(comparison, staging)
    if report is not None:
        from simcc.report.files import write_text_atomic
        from simcc.report.html import render_comparison_report

        write_text_atomic(report, render_comparison_report(comparison))
    from simcc.report.tables import comparison_table

    _finish(as_json, comparison.to_json, lambda: stdout.print(comparison_table(comparison)),
            out, report)


GridOpt = Annotated[list[str] | None, typer.Option(
    "--grid", help="swept values: path=lo:hi:step (inclusive range, e.g. 40:60:2), "
    "path=v1,v2,... or path=value (repeatable; the last varies fastest; replaces the "
    "scenario's sweep.grid)")]
SweepOutOpt = Annotated[str | None, typer.Option(
    "--out", show_default=False, help="keep each finished point in this folder and resume "
    "from it on a re-run; write "
    "sweep.csv and sweep.json at the end (without --out nothing is written and a re-run "
    "starts over)")]


@app.command("sweep")
@_reports_errors
def sweep_command(
    scenario: ScenarioArg,
    grid: GridOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    out_text: SweepOutOpt = None,
    force: ForceOpt = False,
    executor: ExecutorOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    assignments: SetOpt = None,
    as_json: JsonOpt = False,
    limits: LimitOpt = None,
    quiet: QuietOpt = False,
    no_user_code: NoUserCodeOpt = False,
) -> None:
    """Run every point of a parameter grid x replications on common random numbers, as one
    batch; with --out an interrupted sweep resumes where it stopped (docs/sweep.md)."""
    from contextlib import nullcontext

    from simcc.experiment.outdir import check_out, open_sweep_folder
    from simcc.experiment.sweep import parse_grid, plan_sweep, run_sweep

    out = _out_path(out_text)
    check_out(out, "sweep", force)
    plan = plan_sweep(scenario, parse_grid(grid) if grid else None, replications, seed, out,
                      _overrides(assignments),  # every point valid before anything runs
                      user_code=_user_code(no_user_code))
    _warn_about(plan.scenario, scenario)
    estimate, bounds = _check_work([plan.scenarios[k] for k in plan.remaining],
                                   plan.replications, workers, limits, quiet)
    if out is not None:
        open_sweep_folder(out, force)
    for path in plan.rejected:
        _say(stderr, line(f"ignoring {path}: changed since simcc wrote it (content hash); "
                          "the point is recomputed"))
    if plan.done:
        _say(stderr, line(f"resuming: {len(plan.done)} of {len(plan.points)} points already "
                          "done"))
    tasks = len(plan.remaining) * plan.replications
    mode = _progress_mode(quiet, as_json, estimate) if tasks else None
    try:
        with (_executor(executor, workers, scheduler) if tasks else nullcontext()) as runner, \
                _progress(tasks, mode) as bar:
            result = run_sweep(plan, runner, progress=bar, limits=bounds)
    except KeyboardInterrupt:
        if out is None:
            raise
        raise _fail(f"interrupted; the points finished so far are kept in {out}: run the "
                    "same command again to resume", 130) from None
    from simcc.report.tables import sweep_table

    written = (out / "sweep.csv", out / "sweep.json") if out is not None else ()
    _finish(as_json, result.to_json, lambda: stdout.print(sweep_table(result)), *written)


StaffOutOpt = Annotated[Path, typer.Option(
    "-o", "--output", help="staffed scenario to write (YAML)", show_default=False)]
RequirementsOpt = Annotated[Path | None, typer.Option(
    "--requirements", help="also write the planned agents per group and interval as CSV "
    "(group,date,start,required,interval), the input of simcc schedule")]
ShiftsOpt = Annotated[bool, typer.Option(
    "--shifts", help="decide the count of each existing shift of the groups with shifts "
    "(one-step staffing and scheduling) instead of per-interval tables")]


@app.command("staff")
@_reports_errors
def staff_command(
    scenario: ScenarioArg,
    output: StaffOutOpt,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    report: ReportOpt = None,
    requirements: RequirementsOpt = None,
    shifts: ShiftsOpt = False,
    quiet: QuietOpt = False,
    no_user_code: NoUserCodeOpt = False,
) -> None:
    """Find the cheapest staffing per interval that meets the targets, by simulation
    (docs/staffing.md); write the staffed scenario (and with --report an HTML page of the
    plan, with --requirements its CSV). Exit 0 when every target is met, 1 when some
    cannot be (the best plan found is written), 2 for invalid input (nothing written)."""
    from simcc.experiment import prepare
    from simcc.planning import staff
    from simcc.report.files import write_text_atomic
    from simcc.report.staffing import staffing_table, verdict_table

    model = prepare(scenario, user_code=_user_code(no_user_code))
    _check_outputs({"-o": output, "--report": report,  # before the search
                    "--requirements": requirements})
    reps = replications or model.replications
    _check_work([model], reps, workers, None, quiet)
    with _executor(executor, workers, scheduler) as runner, \
            _progress(reps, _progress_mode(quiet, as_json)) as progress:
        plan = staff(scenario, replications=reps, seed=seed, executor=runner,
                     progress=progress, shifts=shifts)
    _warn_about(plan.scenario, output, [])  # of the staffed scenario, not of the input
    if report is not None:
        from simcc.report.staffing_html import render_staffing_report

        page = render_staffing_report(plan)  # first: a failure here writes no file
    write_text_atomic(output, plan.to_yaml())
    if report is not None:
        write_text_atomic(report, page)
    if requirements is not None:
        write_text_atomic(requirements, plan.requirements_csv())

    def show() -> None:
        stdout.print(staffing_table(plan))
        verdicts = verdict_table(plan)
        if verdicts is not None:
            stdout.print(verdicts)
        for note in plan.notes:
            _say(stdout, line("note: ", note))

    _finish(as_json, plan.to_json, show, output, report, requirements)
    if not plan.feasible:
        raise typer.Exit(EXIT_FAILURE)


@app.command()
@_reports_errors
def check(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario YAML files")],
    baseline: Annotated[Path | None, typer.Option(
        help="baseline JSON file (one scenario)")] = None,
    baselines: Annotated[Path | None, typer.Option(
        help="folder of baselines, one <scenario file stem>.json per scenario")] = None,
    update: Annotated[bool, typer.Option(
        "--update", help="write or refresh the baseline(s) instead of checking")] = False,
    assignments: SetOpt = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    junit: Annotated[Path | None, typer.Option(help="write a JUnit XML report here")] = None,
    no_user_code: NoUserCodeOpt = False,
) -> None:
    """Check scenarios (and their variants) against stored baselines: exit 0 when
    nothing regressed, 1 when a KPI regressed or a limit is violated, 2 for invalid
    input."""
    from simcc.experiment import prepare
    from simcc.experiment.baseline import read_baseline
    from simcc.experiment.regression import run_check

    if (baseline is None) == (baselines is None):
        raise _fail("give exactly one of --baseline FILE or --baselines DIR")
    if baseline is not None and len(scenarios) != 1:
        raise _fail("--baseline takes one scenario; use --baselines DIR for several")
    if update and assignments:
        raise _fail("--set cannot be combined with --update: a baseline stores the "
                    "scenario as written")
    user_code = _user_code(no_user_code)
    models = {path: prepare(path, user_code=user_code)  # every file valid before running
              for path in scenarios}
    for path, model in models.items():
        _warn_about(model, path, None)
    files = {path: baseline or baselines / f"{path.stem}.json" for path in scenarios}
    if update:
        _update_baselines(models, files, workers)
        return
    documents = {path: read_baseline(files[path]) for path in scenarios}
    overrides = _overrides(assignments)
    results = [run_check(models[path], documents[path], overrides, workers,
                         user_code=user_code) for path in scenarios]
    if junit is not None:
        from simcc.report.files import write_text_atomic
        from simcc.report.junit import junit_xml

        write_text_atomic(junit, junit_xml(results))
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in results]) + "\n")
    else:
        from simcc.report.tables import check_table

        for result in results:
            stdout.print(check_table(result))
            _say(stdout, line(("passed", "green")) if result.passed else
                 line(("failed", "bold red"), ":\n", result.describe_failures()))
    if not all(r.passed for r in results):
        raise typer.Exit(EXIT_FAILURE)


def _update_baselines(models: dict, files: dict, workers: int | None) -> None:
    from importlib.metadata import version

    from simcc.experiment import compare
    from simcc.experiment.regression import baseline_document
    from simcc.report.files import write_text_atomic

    for path, model in models.items():
        comparison = compare(model, list(model.variants), workers=workers)
        document = baseline_document(comparison, model, version("simcc"))
        write_text_atomic(files[path], json.dumps(document, indent=1) + "\n")
        _say(stdout, line(f"baseline written: {files[path]} ({len(comparison.results)} runs, "
                          f"{model.replications} replications, seed {model.seed})"))


@app.command()
@_reports_errors
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario YAML files")],
    assignments: SetOpt = None,
    strict: StrictOpt = False,
    no_user_code: NoUserCodeOpt = False,
) -> None:
    """Check scenario files; report every problem found (errors: exit 2) and every
    warning (on stderr; exit 2 with --strict)."""
    from simcc.experiment import prepare

    failed = False
    for path in scenarios:
        try:
            model = prepare(path, _overrides(assignments), user_code=_user_code(no_user_code))
        except SimccError as exc:
            failed = True
            _say(stderr, line(("invalid:", "bold red"), f" {exc}"))
            continue
        found = _warn_about(model, path, None)
        if strict and found:
            failed = True
            _say(stderr, line(("invalid (--strict):", "bold red"),
                              f" {path}: {len(found)} warning(s)"))
            continue
        note = f", {len(found)} warning(s)" if found else ""
        _say(stdout, line(f"ok: {path} ({model.name}){note}"))
    if failed:
        raise typer.Exit(EXIT_INVALID)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    from simcc.scenario.schema import Scenario
    from simcc.scenario.wfm_files import with_file_references

    document = with_file_references(Scenario.model_json_schema())
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "simcc scenario (format v1)"
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


LogsArg = Annotated[list[Path], typer.Argument(help="contact log files", show_default=False)]
FormatOpt = Annotated[str, typer.Option(
    "--format", help="log format: generic or anonymous-bank")]
DaysOpt = Annotated[str, typer.Option(help="days to use: all or weekdays")]
FromOpt = Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")]
ToOpt = Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")]
SessionGapOpt = Annotated[str, typer.Option(
    "--session-gap", help="idle gap between two services of an agent still counted as "
    "logged in, when staffing is inferred from the log (docs/calibration.md)")]
KeepSpecialOpt = Annotated[bool, typer.Option(
    "--keep-special-days", help="keep the days whose volume is far from the median day "
    "(holidays, half days; left out by default: docs/calibration.md)")]


def _read_log(logs: list[Path], log_format: str, days: str, first: str | None,
              last: str | None):
    from simcc.calibrate.logs import filter_days, load_log

    log = filter_days(load_log(logs, format=log_format), days=days, start=first, end=last)
    _say(stderr, plain(log.summary()))
    return log


MAX_SESSION_GAP_S = 3600.0
"""Longest ``--session-gap``, seconds."""


def _session_gap(text: str) -> float:
    """``--session-gap`` in seconds, between 0 and an hour."""
    from simcc.units import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise _fail(f"--session-gap: {exc}") from None
    if not 0 <= seconds <= MAX_SESSION_GAP_S:
        raise _fail(f"--session-gap: must lie between 0 and 1h, got {text}")
    return seconds


def _without_special_days(contacts, keep: bool):
    """``contacts`` without the log's special days (unless ``keep``), named on stderr."""
    from simcc.calibrate.days import leave_out_special_days

    if keep:
        return contacts
    clean, table = leave_out_special_days(contacts)
    _name_special_days(table)
    return clean


def _name_special_days(table, prefix: str = "") -> None:
    """Name on stderr the special days of a day table that were left out."""
    from simcc.calibrate.days import describe_special_days

    if text := describe_special_days(table):
        _say(stderr, plain(prefix + text))


def _write_rows(table, out: Path | None, as_json: bool) -> None:
    """A backtest-like table (one row per hour plus ``all``): to ``out`` as CSV when
    given, and on stdout as JSON rows with ``as_json``."""
    if out is not None:
        from simcc.report.files import write_text_atomic

        write_text_atomic(out, table.to_csv())
    if as_json:
        sys.stdout.write(table.reset_index().to_json(orient="records") + "\n")


CALIBRATE_MIN_INTERVAL_S, DAY_S = 60.0, 86400.0
"""Shortest and longest ``calibrate --interval``, seconds."""


@app.command()
@_reports_errors
def calibrate(
    logs: LogsArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="scenario file to write")],
    log_format: FormatOpt = "generic",
    days: DaysOpt = "all",
    first: FromOpt = None,
    last: ToOpt = None,
    interval: Annotated[str, typer.Option(help="profile and staffing interval")] = "30m",
    sl_threshold: Annotated[str, typer.Option(help="service-level threshold")] = "20s",
    handle_time: Annotated[str, typer.Option(
        help="handle-time family: auto, lognormal, gamma or empirical")] = "auto",
    name: Annotated[str | None, typer.Option(help="scenario name")] = None,
    keep_special_days: KeepSpecialOpt = False,
    priority: Annotated[str, typer.Option(
        help="segment priorities: labels (a segment named 'high' is served first), equal "
        "(first come, first served) or auto (equal for the anonymous-bank format, whose "
        "labels are an artefact, labels otherwise; docs/calibration.md)")] = "auto",
    session_gap: SessionGapOpt = "5m",
    wrap_up: Annotated[str, typer.Option(
        "--wrap-up", help="the group's wrap-up: auto (the log's median post-call time: "
        "the gap to an agent's next answer while callers waited; docs/calibration.md) or "
        "none")] = "auto",
    days_out: Annotated[Path | None, typer.Option(
        "--days-out", help="also write the day-by-day scenario here: DIR/scenario.yaml "
        "with DIR/forecast.csv and DIR/plan.csv (each day its own volume, AHT and "
        "staffing)")] = None,
) -> None:
    """Estimate a scenario from a contact log and write it as commented YAML (with
    --days-out, also the day-by-day scenario of the log's days)."""
    from simcc.calibrate.estimate import PRIORITY_RULES, WRAP_UP_RULES, estimate
    from simcc.calibrate.observed import offered_contacts
    from simcc.calibrate.writer import summary, to_yaml
    from simcc.experiment import prepare
    from simcc.units import parse_duration

    try:
        interval_s, threshold_s = parse_duration(interval), parse_duration(sl_threshold)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if not CALIBRATE_MIN_INTERVAL_S <= interval_s <= DAY_S:
        raise _fail(f"--interval: must lie between 1m and 24h (one profile weight and one "
                    f"staffing count per interval of the day), got {interval}")
    if handle_time not in ("auto", "lognormal", "gamma", "empirical"):
        raise _fail(f"--handle-time: expected auto, lognormal, gamma or empirical, "
                    f"got {handle_time!r}")
    if priority not in ("auto", *PRIORITY_RULES):
        raise _fail(f"--priority: expected auto, labels or equal, got {priority!r}")
    if wrap_up not in WRAP_UP_RULES:
        raise _fail(f"--wrap-up: expected auto or none, got {wrap_up!r}")
    _check_days_out(days_out)
    gap_s = _session_gap(session_gap)
    log = _read_log(logs, log_format, days, first, last)
    if priority == "auto":  # the bank's labels mark callers who waited: docs/calibration.md
        priority = "equal" if log.format == "anonymous-bank" else "labels"
    contacts = _without_special_days(offered_contacts(log.records), keep_special_days)
    result = estimate(contacts, name or output.stem, interval_s, threshold_s, handle_time,
                      priority=priority, session_gap_s=gap_s, wrap_up=wrap_up)
    text = to_yaml(result, ", ".join(str(p) for p in logs))
    import yaml

    prepare(yaml.safe_load(text))  # never write a scenario that does not validate
    days = None
    if days_out is not None:  # validated and written first: a failure leaves no -o file
        from simcc.calibrate.daily import day_by_day, write_day_by_day

        days = day_by_day(contacts, result.scenario, interval_s, gap_s)
        write_day_by_day(days, days_out)
    from simcc.report.files import write_text_atomic

    write_text_atomic(output, text)
    _say(stdout, plain(summary(result)))
    _say(stdout, line("scenario written to ", output))
    if days is not None:
        _say(stdout, line(f"day-by-day scenario of {len(days.dates)} dates "
                          f"({days.dates[0]} to {days.dates[-1]}) written to ", days_out))


def _check_outputs(outputs: dict[str, Path | None]) -> None:
    """Every output file given (option -> path; None: not asked for) can be written and
    no two are the same file: checked before any work, so that a bad path writes
    nothing."""
    from simcc.report.files import check_writable

    seen: dict[str, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        check_writable(path, option)
        same = seen.setdefault(os.path.abspath(path), option)
        if same != option:
            raise _fail(f"{option} {path}: the same file as {same}")


def _check_days_out(folder: Path | None) -> None:
    """``--days-out``: a folder, or a path where one can be made (checked before the log
    is read, so that nothing is written when it cannot be)."""
    if folder is None:
        return
    if folder.exists() and not folder.is_dir():
        raise _fail(f"--days-out {folder}: not a folder (give a folder for scenario.yaml, "
                    "forecast.csv and plan.csv)")
    from simcc.report.files import check_writable

    check_writable(folder / "scenario.yaml", "--days-out")


@app.command()
@_reports_errors
def backtest(
    logs: LogsArg,
    scenario: Annotated[Path, typer.Option("--scenario", "-s", help="scenario to simulate")],
    log_format: FormatOpt = "generic",
    days: DaysOpt = "all",
    first: FromOpt = None,
    last: ToOpt = None,
    replications: ReplicationsOpt = None,
    workers: WorkersOpt = None,
    plot: Annotated[Path | None, typer.Option(help="write the figure (PNG) here")] = None,
    out: Annotated[Path | None, typer.Option(help="write the table (CSV) here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the table as JSON")] = False,
    no_user_code: NoUserCodeOpt = False,
    keep_special_days: KeepSpecialOpt = False,
    plan_from: Annotated[list[Path] | None, typer.Option(
        "--plan-from", help="a log (repeatable: several files) whose volume, handle times "
        "and staffing to simulate, day by day, with the scenario's behaviour "
        "(docs/calibration.md, planner's backtest)")] = None,
    session_gap: SessionGapOpt = "5m",
) -> None:
    """Simulate a scenario and compare it with what a contact log observed; with
    --plan-from, day by day with the volume, handle times and staffing of a log."""
    from simcc.experiment import prepare

    gap_s = _session_gap(session_gap)
    model = prepare(scenario, user_code=_user_code(no_user_code))
    log = _read_log(logs, log_format, days, first, last)
    if plan_from:
        plan = log if plan_from == logs else _read_log(plan_from, log_format, days, first,
                                                       last)
        result = _planned_backtest(log, model, plan, replications, workers,
                                   keep_special_days, gap_s)
    else:
        from simcc.calibrate.backtest import backtest as run_backtest

        result = run_backtest(log.records, model, replications=replications,
                              workers=workers, keep_special_days=keep_special_days)
        if result.special_days_left_out:
            _name_special_days(result.days)
    if plot is not None:
        from simcc.report.figures import backtest_figure

        backtest_figure(result.table, f"backtest of {model.name}").savefig(plot, dpi=110)
    _write_rows(result.table, out, as_json)
    if as_json:
        return
    from simcc.report.tables import backtest_table

    stdout.print(backtest_table(result.table))
    if plan_from:
        from simcc.report.tables import planned_backtest_notes

        _say(stdout, plain(planned_backtest_notes(result)))


def _planned_backtest(log, model, plan, replications: int | None, workers: int | None,
                      keep_special_days: bool, session_gap_s: float):
    """The planner's backtest of ``log`` with the volume, handle times and staffing of
    the ``plan`` log; the plan's special days named on stderr."""
    from simcc.calibrate.planfrom import planned_backtest

    result = planned_backtest(log.records, model, plan.records, replications=replications,
                              workers=workers, keep_special_days=keep_special_days,
                              session_gap_s=session_gap_s)
    if not keep_special_days:
        _name_special_days(result.special_days, "plan log: ")
    return result


@app.command()
@_reports_errors
def schedule(
    requirements: Annotated[Path, typer.Argument(
        help="requirements CSV (group,date,start,required,interval), e.g. from "
        "simcc staff --requirements", metavar="REQUIREMENTS")],
    patterns: Annotated[Path, typer.Option("--patterns", "-p", help="shift patterns "
                                           "(YAML, docs/scheduling.md)")],
    scenario: Annotated[Path, typer.Option("--scenario", "-s", help="scenario whose "
                                           "group gets the roster")],
    output: Annotated[Path, typer.Option("-o", "--output", help="rostered scenario to "
                                         "write (YAML)")],
    coverage: Annotated[Path | None, typer.Option(help="write coverage per interval "
                                                  "(CSV) here")] = None,
    shifts: Annotated[Path | None, typer.Option(
        "--shifts", help="write the roster, one row per date and shift (CSV), here")] = None,
    plot: Annotated[Path | None, typer.Option(help="write the coverage figure (PNG) "
                                              "here")] = None,
    time_limit: Annotated[float, typer.Option(min=1, max=3600, help="solver time limit, "
                                              "seconds")] = 60.0,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Choose how many agents work each allowed shift so that coverage meets the
    requirements at least cost (an integer program); write the rostered scenario. Exit
    0 when every interval is covered, 1 when some cannot be (the shortfall is reported
    per interval), 2 for invalid input (nothing written)."""
    import yaml

    from simcc.planning.schedule import load_patterns, read_requirements, rostered_document
    from simcc.planning.schedule import solve as solve_roster
    from simcc.report.files import write_text_atomic
    from simcc.scenario.load import read_document

    _check_outputs({"-o": output, "--coverage": coverage, "--shifts": shifts, "--plot": plot})
    spec = load_patterns(read_document(patterns))
    document = read_document(scenario)
    roster = solve_roster(read_requirements(requirements, spec.group), spec, time_limit)
    rostered = rostered_document(document, roster)
    figure = None
    if plot is not None:  # built before anything is written
        from simcc.report.figures.schedule import coverage_figure

        figure = coverage_figure(roster.coverage)
    write_text_atomic(output, yaml.safe_dump(rostered, sort_keys=False, allow_unicode=True))
    if coverage is not None:
        write_text_atomic(coverage, roster.coverage.to_csv(index=False, lineterminator="\n"))
    if shifts is not None:
        write_text_atomic(shifts, roster.shifts_csv())
    if figure is not None:
        figure.savefig(plot, dpi=110)
    summary = {"group": spec.group, "cost": roster.cost, "shortfall": roster.shortfall,
               "variables": roster.variables, "seconds": round(roster.seconds, 3),
               "status": roster.status, "shifts": len(rostered["agents"][spec.group]["shifts"]),
               "agents": int(roster.shifts["agents"].sum()) if len(roster.shifts) else 0,
               "notes": roster.notes}
    if as_json:
        sys.stdout.write(json.dumps({**summary, "coverage": roster.coverage.to_dict(
            orient="records")}) + "\n")
    else:
        _say(stdout, plain(
            f"roster for {spec.group}: {summary['agents']} agent-shifts on "
            f"{summary['shifts']} shifts, cost {roster.cost:,.2f}; "
            f"{roster.shortfall} uncovered agent-intervals; {roster.variables:,} "
            f"variables solved in {roster.seconds:.2f} s ({roster.status})"))
        for note in roster.notes:
            _say(stdout, plain(note))
        short = roster.coverage[roster.coverage["shortfall"] > 0]
        for row in short.itertuples():
            _say(stdout, plain(f"  short {row.shortfall} at {row.date} {row.start} "
                               f"(required {row.required}, covered {row.covered})"))
        _say(stdout, line("rostered scenario written to ", output))
    if roster.shortfall:
        raise typer.Exit(1)


@app.command()
@_reports_errors
def replay(
    logs: LogsArg,
    scenario: Annotated[Path, typer.Option("--scenario", "-s", help="scenario whose "
                                           "center replays the log's contacts")],
    log_format: FormatOpt = "generic",
    days: DaysOpt = "all",
    first: FromOpt = None,
    last: ToOpt = None,
    replications: ReplicationsOpt = None,
    workers: WorkersOpt = None,
    staffing: Annotated[str, typer.Option(
        help="scenario (its own staffing) or log (each day's staffing inferred from the "
        "log, for the scenario's one agent group)")] = "scenario",
    out: Annotated[Path | None, typer.Option(help="write the table (CSV) here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the table as JSON")] = False,
    no_user_code: NoUserCodeOpt = False,
    keep_special_days: KeepSpecialOpt = False,
    session_gap: SessionGapOpt = "5m",
) -> None:
    """Replay a log's own contacts, day by day, under a scenario's routing and staffing,
    beside what the log observed (docs/calibration.md, Replay)."""
    from simcc.calibrate.replay import replay as run_replay
    from simcc.experiment import prepare

    if staffing not in ("scenario", "log"):
        raise _fail(f"--staffing: expected scenario or log, got {staffing!r}")
    gap_s = _session_gap(session_gap)
    model = prepare(scenario, user_code=_user_code(no_user_code))
    log = _read_log(logs, log_format, days, first, last)
    result = run_replay(log.records, model, replications=replications, staffing=staffing,
                        keep_special_days=keep_special_days, session_gap_s=gap_s,
                        workers=workers)
    if not keep_special_days:
        _name_special_days(result.special_days)
    if result.dropped:
        _say(stderr, plain(f"{result.dropped} contacts of intents the scenario does not "
                           "have were left out"))
    _write_rows(result.table, out, as_json)
    if as_json:
        return
    from simcc.report.tables import backtest_table, pooled_notes

    stdout.print(backtest_table(result.table, "replay: observed / replayed"))
    _say(stdout, plain(pooled_notes(result.table, len(result.days), "replayed")))


def main() -> None:
    """Console entry point (usage errors exit 2, as typer does). The working directory
    is importable, last (:func:`~simcc.runtime.working_directory_last`): a user policy
    module there (``routing.policy: "mymodule:Class"``) is found, a ``scipy.py`` there
    does not replace the installed one."""
    from simcc.runtime import working_directory_last

    working_directory_last()
    app()
