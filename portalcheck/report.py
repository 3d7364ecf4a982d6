"""The conformance report: a verdict per rule from the scenarios' results and from what
`portalcheck explore` found (`explore/*.json`), the contract checks apart, as JSON and HTML."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from pathlib import Path
from typing import Any, Mapping

import jinja2

from . import CONTRACT_VERSION, SUITE_VERSION, rules
from .explore.finding import FORMAT as FINDING_FORMAT

VERDICT_ON_FAILURE = {"MUST": "FAIL", "SHOULD": "WARN", "REF": "INFO"}
FINDING_VERDICTS = ("FAIL", "STALE", "WARN", "INFO")  # what the portal was seen to do, worst first
INCOMPLETE_VERDICTS = {"ERROR", "NOT RUN", "PARTIAL", "UNCOVERED"}
EXIT_PORTAL_FAILED, EXIT_RUN_PROBLEM = 1, 3
EXPLORE_FOLDER = "explore"  # where `portalcheck explore --run-dir RUN` leaves its findings
FOUND_BY_EXPLORING = "found by exploring"
CONTRADICTION_KEYS = ("step", "rule", "channel", "expected", "observed", "why")


@dataclasses.dataclass
class RuleVerdict:
    id: str
    level: str
    text: str
    verdict: str  # PASS FAIL WARN INFO N/A ERROR PARTIAL NOT RUN EXPECTED STALE UNCOVERED
    scenarios: list[dict[str, Any]]
    note: str = ""


def verdicts(
    results: list[dict[str, Any]], deviations: Mapping[str, str], in_suite: Mapping[str, int] | None = None,
    *, explored: Mapping[str, int] | None = None,
) -> list[RuleVerdict]:
    """One verdict per rule of the policy, from the scenarios tagged with it and the findings of
    `portalcheck explore` that name it (`explored`: rule ID -> how many).

    `in_suite` counts each rule's scenarios in the suite. A rule none of whose scenarios ran (a
    run narrowed with -k) is NOT RUN, one only some of whose ran and passed is PARTIAL; a rule with
    no scenario in the suite at all is UNCOVERED, a defect of the suite. ERROR, the run's own
    problem, outweighs what the scenarios saw: the check was not made. A finding of the explorer
    is a break the portal was seen to make, whatever the scenarios say: the rule fails at its level.
    """
    in_suite = rules.scenario_counts() if in_suite is None else in_suite
    explored = explored or {}
    out = []
    for rule in rules.load():
        mine = [result for result in results if rule.id in result["rules"]]
        verdict = _verdict(mine, in_suite.get(rule.id, 0), VERDICT_ON_FAILURE[rule.level], rule.level != "REF")
        if explored.get(rule.id) and verdict not in ("FAIL", "WARN", "INFO"):
            verdict = VERDICT_ON_FAILURE[rule.level]
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
        if explored.get(rule.id):
            found = f"{FOUND_BY_EXPLORING}: {explored[rule.id]} finding{'s' if explored[rule.id] > 1 else ''}"
            note = f"{found}; {note}" if note else found
        out.append(RuleVerdict(rule.id, rule.level, rule.text, verdict, mine, note))
    return out


def contract_verdicts(results: list[dict[str, Any]], in_suite: Mapping[str, int] | None = None) -> list[RuleVerdict]:
    """One verdict per contract check (contract-1...), from the scenarios tagged with it: PASS or FAIL
    (the contract is broken), else as a rule's (ERROR, N/A, PARTIAL, NOT RUN, UNCOVERED)."""
    in_suite = rules.scenario_counts() if in_suite is None else in_suite
    out = []
    for check in rules.contract_checks():
        mine = [result for result in results if check.id in result.get("contract_checks", ())]
        verdict = _verdict(mine, in_suite.get(check.id, 0), "FAIL", True)
        note = f"{len(mine)} of its {in_suite[check.id]} scenarios ran" if verdict == "PARTIAL" else ""
        out.append(RuleVerdict(check.id, check.level, check.text, verdict, mine, note))
    return out


