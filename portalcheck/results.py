"""Collecting each scenario's result with the rules it checks, as a pytest plugin.

Runs on the controller (under xdist the workers' reports come to it), so one file holds the
whole run: `results.json`, from which `report.py` builds the conformance report.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from . import rules

NOT_APPLICABLE = "not applicable"


@dataclasses.dataclass
class ScenarioResult:
    nodeid: str
    name: str
    feature: str
    rules: list[str]
    outcome: str  # passed | failed | error | not_applicable | skipped
    message: str = ""
    evidence: str = ""
    duration_s: float = 0.0


class ResultCollector:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.known_rules = {rule.id for rule in rules.load()}
        self.results: dict[str, ScenarioResult] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        rule_ids = sorted(key for key in report.keywords if key in self.known_rules)
        if not rule_ids:
            return
        result = self.results.setdefault(
            report.nodeid, ScenarioResult(report.nodeid, _scenario_name(report), "", rule_ids, "passed")
        )
        carried = dict(report.user_properties).get("bdd_scenario")
        if carried:
            scenario = carried["scenario"]
            example = report.nodeid.partition("[")[2].rstrip("]")
            result.name = scenario["name"] + (f" [{example}]" if example else "")
            result.feature = scenario["feature"]["name"]
        result.duration_s += report.duration
        evidence = dict(report.user_properties).get("evidence")
        if evidence:
            result.evidence = str(evidence)
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            reason = reason.removeprefix("Skipped: ")
            result.outcome = "not_applicable" if NOT_APPLICABLE in reason else "skipped"
            result.message = reason
        elif report.failed:
            result.outcome = "error" if report.when != "call" or _is_target_error(report) else "failed"
            result.message = _short_message(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = [dataclasses.asdict(result) for result in self.results.values()]
        self.path.write_text(json.dumps(payload, indent=2))


def _is_target_error(report: pytest.TestReport) -> bool:
    return "TargetUnreachable" in str(report.longrepr)


def _short_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text[:2000]


def _scenario_name(report: pytest.TestReport) -> str:
    name = report.nodeid.split("::")[-1]
    name = re.sub(r"^test_", "", name)
    return name.replace("_", " ")
