"""Feature files are checked as Gherkin when collected: a misspelled keyword is an error."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pytest

from ..gherkin_check import Problem, check_gherkin


class GherkinProblems(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


class FeatureFile(pytest.File):
    """A feature file as pytest collects it: no tests of its own (the scenarios are bound in
    Python), but its Gherkin problems become collection errors with the file and line."""

    def collect(self) -> Iterable[pytest.Item]:
        problems = check_gherkin(self.path)
        if problems:
            raise GherkinProblems(problems)
        return []

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:  # type: ignore[override]
        if excinfo.errisinstance(GherkinProblems):
            return str(excinfo.value)
        return super().repr_failure(excinfo)  # type: ignore[return-value]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> FeatureFile | None:
    if file_path.suffix == ".feature":
        return FeatureFile.from_parent(parent, path=file_path)
    return None
