"""The suite's pytest plugin, one concern a module.

Installed, it is known to every pytest run (the `pytest11` entry point) and stays inert: it only
adds its options. A run that asks for the suite — `--profile`, `--run-dir`, a simulator fault, or
`portalcheck = true` in the pytest configuration — gets the rest:

- `markers`: rule IDs, levels and capabilities as markers, tags checked strictly, the shard;
- `run_folder`: where a run's results and evidence go, and the verdicts collected there;
- `fixtures`: the target, the mail sink, the browser, a test site per scenario;
- `preflight`: proof that the set-up works before any scenario runs;
- `failures`: a failed scenario is the portal's (FAIL) or the run's (ERROR), and which step;
- `evidence`: screenshots, traces, emails and control calls of a failed scenario;
- `feature_files`: feature files checked as Gherkin when collected;
- `workers`: what pytest-xdist's workers need from the controller;
- and the step definitions of `portalcheck.steps`.

Session fixtures start once per worker process; every scenario gets a test site of its own,
fresh customers and fresh browser contexts, so `pytest -n N` is safe against one target.
"""

from __future__ import annotations

import pytest

from .options import is_on
from .options import pytest_addoption as pytest_addoption

CONCERNS = ("markers", "run_folder", "fixtures", "preflight", "failures", "evidence", "feature_files", "workers")
STEP_MODULES = ("customers", "policy", "time", "links", "pages", "mail", "management_links", "passwords",
                "login_links", "security", "sites", "contract")


@pytest.hookimpl(tryfirst=True)  # so that run_folder sets the report paths before junitxml reads them
def pytest_configure(config: pytest.Config) -> None:
    if not is_on(config):
        return
    # Assertions in the steps and their tasks are rewritten (for their messages) however they
    # come to be imported: by the plugin, or by one step module from another.
    config.pluginmanager.rewrite_hook.mark_rewrite("portalcheck.steps")
    for concern in CONCERNS:
        config.pluginmanager.import_plugin(f"portalcheck.plugin.{concern}")
    for module in STEP_MODULES:
        config.pluginmanager.import_plugin(f"portalcheck.steps.{module}")
