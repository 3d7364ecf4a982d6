"""Teeth runs made up in memory, for the matrix's logic: no browser, no simulator, no pytest process."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from portalcheck import teeth
from simulator.faults import REGISTRY

MU3, LL5 = "mu3_any_device", "ll5_no_expiry"


def suite_run(faults: Sequence[str], verdicts: dict[str, str], run_dir: Path) -> teeth.SuiteRun:
    return teeth.SuiteRun(tuple(verdicts), tuple(faults), run_dir, verdicts, [], 1 if faults else 0, 1.0)


def explore_run(out_dir: Path, outcome: str, rule: str = "", steps: int = 0,
                faults: Sequence[str] = ()) -> teeth.ExploreRun:
    codes = {"nothing": 0, "found": 1, "problem": 2}
    problem = "explore exited 2: no browser" if outcome == "problem" else ""
    finding = out_dir / f"{rule}-seed1.json" if outcome == "found" else None
    return teeth.ExploreRun(tuple(faults), out_dir, codes[outcome], 5.0, rule=rule, steps=steps, finding=finding,
                            problem=problem)


def outcome(name: str, tmp_path: Path, explored: teeth.ExploreRun | None) -> teeth.FaultOutcome:
    fault = REGISTRY[name]
    run = suite_run([name], {fault.rule: "FAIL"}, tmp_path / name)
    return teeth.FaultOutcome(fault, "MUST", run, explored)


def matrix(tmp_path: Path, control: teeth.ExploreRun | None, *outcomes: teeth.FaultOutcome) -> teeth.Matrix:
    rules = {item.fault.rule: "PASS" for item in outcomes}
    options = teeth.ExploreOptions() if control else None
    return teeth.Matrix(suite_run([], rules, tmp_path / "control"), list(outcomes), 9.0, control, options)
