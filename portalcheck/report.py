"""The conformance report: a verdict per rule from the scenarios' results, as JSON and HTML."""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any, Mapping

import jinja2

from . import CONTRACT_VERSION, SUITE_VERSION, rules

VERDICT_ON_FAILURE = {"MUST": "FAIL", "SHOULD": "WARN", "REF": "INFO"}
FAILING_VERDICTS = {"FAIL", "ERROR", "STALE"}


@dataclasses.dataclass
class RuleVerdict:
    id: str
    level: str
    text: str
    verdict: str  # PASS FAIL WARN INFO N/A ERROR EXPECTED STALE UNCOVERED
    scenarios: list[dict[str, Any]]
    note: str = ""


def verdicts(
    results: list[dict[str, Any]], deviations: Mapping[str, str], in_suite: set[str] | None = None
) -> list[RuleVerdict]:
    """One verdict per rule of the policy, from the scenarios tagged with it.

    A rule whose scenarios exist but did not run (a run narrowed with -k) is NOT RUN; a rule with
    no scenario in the suite at all is UNCOVERED, a defect of the suite.
    """
    in_suite = rules.tagged_in_features() if in_suite is None else in_suite
    out = []
    for rule in rules.load():
        mine = [result for result in results if rule.id in result["rules"]]
        outcomes = {result["outcome"] for result in mine}
        if not mine:
            verdict = "NOT RUN" if rule.id in in_suite else ("UNCOVERED" if rule.level != "REF" else "N/A")
        elif "error" in outcomes:
            verdict = "ERROR"
        elif "failed" in outcomes:
            verdict = VERDICT_ON_FAILURE[rule.level]
        elif outcomes <= {"not_applicable", "skipped"}:
            verdict = "N/A"
        else:
            verdict = "PASS"
        note = ""
        if rule.id in deviations:
            note = deviations[rule.id]
            if verdict in ("FAIL", "WARN", "INFO"):
                verdict = "EXPECTED"
            elif verdict == "PASS":
                verdict = "STALE"
                note = f"listed as an expected deviation ({note}), but the portal now follows the rule"
        out.append(RuleVerdict(rule.id, rule.level, rule.text, verdict, mine, note))
    return out


def audit(policy: Mapping[str, Any]) -> list[dict[str, str]]:
    """POLICY.md's advisory audit: the target's values set against the standards. Never a failure."""
    advice = []
    login = policy.get("login_link_ttl_s")
    if isinstance(login, int) and login > 600:
        advice.append({"setting": "login_link_ttl_s", "value": f"{login} s",
                       "advice": "ASVS 5.0 6.5.5 and NIST 800-63B cap an emailed one-time link at 10 minutes."})
    idle = policy.get("session_idle_timeout_s")
    if isinstance(idle, int):
        advice.append({"setting": "session_idle_timeout_s", "value": f"{idle} s",
                       "advice": ("meets" if idle <= 1800 else "exceeds")
                       + " ASVS 4.0.3 3.3.2 (L2) / NIST AAL2: re-authentication after at most 30 minutes idle;"
                       " they also ask for 12 hours in all, which the policy has no setting for."})
    management = policy.get("management_link_ttl_s")
    if isinstance(management, int):
        advice.append({"setting": "management_link_ttl_s", "value": f"{management // 86400} days",
                       "advice": "a long-lived link acts as a remembered device; with email verification off it is a bearer credential."})
    advice.append({"setting": "(design)", "value": "email as authenticator",
                   "advice": "ASVS 5.0 6.3.6 (L3) rules out email as an authenticator altogether."})
    return advice


def build(run_dir: Path) -> dict[str, Any]:
    """Write summary.json and index.html into `run_dir` from its results.json and target.json."""
    results = json.loads((run_dir / "results.json").read_text())
    target = _read_json(run_dir / "target.json")
    rule_verdicts = verdicts(results, target.get("expected_deviations", {}))
    counts: dict[str, int] = {}
    for verdict in rule_verdicts:
        counts[verdict.verdict] = counts.get(verdict.verdict, 0) + 1
    summary = {
        "suite_version": SUITE_VERSION,
        "contract_version": CONTRACT_VERSION,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "target": target,
        "verdicts": counts,
        "conformant": not (set(counts) & (FAILING_VERDICTS | {"UNCOVERED", "NOT RUN"})),
        "complete": "NOT RUN" not in counts,
        "rules": [dataclasses.asdict(verdict) for verdict in rule_verdicts],
        "audit": audit(target.get("policy", {})),
        "scenarios": {"total": len(results), "by_outcome": _tally(results)},
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    html = _templates().get_template("report.html").render(summary=summary, run_dir=run_dir)
    (run_dir / "index.html").write_text(html)
    return summary


def exit_status(summary: Mapping[str, Any]) -> int:
    """Non-zero only for FAIL, ERROR or STALE: warnings and partial runs are not failures."""
    return 1 if set(summary["verdicts"]) & FAILING_VERDICTS else 0


def _tally(results: list[dict[str, Any]]) -> dict[str, int]:
    tally: dict[str, int] = {}
    for result in results:
        tally[result["outcome"]] = tally.get(result["outcome"], 0) + 1
    return tally


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def _templates() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(Path(__file__).parent / "templates")
    env = jinja2.Environment(loader=loader, autoescape=True)
    env.filters["relative"] = lambda path, base: Path(path).relative_to(base) if path and Path(path).is_relative_to(base) else path
    return env
