"""`portalcheck check`: feature files checked without a browser or a target, in about a second.

Errors stop `portalcheck run` before anything starts (a problem of the run, never the portal's):
Gherkin that does not parse or a misspelled keyword, a step no definition matches (with the
nearest steps, and a hint when only the keyword or the tense differs), a tag nobody registered,
time moved in a scenario not tagged @clock, an outline placeholder with no column. A scenario
with no rule tag is a notice: it runs, and the report lists it outside any rule.
"""

from __future__ import annotations

import configparser
import dataclasses
import difflib
import re
from pathlib import Path
from typing import Any, Iterable

from pytest_bdd.feature import get_features

from . import rules
from .catalogue import StepDefinition, load_steps
from .gherkin_check import Problem, check_gherkin
from .plugin.markers import CAPABILITY_MARKS, EXPLORED_MARK, LEVEL_MARKS

TIME_MODULE = "time"  # the steps that move the site's clock
_RULE_TAG = rules.CHECK_TAG
_PLACEHOLDER = re.compile(r"<([^<>]+)>")


@dataclasses.dataclass(frozen=True)
class Finding(Problem):
    severity: str = "error"  # or "notice"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


def check(paths: Iterable[Path], *, markers: Iterable[str] = ()) -> list[Finding]:
    """Every finding in the feature files under `paths`; `markers`: tags the project registered."""
    steps = load_steps()
    known_tags = {rule.id for rule in (*rules.load(), *rules.contract_checks())} | set(LEVEL_MARKS) | set(CAPABILITY_MARKS) | {EXPLORED_MARK} | set(markers)
    findings: list[Finding] = []
    for file in feature_files(paths):
        gherkin = check_gherkin(file)
        if gherkin:
            findings += [Finding(problem.path, problem.line, problem.message) for problem in gherkin]
            continue
        for feature in get_features([str(file)]):
            for scenario in feature.scenarios.values():
                findings += _check_scenario(file, feature, scenario, steps, known_tags)
    return findings


def feature_files(paths: Iterable[Path]) -> list[Path]:
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.rglob("*.feature"))
        elif path.suffix == ".feature":
            found.append(path)
    return found


def registered_markers(ini: Path) -> list[str]:
    """The marker names a pytest.ini registers (`markers = name: text` lines)."""
    if not ini.is_file():
        return []
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini, encoding="utf-8")
    lines = parser.get("pytest", "markers", fallback="").splitlines()
    return [line.split(":", 1)[0].split("(", 1)[0].strip() for line in lines if line.strip()]


def _check_scenario(file: Path, feature: Any, scenario: Any, steps: list[StepDefinition], known_tags: set[str]) -> list[Finding]:
    findings = []
    tags = scenario.tags | feature.tags | (scenario.rule.tags if scenario.rule else set())
    for tag in sorted(tags - known_tags):
        findings.append(Finding(file, scenario.line_number, f"the tag @{tag} is not registered"
                                " (a rule ID of POLICY v1, @must/@should/@ref, @password, @clock, or a marker of your pytest.ini)"))
    if not any(_RULE_TAG.fullmatch(tag) for tag in tags):
        findings.append(Finding(file, scenario.line_number, f"scenario {scenario.name!r} has no rule tag:"
                                " it runs, and the report lists it outside any rule", "notice"))
    columns = {name for examples in scenario.examples for name in examples.example_params}
    unfilled = set()
    for step in scenario.steps:
        for name in _PLACEHOLDER.findall(step.name) if scenario.examples else []:
            if name not in columns:
                unfilled.add(step.line_number)
                findings.append(Finding(file, step.line_number, f"<{name}> has no column in the examples ({sorted(columns)})"))
    contexts = [context for examples in scenario.examples for context in examples.as_contexts()] or [{}]
    moves_time = False
    seen: set[int] = set()
    for context in contexts[:1]:  # the wording is the same in every row; one row shows it
        for step in scenario.render(context).steps:
            if step.line_number in seen or step.line_number in unfilled:
                continue
            seen.add(step.line_number)
            definition = next((d for d in steps if d.matches(step.type, step.name)), None)
            if definition is None:
                findings.append(Finding(file, step.line_number, _unknown(step, steps)))
            elif definition.module == TIME_MODULE:
                moves_time = True
    if moves_time and "clock" not in tags:
        findings.append(Finding(file, scenario.line_number, f"scenario {scenario.name!r} moves time: tag it @clock,"
                                " so that a target without a clock gets N/A for it, not a failure"))
    return findings


def _unknown(step: Any, steps: list[StepDefinition]) -> str:
    said = f"{step.keyword} {step.name}"
    other = [d for d in steps if d.context.type not in (None, step.type) and d.context.parser.is_matching(step.name)]
    if other:
        return f"no {step.type.capitalize()} step says {step.name!r}; a {other[0].keyword} step does: write `{other[0].keyword} {step.name}`"
    candidates = {d.example.split(" ", 1)[1]: d for d in steps if d.example}
    close = difflib.get_close_matches(step.name, list(candidates), n=3, cutoff=0.55)
    hint = "; nearest: " + "; ".join(f"`{candidates[text].keyword} {text}`" for text in close) if close else ""
    return f"no step definition matches `{said}`{hint} (`portalcheck steps` lists them all)"
