"""`portalcheck init DIR`: a QA project of one's own, with the suite's steps at hand."""

from __future__ import annotations

from pathlib import Path

from .profile import REFERENCE

PROFILE_HEAD = """\
# The portal this project checks. As it stands it names the bundled reference simulator (an empty
# control_url: the suite starts the simulator and its mail sink itself), so `portalcheck run` works
# at once. For your own portal: set control_url and the environment variable holding the control
# token, the port of the SMTP sink your portal sends to, your email subjects and link patterns, and
# Playwright selectors for your pages. docs/vendors.md in the portalcheck package explains each key;
# `portalcheck run` checks them all before any scenario runs.
"""

EXAMPLE_FEATURE = """\
Feature: Our portal's invitations
  Scenarios of our own, in the suite's step language: `portalcheck steps` lists every step.
  Tag each scenario with the rule it checks (@INV-3) and its level (@must), as the bundled suite does.

  @INV-3 @must
  Scenario: An invited customer reaches her account from the invitation
    Given Ada was invited
    When she accepts her invitation on her laptop
    Then her laptop shows her account
"""

BINDING = '''\
"""Binds every feature file in this folder to pytest: one test per scenario (and example)."""

from pytest_bdd import scenarios

scenarios(".")
'''

PYTEST_INI = """\
[pytest]
# The portalcheck plugin comes with the package; this turns it on for this project.
portalcheck = true
testpaths = features
addopts = --profile profile.toml
# Tags of your own (beyond rule IDs, @must/@should/@ref, @password and @clock) are declared here:
markers =
    smoke: our quickest checks
"""

README = """\
# Portal checks of our own
`portalcheck run` runs the bundled conformance suite and `features/` against the portal in `profile.toml`; `portalcheck run --project-only` only ours.
`portalcheck check` checks our feature files without a browser; `portalcheck steps` lists the steps we can use; plain `pytest` runs `features/`.
"""


class ScaffoldError(Exception):
    pass


def files_of_a_new_project() -> dict[str, str]:
    return {
        "profile.toml": PROFILE_HEAD + REFERENCE.read_text(encoding="utf-8"),
        "features/example.feature": EXAMPLE_FEATURE,
        "features/test_features.py": BINDING,
        "pytest.ini": PYTEST_INI,
        "README.md": README,
    }


def init(folder: Path) -> list[Path]:
    """Write a new QA project into `folder` (new or empty); never overwrites anything."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(f"{folder} exists and is not an empty folder: portalcheck init writes only into a new one")
    written = []
    for name, text in files_of_a_new_project().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
