"""The teeth check: every fault of the simulator must fail the rule it breaks (issue 5).

For each fault the suite runs against the bundled simulator with that fault on, narrowed to the
scenarios of the fault's rule, in a pytest process of its own. Its `results.json` gives a verdict
per rule (`report.verdicts`). A fault is caught when its own rule gets the verdict of its level:
FAIL for a MUST rule, WARN for a SHOULD one. A control run without any fault, over the same
rules, must PASS them all, or a "caught" fault proves nothing.

With `explore`, each fault is also explored (`portalcheck.explore.command` in a process of its own,
reached by its command line only: its exit status and the finding's JSON). Explore catches a
fault when it finds a contradiction of the fault's own rule; an explore run without faults must
find nothing, or the column proves nothing.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import click
import jinja2

from simulator.faults import REGISTRY, Fault

from . import bundled, report, rules
from .explore.output import FIRST_CONTRADICTED, NOTHING_FOUND

RUN_TIMEOUT_S = 600.0  # one narrowed run takes seconds; this only stops a hung one
INTERRUPT_GRACE_S = 30.0
CONTROL = "control"  # the run without faults, and its folder
EXPLORE = "explore"  # an explore run's folder, inside its fault's
EXPLORE_EXIT = {0: "nothing", 1: "found"}  # portalcheck.explore.command's statuses; any other: a run problem
EXPLORE_START_S = 120.0  # beyond its cap and its shrinking, the browser and simulator start


def _said(line: str, number: str) -> re.Pattern[str]:
    """A line of explore's output, as a pattern whose group is the number named `number`."""
    before, _, after = line.partition("{" + number + "}")
    return re.compile(re.escape(before) + r"(\d+)" + re.escape(after.split("{")[0]))


# How many walks an explore run says it took, by its exit status.
WALKS_SAID = {0: _said(NOTHING_FOUND, "walks"), 1: _said(FIRST_CONTRADICTED, "walk")}


@dataclasses.dataclass(frozen=True)
class ExploreOptions:
    """How each fault is explored: one seed for every run, the same walks for each.

    The walks bound a run, not the seconds: a search bounded by time finds on a loaded machine
    fewer faults than on a quiet one. `budget_s` is only a cap, against a portal that hangs;
    shrinking a finding has `shrink_s` of its own."""

    seed: int = 1
    walks: int = 60
    steps: int = 15
    budget_s: float = 900.0
    shrink_s: float = 90.0


@dataclasses.dataclass(frozen=True)
class ExploreRun:
    """One `portalcheck explore` run against the simulator with `faults` on: what it found."""

    faults: tuple[str, ...]
    out_dir: Path
    exit_code: int
    duration_s: float
    rule: str = ""  # the finding's rule, when it found one
    steps: int = 0  # the finding's shortest walk: how many actions
    walks: int = 0  # the walks it took: to the first contradiction, or all it made
    walks_allowed: int = 0  # at most (0: not known); fewer and nothing found means its time ran out
    finding: Path | None = None
    problem: str = ""  # why there is no answer (a crash, a timeout, a finding that does not read)

    @property
    def outcome(self) -> str:
        """"found", "nothing" (within its budget) or "problem"."""
        return "problem" if self.problem else EXPLORE_EXIT[self.exit_code]

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome, "rule": self.rule, "steps": self.steps,
            "walks": self.walks, "walks_allowed": self.walks_allowed,
            "finding": str(self.finding) if self.finding else "", "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 1), "problem": self.problem, "out_dir": str(self.out_dir),
        }


