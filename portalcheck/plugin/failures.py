"""A failed scenario is the portal's or the run's, and it failed at a step.

FAIL is a promise to a vendor that the portal was seen to break the policy: an expectation about
its pages, emails or control answers did not hold (an AssertionError, which `MailTimeout` and
`ControlError` are), or a page lacked in time what the step needed, once the preflight had proved
the profile's selectors on that portal. Everything else — an undefined step, the browser, the sink, an exception in
the suite's own code, a fixture that could not set up — is the run's problem: ERROR.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from pytest_bdd.exceptions import StepDefinitionNotFoundError
from pytest_bdd.scenario import scenario_wrapper_template_registry

from ..control import TargetUnreachable
from .fixtures import SinkUnavailable
from .preflight import PreflightFailed

PORTAL = "portal"
RUN = "run"
FAILED_STEP = pytest.StashKey[dict[str, Any]]()


RUN_CAUSES = (
    (StepDefinitionNotFoundError, "a step of the scenario is not defined"),
    (TargetUnreachable, "the target's control API did not answer"),
    (PreflightFailed, "the preflight found the set-up broken, before any scenario"),
    (SinkUnavailable, "the suite's mail sink could not listen"),
)


def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                          step_func: Any, step_func_args: Any, exception: Exception) -> None:
    request.node.stash[FAILED_STEP] = _where(feature, step)


def pytest_bdd_step_func_lookup_error(request: pytest.FixtureRequest, feature: Any, scenario: Any,
                                      step: Any, exception: Exception) -> None:
    request.node.stash[FAILED_STEP] = _where(feature, step) | {"undefined": True}


def scenario_of(item: pytest.Item) -> Any:
    """The scenario a test item runs, or None for a test that is not a scenario."""
    function = getattr(item, "obj", None)
    try:
        return scenario_wrapper_template_registry.get(function)  # type: ignore[arg-type]
    except TypeError:  # not weak-referenceable: not a scenario
        return None


def classify(when: str, excinfo: pytest.ExceptionInfo[BaseException] | None) -> tuple[str, str]:
    """(PORTAL or RUN, why) for a failed phase of a scenario."""
    if excinfo is None:
        return RUN, "the scenario failed without an exception"
    name = excinfo.type.__name__
    if when != "call":
        return RUN, f"the scenario could not be {'set up' if when == 'setup' else 'torn down'}: {name}"
    for kind, why in RUN_CAUSES:
        if excinfo.errisinstance(kind):
            return RUN, why
    if excinfo.errisinstance(PlaywrightError) and not excinfo.errisinstance(PlaywrightTimeout):
        if "BrowserType.launch" in str(excinfo.value):
            return RUN, "the browser could not start"
        return RUN, "the browser failed under the scenario (it crashed or closed?)"
    if excinfo.errisinstance(AssertionError):
        return PORTAL, "an expectation about the portal did not hold"
    if excinfo.errisinstance(PlaywrightTimeout):
        # The preflight proved the profile's selectors on the portal; a page that then lacks
        # what the step needs is the portal not showing what the policy has it show.
        return PORTAL, "the portal did not show in time what the step needed"
    return RUN, f"the suite raised {name}, not a finding about the portal"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    scenario = scenario_of(item)
    if scenario is None:
        return report
    report.user_properties.append(("portalcheck_scenario", {"file": scenario.feature.rel_filename}))
    if report.failed:
        if call.excinfo is not None and call.excinfo.errisinstance(PreflightFailed):
            item.session.shouldstop = str(call.excinfo.value)  # the rest would fail the same way
        kind, why = classify(report.when, call.excinfo)
        report.user_properties.append(("portalcheck_failure", {
            "kind": kind, "why": why, "step": item.stash.get(FAILED_STEP, None),
            "exception": call.excinfo.type.__name__ if call.excinfo else "",
        }))
    return report


def _where(feature: Any, step: Any) -> dict[str, Any]:
    return {"keyword": step.keyword.strip(), "text": step.name, "file": feature.rel_filename, "line": step.line_number}

