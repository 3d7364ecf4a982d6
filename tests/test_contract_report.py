"""The contract checks in the conformance report: apart from the policy's rules, never counted as
rules, and a broken one fails the run and says the policy verdicts may not be trusted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from portalcheck import report, rules

COUNTS = rules.scenario_counts()
CONTRACT = [check.id for check in rules.contract_checks()]


def results(broken: str = "", outcome: str = "failed") -> list[dict[str, Any]]:
    """A whole run's results, every scenario passed but those of the contract check `broken`."""
    made = []
    for tag, count in COUNTS.items():
        for i in range(count):
            made.append({"nodeid": f"{tag}-{i}", "name": f"{tag} {i}", "feature": "f", "message": "",
                         "outcome": outcome if tag == broken else "passed", "evidence": "", "duration_s": 0.1,
                         "rules": [] if tag in CONTRACT else [tag], "contract_checks": [tag] if tag in CONTRACT else [],
                         "step": {"keyword": "Then", "text": "the other site's clock has not moved", "file": "features/contract.feature", "line": 10}
                         if tag == broken else None})
    return made


def build(run: Path, made: list[dict[str, Any]]) -> dict[str, Any]:
    (run / "results.json").write_text(json.dumps(made))
    (run / "target.json").write_text(json.dumps({"name": "t"}))
    return report.build(run)


def test_the_contract_checks_are_no_rules_of_the_policy() -> None:
    assert CONTRACT == ["contract-1", "contract-2", "contract-3", "contract-4"]
    assert not set(CONTRACT) & {rule.id for rule in rules.load()}


def test_a_kept_contract_shows_a_pass_each_and_counts_no_rule(tmp_path: Path) -> None:
    summary = build(tmp_path, results())
    assert [(check["id"], check["verdict"]) for check in summary["contract"]["checks"]] == [(c, "PASS") for c in CONTRACT]
    assert set(summary["verdicts"]) <= {"PASS", "N/A"} and sum(summary["verdicts"].values()) == len(rules.load())
    assert not {rule["id"] for rule in summary["rules"]} & set(CONTRACT)
    assert summary["outside_rules"]["total"] == 0  # a contract scenario is not "outside any rule"
    assert summary["conformant"] and report.exit_status(summary) == 0
    page = (tmp_path / "index.html").read_text()
    assert 'id="contract-1"' in page[page.index("Contract checks"):page.index("Problems with the run")]
    assert "may not be trusted" not in page


def test_a_broken_contract_check_fails_the_run_and_says_the_verdicts_may_not_be_trusted(tmp_path: Path) -> None:
    summary = build(tmp_path, results(broken="contract-1"))
    assert summary["contract"]["broken"] == ["contract-1"]
    assert "FAIL" not in summary["verdicts"]  # no rule of the policy failed ...
    assert report.exit_status(summary) == 1 and not summary["conformant"]  # ... and yet the run fails
    assert any(line.startswith("CONTRACT BROKEN contract-1: contract-1 0 at features/contract.feature:10") for line in report.findings_lines(summary))
    page = (tmp_path / "index.html").read_text()
    assert "The contract is broken (contract-1" in page and "the policy verdicts of this run may not be trusted" in page


def test_a_contract_check_the_suite_could_not_make_is_an_error_not_a_break(tmp_path: Path) -> None:
    summary = build(tmp_path, results(broken="contract-4", outcome="error"))
    check = next(check for check in summary["contract"]["checks"] if check["id"] == "contract-4")
    assert check["verdict"] == "ERROR" and summary["contract"]["broken"] == []
    assert report.exit_status(summary) == report.EXIT_RUN_PROBLEM


def test_a_run_without_the_contract_scenarios_is_incomplete(tmp_path: Path) -> None:
    summary = build(tmp_path, [result for result in results() if not result["contract_checks"]])
    assert {check["verdict"] for check in summary["contract"]["checks"]} == {"NOT RUN"}
    assert not summary["complete"] and report.exit_status(summary) == 0
