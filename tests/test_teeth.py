"""The suite has teeth (issue 5): every simulator fault fails the rule it breaks, and only a fault does.

One matrix, built in one test: the control run and one run per fault, each a pytest process of the
suite narrowed to the fault's rule, two at a time (`portalcheck.teeth.check_all`). The matrix's
logic around it is judged on runs made up in memory (`teeth_fakes`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from teeth_fakes import MU3, matrix, outcome

from portalcheck import cli, report, rules, teeth
from simulator.faults import REGISTRY

pytestmark = pytest.mark.long(140)  # seconds, in CI: see tests/conftest.py

LEVELS = {rule.id: rule.level for rule in rules.load()}


def fault_row_problems(outcome: teeth.FaultOutcome) -> list[str]:
    """What is wrong with one fault's row: empty when the suite caught it on a check of its rule."""
    rule = outcome.fault.rule
    if outcome.run.problem:
        return [outcome.run.problem]
    problems = []
    if outcome.run.exit_code != 1:  # pytest: some scenario failed
        problems.append(f"pytest exited {outcome.run.exit_code}, not 1")
    if not outcome.verdict == report.VERDICT_ON_FAILURE[LEVELS[rule]] == outcome.expected:
        problems.append(f"{rule} got {outcome.verdict}, not {outcome.expected}")
    if not (outcome.caught and rule in outcome.not_passing):
        problems.append(f"not caught: {outcome.not_passing}")
    failed = [scenario for scenario in outcome.run.scenarios if scenario["outcome"] == "failed"]
    # Failed on a check of the rule, not by accident (a timeout, a crash in a step).
    accidents = [scenario for scenario in failed if scenario["why"] != "an expectation about the portal did not hold"]
    if not failed or accidents:
        problems.append(f"failed scenarios {failed}")
    errors = [scenario for scenario in outcome.run.scenarios if scenario["outcome"] == "error"]
    if errors:
        problems.append(f"scenarios in error {errors}")
    return problems


def test_every_fault_fails_the_rule_it_breaks_and_the_reference_passes_them_all(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The whole matrix, once: a test each would have xdist build it on every worker (27 runs each)."""
    matrix = teeth.check_all(run_dir=tmp_path_factory.mktemp("teeth"), workers=2)

    broken = {fault.rule for fault in REGISTRY.values()}
    assert not matrix.control.problem, matrix.control.problem
    assert set(matrix.control.verdicts) >= broken
    unexpected = [scenario for scenario in matrix.control.scenarios if scenario["outcome"] != "passed"]
    assert matrix.control.not_passing == {} and not unexpected, unexpected

    assert [outcome.fault.name for outcome in matrix.outcomes] == list(REGISTRY)
    rows = {outcome.fault.name: fault_row_problems(outcome) for outcome in matrix.outcomes}
    assert {name: problems for name, problems in rows.items() if problems} == {}

    html_path, json_path = teeth.write_matrix(matrix, tmp_path_factory.mktemp("written"))
    data = json.loads(json_path.read_text())
    assert data["ok"] is True and data["uncaught"] == []
    assert [row["fault"] for row in data["faults"]] == list(REGISTRY)
    assert set(data["rules"]) >= broken
    html = html_path.read_text()
    assert "Yes: the reference passes every rule below" in html
    assert all(f"<code>{name}</code>" in html for name in REGISTRY)


def test_the_row_check_names_what_is_wrong(tmp_path: Path) -> None:
    caught = outcome(MU3, tmp_path, None)
    failed = {"outcome": "failed", "why": "an expectation about the portal did not hold"}
    good = dataclasses.replace(caught, run=dataclasses.replace(caught.run, scenarios=[failed]))
    assert fault_row_problems(good) == []
    passing = dataclasses.replace(good, run=dataclasses.replace(good.run, verdicts={"MU-3": "PASS"}, exit_code=0))
    assert fault_row_problems(passing) == [
        "pytest exited 0, not 1", "MU-3 got PASS, not FAIL", "not caught: {}",
    ]
    timed_out = {"outcome": "failed", "why": "a step timed out"}
    accident = dataclasses.replace(good, run=dataclasses.replace(good.run, scenarios=[timed_out]))
    assert fault_row_problems(accident) == [f"failed scenarios {[timed_out]}"]
    crashed = dataclasses.replace(good, run=dataclasses.replace(good.run, problem="pytest exited 4: usage"))
    assert fault_row_problems(crashed) == ["pytest exited 4: usage"]


def test_a_fault_its_rule_lets_pass_is_not_caught(tmp_path: Path) -> None:
    checked = matrix(tmp_path, None, outcome(MU3, tmp_path, None))
    assert checked.ok
    first = checked.outcomes[0]
    passing = dataclasses.replace(first.run, verdicts={first.fault.rule: "PASS"})
    toothless = dataclasses.replace(checked, outcomes=[dataclasses.replace(first, run=passing)])
    assert toothless.uncaught == [first.fault.name] and not toothless.ok
    failing_control = dataclasses.replace(checked.control, verdicts={first.fault.rule: "FAIL"})
    dirty = dataclasses.replace(checked, control=failing_control)
    assert not dirty.control_passes and not dirty.ok


def test_the_cli_writes_the_matrix_and_exits_by_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checked = matrix(tmp_path, None, outcome(MU3, tmp_path, None))
    first = checked.outcomes[0]
    passing = dataclasses.replace(first.run, verdicts={first.fault.rule: "PASS"})
    toothless = dataclasses.replace(checked, outcomes=[dataclasses.replace(first, run=passing)])
    for result, status in ((checked, 0), (toothless, 1)):
        monkeypatch.setattr(teeth, "check_all", lambda names, **kwargs: result)
        answer = CliRunner().invoke(cli.main, ["teeth", "--reports", str(tmp_path / str(status))])
        assert answer.exit_code == status, answer.output
        [folder] = (tmp_path / str(status)).glob("teeth-*")
        assert (folder / "matrix.html").exists() and (folder / "matrix.json").exists()


def test_the_cli_refuses_an_unknown_fault(tmp_path: Path) -> None:
    answer = CliRunner().invoke(cli.main, ["teeth", "--fault", "nope", "--reports", str(tmp_path)])
    assert answer.exit_code == 2
    assert "unknown fault 'nope'; known faults: inv2_always_invite" in answer.output
    assert list(tmp_path.iterdir()) == []


def test_check_fault_refuses_an_unknown_fault(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown fault 'nope'"):
        teeth.check_fault("nope", run_dir=tmp_path)
