"""The conformance report's verdicts: per rule, from the outcomes of its scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from portalcheck import report, rules

ALL_IN_SUITE = {rule.id: 1 for rule in rules.load()}
CONTRACT = {check.id for check in rules.contract_checks()}


def scenario(rule_ids: list[str], outcome: str, name: str = "s") -> dict[str, Any]:
    return {"nodeid": name, "name": name, "feature": "f", "rules": rule_ids, "outcome": outcome,
            "message": "", "evidence": "", "duration_s": 0.1}


def contract_kept(counts: dict[str, int], outcome: str = "passed") -> list[dict[str, Any]]:
    """Every scenario of every contract check, with that outcome."""
    return [scenario([], outcome, f"{check}-{i}") | {"contract_checks": [check]} for check in sorted(CONTRACT) for i in range(counts[check])]


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
    found = {v.id: v.verdict for v in report.verdicts([], {}, in_suite={})}
    assert found["MU-3"] == "UNCOVERED" and found["LL-7"] == "N/A"


def test_an_expected_deviation_is_expected_while_it_happens_and_stale_once_it_does_not() -> None:
    failing = [scenario(["LL-6"], "failed")]
    passing = [scenario(["LL-6"], "passed")]
    assert verdict_of("LL-6", failing, {"LL-6": "reusable by design"}) == "EXPECTED"
    assert verdict_of("LL-6", passing, {"LL-6": "reusable by design"}) == "STALE"


@pytest.mark.parametrize(
    ("outcome", "rule_id", "status"),
    [("passed", "MU-3", 0), ("failed", "MU-3", 1), ("failed", "LL-6", 0), ("error", "LL-6", 3), ("error", "MU-3", 3)],
)
def test_the_exit_status_is_1_for_the_portals_failures_and_3_for_the_runs(tmp_path: Path, outcome: str, rule_id: str, status: int) -> None:
    counts = rules.scenario_counts()
    results = [scenario([r], "passed", f"{r}-{i}") for r, n in counts.items() if r != rule_id and r not in CONTRACT for i in range(n)]
    results += [scenario([rule_id], outcome, f"the one {i}") for i in range(counts[rule_id])]
    results += contract_kept(counts)
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


def test_a_rule_whose_scenarios_ran_only_in_part_is_partial_and_the_run_is_incomplete(tmp_path: Path) -> None:
    counts = rules.scenario_counts()
    several = next(rule for rule, count in counts.items() if count > 1)
    assert verdict_of(several, [scenario([several], "passed")], None) == "PASS"  # one in ALL_IN_SUITE
    found = {v.id: v for v in report.verdicts([scenario([several], "passed")], {}, counts)}
    assert found[several].verdict == "PARTIAL" and f"1 of its {counts[several]}" in found[several].note
    (tmp_path / "results.json").write_text(json.dumps([scenario([several], "passed")]))
    summary = report.build(tmp_path)
    assert summary["complete"] is False and summary["conformant"] is False and report.exit_status(summary) == 0


def test_the_report_leads_with_the_findings_and_keeps_the_runs_problems_apart(tmp_path: Path) -> None:
    failed = scenario(["MU-3"], "failed", "opened on a new device") | {
        "message": "assert signed_in", "evidence": "ev", "why": "an expectation about the portal did not hold",
        "step": {"keyword": "Then", "text": "her phone is asked to verify this device", "file": "features/m.feature", "line": 12}}
    errored = scenario(["LL-4"], "error", "login link") | {"message": "StepDefinitionNotFoundError", "why": "a step of the scenario is not defined"}
    outside = scenario([], "failed", "a scenario of our own") | {"message": "boom"}
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "Ada-laptop.png").write_bytes(b"png")
    (tmp_path / "ev" / "Ada-phone.png").write_bytes(b"png")
    (tmp_path / "ev" / "Ada-laptop-trace.zip").write_bytes(b"zip")
    (tmp_path / "results.json").write_text(json.dumps([failed, errored, outside]))
    (tmp_path / "target.json").write_text(json.dumps({"name": "t", "faults": ["mu3_any_device"]}))
    summary = report.build(tmp_path)
    assert [f["rule"] for f in summary["findings"]] == ["MU-3"]
    assert [p["rules"] for p in summary["problems"]] == [["LL-4"]]
    assert report.exit_status(summary) == 3  # an ERROR: the verdicts are incomplete
    lines = report.findings_lines(summary)
    assert lines[0].startswith("FAIL MU-3: opened on a new device at features/m.feature:12 Then her phone is asked")
    assert any(line.startswith("FAILED outside any rule: a scenario of our own") for line in lines)
    assert any(line.startswith("ERROR LL-4:") and "not defined" in line for line in lines)
    page = (tmp_path / "index.html").read_text()
    assert page.index("Findings about the portal") < page.index("Problems with the run") < page.index("Verdicts by rule")
    assert '<img src="ev/Ada-phone.png"' in page  # the device the failing step speaks of
    assert 'href="ev/Ada-laptop-trace.zip"' in page and 'href="ev/Ada-laptop.png"' in page  # relative links
    assert "faults switched on on purpose" in page and "mu3_any_device" in page
