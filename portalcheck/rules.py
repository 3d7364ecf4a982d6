"""The policy's rules as the project's docs state them: ID, level and text."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "policy.md"
_RULE = re.compile(r"^- \*\*([A-Z]+-\d+)\*\* (MUST|SHOULD|REF) —\s*(.*)$", re.M)


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    level: str
    text: str


def load(path: Path = DOC) -> list[Rule]:
    return [Rule(rule_id, level, text.strip()) for rule_id, level, text in _RULE.findall(path.read_text(encoding="utf-8"))]
