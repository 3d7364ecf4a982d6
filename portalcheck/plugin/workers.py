"""pytest-xdist: what workers need from the controller, and what their reports carry back.

A vendor's portal sends its mail to one SMTP address, so under xdist the controller runs the one
sink and every worker reads it through the sink's HTTP API.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_bdd.reporting import ReportContext, test_report_context_registry

from fake_mail import MailSink

from .fixtures import SINK_API, sink_of
from .options import is_worker, load_profile

_SHARED_SINK = pytest.StashKey[MailSink]()


def uses_workers(config: pytest.Config) -> bool:
    return config.pluginmanager.get_plugin("dsession") is not None


@pytest.hookimpl(tryfirst=True)  # before xdist starts its workers, which need the sink's address
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if is_worker(config) or not uses_workers(config) or config.getoption("collectonly"):
        return
    if not config.getoption("profile"):
        return
    profile = load_profile(config)
    if profile.is_reference or profile.sink_api:
        return  # the bundled simulator: a sink per worker; a sink service: everyone reads it
    sink = sink_of(profile, http_port=0)
    try:
        sink.start()
    except OSError as error:
        raise pytest.UsageError(
            f"profile {profile.path}: [sink] cannot listen on {profile.sink_host}:{profile.sink_port}: {error}"
        ) from None
    config.stash[_SHARED_SINK] = sink


def pytest_unconfigure(config: pytest.Config) -> None:
    sink = config.stash.get(_SHARED_SINK, None)
    if sink is not None:
        sink.stop()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Every worker writes evidence into the controller's run folder and reads its sink."""
    node.workerinput["portalcheck_run_dir"] = node.config.option.run_dir
    sink = node.config.stash.get(_SHARED_SINK, None)
    if sink is not None:
        node.workerinput[SINK_API] = sink.http_url


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Give pytest-bdd's cucumber JSON writer the scenario the worker's report carried."""
    if report in test_report_context_registry:
        return
    carried = dict(report.user_properties).get("bdd_scenario")
    if carried:
        test_report_context_registry[report] = ReportContext(scenario=carried["scenario"], name=carried["name"])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Carry the scenario in the report, so the controller under xdist still knows it."""
    report = yield
    context = test_report_context_registry.get(report)
    if context is not None and report.when == "call":
        report.user_properties.append(("bdd_scenario", {"scenario": context.scenario, "name": context.name}))
    return report