@dataclasses.dataclass(frozen=True)
class SuiteRun:
    """One pytest run of the suite against the bundled simulator: what it found, per rule."""

    selected: tuple[str, ...]  # the rules whose scenarios were selected (pytest -m)
    faults: tuple[str, ...]
    run_dir: Path
    verdicts: dict[str, str]  # rule -> verdict, for every rule a scenario of the run checks
    scenarios: list[dict[str, Any]]  # results.json: each scenario's outcome and message
    exit_code: int
    duration_s: float
    problem: str = ""  # why the run gave no verdicts (a crash, a timeout), with pytest's output

    @property
    def not_passing(self) -> dict[str, str]:
        """The rules that did not pass where they ran. PARTIAL passes here: a narrowed run selects
        its rules' scenarios, and those carry other rules' tags too, whose other scenarios it skips."""
        return {rule: verdict for rule, verdict in self.verdicts.items() if verdict not in ("PASS", "PARTIAL")}


@dataclasses.dataclass(frozen=True)
class FaultOutcome:
    """What the suite made of one fault: caught when the fault's rule got its level's verdict."""

    fault: Fault
    level: str
    run: SuiteRun
    explored: ExploreRun | None = None  # only with `check_all(explore=...)`

    @property
    def explore_caught(self) -> bool:
        """Explore found a contradiction of this fault's own rule, or of one its bug breaks too
        (`Fault.also`, declared with the fault); any other rule's is not a catch."""
        return (self.explored is not None and self.explored.outcome == "found"
                and found_as(self.explored.rule, self.fault.rule, self.fault.also) != "other")

    @property
    def expected(self) -> str:
        return report.VERDICT_ON_FAILURE[self.level]

    @property
    def verdict(self) -> str:
        return self.run.verdicts.get(self.fault.rule, "ERROR" if self.run.problem else "NOT RUN")

    @property
    def caught(self) -> bool:
        return self.verdict == self.expected

    @property
    def not_passing(self) -> dict[str, str]:
        """The rules that got a verdict other than PASS: the fault's own, and any it took along."""
        return self.run.not_passing


@dataclasses.dataclass(frozen=True)
class Matrix:
    """Faults × rules: the control run and one run per fault."""

    control: SuiteRun
    outcomes: list[FaultOutcome]
    duration_s: float
    explore_control: ExploreRun | None = None  # explore without faults; None: explore was not run
    explore_options: ExploreOptions | None = None

    @property
    def explored(self) -> bool:
        return self.explore_control is not None

    @property
    def explore_control_clean(self) -> bool:
        """Explore found nothing on the reference, so what it finds with a fault is the fault's."""
        return self.explore_control is not None and self.explore_control.outcome == "nothing"

    @property
    def explore_uncaught(self) -> list[str]:
        return [outcome.fault.name for outcome in self.outcomes if self.explored and not outcome.explore_caught]

    @property
    def explore_problems(self) -> list[str]:
        """The faults whose explore run gave no answer: a crash, a timeout, a finding that does not read."""
        return [outcome.fault.name for outcome in self.outcomes
                if outcome.explored is not None and outcome.explored.outcome == "problem"]

    @property
    def columns(self) -> list[str]:
        """Every rule some run checked, in the policy's order."""
        seen = set(self.control.verdicts).union(*(outcome.run.verdicts for outcome in self.outcomes))
        return [rule.id for rule in rules.load() if rule.id in seen]

    @property
    def control_passes(self) -> bool:
        return not self.control.problem and not self.control.not_passing

    @property
    def uncaught(self) -> list[str]:
        return [outcome.fault.name for outcome in self.outcomes if not outcome.caught]

    @property
    def ok(self) -> bool:
        """Every fault caught by a scenario, on a clean control; with explore, its control clean
        too and every explore run answered (what explore misses within its budget is shown, not
        failed: it is measured, and still improving; a run that crashed measured nothing)."""
        return (self.control_passes and not self.uncaught
                and (not self.explored or (self.explore_control_clean and not self.explore_problems)))

    def to_json(self) -> dict[str, Any]:
        def row(run: SuiteRun) -> dict[str, Any]:
            return {
                "verdicts": run.verdicts,
                "run_dir": str(run.run_dir),
                "duration_s": round(run.duration_s, 1),
                "problem": run.problem,
            }

        def explored(run: ExploreRun | None) -> dict[str, Any] | None:
            return None if run is None else run.to_json()

        return {
            "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "ok": self.ok,
            "control_passes": self.control_passes,
            "uncaught": self.uncaught,
            "explored": self.explored,
            "explore_control_clean": self.explore_control_clean,
            "explore_uncaught": self.explore_uncaught,
            "explore_problems": self.explore_problems,
            "explore_options": dataclasses.asdict(self.explore_options) if self.explore_options else None,
            "rules": self.columns,
            "control": {
                "faults": [], "selected": list(self.control.selected), **row(self.control),
                "explore": explored(self.explore_control),
            },
            "faults": [
                {
                    "fault": outcome.fault.name,
                    "rule": outcome.fault.rule,
                    "level": outcome.level,
                    "breaks": outcome.fault.breaks,
                    "also": list(outcome.fault.also),
                    "expected": outcome.expected,
                    "verdict": outcome.verdict,
                    "caught": outcome.caught,
                    "not_passing": outcome.not_passing,
                    **row(outcome.run),
                    "explore": explored(outcome.explored),
                    "explore_caught": outcome.explore_caught,
                }
                for outcome in self.outcomes
            ],
            "duration_s": round(self.duration_s, 1),
        }


