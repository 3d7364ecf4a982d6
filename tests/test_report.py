"""The conformance report's verdicts: per rule, from the outcomes of its scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from portalcheck import report, rules

ALL_IN_SUITE = {rule.id for rule in rules.load()}


def scenario(rule_ids: list[str], outcome: str, name: str = "s") -> dict[str, Any]:
    return {"nodeid": name, "name": name, "feature": "f", "rules": rule_ids, "outcome": outcome,
            "message": "", "evidence": "", "duration_s": 0.1}


def verdict_of(rule_id: str, results: list[dict[str, Any]], deviations: dict[str, str] | None = None) -> str:
    found = {v.id: v for v in report.verdicts(results, deviations or {}, ALL_IN_SUITE)}
    return found[rule_id].verdict


@pytest.mark.parametrize(
    ("rule_id", "outcomes", "expected"),
    [
        ("MU-3", ["passed", "passed"], "PASS"),
        ("MU-3", ["passed", "failed"], "FAIL"),
        ("LL-6", ["failed"], "WARN"),
        ("LL-7", ["failed"], "INFO"),
        ("PW-2", ["not_applicable"], "N/A"),
        ("PW-2", ["not_applicable", "passed"], "PASS"),
        ("MU-3", ["failed", "error"], "ERROR"),
    ],
)
def test_a_rule_takes_the_verdict_of_its_scenarios(rule_id: str, outcomes: list[str], expected: str) -> None:
    results = [scenario([rule_id], outcome, f"s{i}") for i, outcome in enumerate(outcomes)]
    assert verdict_of(rule_id, results) == expected


def test_a_rule_whose_scenarios_did_not_run_is_not_run_and_one_without_any_is_uncovered() -> None:
    assert verdict_of("MU-3", []) == "NOT RUN"
    found = {v.id: v.verdict for v in report.verdicts([], {}, in_suite=set())}
    assert found["MU-3"] == "UNCOVERED" and found["LL-7"] == "N/A"


def test_an_expected_deviation_is_expected_while_it_happens_and_stale_once_it_does_not() -> None:
    failing = [scenario(["LL-6"], "failed")]
    passing = [scenario(["LL-6"], "passed")]
    assert verdict_of("LL-6", failing, {"LL-6": "reusable by design"}) == "EXPECTED"
    assert verdict_of("LL-6", passing, {"LL-6": "reusable by design"}) == "STALE"


@pytest.mark.parametrize(
    ("outcome", "rule_id", "status"),
    [("passed", "MU-3", 0), ("failed", "MU-3", 1), ("failed", "LL-6", 0), ("error", "LL-6", 1)],
)
def test_the_exit_status_fails_only_on_fail_error_or_stale(tmp_path: Path, outcome: str, rule_id: str, status: int) -> None:
    results = [scenario([r.id], "passed", r.id) for r in rules.load() if r.id != rule_id]
    results.append(scenario([rule_id], outcome, "the one"))
    (tmp_path / "results.json").write_text(json.dumps(results))
    (tmp_path / "target.json").write_text(json.dumps({"name": "t", "policy": {"login_link_ttl_s": 3600}}))
    summary = report.build(tmp_path)
    assert report.exit_status(summary) == status
    assert summary["conformant"] is (status == 0)  # a warning is not a non-conformance
    page = (tmp_path / "index.html").read_text()
    assert rule_id in page and "Policy audit" in page
    assert json.loads((tmp_path / "summary.json").read_text())["verdicts"] == summary["verdicts"]


def test_the_audit_advises_on_a_login_link_longer_than_ten_minutes() -> None:
    advice = report.audit({"login_link_ttl_s": 3600, "session_idle_timeout_s": 1800, "management_link_ttl_s": 5616000})
    settings = {item["setting"]: item["advice"] for item in advice}
    assert "10 minutes" in settings["login_link_ttl_s"]
    assert settings["session_idle_timeout_s"].startswith("meets")
    short = report.audit({"login_link_ttl_s": 600})
    assert "login_link_ttl_s" not in {item["setting"] for item in short}


def test_the_report_page_escapes_what_the_target_said(tmp_path: Path) -> None:
    results = [scenario(["MU-3"], "failed") | {"message": "<script>alert(1)</script>"}]
    (tmp_path / "results.json").write_text(json.dumps(results))
    (tmp_path / "target.json").write_text(json.dumps({"name": "<b>evil</b>"}))
    report.build(tmp_path)
    page = (tmp_path / "index.html").read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page and "<b>evil</b>" not in page