def _verdict(mine: list[dict[str, Any]], in_suite: int, on_failure: str, must_be_covered: bool) -> str:
    outcomes = {result["outcome"] for result in mine}
    if not mine:
        return "NOT RUN" if in_suite else ("UNCOVERED" if must_be_covered else "N/A")
    if "error" in outcomes:
        return "ERROR"
    if "failed" in outcomes:
        return on_failure
    if outcomes <= {"not_applicable", "skipped"}:
        return "N/A"
    return "PARTIAL" if len(mine) < in_suite else "PASS"


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
    """Write summary.json and index.html into `run_dir` from its results.json and target.json,
    and from the findings in its explore/ folder. A folder with only explore/ (an explore-only
    run) is reported too: its findings, and that no scenario ran."""
    results = _read_json(run_dir / "results.json") or []
    for result in results:
        result["evidence_files"] = _evidence_files(run_dir, result.get("evidence", ""))
        result["screenshot"] = _screenshot(result)
    target = _read_json(run_dir / "target.json")
    problems = _read_json(run_dir / "problems.json") or []
    explored, unreadable = explore_findings(run_dir)
    found_for = {rule_id: sum(rule_id in finding["rules"] for finding in explored)
                 for rule_id in {rule_id for finding in explored for rule_id in finding["rules"]}}
    rule_verdicts = verdicts(results, target.get("expected_deviations", {}), explored=found_for)
    contract = contract_verdicts(results)
    counts: dict[str, int] = {}
    for verdict in rule_verdicts:
        counts[verdict.verdict] = counts.get(verdict.verdict, 0) + 1
    outside = [result for result in results if not result["rules"] and not result.get("contract_checks")]
    run_problems = _grouped([result for result in results if result["outcome"] == "error"]) + [
        {"where": problem["where"], "why": "could not be collected", "message": problem["message"], "rules": []}
        for problem in problems
    ] + unreadable
    findings = [
        {"rule": verdict.id, "level": verdict.level, "verdict": verdict.verdict, "text": verdict.text,
         "note": verdict.note, "scenarios": [result for result in verdict.scenarios if result["outcome"] == "failed"]}
        for verdict in sorted(rule_verdicts, key=lambda v: FINDING_VERDICTS.index(v.verdict) if v.verdict in FINDING_VERDICTS else 9)
        if verdict.verdict in FINDING_VERDICTS
    ]
    broken = [check.id for check in contract if check.verdict == "FAIL"]
    by_rule = _by_rule(explored, rule_verdicts)
    complete = (bool(results) and not (set(counts) & INCOMPLETE_VERDICTS) and not run_problems
                and not {check.verdict for check in contract} & INCOMPLETE_VERDICTS)
    summary = {
        "suite_version": SUITE_VERSION,
        "contract_version": CONTRACT_VERSION,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "target": target,
        "verdicts": counts,
        "complete": complete,
        # what explore found of any rule (a SHOULD's WARN too) fails the run, as in exit_status
        "conformant": (complete and not (set(counts) & {"FAIL", "STALE"}) and not broken
                       and all(group["verdict"] == "EXPECTED" for group in by_rule)),
        "findings": findings,
        "problems": run_problems,
        "outside_rules": {"total": len(outside), "failed": [result for result in outside if result["outcome"] == "failed"]},
        "contract": {"checks": [dataclasses.asdict(check) for check in contract], "broken": broken},
        "explored": {"findings": explored, "by_rule": by_rule},
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
    """3 when the verdicts are incomplete through the run's own problems (ERROR, a finding file
    that cannot be read), 1 when the portal failed (FAIL, STALE, a failed scenario outside any
    rule, a broken contract check, what explore found of a rule not listed as an expected
    deviation), 3 when nothing was checked at all (an
    explore-only folder without findings), else 0: a WARN or a narrowed run is not a failure."""
    if "ERROR" in summary["verdicts"] or summary["problems"]:
        return EXIT_RUN_PROBLEM
    if (set(summary["verdicts"]) & {"FAIL", "STALE"} or summary["outside_rules"]["failed"]
            or summary.get("contract", {}).get("broken")
            or any(group["verdict"] != "EXPECTED" for group in summary.get("explored", {}).get("by_rule", []))):
        return EXIT_PORTAL_FAILED
    if not summary["scenarios"]["total"]:
        return EXIT_RUN_PROBLEM
    return 0


class UnreadableFinding(ValueError):
    """A file in explore/ that is not a finding this report can show; the message says why."""


def explore_findings(run_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The findings `portalcheck explore` left in `run_dir/explore/*.json`, and, as problems of
    the run (ERROR lines, never dropped), each file there that is not one."""
    folder = run_dir / EXPLORE_FOLDER
    found, unreadable = [], []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            found.append(_finding(run_dir, path))
        except UnreadableFinding as error:
            unreadable.append({"where": str(path.relative_to(run_dir)), "why": "a finding of portalcheck explore that cannot be read",
                               "message": str(error), "rules": []})
    return found, unreadable


def _finding(run_dir: Path, path: Path) -> dict[str, Any]:
    """One finding file, checked for what the report shows of it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableFinding(f"not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("format") != FINDING_FORMAT:
        raise UnreadableFinding(f"not a finding of portalcheck explore (format {FINDING_FORMAT!r})")
    known = {rule.id for rule in rules.load()}
    contradictions = data.get("contradictions")
    if not isinstance(contradictions, list) or not contradictions:
        raise UnreadableFinding("it holds no contradictions: a finding says what the portal did against the policy")
    for index, contradiction in enumerate(contradictions, start=1):
        missing = [key for key in CONTRADICTION_KEYS if not isinstance(contradiction, dict) or key not in contradiction]
        if missing:
            raise UnreadableFinding(f"contradiction {index} lacks {', '.join(missing)}")
        if contradiction["rule"] not in known:
            raise UnreadableFinding(f"contradiction {index} names {contradiction['rule']!r}, no rule of POLICY v1")
    rule, feature, faults = data.get("rule"), data.get("feature"), data.get("faults", [])
    if rule not in known:
        raise UnreadableFinding(f"its rule {rule!r} is no rule of POLICY v1")
    if not isinstance(feature, str) or not isinstance(faults, list) or not isinstance(data.get("seed"), int):
        raise UnreadableFinding("its seed, faults or feature are missing or of the wrong kind")
    screenshot, note = data.get("screenshot") or "", ""
    if screenshot and (not isinstance(screenshot, str) or Path(screenshot).name != screenshot):
        raise UnreadableFinding(f"its screenshot {screenshot!r} is not the name of a file beside it")
    if screenshot and not (path.parent / screenshot).is_file():
        screenshot, note = "", f"the screenshot {data['screenshot']} it names is not beside it"
    replay = f"portalcheck explore --replay {path}" + "".join(f" --fault {fault}" for fault in faults)
    profile = str(data.get("profile", ""))
    if profile and not profile.endswith("profiles/reference.toml"):
        replay += f" --profile {profile}"
    return {"file": str(path.relative_to(run_dir)), "rule": rule, "seed": data["seed"], "faults": faults,
            "rules": sorted({rule, *(contradiction["rule"] for contradiction in contradictions)}),
            "contradictions": contradictions, "feature": feature, "note": note, "replay": replay,
            "screenshot": str(path.parent.relative_to(run_dir) / screenshot) if screenshot else ""}


def _by_rule(explored: list[dict[str, Any]], rule_verdicts: list[RuleVerdict]) -> list[dict[str, Any]]:
    """The findings under each rule they contradict, in the policy's order; each with only the
    contradictions of that rule."""
    groups = []
    for verdict in rule_verdicts:
        mine = [finding | {"contradictions": [c for c in finding["contradictions"] if c["rule"] == verdict.id]
                           or finding["contradictions"]}
                for finding in explored if verdict.id in finding["rules"]]
        if mine:
            groups.append({"rule": verdict.id, "level": verdict.level, "text": verdict.text, "verdict": verdict.verdict, "findings": mine})
    return groups


def findings_lines(summary: Mapping[str, Any], most: int = 20) -> list[str]:
    """What broke, a line each, for a terminal: the portal's findings, then the run's problems."""
    lines = []
    for finding in summary["findings"]:
        if finding["verdict"] == "STALE":
            lines.append(f"STALE {finding['rule']}: {finding['note']}")
        for result in finding["scenarios"]:
            lines.append(f"{finding['verdict']} {finding['rule']}: {_scenario_line(result)}")
    for group in summary.get("explored", {}).get("by_rule", []):
        for finding in group["findings"]:
            lines.append(f"{group['verdict']} {group['rule']}: {FOUND_BY_EXPLORING}: {finding['contradictions'][0]['why']}"
                         f" (replay: {finding['replay']})")
    for check in summary.get("contract", {}).get("checks", []):
        for result in (result for result in check["scenarios"] if result["outcome"] == "failed"):
            lines.append(f"CONTRACT BROKEN {check['id']}: {_scenario_line(result)}")
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
