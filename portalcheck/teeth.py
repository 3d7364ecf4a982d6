"""The teeth check: every fault of the simulator must fail the rule it breaks (issue 5).

For each fault the suite runs against the bundled simulator with that fault on, narrowed to the
scenarios of the fault's rule, in a pytest process of its own. Its `results.json` gives a verdict
per rule (`report.verdicts`). A fault is caught when its own rule gets the verdict of its level:
FAIL for a MUST rule, WARN for a SHOULD one. A control run without any fault, over the same
rules, must PASS them all, or a "caught" fault proves nothing.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import jinja2

from simulator.faults import REGISTRY, Fault

from . import bundled, report, rules

RUN_TIMEOUT_S = 600.0  # one narrowed run takes seconds; this only stops a hung one
INTERRUPT_GRACE_S = 30.0
CONTROL = "control"  # the run without faults, and its folder


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
        return self.control_passes and not self.uncaught

    def to_json(self) -> dict[str, Any]:
        def row(run: SuiteRun) -> dict[str, Any]:
            return {
                "verdicts": run.verdicts,
                "run_dir": str(run.run_dir),
                "duration_s": round(run.duration_s, 1),
                "problem": run.problem,
            }

        return {
            "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "ok": self.ok,
            "control_passes": self.control_passes,
            "uncaught": self.uncaught,
            "rules": self.columns,
            "control": {"faults": [], "selected": list(self.control.selected), **row(self.control)},
            "faults": [
                {
                    "fault": outcome.fault.name,
                    "rule": outcome.fault.rule,
                    "level": outcome.level,
                    "breaks": outcome.fault.breaks,
                    "expected": outcome.expected,
                    "verdict": outcome.verdict,
                    "caught": outcome.caught,
                    "not_passing": outcome.not_passing,
                    **row(outcome.run),
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
              progress: Callable[[str], None] = lambda line: None) -> Matrix:
    """The control run and every fault (or the named ones), `workers` pytest processes at a time."""
    chosen = list(dict.fromkeys(names)) if names else list(REGISTRY)
    for name in chosen:
        if name not in REGISTRY:
            raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(REGISTRY)}")
    selected = list(dict.fromkeys(REGISTRY[name].rule for name in chosen))
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="teeth") as pool:
        # The control run is the longest: it goes first so it does not finish last alone.
        control = pool.submit(check_control, selected, run_dir=run_dir / CONTROL)
        pending = [pool.submit(check_fault, name, run_dir=run_dir / name) for name in chosen]
        try:
            for future in concurrent.futures.as_completed([control, *pending]):
                progress(_progress_line(future.result()))
        except BaseException:
            # Ctrl-C reaches the running pytest processes too; the queued ones must not start.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        outcomes = [future.result() for future in pending]
    return Matrix(control.result(), outcomes, time.monotonic() - started)


def write_matrix(matrix: Matrix, folder: Path) -> tuple[Path, Path]:
    """Write matrix.json and matrix.html into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data = matrix.to_json()
    json_path, html_path = folder / "matrix.json", folder / "matrix.html"
    json_path.write_text(json.dumps(data, indent=2))
    html_path.write_text(_HTML.render(matrix=data, folder=folder, relative=lambda p: os.path.relpath(p, folder)))
    return html_path, json_path


def _progress_line(done: SuiteRun | FaultOutcome) -> str:
    if isinstance(done, SuiteRun):
        clean = not done.problem and not done.not_passing
        found = ", ".join(f"{rule} {verdict}" for rule, verdict in done.not_passing.items()) or done.problem[:200]
        return f"{CONTROL:<30} {'':<6} {'clean' if clean else 'NOT CLEAN ' + found} ({done.duration_s:.0f} s)"
    verdict = "caught" if done.caught else f"NOT CAUGHT (expected {done.expected})"
    return f"{done.fault.name:<30} {done.fault.rule:<6} {done.verdict:<5} {verdict} ({done.run.duration_s:.0f} s)"


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
{% if matrix.uncaught %} not caught: {{ matrix.uncaught | join(", ") }}.{% endif %}{% endif %}
</p>
<p>Each row is one run of the suite against the bundled simulator, narrowed to the scenarios of the
rule the fault breaks; the outlined cell is that rule, which must be FAIL (MUST) or WARN (SHOULD).
Other cells are rules those scenarios also check. Empty: not checked by that run.
Generated {{ matrix.generated_at }} in {{ matrix.duration_s }} s.</p>
<table>
<thead><tr><th class="fault">fault</th><th>breaks</th><th>expected</th><th>caught</th>
{% for rule in matrix.rules %}<th>{{ rule }}</th>{% endfor %}<th>run</th></tr></thead>
<tbody>
<tr><td class="fault"><em>none (control)</em></td><td class="breaks">the reference simulator</td><td>PASS</td>
<td class="{{ 'verdict-ok' if matrix.control_passes else 'verdict-bad' }}">{{ 'clean' if matrix.control_passes else 'NOT CLEAN' }}</td>
{% for rule in matrix.rules %}{% set v = matrix.control.verdicts.get(rule, '') %}<td class="{{ v }}">{{ v }}</td>{% endfor %}
<td><a href="{{ relative(matrix.control.run_dir) }}/pytest.log">log</a></td></tr>
{% for row in matrix.faults %}
<tr><td class="fault"><code>{{ row.fault }}</code></td>
<td class="breaks">{{ row.rule }}: {{ row.breaks }}{% if row.problem %}<br><small>{{ row.problem }}</small>{% endif %}</td>
<td>{{ row.expected }}</td>
<td class="{{ 'verdict-ok' if row.caught else 'verdict-bad' }}">{{ 'yes' if row.caught else 'NO' }}</td>
{% for rule in matrix.rules %}{% set v = row.verdicts.get(rule, '') %}<td class="{{ v }}{{ ' own' if rule == row.rule else '' }}">{{ v }}</td>{% endfor %}
<td><a href="{{ relative(row.run_dir) }}/pytest.log">log</a></td></tr>
{% endfor %}
</tbody>
</table>
</body>
</html>
""")
