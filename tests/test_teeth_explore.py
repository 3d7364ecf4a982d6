"""The teeth matrix's explore column (issue 11, point 4), with fake runs: no browser, no simulator.

Explore is reached by its command line only: an exit status and a finding's JSON. Each test fakes
one or the other (`teeth._run`, `teeth.run_suite`, `teeth.run_explore`), so what is judged is the
matrix's logic: caught only by a finding of the fault's own rule, and a control run that must be clean.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Sequence

import pytest
from click.testing import CliRunner

from teeth_fakes import LL5, MU3, explore_run, matrix, outcome, suite_run

from portalcheck import teeth
from simulator.faults import REGISTRY

def write_finding(folder: Path, rule: str, actions: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rule}-seed1.json"
    path.write_text(json.dumps({"format": "portalcheck-explore-finding/1", "rule": rule,
                                "actions": [{"action": "wait"}] * actions}))
    return path


# -- one explore run, as its command line tells it ------------------------------------------


def test_exit_0_is_nothing_found(tmp_path: Path) -> None:
    run = teeth.read_explore((MU3,), tmp_path, 0, 3.0)
    assert run.outcome == "nothing" and run.rule == "" and not run.problem


@pytest.mark.parametrize(("said", "walks", "text"), [
    ("explore: nothing found in 30 walks (401 steps)", 30, "not found in 30 walks"),
    ("explore: nothing found in 12 walks (170 steps), of 30: the time budget ran out", 12, "not found within budget (12 of 30 walks)"),
    ("explore: the portal answered nothing", 0, "not found within budget"),
])
def test_exit_0_says_how_many_walks_found_nothing_and_whether_time_ran_out(tmp_path: Path, said: str, walks: int, text: str) -> None:
    run = teeth.read_explore((MU3,), tmp_path, 0, 3.0, f"explore: 5 walks, 60 steps, 9 s, exploring\n{said}\n", walks_allowed=30)
    assert (run.outcome, run.walks) == ("nothing", walks)
    assert teeth.explore_summary(run, "MU-3") == text
    assert teeth.explore_summary(run, "") == "clean" + text.removeprefix("not found")


def test_the_walks_are_read_from_the_lines_the_explore_command_writes(tmp_path: Path) -> None:
    from portalcheck.explore.output import FIRST_CONTRADICTED, NOTHING_FOUND

    nothing = teeth.read_explore((MU3,), tmp_path, 0, 3.0, NOTHING_FOUND.format(walks=61, steps=900, ended=""), walks_allowed=60)
    write_finding(tmp_path, "MU-3", 4)
    found = teeth.read_explore((MU3,), tmp_path, 1, 3.0, FIRST_CONTRADICTED.format(walk=43, walks=60), walks_allowed=60)
    assert (nothing.walks, found.walks) == (61, 43)


def test_exit_1_reads_the_rule_and_the_length_of_the_shortest_walk(tmp_path: Path) -> None:
    finding = write_finding(tmp_path, "MU-3", 4)
    run = teeth.read_explore((MU3,), tmp_path, 1, 3.0)
    assert (run.outcome, run.rule, run.steps, run.finding) == ("found", "MU-3", 4, finding)


@pytest.mark.parametrize("files", [0, 2])
def test_exit_1_without_exactly_one_finding_is_a_run_problem(tmp_path: Path, files: int) -> None:
    for rule in ("MU-3", "LL-5")[:files]:
        write_finding(tmp_path, rule, 2)
    run = teeth.read_explore((MU3,), tmp_path, 1, 3.0)
    assert run.outcome == "problem" and f"{files} finding files" in run.problem


def test_a_finding_that_does_not_read_is_a_run_problem(tmp_path: Path) -> None:
    (tmp_path / "MU-3-seed1.json").write_text('{"rule": "MU-3"}')  # no actions
    run = teeth.read_explore((MU3,), tmp_path, 1, 3.0)
    assert run.outcome == "problem" and "does not read" in run.problem


@pytest.mark.parametrize("code", [2, 3, -1])
def test_any_other_exit_is_a_run_problem_with_the_output(tmp_path: Path, code: int) -> None:
    run = teeth.read_explore((MU3,), tmp_path, code, 3.0, "line 1\nexplore: no browser")
    assert run.outcome == "problem" and run.problem.startswith(f"explore exited {code}") and "no browser" in run.problem


def test_run_explore_calls_the_explore_command_line_and_reads_its_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(command: list[str], timeout_s: float, *, cwd: Path) -> tuple[int, str]:
        seen.update(command=command, timeout_s=timeout_s)
        write_finding(Path(command[command.index("--out") + 1]), "MU-3", 6)
        return 1, "explore: 3 walks, 20 steps, 12 s, shrinking\nexplore: first contradicted in walk 3 of 5\nfound MU-3"

    monkeypatch.setattr(teeth, "_run", fake_run)
    options = teeth.ExploreOptions(seed=7, budget_s=30.0, shrink_s=20.0, walks=5, steps=9)
    run = teeth.run_explore([MU3], out_dir=tmp_path / "explore", options=options)
    assert seen["command"] == [
        sys.executable, "-m", "portalcheck.explore.command", "--fault", MU3, "--seed", "7", "--walks", "5",
        "--steps", "9", "--time-budget", "30.0", "--shrink-budget", "20.0", "--out", str(tmp_path / "explore"),
    ]
    assert seen["timeout_s"] == 30.0 + 20.0 + teeth.EXPLORE_START_S  # the search's cap, shrinking, a start
    assert (run.outcome, run.rule, run.steps, run.walks, run.walks_allowed) == ("found", "MU-3", 6, 3, 5)
    assert "found MU-3" in (tmp_path / "explore" / "explore.log").read_text()


# -- the matrix ------------------------------------------------------------------------------


def test_caught_by_explore_only_by_a_finding_of_the_faults_own_rule(tmp_path: Path) -> None:
    own = outcome(MU3, tmp_path, explore_run(tmp_path, "found", "MU-3", 4))
    other = outcome(LL5, tmp_path, explore_run(tmp_path, "found", "MU-3", 3))
    nothing = outcome(MU3, tmp_path, explore_run(tmp_path, "nothing"))
    problem = outcome(MU3, tmp_path, explore_run(tmp_path, "problem"))
    assert [item.explore_caught for item in (own, other, nothing, problem)] == [True, False, False, False]
    checked = matrix(tmp_path, explore_run(tmp_path, "nothing"), own, other)
    assert checked.explore_uncaught == [LL5] and checked.explore_control_clean
    assert checked.ok  # explore is measured, not a gate: its misses are shown


def test_explore_finding_something_without_faults_makes_the_matrix_not_ok(tmp_path: Path) -> None:
    own = outcome(MU3, tmp_path, explore_run(tmp_path, "found", "MU-3", 4))
    for control in (explore_run(tmp_path, "found", "LL-6", 5), explore_run(tmp_path, "problem")):
        dirty = matrix(tmp_path, control, own)
        assert not dirty.explore_control_clean and not dirty.ok


def test_an_explore_run_with_a_problem_makes_the_matrix_not_ok_and_says_which(tmp_path: Path) -> None:
    crashed = matrix(tmp_path, explore_run(tmp_path, "nothing"), outcome(MU3, tmp_path, explore_run(tmp_path, "found", "MU-3", 4)),
                     outcome(LL5, tmp_path, explore_run(tmp_path, "problem")))
    assert crashed.explore_control_clean and crashed.explore_problems == [LL5] and not crashed.ok
    html_path, json_path = teeth.write_matrix(crashed, tmp_path / "out")
    assert json.loads(json_path.read_text())["explore_problems"] == [LL5]
    assert f"explore had a run problem with: {LL5}." in html_path.read_text()


def test_without_explore_the_matrix_has_no_explore_column(tmp_path: Path) -> None:
    plain = matrix(tmp_path, None, outcome(MU3, tmp_path, None))
    assert not plain.explored and plain.explore_uncaught == [] and plain.ok
    html_path, json_path = teeth.write_matrix(plain, tmp_path / "out")
    assert json.loads(json_path.read_text())["faults"][0]["explore"] is None
    assert "<th>explore</th>" not in html_path.read_text()


def test_the_explore_column_says_found_with_steps_not_found_another_rule_or_run_problem(tmp_path: Path) -> None:
    rows = [
        outcome(MU3, tmp_path, explore_run(tmp_path, "found", "MU-3", 4)),
        outcome(LL5, tmp_path, explore_run(tmp_path, "nothing")),
        outcome("ll6_reusable", tmp_path, explore_run(tmp_path, "found", "LL-5", 3)),
        outcome("ev1_unverified_access", tmp_path, explore_run(tmp_path, "problem")),
    ]
    html_path, json_path = teeth.write_matrix(matrix(tmp_path, explore_run(tmp_path, "nothing"), *rows), tmp_path / "out")
    html = html_path.read_text()
    assert "<th>explore</th>" in html
    for text in ("MU-3, 4 steps", "not found within budget", "LL-5, 3 steps (not LL-6)", "run problem", "found nothing"):
        assert text in html, text
    assert "Not caught by explore: ll5_no_expiry, ll6_reusable, ev1_unverified_access." in html
    assert "seed 1, 60 walks of up to 15 steps, the search capped at 900.0 s, 90.0 s to shrink a finding" in html
    data = json.loads(json_path.read_text())
    assert [row["explore_caught"] for row in data["faults"]] == [True, False, False, False]
    assert data["faults"][0]["explore"] | {"finding": ""} == {
        "outcome": "found", "rule": "MU-3", "steps": 4, "walks": 0, "walks_allowed": 0, "finding": "", "exit_code": 1, "duration_s": 5.0,
        "problem": "", "out_dir": str(tmp_path),
    }
    assert data["explore_control_clean"] is True and data["control"]["explore"]["outcome"] == "nothing"
    assert data["explore_options"] == {"seed": 1, "walks": 60, "steps": 15, "budget_s": 900.0, "shrink_s": 90.0}


def test_check_all_explores_each_fault_and_once_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[tuple[str, ...], Path]] = []

    def fake_suite(selected: Any, *, faults: Sequence[str] = (), run_dir: Path, **_: Any) -> teeth.SuiteRun:
        return suite_run(faults, {REGISTRY[name].rule: "FAIL" for name in faults} or {"MU-3": "PASS", "LL-5": "PASS"}, run_dir)

    def fake_explore(faults: Sequence[str], *, out_dir: Path, options: teeth.ExploreOptions) -> teeth.ExploreRun:
        calls.append((tuple(faults), out_dir))
        assert options == teeth.ExploreOptions(seed=3, budget_s=20.0)
        if faults and faults[0] == MU3:
            return explore_run(out_dir, "found", REGISTRY[MU3].rule, 2, faults=faults)
        return explore_run(out_dir, "nothing", faults=faults)

    monkeypatch.setattr(teeth, "run_suite", fake_suite)
    monkeypatch.setattr(teeth, "run_explore", fake_explore)
    lines: list[str] = []
    checked = teeth.check_all([MU3, LL5], run_dir=tmp_path, workers=2, progress=lines.append,
                              explore=teeth.ExploreOptions(seed=3, budget_s=20.0))
    assert sorted(calls) == sorted([((), tmp_path / "control" / "explore"), ((MU3,), tmp_path / MU3 / "explore"),
                                    ((LL5,), tmp_path / LL5 / "explore")])
    assert [item.explore_caught for item in checked.outcomes] == [True, False]
    assert checked.explore_control_clean and checked.explore_uncaught == [LL5] and checked.ok
    assert checked.explore_options == teeth.ExploreOptions(seed=3, budget_s=20.0)
    assert any("explore: found MU-3 in 2 steps" in line for line in lines)
    assert any("explore: not found within budget" in line for line in lines)
    assert any(line.startswith("control") and "explore: clean" in line for line in lines)


def test_check_all_without_explore_runs_no_explore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teeth, "run_suite", lambda selected, *, faults=(), run_dir, **_: suite_run(faults, {"MU-3": "FAIL" if faults else "PASS"}, run_dir))
    monkeypatch.setattr(teeth, "run_explore", lambda *args, **kwargs: pytest.fail("explore must not run"))
    checked = teeth.check_all([MU3], run_dir=tmp_path)
    assert checked.explore_control is None and checked.outcomes[0].explored is None


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "expected"), [
    ([], None),
    (["--explore"], teeth.ExploreOptions()),
    (["--explore", "--explore-budget", "30", "--explore-seed", "5"], teeth.ExploreOptions(seed=5, budget_s=30.0)),
    (["--explore", "--explore-walks", "12"], teeth.ExploreOptions(walks=12)),
])
def test_the_command_explores_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               args: list[str], expected: teeth.ExploreOptions | None) -> None:
    asked: dict[str, Any] = {}

    def fake_check_all(names: Any, **kwargs: Any) -> teeth.Matrix:
        asked.update(names=names, explore=kwargs["explore"])
        control = explore_run(tmp_path, "nothing") if kwargs["explore"] else None
        return matrix(tmp_path, control, outcome(MU3, tmp_path, explore_run(tmp_path, "found", "MU-3", 4) if control else None))

    monkeypatch.setattr(teeth, "check_all", fake_check_all)
    answer = CliRunner().invoke(teeth.command, ["--fault", MU3, "--reports", str(tmp_path / "reports"), *args])
    assert answer.exit_code == 0, answer.output
    assert asked == {"names": (MU3,), "explore": expected}
    [folder] = (tmp_path / "reports").glob("teeth-*")
    assert (folder / "matrix.html").exists()


def test_the_command_exits_1_when_explore_finds_something_without_faults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dirty = matrix(tmp_path, explore_run(tmp_path, "found", "SES-1", 6), outcome(MU3, tmp_path, explore_run(tmp_path, "nothing")))
    monkeypatch.setattr(teeth, "check_all", lambda names, **kwargs: dirty)
    answer = CliRunner().invoke(teeth.command, ["--explore", "--reports", str(tmp_path)])
    assert answer.exit_code == 1
    assert "explore without faults did not find nothing" in answer.output


def test_the_command_refuses_an_unknown_fault(tmp_path: Path) -> None:
    answer = CliRunner().invoke(teeth.command, ["--fault", "nope", "--explore", "--reports", str(tmp_path)])
    assert answer.exit_code == 2 and "unknown fault 'nope'" in answer.output
    assert list(tmp_path.iterdir()) == []


def test_a_finding_of_a_rule_the_faults_bug_breaks_too_is_a_catch_and_says_so(tmp_path: Path) -> None:
    """mu3_any_device lets an unverified device in, so a walk may meet it where SEC-6 or EV-2 says
    the device is not verified (`Fault.also`); a rule it was not declared to break is no catch."""
    assert REGISTRY[MU3].also == ("EV-2", "SEC-6")
    too = outcome(MU3, tmp_path, explore_run(tmp_path, "found", "SEC-6", 6, faults=(MU3,)))
    undeclared = outcome(MU3, tmp_path, explore_run(tmp_path, "found", "LL-5", 3, faults=(MU3,)))
    assert too.explore_caught and not undeclared.explore_caught
    assert teeth.explore_summary(too.explored, "MU-3", REGISTRY[MU3].also) == "found SEC-6 in 6 steps (its bug breaks SEC-6 too)"
    assert teeth.explore_summary(undeclared.explored, "MU-3", REGISTRY[MU3].also) == "found LL-5 in 3 steps, NOT MU-3"
    html_path, _ = teeth.write_matrix(matrix(tmp_path, explore_run(tmp_path, "nothing"), too), tmp_path / "out")
    assert "SEC-6, 6 steps (its bug breaks SEC-6 too)" in html_path.read_text()