def run_suite(selected: Iterable[str], *, faults: Sequence[str] = (), run_dir: Path,
              timeout_s: float = RUN_TIMEOUT_S) -> SuiteRun:
    """Run the scenarios of the `selected` rules against the simulator with `faults` on."""
    chosen = tuple(selected)
    run_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pytest", str(bundled.features()), "-m", " or ".join(chosen),
        "--rootdir", str(bundled.features().parent), "-p", "no:cacheprovider",
        "--run-dir", str(run_dir), "-q", "--no-header", "-rfE",
        *(arg for name in faults for arg in ("--simulator-fault", name)),
    ]
    started = time.monotonic()
    exit_code, output = _run(command, timeout_s, cwd=run_dir)
    duration = time.monotonic() - started
    (run_dir / "pytest.log").write_text(output)
    results_path = run_dir / "results.json"
    problem = ""
    if exit_code not in (0, 1) or not results_path.exists():
        # 0 all passed, 1 some failed: anything else (no tests, usage error, a crash) is no verdict.
        problem = f"pytest exited {exit_code}: " + _tail(output)
    scenarios = json.loads(results_path.read_text()) if results_path.exists() else []
    verdicts = {} if problem else {
        verdict.id: verdict.verdict for verdict in report.verdicts(scenarios, {}) if verdict.scenarios
    }
    return SuiteRun(chosen, tuple(faults), run_dir, verdicts, scenarios, exit_code, duration, problem)


