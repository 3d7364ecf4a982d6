"""The suite's pytest plugin: the target, the mail sink, the browser, a test site per scenario.

Session fixtures start once per worker process; every scenario gets a test site of its own,
fresh customers and fresh browser contexts, so `pytest -n N` is safe against one target.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from faker import Faker
from playwright.sync_api import Browser, sync_playwright
from pytest_bdd.reporting import ReportContext, test_report_context_registry

from fake_mail import MailSink

from . import chromium, rules
from .cast import Cast
from .control import ControlClient, ControlError, SiteControl, TargetUnreachable
from .profile import Profile, ProfileError, load
from .reference import ReferencePortal
from .results import ResultCollector

CAPABILITY_MARKS = {"password": "password_login", "clock": "clock"}
LEVEL_MARKS = ("must", "should", "ref")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("portalcheck")
    group.addoption("--profile", default=None, help="target profile (TOML); default: the bundled simulator")
    group.addoption("--run-dir", default=None, help="folder for this run's evidence (default reports/<time>)")
    group.addoption(
        "--simulator-fault", action="append", default=[], metavar="NAME",
        help="start the bundled simulator with this fault switched on (to prove the suite has teeth)",
    )
    group.addoption(
        "--chromium", default=None, metavar="PATH",
        help=f"the Chromium to drive (default: ${chromium.ENV}, else {' or '.join(chromium.CANDIDATES)})",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for rule in rules.load():
        config.addinivalue_line("markers", f"{rule.id}: {rule.level} — {rule.text}")
    for level in LEVEL_MARKS:
        config.addinivalue_line("markers", f"{level}: a rule of level {level.upper()}")
    for mark, capability in CAPABILITY_MARKS.items():
        config.addinivalue_line("markers", f"{mark}: needs the target capability {capability}")
    if not hasattr(config, "workerinput") and config.option.run_dir is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        config.option.run_dir = str(Path(config.rootpath) / "reports" / f"{stamp}-{os.getpid()}")
    elif hasattr(config, "workerinput"):
        config.option.run_dir = config.workerinput["portalcheck_run_dir"]  # type: ignore[attr-defined]
    if not hasattr(config, "workerinput") and any("features" in arg for arg in config.args):
        # Every run of the suite leaves JUnit XML and cucumber JSON beside its evidence.
        run_dir = Path(config.option.run_dir)
        config.option.xmlpath = config.option.xmlpath or str(run_dir / "junit.xml")
        config.option.cucumber_json_path = config.option.cucumber_json_path or str(run_dir / "cucumber.json")
        run_dir.mkdir(parents=True, exist_ok=True)
        # ... and results.json, from which `portalcheck report` builds the verdicts by rule.
        config.pluginmanager.register(ResultCollector(run_dir / "results.json"), "portalcheck-results")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Before any scenario: a Chromium named by hand must exist, and a vendor's target must be
    reachable and speak contract v1."""
    config = session.config
    if hasattr(config, "workerinput"):
        return
    if config.getoption("chromium") or os.environ.get(chromium.ENV):
        find_chromium(config)
    if not config.getoption("profile"):
        return
    try:
        profile = load(config.getoption("profile"))
    except ProfileError as error:
        raise pytest.UsageError(str(error)) from None
    if not profile.is_reference:
        preflight(profile)


def preflight(profile: Profile) -> None:
    """One line that names the key, for each way a target can be out of reach."""
    token = os.environ.get(profile.control_token_env)
    if not token:
        raise pytest.UsageError(f"profile {profile.path}: 'target.control_token_env': set {profile.control_token_env} to the control token")
    client = ControlClient(profile.control_url, token, timeout=5.0)
    try:
        capabilities = client.capabilities()
    except TargetUnreachable as error:
        raise pytest.UsageError(f"profile {profile.path}: 'target.control_url' {profile.control_url} is unreachable: {error.__cause__}") from None
    except ControlError as error:
        raise pytest.UsageError(
            f"profile {profile.path}: 'target.control_url' answered {error.call.status} to GET /control/capabilities"
            + (f" (is {profile.control_token_env} right?)" if error.call.status == 401 else "")
        ) from None
    finally:
        client.close()
    if not isinstance(capabilities, dict) or capabilities.get("contract") != "1":
        raise pytest.UsageError(f"profile {profile.path}: the target does not speak contract v1: {capabilities!r}")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker writes evidence into the controller's run folder."""
    node.workerinput["portalcheck_run_dir"] = node.config.option.run_dir


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    try:
        return load(pytestconfig.getoption("profile"))
    except ProfileError as error:
        raise pytest.UsageError(str(error)) from None


@pytest.fixture(scope="session")
def mail_sink(profile: Profile) -> Iterator[MailSink]:
    sink = MailSink(host=profile.sink_host, smtp_port=profile.sink_port)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config, profile: Profile, mail_sink: MailSink) -> Iterator[tuple[str, str]]:
    """(control URL, control token) of the target; the bundled simulator is started here."""
    if profile.is_reference:
        faults = tuple(arg for name in pytestconfig.getoption("simulator_fault") for arg in ("--fault", name))
        with ReferencePortal(smtp_host=mail_sink.host, smtp_port=mail_sink.smtp_port, extra_args=faults) as portal:
            yield portal.control_url, portal.token
        return
    token = os.environ.get(profile.control_token_env)
    if not token:
        raise pytest.UsageError(f"profile {profile.path}: set {profile.control_token_env} to the control token")
    yield profile.control_url, token


