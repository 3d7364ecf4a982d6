"""Checks of feature files that need no browser and no target: the Gherkin itself.

Gherkin reads any line it does not know as free description text, so a misspelled keyword
(`Scenaro:`) right after a `Feature:` line silently drops the scenario under it. Here such a line
is a problem with its file and line, as is a file Gherkin cannot parse at all.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from pathlib import Path

from pytest_bdd.exceptions import GherkinParseError
from pytest_bdd.feature import get_features

KEYWORDS = ("Feature", "Rule", "Background", "Scenario", "Scenario Outline", "Scenario Template",
            "Example", "Examples", "Scenarios")
STEP_KEYWORDS = ("Given", "When", "Then", "And", "But")
_KEYWORD_LIKE = re.compile(r"^\s*([A-Za-z][A-Za-z ]{2,24}):")
_STEP_LIKE = re.compile(r"^\s*(Given|When|Then|And|But)\s")


@dataclasses.dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def check_gherkin(path: Path) -> list[Problem]:
    """The Gherkin problems of one feature file: a parse error, or keywords read as text."""
    try:
        features = get_features([str(path)])
    except GherkinParseError as error:
        return [Problem(path, error.line, f"not valid Gherkin ({error.message}) at {error.line_content.strip()!r}")]
    problems = []
    for feature in features:
        descriptions = [(feature.line_number, feature.description)]
        descriptions += [(scenario.line_number, scenario.description) for scenario in feature.scenarios.values()]
        for start, text in descriptions:
            problems += _keywords_in_description(path, start, text or "")
    return problems


def _keywords_in_description(path: Path, start: int, description: str) -> list[Problem]:
    """Description lines that look like a keyword or a step: Gherkin took them for prose."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Problem] = []
    under_bad_keyword = False  # its steps are part of the one problem, not more of them
    for text in description.splitlines():
        if not text.strip():
            under_bad_keyword = False
            continue
        line = _line_of(lines, text, start)
        keyword = _KEYWORD_LIKE.match(text)
        if keyword and keyword.group(1).strip() not in KEYWORDS:
            close = difflib.get_close_matches(keyword.group(1).strip(), KEYWORDS, n=1, cutoff=0.75)
            if close:
                found.append(Problem(path, line, f"{keyword.group(1).strip()!r} is not a Gherkin keyword"
                                     f" (did you mean {close[0]!r}?): the lines under it are read as description,"
                                     " and no scenario is made of them"))
                under_bad_keyword = True
                continue
        if _STEP_LIKE.match(text) and not under_bad_keyword:
            found.append(Problem(path, line, f"a step outside any scenario, read as description: {text.strip()!r}"))
    return found


def _line_of(lines: list[str], text: str, after: int) -> int:
    for number in range(after, len(lines) + 1):
        if lines[number - 1].strip() == text.strip():
            return number
    return after
