"""The fixtures of a scenario: the target, the mail sink, the browser, a test site of its own."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from faker import Faker
from playwright.sync_api import Browser, sync_playwright

from .. import chromium
from ..steps.screenplay.cast import Cast
from ..control import ControlClient, SiteControl
from ..profile import Profile
from ..reference import ReferencePortal
from ..sinks import SinkUnavailable, sink_of  # noqa: F401  (workers and failures import them from here)
from ..sinks import reference_delivery, running_sink
from .markers import CAPABILITY_MARKS
from .options import load_profile
from .run_folder import run_dir

CAST = pytest.StashKey[Cast]()
SINK_API = "portalcheck_sink_api"  # workerinput: the controller's sink, when it runs one


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    return load_profile(pytestconfig)


@pytest.fixture(scope="session")
def mail_sink(pytestconfig: pytest.Config, profile: Profile) -> Iterator[Any]:
    """The sink this process reads: a sink service elsewhere (the profile's `[sink] api`, or the
    xdist controller's), else one of its own in this process (`portalcheck.sinks`)."""
    with running_sink(profile, elsewhere=getattr(pytestconfig, "workerinput", {}).get(SINK_API, "")) as sink:
        yield sink


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config, profile: Profile, mail_sink: Any) -> Iterator[tuple[str, str]]:
    """(control URL, control token) of the target; the bundled simulator is started here."""
    if profile.is_reference:
        faults = tuple(arg for name in pytestconfig.getoption("simulator_fault") for arg in ("--fault", name))
        smtp_host, smtp_port, relay = reference_delivery(profile, mail_sink)
        with ReferencePortal(smtp_host=smtp_host, smtp_port=smtp_port, extra_args=faults + relay) as portal:
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
        "browser": chromium.describe(chromium_executable, browser, pytestconfig.getoption("browser_ws")),
        "expected_deviations": dict(profile.expected_deviations),
        "faults": list(pytestconfig.getoption("simulator_fault")) if profile.is_reference else [],
    }
    folder = run_dir(pytestconfig)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        # Under xdist every worker writes it (they describe the same target): write whole, then
        # rename, so a reader never meets half a file.
        partial = folder / f"target.json.{os.getpid()}"
        partial.write_text(json.dumps(description, indent=2))
        os.replace(partial, folder / "target.json")
    return description


def find_chromium(config: pytest.Config) -> Path:
    try:
        return chromium.find(config.getoption("chromium"))
    except chromium.ChromiumNotFound as error:
        raise pytest.UsageError(str(error)) from None


@pytest.fixture(scope="session")
def chromium_executable(pytestconfig: pytest.Config) -> Path:
    if pytestconfig.getoption("browser_ws"):  # a path on the server's machine, not checked here
        return Path(pytestconfig.getoption("chromium") or os.environ.get(chromium.ENV) or chromium.CANDIDATES[0])
    return find_chromium(pytestconfig)


@pytest.fixture(scope="session")
def browser(pytestconfig: pytest.Config, chromium_executable: Path) -> Iterator[Browser]:
    ws_url = pytestconfig.getoption("browser_ws")
    with sync_playwright() as playwright:
        if ws_url:
            running = chromium.connect(playwright, ws_url, chromium_executable)
        else:
            running = chromium.launch(playwright, chromium_executable)
        yield running
        running.close()


@pytest.fixture(scope="session")
def control_http() -> Iterator[httpx.Client]:
    """One HTTP client per worker: keep-alive connections, and TLS set up once, not per scenario."""
    with httpx.Client(timeout=10.0) as client:
        yield client


@pytest.fixture
def site(target: tuple[str, str], proven_target: None, target_description: dict[str, Any],
         control_http: httpx.Client) -> Iterator[SiteControl]:
    """A test site of this scenario's own, deleted afterwards with everything in it."""
    client = ControlClient(*target, http=control_http)  # its own log of calls, for evidence
    test_site = SiteControl.create(client)
    yield test_site
    test_site.delete()
    client.close()


@pytest.fixture(scope="session")
def faker() -> Faker:
    return Faker()


@pytest.fixture
def cast(request: pytest.FixtureRequest, site: SiteControl, browser: Browser, profile: Profile,
         mail_sink: Any, faker: Faker) -> Iterator[Cast]:
    troupe = Cast(site=site, browser=browser, profile=profile, sink=mail_sink, faker=faker)
    request.node.stash[CAST] = troupe  # for the evidence hook, which runs outside fixtures
    yield troupe
    troupe.dismiss()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A scenario needing a capability the target lacks is not applicable, and says which."""
    needed = [capability for mark, capability in CAPABILITY_MARKS.items() if item.get_closest_marker(mark)]
    if not needed:
        return
    target_profile = load_profile(item.config)
    missing = [capability for capability in needed if not target_profile.has(capability)]
    if missing:
        pytest.skip(f"not applicable: the target lacks {', '.join(missing)}")
