"""The suite has teeth (issue 5): every simulator fault fails the rule it breaks, and only a fault does.

One matrix for the module: the control run and one run per fault, each a pytest process of the
suite narrowed to the fault's rule, two at a time (`portalcheck.teeth.check_all`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from portalcheck import cli, report, rules, teeth
from simulator.faults import REGISTRY

LEVELS = {rule.id: rule.level for rule in rules.load()}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> teeth.Matrix:
    return teeth.check_all(run_dir=tmp_path_factory.mktemp("teeth"), workers=2)


def test_the_reference_passes_every_rule_a_fault_breaks(matrix: teeth.Matrix) -> None:
    broken = {fault.rule for fault in REGISTRY.values()}
    assert not matrix.control.problem, matrix.control.problem
    assert set(matrix.control.verdicts) >= broken
    unexpected = [scenario for scenario in matrix.control.scenarios if scenario["outcome"] != "passed"]
    assert matrix.control.not_passing == {} and not unexpected, unexpected


@pytest.mark.parametrize("name", list(REGISTRY))
def test_the_fault_fails_the_rule_it_breaks(matrix: teeth.Matrix, name: str) -> None:
    outcome = next(outcome for outcome in matrix.outcomes if outcome.fault.name == name)
    rule = REGISTRY[name].rule
    assert not outcome.run.problem, outcome.run.problem
    assert outcome.run.exit_code == 1  # pytest: some scenario failed
    assert outcome.verdict == report.VERDICT_ON_FAILURE[LEVELS[rule]] == outcome.expected
    assert outcome.caught and rule in outcome.not_passing
    failed = [scenario for scenario in outcome.run.scenarios if scenario["outcome"] == "failed"]
    # Failed on a check of the rule, not by accident (a timeout, a crash in a step).
    assert failed and all(scenario["why"] == "an expectation about the portal did not hold" for scenario in failed), failed
    assert not [scenario for scenario in outcome.run.scenarios if scenario["outcome"] == "error"]


def test_the_matrix_is_written_as_json_and_html(matrix: teeth.Matrix, tmp_path: Path) -> None:
    html_path, json_path = teeth.write_matrix(matrix, tmp_path)
    data = json.loads(json_path.read_text())
    assert data["ok"] is True and data["uncaught"] == []
    assert [row["fault"] for row in data["faults"]] == list(REGISTRY)
    assert set(data["rules"]) >= {fault.rule for fault in REGISTRY.values()}
    html = html_path.read_text()
    assert "Yes: the reference passes every rule below" in html
    assert all(f"<code>{name}</code>" in html for name in REGISTRY)


def test_a_fault_its_rule_lets_pass_is_not_caught(matrix: teeth.Matrix) -> None:
    first = matrix.outcomes[0]
    passing = dataclasses.replace(first.run, verdicts={first.fault.rule: "PASS"})
    toothless = dataclasses.replace(matrix, outcomes=[dataclasses.replace(first, run=passing)])
    assert toothless.uncaught == [first.fault.name] and not toothless.ok
    failing_control = dataclasses.replace(matrix.control, verdicts={first.fault.rule: "FAIL"})
    dirty = dataclasses.replace(matrix, control=failing_control)
    assert not dirty.control_passes and not dirty.ok


def test_the_cli_writes_the_matrix_and_exits_by_it(
    matrix: teeth.Matrix, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = matrix.outcomes[0]
    passing = dataclasses.replace(first.run, verdicts={first.fault.rule: "PASS"})
    toothless = dataclasses.replace(matrix, outcomes=[dataclasses.replace(first, run=passing)])
    for result, status in ((matrix, 0), (toothless, 1)):
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
