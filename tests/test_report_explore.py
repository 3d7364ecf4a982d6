"""What `portalcheck explore` found, in the conformance report: by rule, with its evidence, from
hand-made finding files; a folder of findings alone; files that are not findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from portalcheck import report, rules

COUNTS = rules.scenario_counts()
CONTRACT = {check.id for check in rules.contract_checks()}
FEATURE = """Feature: Found by portalcheck explore

  @MU-3 @must @explored
  Scenario: Explored: this device is not verified: it is asked to verify
    Given Ada accepted her invitation on her phone
    When she opens her management URL on her laptop
    Then her laptop is asked to verify this device
"""


def contradiction(rule: str = "MU-3", **changes: Any) -> dict[str, Any]:
    return {"step": 3, "rule": rule, "channel": "page:Ada's laptop", "expected": "verify_device",
            "observed": "account", "why": "this device is not verified: it is asked to verify"} | changes


def finding(rule: str = "MU-3", *, contradictions: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    return {"format": "portalcheck-explore-finding/1", "seed": 7, "profile": "/x/portalcheck/profiles/reference.toml",
            "faults": [], "rule": rule, "actions": [{"action": "add_customer", "customer": "Ada"}],
            "contradictions": contradictions or [contradiction(rule)], "feature": FEATURE} | changes


def write(run: Path, name: str, content: Any) -> Path:
    (run / "explore").mkdir(parents=True, exist_ok=True)
    path = run / "explore" / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def passing_run(run: Path) -> None:
    """results.json of a whole run in which every scenario passed, contract checks included."""
    results = [{"nodeid": f"{tag}-{i}", "name": f"{tag} {i}", "feature": "f", "outcome": "passed", "message": "",
                "evidence": "", "duration_s": 0.1, "rules": [] if tag in CONTRACT else [tag],
                "contract_checks": [tag] if tag in CONTRACT else []}
               for tag, count in COUNTS.items() for i in range(count)]
    run.mkdir(parents=True, exist_ok=True)
    (run / "results.json").write_text(json.dumps(results))
    (run / "target.json").write_text(json.dumps({"name": "t"}))


def rule_of(summary: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(rule for rule in summary["rules"] if rule["id"] == rule_id)


def test_a_passing_run_without_findings_is_conformant(tmp_path: Path) -> None:
    passing_run(tmp_path)
    summary = report.build(tmp_path)
    assert summary["conformant"] and report.exit_status(summary) == 0
    assert "no finding of <code>portalcheck explore</code>" in (tmp_path / "index.html").read_text()


def test_a_finding_fails_its_must_rule_though_every_scenario_passed(tmp_path: Path) -> None:
    passing_run(tmp_path)
    (tmp_path / "explore").mkdir()
    (tmp_path / "explore" / "MU-3-seed7.png").write_bytes(b"png")
    path = write(tmp_path, "MU-3-seed7.json", finding(screenshot="MU-3-seed7.png"))
    summary = report.build(tmp_path)
    mu3 = rule_of(summary, "MU-3")
    assert mu3["verdict"] == "FAIL" and "found by exploring" in mu3["note"]
    assert report.exit_status(summary) == 1 and not summary["conformant"]
    assert [group["rule"] for group in summary["explored"]["by_rule"]] == ["MU-3"]
    lines = report.findings_lines(summary)
    assert f"FAIL MU-3: found by exploring: this device is not verified: it is asked to verify (replay: portalcheck explore --replay {path})" in lines
    page = (tmp_path / "index.html").read_text()
    found = page[page.index("Found by exploring"):page.index("Contract checks")]
    assert "MU-3" in found and "(MUST)" in found and "page:Ada&#39;s laptop" in found and "verify_device" in found
    assert "<pre" in found and "Then her laptop is asked to verify this device" in found
    assert "<td>4</td>" in found  # the walk's fourth action: a contradiction's step counts from 0
    assert f"portalcheck explore --replay {path}" in found
    assert '<img src="explore/MU-3-seed7.png"' in found


def test_a_finding_of_a_should_rule_warns_and_still_fails_the_run(tmp_path: Path) -> None:
    passing_run(tmp_path)
    write(tmp_path, "LL-6-seed7.json", finding("LL-6"))
    summary = report.build(tmp_path)
    assert rule_of(summary, "LL-6")["verdict"] == "WARN"
    assert report.exit_status(summary) == 1 and not summary["conformant"]
    assert "is not conformant" in (tmp_path / "index.html").read_text()


def test_a_finding_is_listed_under_every_rule_it_contradicts_and_replays_with_its_faults(tmp_path: Path) -> None:
    passing_run(tmp_path)
    both = finding("MU-3", contradictions=[contradiction("MU-3"), contradiction("SEC-5", channel="status:page", why="never a 5xx")],
                   faults=["mu3_any_device"])
    write(tmp_path, "MU-3-seed7.json", both)
    summary = report.build(tmp_path)
    groups = {group["rule"]: group for group in summary["explored"]["by_rule"]}
    assert list(groups) == ["MU-3", "SEC-5"]
    assert [c["why"] for c in groups["SEC-5"]["findings"][0]["contradictions"]] == ["never a 5xx"]
    assert rule_of(summary, "SEC-5")["verdict"] == "WARN"
    assert groups["MU-3"]["findings"][0]["replay"].endswith("MU-3-seed7.json --fault mu3_any_device")
    assert "with the faults mu3_any_device on" in (tmp_path / "index.html").read_text()


def test_a_finding_of_an_expected_deviation_is_expected_and_does_not_fail_the_run(tmp_path: Path) -> None:
    passing_run(tmp_path)
    (tmp_path / "target.json").write_text(json.dumps({"name": "t", "expected_deviations": {"LL-7": "older links stay valid"}}))
    write(tmp_path, "LL-7-seed7.json", finding("LL-7"))
    summary = report.build(tmp_path)
    assert rule_of(summary, "LL-7")["verdict"] == "EXPECTED"
    assert report.exit_status(summary) == 0


def test_a_folder_of_findings_alone_is_reported_and_says_no_scenario_ran(tmp_path: Path) -> None:
    write(tmp_path, "MU-3-seed7.json", finding())
    summary = report.build(tmp_path)
    assert summary["scenarios"]["total"] == 0 and not summary["complete"] and not summary["conformant"]
    assert rule_of(summary, "MU-3")["verdict"] == "FAIL" and report.exit_status(summary) == 1
    page = (tmp_path / "index.html").read_text()
    assert "No scenario ran" in page and "1 finding" in page and "Found by exploring" in page


def test_a_folder_with_nothing_found_and_no_scenario_checked_nothing(tmp_path: Path) -> None:
    (tmp_path / "explore").mkdir()
    summary = report.build(tmp_path)
    assert report.exit_status(summary) == report.EXIT_RUN_PROBLEM  # 3: nothing was checked
    assert "No scenario ran" in (tmp_path / "index.html").read_text()


def test_a_file_that_is_not_a_finding_is_an_error_line_never_dropped(tmp_path: Path) -> None:
    passing_run(tmp_path)
    write(tmp_path, "a-not-json.json", "{ not json")
    write(tmp_path, "b-other-format.json", {"format": "something-else/1"})
    write(tmp_path, "c-no-why.json", finding(contradictions=[{"step": 1, "rule": "MU-3"}]))
    write(tmp_path, "d-no-such-rule.json", finding("XX-9"))
    write(tmp_path, "e-screenshot-elsewhere.json", finding(screenshot="../../etc/passwd"))
    write(tmp_path, "f-good.json", finding())
    summary = report.build(tmp_path)
    problems = {problem["where"]: problem["message"] for problem in summary["problems"]}
    assert sorted(problems) == [f"explore/{name}.json" for name in
                                ("a-not-json", "b-other-format", "c-no-why", "d-no-such-rule", "e-screenshot-elsewhere")]
    assert "not JSON" in problems["explore/a-not-json.json"]
    assert "lacks channel, expected, observed, why" in problems["explore/c-no-why.json"]
    assert "'XX-9'" in problems["explore/d-no-such-rule.json"]
    assert len(summary["explored"]["findings"]) == 1  # the good one is still shown
    assert report.exit_status(summary) == report.EXIT_RUN_PROBLEM
    lines = report.findings_lines(summary)
    assert any(line.startswith("ERROR run: explore/b-other-format.json: a finding of portalcheck explore that cannot be read") for line in lines)
    page = (tmp_path / "index.html").read_text()
    assert "explore/c-no-why.json" in page[page.index("Problems with the run"):]


def test_a_screenshot_named_but_missing_is_said_not_hidden(tmp_path: Path) -> None:
    passing_run(tmp_path)
    write(tmp_path, "MU-3-seed7.json", finding(screenshot="gone.png"))
    summary = report.build(tmp_path)
    shown = summary["explored"]["findings"][0]
    assert shown["screenshot"] == "" and "gone.png" in shown["note"]
    assert "the screenshot gone.png it names is not beside it" in (tmp_path / "index.html").read_text()


def test_what_a_finding_says_is_escaped_in_the_page(tmp_path: Path) -> None:
    passing_run(tmp_path)
    write(tmp_path, "MU-3-seed7.json", finding(contradictions=[contradiction(observed="<script>alert(1)</script>")]))
    report.build(tmp_path)
    page = (tmp_path / "index.html").read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