@pytest.fixture(scope="session")
def target_description(
    pytestconfig: pytest.Config, profile: Profile, target: tuple[str, str], browser: Browser, chromium_executable: Path
) -> dict[str, Any]:
    """What the report says of the target: its capabilities and a new site's default policy."""
    client = ControlClient(*target)
    try:
        capabilities = client.capabilities()
        probe = SiteControl.create(client)
        try:
            policy = probe.policy()
        finally:
            probe.delete()
    finally:
        client.close()
    description = {
        "name": profile.name,
        "profile": str(profile.path),
        "control_url": profile.control_url or f"{target[0]} (bundled, started by the suite)",
        "capabilities": {key: bool(capabilities.get(key)) and profile.has(key) for key in ("password_login", "clock")},
        "policy": policy,
        "browser": chromium.describe(chromium_executable, browser),
        "expected_deviations": dict(profile.expected_deviations),
    }
    run_dir = Path(pytestconfig.option.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    # Under xdist every worker writes it (they describe the same target): write whole, then
    # rename, so a reader never meets half a file.
    partial = run_dir / f"target.json.{os.getpid()}"
    partial.write_text(json.dumps(description, indent=2))
    os.replace(partial, run_dir / "target.json")
    return description


def find_chromium(config: pytest.Config) -> Path:
    try:
        return chromium.find(config.getoption("chromium"))
    except chromium.ChromiumNotFound as error:
        raise pytest.UsageError(str(error)) from None


@pytest.fixture(scope="session")
def chromium_executable(pytestconfig: pytest.Config) -> Path:
    return find_chromium(pytestconfig)


@pytest.fixture(scope="session")
def browser(chromium_executable: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        running = chromium.launch(playwright, chromium_executable)
        yield running
        running.close()


@pytest.fixture(scope="session")
def control_http() -> Iterator[httpx.Client]:
    """One HTTP client per worker: keep-alive connections, and TLS set up once, not per scenario."""
    with httpx.Client(timeout=10.0) as client:
        yield client


@pytest.fixture
def site(target: tuple[str, str], target_description: dict[str, Any], control_http: httpx.Client) -> Iterator[SiteControl]:
    """A test site of this scenario's own, deleted afterwards with everything in it."""
    client = ControlClient(*target, http=control_http)  # its own log of calls, for evidence
    test_site = SiteControl.create(client)
    yield test_site
    test_site.delete()
    client.close()


@pytest.fixture(scope="session")
def faker() -> Faker:
    return Faker()


CAST = pytest.StashKey[Cast]()


@pytest.fixture
def cast(request: pytest.FixtureRequest, site: SiteControl, browser: Browser, profile: Profile,
         mail_sink: MailSink, faker: Faker) -> Iterator[Cast]:
    troupe = Cast(site=site, browser=browser, profile=profile, sink=mail_sink, faker=faker)
    request.node.stash[CAST] = troupe  # for the evidence hook, which runs outside fixtures
    yield troupe
    troupe.dismiss()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A scenario needing a capability the target lacks is not applicable, and says which."""
    needed = [capability for mark, capability in CAPABILITY_MARKS.items() if item.get_closest_marker(mark)]
    if not needed:
        return
    target_profile = load(item.config.getoption("profile"))
    missing = [capability for capability in needed if not target_profile.has(capability)]
    if missing:
        pytest.skip(f"not applicable: the target lacks {', '.join(missing)}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On a failure, save the evidence while the browsers are still open, and name it."""
    report = yield
    context = test_report_context_registry.get(report)
    if context is not None and report.when == "call":
        # Carried in the report, so the controller under xdist still knows the scenario.
        report.user_properties.append(("bdd_scenario", {"scenario": context.scenario, "name": context.name}))
    troupe = item.stash.get(CAST, None)
    if report.when == "call" and report.failed and troupe is not None:
        folder = Path(item.config.option.run_dir) / _slug(item.nodeid)
        try:
            saved = troupe.save_evidence(folder)
        except Exception as error:  # evidence is a help, never the cause of a failure
            report.sections.append(("evidence", f"could not save evidence: {error!r}"))
        else:
            listing = "\n".join(str(path) for path in saved)
            report.sections.append(("evidence", f"saved in {folder}:\n{listing}"))
            report.user_properties.append(("evidence", str(folder)))
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """xdist: give pytest-bdd's cucumber JSON writer the scenario the worker's report carried."""
    if report in test_report_context_registry:
        return
    carried = dict(report.user_properties).get("bdd_scenario")
    if carried:
        test_report_context_registry[report] = ReportContext(scenario=carried["scenario"], name=carried["name"])


def _slug(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::")[-1])[:120]
