"""Collecting each scenario's result with the rules it checks, as a pytest plugin.

Runs on the controller (under xdist the workers' reports come to it), so one file holds the
whole run: `results.json`, from which `report.py` builds the conformance report, and
`problems.json`, what went wrong with the run itself (a file that could not be collected).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from . import rules

NOT_APPLICABLE = "not applicable"


@dataclasses.dataclass
class ScenarioResult:
    nodeid: str
    name: str
    feature: str
    rules: list[str]  # empty (and no contract check): a scenario outside any rule
    outcome: str  # passed | failed (the portal's) | error (the run's) | not_applicable | skipped
    message: str = ""
    evidence: str = ""  # a folder, relative to the run folder
    duration_s: float = 0.0
    file: str = ""  # the feature file
    step: dict[str, Any] | None = None  # the failing step: keyword, text, file, line
    why: str = ""  # for a failure or an error: whose it is, in words
    contract_checks: list[str] = dataclasses.field(default_factory=list)  # contract-1...: the contract's, not the policy's


class ResultCollector:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.known_rules = {rule.id for rule in rules.load()}
        self.known_checks = {check.id for check in rules.contract_checks()}
        self.results: dict[str, ScenarioResult] = {}
        self.problems: list[dict[str, str]] = []

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if "portalcheck_scenario" not in properties:
            return
        rule_ids = sorted(key for key in report.keywords if key in self.known_rules)
        result = self.results.setdefault(
            report.nodeid, ScenarioResult(report.nodeid, _scenario_name(report), "", rule_ids, "passed")
        )
        result.file = properties["portalcheck_scenario"]["file"]
        carried = properties.get("bdd_scenario")
        result.contract_checks = sorted(key for key in report.keywords if key in self.known_checks)
        if carried:
            scenario = carried["scenario"]
            example = report.nodeid.partition("[")[2].rstrip("]")
            result.name = scenario["name"] + (f" [{example}]" if example else "")
            result.feature = scenario["feature"]["name"]
        result.duration_s += report.duration
        if properties.get("evidence"):
            result.evidence = str(properties["evidence"])
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            reason = reason.removeprefix("Skipped: ")
            result.outcome = "not_applicable" if NOT_APPLICABLE in reason else "skipped"
            result.message = reason
        elif report.failed and result.outcome not in ("failed", "error"):  # the first failure tells
            failure = properties.get("portalcheck_failure", {})
            result.outcome = "failed" if failure.get("kind") == "portal" else "error"
            result.why = failure.get("why", "")
            result.step = failure.get("step")
            result.message = _short_message(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.problems.append({"where": report.nodeid or "collection", "message": str(report.longrepr)[:4000]})

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.results and not self.problems:
            return  # nothing ran: no results to show, and no folder made for them
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = [dataclasses.asdict(result) for result in self.results.values()]
        self.path.write_text(json.dumps(payload, indent=2))
        (self.path.parent / "problems.json").write_text(json.dumps(self.problems, indent=2))


def _short_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    # "portalcheck.plugin.preflight.PreflightFailed: preflight: …" says the class twice over.
    return _EXCEPTION_NAME.sub("", text, count=1)[:2000]


_EXCEPTION_NAME = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Failed|Exception|Timeout|Unavailable|Unreachable): ")


def _scenario_name(report: pytest.TestReport) -> str:
    name = report.nodeid.split("::")[-1]
    name = re.sub(r"^test_", "", name)
    return name.replace("_", " ")