def run_explore(faults: Sequence[str], *, out_dir: Path, options: ExploreOptions) -> ExploreRun:
    """Explore the simulator with `faults` on, in a process of its own, into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "portalcheck.explore.command",
        *(arg for name in faults for arg in ("--fault", name)),
        "--seed", str(options.seed), "--walks", str(options.walks), "--steps", str(options.steps),
        "--time-budget", str(options.budget_s), "--shrink-budget", str(options.shrink_s), "--out", str(out_dir),
    ]
    started = time.monotonic()
    # The search has its cap and shrinking its budget; past both and a start, it is hung.
    exit_code, output = _run(command, options.budget_s + options.shrink_s + EXPLORE_START_S, cwd=out_dir)
    (out_dir / "explore.log").write_text(output)
    return read_explore(tuple(faults), out_dir, exit_code, time.monotonic() - started, output, walks_allowed=options.walks)


def read_explore(faults: tuple[str, ...], out_dir: Path, exit_code: int, duration_s: float,
                 output: str = "", *, walks_allowed: int = 0) -> ExploreRun:
    """What an explore run's exit status, its output (how many walks) and its finding
    (`<RULE>-seed<S>.json`) say."""
    if exit_code not in EXPLORE_EXIT:
        return ExploreRun(faults, out_dir, exit_code, duration_s, problem=f"explore exited {exit_code}: " + _tail(output))
    said = WALKS_SAID[exit_code].search(output)
    walks = int(said.group(1)) if said else 0
    if exit_code == 0:
        return ExploreRun(faults, out_dir, exit_code, duration_s, walks=walks, walks_allowed=walks_allowed)
    findings = sorted(out_dir.glob("*.json"))
    if len(findings) != 1:
        return ExploreRun(faults, out_dir, exit_code, duration_s,
                          problem=f"explore exited 1 (found) with {len(findings)} finding files in {out_dir}, not one")
    try:
        data = json.loads(findings[0].read_text(encoding="utf-8"))
        rule, steps = str(data["rule"]), len(data["actions"])
    except (ValueError, KeyError, TypeError) as error:
        return ExploreRun(faults, out_dir, exit_code, duration_s, finding=findings[0],
                          problem=f"the finding {findings[0].name} does not read: {error!r}")
    return ExploreRun(faults, out_dir, exit_code, duration_s, rule=rule, steps=steps, finding=findings[0],
                      walks=walks, walks_allowed=walks_allowed)


def check_fault(name: str, *, run_dir: Path) -> FaultOutcome:
    """Run the scenarios of the rule fault `name` breaks, with it on; report what they made of it."""
    if name not in REGISTRY:
        raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(REGISTRY)}")
    fault = REGISTRY[name]
    return FaultOutcome(fault, _level(fault.rule), run_suite([fault.rule], faults=[name], run_dir=run_dir))


def check_control(selected: Iterable[str], *, run_dir: Path) -> SuiteRun:
    """The same scenarios without any fault: the reference must pass them all."""
    return run_suite(selected, run_dir=run_dir)


def check_all(names: Iterable[str] | None = None, *, run_dir: Path, workers: int = 2,
              progress: Callable[[str], None] = lambda line: None,
              explore: ExploreOptions | None = None) -> Matrix:
    """The control run and every fault (or the named ones), `workers` processes at a time; with
    `explore`, an explore run without faults and one per fault too."""
    chosen = list(dict.fromkeys(names)) if names else list(REGISTRY)
    for name in chosen:
        if name not in REGISTRY:
            raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(REGISTRY)}")
    selected = list(dict.fromkeys(REGISTRY[name].rule for name in chosen))
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="teeth") as pool:
        # The control run is the longest: it goes first so it does not finish last alone.
        control = pool.submit(check_control, selected, run_dir=run_dir / CONTROL)
        explore_control = (
            pool.submit(run_explore, (), out_dir=run_dir / CONTROL / EXPLORE, options=explore) if explore else None
        )
        pending = [pool.submit(check_fault, name, run_dir=run_dir / name) for name in chosen]
        explored = [
            pool.submit(run_explore, (name,), out_dir=run_dir / name / EXPLORE, options=explore) for name in chosen
        ] if explore else []
        try:
            extra = [explore_control] if explore_control else []
            for future in concurrent.futures.as_completed([control, *extra, *pending, *explored]):
                progress(_progress_line(future.result()))
        except BaseException:
            # Ctrl-C reaches the running processes too; the queued ones must not start.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        outcomes = [future.result() for future in pending]
        if explore:
            outcomes = [dataclasses.replace(outcome, explored=run.result()) for outcome, run in zip(outcomes, explored)]
    return Matrix(control.result(), outcomes, time.monotonic() - started,
                  explore_control.result() if explore_control else None, explore)


def write_matrix(matrix: Matrix, folder: Path) -> tuple[Path, Path]:
    """Write matrix.json and matrix.html into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data = matrix.to_json()
    json_path, html_path = folder / "matrix.json", folder / "matrix.html"
    json_path.write_text(json.dumps(data, indent=2))
    html_path.write_text(_HTML.render(matrix=data, folder=folder, relative=lambda p: os.path.relpath(p, folder),
                                      explore_text=_explore_text))
    return html_path, json_path


