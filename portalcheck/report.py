"""The conformance report: a verdict per rule from the scenarios' results, as JSON and HTML."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from pathlib import Path
from typing import Any, Mapping

import jinja2

from . import CONTRACT_VERSION, SUITE_VERSION, rules

VERDICT_ON_FAILURE = {"MUST": "FAIL", "SHOULD": "WARN", "REF": "INFO"}
FINDING_VERDICTS = ("FAIL", "STALE", "WARN", "INFO")  # what the portal was seen to do, worst first
INCOMPLETE_VERDICTS = {"ERROR", "NOT RUN", "PARTIAL", "UNCOVERED"}
EXIT_PORTAL_FAILED, EXIT_RUN_PROBLEM = 1, 3


@dataclasses.dataclass
class RuleVerdict:
    id: str
    level: str
    text: str
    verdict: str  # PASS FAIL WARN INFO N/A ERROR PARTIAL NOT RUN EXPECTED STALE UNCOVERED
    scenarios: list[dict[str, Any]]
    note: str = ""


def verdicts(
    results: list[dict[str, Any]], deviations: Mapping[str, str], in_suite: Mapping[str, int] | None = None
) -> list[RuleVerdict]:
    """One verdict per rule of the policy, from the scenarios tagged with it.

    `in_suite` counts each rule's scenarios in the suite. A rule none of whose scenarios ran (a
    run narrowed with -k) is NOT RUN, one only some of whose ran and passed is PARTIAL; a rule with
    no scenario in the suite at all is UNCOVERED, a defect of the suite. ERROR, the run's own
    problem, outweighs what the portal did: the check was not made.
    """
    in_suite = rules.scenario_counts() if in_suite is None else in_suite
    out = []
    for rule in rules.load():
        mine = [result for result in results if rule.id in result["rules"]]
        outcomes = {result["outcome"] for result in mine}
        if not mine:
            verdict = "NOT RUN" if in_suite.get(rule.id) else ("UNCOVERED" if rule.level != "REF" else "N/A")
        elif "error" in outcomes:
            verdict = "ERROR"
        elif "failed" in outcomes:
            verdict = VERDICT_ON_FAILURE[rule.level]
        elif outcomes <= {"not_applicable", "skipped"}:
            verdict = "N/A"
        elif len(mine) < in_suite.get(rule.id, 0):
            verdict = "PARTIAL"
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
        if verdict == "PARTIAL":
            note = f"{len(mine)} of its {in_suite[rule.id]} scenarios ran"
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
    for result in results:
        result["evidence_files"] = _evidence_files(run_dir, result.get("evidence", ""))
        result["screenshot"] = _screenshot(result)
    target = _read_json(run_dir / "target.json")
    problems = _read_json(run_dir / "problems.json") or []
    rule_verdicts = verdicts(results, target.get("expected_deviations", {}))
    counts: dict[str, int] = {}
    for verdict in rule_verdicts:
        counts[verdict.verdict] = counts.get(verdict.verdict, 0) + 1
    outside = [result for result in results if not result["rules"]]
    run_problems = _grouped([result for result in results if result["outcome"] == "error"]) + [
        {"where": problem["where"], "why": "could not be collected", "message": problem["message"], "rules": []}
        for problem in problems
    ]
    findings = [
        {"rule": verdict.id, "level": verdict.level, "verdict": verdict.verdict, "text": verdict.text,
         "note": verdict.note, "scenarios": [result for result in verdict.scenarios if result["outcome"] == "failed"]}
        for verdict in sorted(rule_verdicts, key=lambda v: FINDING_VERDICTS.index(v.verdict) if v.verdict in FINDING_VERDICTS else 9)
        if verdict.verdict in FINDING_VERDICTS
    ]
    complete = not (set(counts) & INCOMPLETE_VERDICTS) and not run_problems
    summary = {
        "suite_version": SUITE_VERSION,
        "contract_version": CONTRACT_VERSION,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "target": target,
        "verdicts": counts,
        "complete": complete,
        "conformant": complete and not (set(counts) & {"FAIL", "STALE"}),
        "findings": findings,
        "problems": run_problems,
        "outside_rules": {"total": len(outside), "failed": [result for result in outside if result["outcome"] == "failed"]},
        "rules": [dataclasses.asdict(verdict) for verdict in rule_verdicts],
        "audit": audit(target.get("policy", {})),
        "scenarios": {"total": len(results), "by_outcome": _tally(results)},
        "run": _read_json(run_dir / "run.json") or {},
        "bundle": _read_json(run_dir / "bundle.json") or None,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    html = _templates().get_template("report.html").render(summary=summary)
    (run_dir / "index.html").write_text(html)
    return summary


def exit_status(summary: Mapping[str, Any]) -> int:
    """3 when the verdicts are incomplete through the run's own problems (ERROR), 1 when the
    portal failed (FAIL, STALE, or a failed scenario outside any rule), else 0: a WARN or a
    narrowed run is not a failure."""
    if "ERROR" in summary["verdicts"] or summary["problems"]:
        return EXIT_RUN_PROBLEM
    if set(summary["verdicts"]) & {"FAIL", "STALE"} or summary["outside_rules"]["failed"]:
        return EXIT_PORTAL_FAILED
    return 0


def findings_lines(summary: Mapping[str, Any], most: int = 20) -> list[str]:
    """What broke, a line each, for a terminal: the portal's findings, then the run's problems."""
    lines = []
    for finding in summary["findings"]:
        if finding["verdict"] == "STALE":
            lines.append(f"STALE {finding['rule']}: {finding['note']}")
        for result in finding["scenarios"]:
            lines.append(f"{finding['verdict']} {finding['rule']}: {_scenario_line(result)}")
    for result in summary["outside_rules"]["failed"]:
        lines.append(f"FAILED outside any rule: {_scenario_line(result)}")
    for problem in summary["problems"]:
        lines.append(f"ERROR {', '.join(problem['rules']) or 'run'}: {problem['where']}: {problem['why']}: {_first_line(problem['message'])}")
    if len(lines) > most:
        lines = lines[:most] + [f"... and {len(lines) - most} more: see the report"]
    return lines


def _grouped(errored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run's problems, one for each distinct cause: a broken set-up errs every scenario alike."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for result in errored:
        groups.setdefault((result.get("why", ""), result["message"]), []).append(result)
    problems = []
    for (why, message), alike in groups.items():
        names = [f"{result['name']} ({result.get('file') or result['feature']})" for result in alike]
        where = names[0] if len(names) == 1 else f"{len(names)} scenarios: " + "; ".join(names[:3]) + ("; …" if len(names) > 3 else "")
        problems.append({"where": where, "why": why, "message": message,
                         "rules": sorted({rule for result in alike for rule in result["rules"]})})
    return problems


def _screenshot(result: Mapping[str, Any]) -> str:
    """The screenshot of the device the failing step speaks of ("her phone"), else the first."""
    shots = [name for name in result["evidence_files"] if name.endswith(".png")]
    words = set(re.findall(r"\w+", (result.get("step") or {}).get("text", "")))
    named = [shot for shot in shots if shot.rsplit("-", 1)[-1].removesuffix(".png") in words]
    return (named or shots or [""])[0]


def _scenario_line(result: Mapping[str, Any]) -> str:
    step = result.get("step")
    at = f" at {step['file']}:{step['line']} {step['keyword']} {step['text']}" if step else ""
    return f"{result['name']}{at}: {_first_line(result['message'])}"


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:300]


def _evidence_files(run_dir: Path, folder: str) -> list[str]:
    """The evidence of a scenario, relative to the run folder: screenshots first."""
    if not folder or not (run_dir / folder).is_dir():
        return []
    files = sorted((run_dir / folder).iterdir(), key=lambda path: (path.suffix != ".png", path.name))
    return [str(path.relative_to(run_dir)) for path in files if path.is_file()]


def _tally(results: list[dict[str, Any]]) -> dict[str, int]:
    tally: dict[str, int] = {}
    for result in results:
        tally[result["outcome"]] = tally.get(result["outcome"], 0) + 1
    return tally


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else {}


def _templates() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(Path(__file__).parent / "templates")
    env = jinja2.Environment(loader=loader, autoescape=True)
    return env
