"""The step catalogue, made from the registered step definitions, never kept by hand.

Each step: its keyword, its wording with the placeholders spelled out, a line on what it does
(the step function's docstring) and an example from the bundled features.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path
from typing import Any, Iterable

from pytest_bdd.feature import get_features
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from . import bundled
from .plugin import STEP_MODULES

STEPS_PACKAGE = "portalcheck.steps"


@dataclasses.dataclass
class StepDefinition:
    keyword: str  # Given, When or Then
    pattern: str  # the regular expression pytest-bdd matches
    wording: str  # the same, as a person reads it: "{WHO} was invited", "<count> login links"
    description: str
    module: str
    context: StepFunctionContext = dataclasses.field(repr=False, compare=False)
    example: str = ""  # "Given Ada was invited", from the bundled features
    example_at: str = ""  # its file and line

    def matches(self, keyword: str, text: str) -> bool:
        return self.context.type in (None, keyword) and self.context.parser.is_matching(text)


def load_steps() -> list[StepDefinition]:
    """The suite's step definitions, in the order their modules define them, with examples."""
    for module in STEP_MODULES:
        importlib.import_module(f"{STEPS_PACKAGE}.{module}")
    found = []
    for context in list(step_function_context_registry.values()):
        module = context.step_func.__module__
        if not module.startswith(STEPS_PACKAGE + "."):
            continue
        template = getattr(context.parser, "template", None) or context.parser.name
        found.append(StepDefinition(
            keyword=context.type.capitalize() if context.type else "Given/When/Then",
            pattern=context.parser.name,
            wording=humanise(template),
            description=_first_line(context.step_func.__doc__),
            module=module.rsplit(".", 1)[-1],
            context=context,
        ))
    _add_examples(found, bundled.features())
    return found


def humanise(template: str) -> str:
    """A step pattern as words: `(?P<unit>minutes|hours)` -> `{minutes|hours}`, an optional part
    in [brackets], another named part as <name>."""
    text = re.sub(r"\(\?P<\w+>([^()]*)\)\?", r"[\1]", template)
    text = re.sub(r"\(\?:([^()]*)\)\?", r"[\1]", text)
    text = re.sub(r"\(\?P<\w+>([\w' -]+(?:\|[\w' -]+)+)\)", r"{\1}", text)
    text = re.sub(r"\(\?P<(\w+)>[^()]*\)", r"<\1>", text)
    text = re.sub(r"\(\?:([^()]*)\)", r"{\1}", text)
    return text.replace("\\", "")


def _add_examples(steps: list[StepDefinition], features: Path) -> None:
    for step, where in used_steps(get_features([str(features)])):
        for definition in steps:
            if not definition.example and definition.matches(step.type, step.name):
                definition.example = f"{step.keyword} {step.name}"
                definition.example_at = where
                break


def used_steps(features: Iterable[Any]) -> Iterable[tuple[Any, str]]:
    """Every step of every scenario (background included), with its file and line; an outline's
    steps once per example, with the example's values put in."""
    for feature in features:
        for scenario in feature.scenarios.values():
            contexts = [context for examples in scenario.examples for context in examples.as_contexts()] or [{}]
            for context in contexts:
                rendered = scenario.render(context)
                for step in rendered.steps:
                    yield step, f"{feature.rel_filename}:{step.line_number}"


def _first_line(text: str | None) -> str:
    """A docstring's first sentence, on one line."""
    paragraph = " ".join(line.strip() for line in (text or "").strip().split("\n\n")[0].splitlines())
    return re.split(r"(?<=[.:;])\s", paragraph, maxsplit=1)[0]


def as_markdown(steps: list[StepDefinition]) -> str:
    from .steps.phrases import SPELLED_OUT

    lines = [
        "# Steps",
        "",
        "Every step the suite's features may use, made by `portalcheck steps --format md` from the",
        "registered step definitions (CI fails when this file is stale). Placeholders:",
        "",
        *[f"- `{name}`: {meaning}" for name, meaning in SPELLED_OUT.items()],
        "- `{a|b}`: one of the words; `[words]`: may be left out; `<name>`: a value of your own (a number, a text)",
        "",
    ]
    for module in dict.fromkeys(step.module for step in steps):
        lines += [f"## {module.replace('_', ' ')}", "", "| keyword | wording | what it does | example |", "| --- | --- | --- | --- |"]
        for step in (step for step in steps if step.module == module):
            example = f"`{_cell(step.example)}` ({step.example_at})" if step.example else ""
            lines.append(f"| {step.keyword} | `{_cell(step.wording)}` | {_cell(step.description)} | {example} |")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """A table cell's text: a pipe, even in code, would end the cell (GitHub's tables)."""
    return text.replace("|", "\\|")


def as_text(steps: list[StepDefinition]) -> str:
    from .steps.phrases import SPELLED_OUT

    lines = [f"{name} = {meaning}" for name, meaning in SPELLED_OUT.items()] + [""]
    for step in steps:
        lines.append(f"{step.keyword:5} {step.wording}")
        if step.description:
            lines.append(f"      {step.description}")
        if step.example:
            lines.append(f"      e.g. {step.example}")
    return "\n".join(lines) + "\n"