def _progress_line(done: SuiteRun | FaultOutcome | ExploreRun) -> str:
    if isinstance(done, ExploreRun):
        name = done.faults[0] if done.faults else CONTROL
        rule = REGISTRY[name].rule if done.faults else ""
        also = REGISTRY[name].also if done.faults else ()
        return f"{name:<30} {rule:<6} explore: {explore_summary(done, rule, also)} ({done.duration_s:.0f} s)"
    if isinstance(done, SuiteRun):
        clean = not done.problem and not done.not_passing
        found = ", ".join(f"{rule} {verdict}" for rule, verdict in done.not_passing.items()) or done.problem[:200]
        return f"{CONTROL:<30} {'':<6} {'clean' if clean else 'NOT CLEAN ' + found} ({done.duration_s:.0f} s)"
    verdict = "caught" if done.caught else f"NOT CAUGHT (expected {done.expected})"
    return f"{done.fault.name:<30} {done.fault.rule:<6} {done.verdict:<5} {verdict} ({done.run.duration_s:.0f} s)"


def found_as(found: str, own: str, also: Sequence[str] = ()) -> str:
    """How a finding of rule `found` counts for a fault of rule `own` whose bug breaks `also` too:
    "own", "also" (a catch, said as such) or "other" (no catch; for the control, any finding)."""
    if own and found == own:
        return "own"
    return "also" if found in also else "other"


def explore_summary(run: ExploreRun, rule: str = "", also: tuple[str, ...] = ()) -> str:
    """An explore run in a few words, judged against `rule` (the fault's; none for the control)
    and the rules its bug breaks `also`."""
    if run.outcome == "problem":
        return "run problem: " + run.problem.splitlines()[0][:160]
    if run.outcome == "nothing":
        return ("clean" if not rule else "not found") + _walks_text(run.walks, run.walks_allowed)
    found = f"found {run.rule} in {run.steps} step{'s' if run.steps != 1 else ''}"
    return found + {"own": "", "also": f" (its bug breaks {run.rule} too)",
                    "other": f", NOT {rule or 'clean'}"}[found_as(run.rule, rule, also)] + (f", walk {run.walks}" if run.walks else "")


def _explore_text(run: dict[str, Any] | None, rule: str, also: Sequence[str] = ()) -> str:
    """The matrix cell of an explore run, from its JSON (`ExploreRun.to_json`)."""
    if run is None:
        return ""
    if run["outcome"] == "problem":
        return "run problem"
    if run["outcome"] == "nothing":
        return ("not found" if rule else "found nothing") + _walks_text(run.get("walks", 0), run.get("walks_allowed", 0))
    said = f"{run['rule']}, {run['steps']} steps"
    return said + {"own": "", "also": f" (its bug breaks {run['rule']} too)",
                   "other": f" (not {rule or 'clean'})"}[found_as(run["rule"], rule, also)] + (f", walk {run['walks']}" if run.get("walks") else "")


def _walks_text(walks: int, allowed: int) -> str:
    """How far a run that found nothing went: all its walks, or fewer when its time ran out."""
    if not walks:  # the run did not say
        return " within budget"
    return f" within budget ({walks} of {allowed} walks)" if walks < allowed else f" in {walks} walks"


def _level(rule_id: str) -> str:
    return next(rule.level for rule in rules.load() if rule.id == rule_id)


def _run(command: list[str], timeout_s: float, *, cwd: Path) -> tuple[int, str]:
    """Run `command`, interrupting it past `timeout_s` as Ctrl-C would.

    An interrupted pytest still tears down its fixtures, so the simulator and the browser it
    started stop with it; only one that ignores the interrupt is killed.
    """
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=INTERRUPT_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        return -1, f"{output}\n(stopped after {timeout_s:.0f} s)"
    return process.returncode, output


def _tail(output: str, lines: int = 15) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


