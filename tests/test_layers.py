"""Dependencies run one way (issue 10): the contract (profile, control client) knows no pytest;
the screenplay (actors, abilities, devices, tasks, questions, the cast) knows no pytest and no
step definitions; step definitions know nothing of the plugin or the runner."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = [ROOT / "portalcheck" / "profile.py", ROOT / "portalcheck" / "control.py"]
SCREENPLAY = sorted((ROOT / "steps" / "screenplay").glob("*.py"))
STEP_DEFINITIONS = sorted((ROOT / "steps").glob("*.py"))
TEST_FRAMEWORK = ("pytest", "pytest_bdd", "_pytest")


def imported(path: Path) -> set[str]:
    """Every module `path` imports, relative imports spelled out from the steps package."""
    package = "portalcheck.steps.screenplay" if path.parent.name == "screenplay" else (
        "portalcheck.steps" if path.parent.name == "steps" else "portalcheck")
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
    return names


def offending(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(name for name in imported(path) if name.split(".")[0] in forbidden or name.startswith(forbidden))


def test_there_is_a_screenplay_and_there_are_step_definitions() -> None:
    assert {path.stem for path in SCREENPLAY} >= {"actors", "abilities", "devices", "tasks", "questions", "cast"}
    assert len(STEP_DEFINITIONS) >= 10


@pytest.mark.parametrize("path", CONTRACT, ids=lambda path: path.name)
def test_the_contract_knows_no_test_framework(path: Path) -> None:
    assert offending(path, TEST_FRAMEWORK) == []


@pytest.mark.parametrize("path", SCREENPLAY, ids=lambda path: path.name)
def test_the_screenplay_knows_neither_pytest_nor_the_step_definitions(path: Path) -> None:
    step_modules = tuple(f"portalcheck.steps.{definition.stem}" for definition in STEP_DEFINITIONS)
    assert offending(path, TEST_FRAMEWORK + step_modules + ("portalcheck.plugin", "portalcheck.cli")) == []


@pytest.mark.parametrize("path", STEP_DEFINITIONS, ids=lambda path: path.name)
def test_step_definitions_know_nothing_of_the_plugin_or_the_runner(path: Path) -> None:
    assert offending(path, ("portalcheck.plugin", "portalcheck.cli", "portalcheck.report", "portalcheck.results")) == []
