"""The policy's rules as the project's docs state them: ID, level and text."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from . import bundled

_SPEC_RULE = re.compile(r"^- ([A-Z]+-\d+)(?: (MUST|SHOULD|REF))?: (.*)$", re.M)
_READING_RULE = re.compile(r"^- \*\*([A-Z]+-\d+)\*\* (MUST|SHOULD|REF) —", re.M)
_CONTRACT_CHECK = re.compile(r"^\| (contract-\d+) \| (.*) \|$", re.M)
# A tag that names what a scenario checks: a rule of the policy (MU-3), or a contract check (contract-1).
CHECK_TAG = re.compile(r"[A-Z]+-\d+|contract-\d+")
CONTRACT_LEVEL = "CONTRACT"  # a contract check's mark of level: not a rule of the policy
SECTION_LEVEL = "SHOULD"  # "Security of the implementation (SEC), all SHOULD"


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    level: str
    text: str


def load(path: Path | None = None) -> list[Rule]:
    """The rules of the policy, in order, with their level and text (default: the bundled text)."""
    found = _SPEC_RULE.findall((path or bundled.docs() / "POLICY-v1.md").read_text(encoding="utf-8"))
    return [Rule(rule_id, level or SECTION_LEVEL, text.strip()) for rule_id, level, text in found]


def contract_checks(path: Path | None = None) -> list[Rule]:
    """The contract's own promises the suite checks (contract-1...), from the table in
    docs/control-api.md. Not rules of the policy: `load` never returns them, and the report
    shows them apart."""
    found = _CONTRACT_CHECK.findall((path or bundled.docs() / "control-api.md").read_text(encoding="utf-8"))
    return [Rule(check_id, CONTRACT_LEVEL, text.strip()) for check_id, text in found]


def read_in_docs(path: Path | None = None) -> dict[str, str]:
    """Rule ID -> level, as docs/policy.md states them."""
    return dict(_READING_RULE.findall((path or bundled.docs() / "policy.md").read_text(encoding="utf-8")))


def tagged_in_features(folder: Path | None = None) -> set[str]:
    """The rule and contract-check IDs that some scenario of the suite (default: the bundled one) is tagged with."""
    return {tag for path in (folder or bundled.features()).rglob("*.feature") for tag in re.findall(rf"@({CHECK_TAG.pattern})\b", path.read_text(encoding="utf-8"))}


def scenario_counts(folder: Path | None = None) -> dict[str, int]:
    """Rule or contract-check ID -> how many scenarios of the suite check it, an outline counting once per example."""
    from pytest_bdd.feature import get_features  # only the report needs the parser

    counts: dict[str, int] = {}
    for feature in get_features([str(folder or bundled.features())]):
        for scenario in feature.scenarios.values():
            bound = sum(len(list(examples.as_contexts())) for examples in scenario.examples) or 1
            for tag in scenario.tags | feature.tags:
                if CHECK_TAG.fullmatch(tag):
                    counts[tag] = counts.get(tag, 0) + bound
    return counts