@click.command("teeth")
@click.option("--fault", "faults", multiple=True, metavar="NAME", help="Only this fault (repeatable). Default: all.")
@click.option("--workers", "-n", type=click.IntRange(min=1), default=2, show_default=True, help="Runs at a time.")
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False), default="reports", show_default=True)
@click.option("--explore", "with_explore", is_flag=True, help="Also explore each fault (and once without): the matrix's explore column.")
@click.option("--explore-walks", type=click.IntRange(min=1), default=ExploreOptions.walks, show_default=True,
              help="Walks of each explore run: what bounds it, so that the column does not move with the machine's load.")
@click.option("--explore-budget", type=click.FloatRange(min=1), default=ExploreOptions.budget_s, show_default=True,
              metavar="SECONDS", help="A cap on each explore run's search, against a hang (the walks end it first).")
@click.option("--explore-seed", type=int, default=ExploreOptions.seed, show_default=True, help="The seed of every explore run.")
def command(faults: tuple[str, ...], workers: int, reports_dir: str, with_explore: bool, explore_walks: int, explore_budget: float,
            explore_seed: int) -> None:
    """Prove the suite has teeth: run it against the simulator with each fault on.

    Each fault runs the scenarios of the rule it breaks; a control run without faults runs them
    all. With --explore, `portalcheck explore` also runs once per fault and once without. Writes
    reports/teeth-<time>/matrix.html and matrix.json (faults x rules). Exits non-zero when a
    fault's own rule does not FAIL (MUST) or WARN (SHOULD), or a control run is not clean.
    """
    unknown = [name for name in faults if name not in REGISTRY]
    if unknown:
        raise click.BadParameter(f"unknown fault {unknown[0]!r}; known faults: {', '.join(REGISTRY)}", param_hint="--fault")
    explore = ExploreOptions(seed=explore_seed, walks=explore_walks, budget_s=explore_budget) if with_explore else None
    folder = Path(reports_dir).resolve() / f"teeth-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}"
    count = len(set(faults)) or len(REGISTRY)
    click.echo(f"portalcheck: {count} fault(s) and a control run{', each explored too' if explore else ''}, {workers} at a time")
    matrix = check_all(faults or None, run_dir=folder, workers=workers, progress=click.echo, explore=explore)
    html_path, _ = write_matrix(matrix, folder)
    if not matrix.control_passes:
        click.echo("portalcheck: the control run (no fault) does not pass: the matrix proves nothing", err=True)
    if matrix.explored and not matrix.explore_control_clean:
        click.echo("portalcheck: explore without faults did not find nothing: the explore column proves nothing", err=True)
    if matrix.uncaught:
        click.echo(f"portalcheck: not caught by their own rule: {', '.join(matrix.uncaught)}", err=True)
    if matrix.explore_problems:
        click.echo(f"portalcheck: explore had a run problem (see its log) with: {', '.join(matrix.explore_problems)}", err=True)
    if matrix.explore_uncaught:
        click.echo(f"portalcheck: not caught by explore: {', '.join(matrix.explore_uncaught)}")
    click.echo(f"portalcheck: matrix at {html_path} ({matrix.duration_s:.0f} s)")
    sys.exit(0 if matrix.ok else 1)


_HTML = jinja2.Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>portalcheck teeth: faults × rules</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: .3em .5em; text-align: center; }
th { white-space: nowrap; }
th.fault, td.fault, td.breaks { text-align: left; }
td.breaks { min-width: 18em; max-width: 28em; }
.PASS { background: #e6f4e6; } .FAIL { background: #f8d4d4; } .WARN { background: #fbecc4; }
.INFO { background: #e0ecf8; } .ERROR { background: #ccc; }
td.own { outline: 3px solid #333; outline-offset: -3px; font-weight: bold; }
.verdict-ok { color: #176317; } .verdict-bad { color: #a30000; font-weight: bold; }
</style>
</head>
<body>
<h1>Does the suite have teeth?</h1>
<p class="{{ 'verdict-ok' if matrix.ok else 'verdict-bad' }}">
{% if matrix.ok %}Yes: the reference passes every rule below, and every fault fails the rule it breaks.
{% else %}No:{% if not matrix.control_passes %} the reference does not pass every rule below;{% endif %}
{% if matrix.uncaught %} not caught: {{ matrix.uncaught | join(", ") }}.{% endif %}
{% if matrix.explored and not matrix.explore_control_clean %} explore without faults did not find nothing, so its column proves nothing.{% endif %}
{% if matrix.explore_problems %} explore had a run problem with: {{ matrix.explore_problems | join(", ") }}.{% endif %}{% endif %}
</p>
{% if matrix.explored %}{% set o = matrix.explore_options or {} %}<p>The <em>explore</em> column: <code>portalcheck explore</code> alone against the same fault
(seed {{ o.seed }}, {{ o.walks }} walks of up to {{ o.steps }} steps, the search capped at {{ o.budget_s }} s, {{ o.shrink_s }} s to shrink a finding);
caught when it finds a contradiction of the fault's own rule, or of one its bug is declared to break
too, with the length of the shortest walk it shrank to and the walk it was first seen in. Explore without faults:
<span class="{{ 'verdict-ok' if matrix.explore_control_clean else 'verdict-bad' }}">{{ explore_text(matrix.control.explore, '') }}</span>.
{% if matrix.explore_uncaught %}Not caught by explore: {{ matrix.explore_uncaught | join(", ") }}.{% endif %}</p>{% endif %}
<p>Each row is one run of the suite against the bundled simulator, narrowed to the scenarios of the
rule the fault breaks; the outlined cell is that rule, which must be FAIL (MUST) or WARN (SHOULD).
Other cells are rules those scenarios also check. Empty: not checked by that run.
Generated {{ matrix.generated_at }} in {{ matrix.duration_s }} s.</p>
<table>
<thead><tr><th class="fault">fault</th><th>breaks</th><th>expected</th><th>caught</th>{% if matrix.explored %}<th>explore</th>{% endif %}
{% for rule in matrix.rules %}<th>{{ rule }}</th>{% endfor %}<th>run</th></tr></thead>
<tbody>
<tr><td class="fault"><em>none (control)</em></td><td class="breaks">the reference simulator</td><td>PASS</td>
<td class="{{ 'verdict-ok' if matrix.control_passes else 'verdict-bad' }}">{{ 'clean' if matrix.control_passes else 'NOT CLEAN' }}</td>
{% if matrix.explored %}<td class="{{ 'verdict-ok' if matrix.explore_control_clean else 'verdict-bad' }}">{{ explore_text(matrix.control.explore, '') }}</td>{% endif %}
{% for rule in matrix.rules %}{% set v = matrix.control.verdicts.get(rule, '') %}<td class="{{ v }}">{{ v }}</td>{% endfor %}
<td><a href="{{ relative(matrix.control.run_dir) }}/pytest.log">log</a></td></tr>
{% for row in matrix.faults %}
<tr><td class="fault"><code>{{ row.fault }}</code></td>
<td class="breaks">{{ row.rule }}: {{ row.breaks }}{% if row.problem %}<br><small>{{ row.problem }}</small>{% endif %}</td>
<td>{{ row.expected }}</td>
<td class="{{ 'verdict-ok' if row.caught else 'verdict-bad' }}">{{ 'yes' if row.caught else 'NO' }}</td>
{% if matrix.explored %}<td class="{{ 'verdict-ok' if row.explore_caught else 'verdict-bad' }}">{{ explore_text(row.explore, row.rule, row.also) }}{% if row.explore %}<br><small>{% if row.explore.finding %}<a href="{{ relative(row.explore.finding) }}">finding</a> {% endif %}<a href="{{ relative(row.explore.out_dir) }}/explore.log">log</a></small>{% endif %}</td>{% endif %}
{% for rule in matrix.rules %}{% set v = row.verdicts.get(rule, '') %}<td class="{{ v }}{{ ' own' if rule == row.rule else '' }}">{{ v }}</td>{% endfor %}
<td><a href="{{ relative(row.run_dir) }}/pytest.log">log</a></td></tr>
{% endfor %}
</tbody>
</table>
</body>
</html>
""")


if __name__ == "__main__":
    command()
