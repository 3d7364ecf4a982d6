"""Benchmark three journeys run through the suite against the same journeys as bare Playwright.

    .venv/bin/python bench/bench_journeys.py [--runs 5] [--skip-parallel] [--parallel-rounds 1]

The journeys, and the scenarios that are them:
  invitation → portal    INV-4  Accepting the invitation signs the customer in and verifies her email
  device change          DEV-1  A customer verifies a new device with a login link
  idle timeout → manage  SES-3  After a timeout the management URL signs her in again without a new email

Suite side: one in-process `pytest.main` over those three scenarios, each repeated (a fresh item
per repetition, so function fixtures are set up and torn down every time). A hook wrapper times
each item's whole run protocol: setup, call, teardown, reporting, every plugin on the way.
Bare side: the same journeys with the Playwright sync API, httpx on the control API and
fake_mail's MailSink; no pytest machinery, no Screenplay. They make the same checks (the account
page shows her address, the control API says the email is verified, the verify page, "check your
email") with the same resources: a test site created and deleted, a fresh browser context per
device, tracing started on each context as the suite does. One httpx client serves every bare
journey, as a hand-written script would keep it. They run on a thread of their own with their own
sink, simulator and Chromium, because Playwright's sync API allows one instance a thread; the main
thread hands a journey over and waits, so the two sides never overlap.

One-time start (simulator, sink, Chromium, the suite's session fixtures) is outside both sides'
figures: a warm-up round of each journey on both sides is not counted, nor is a last suite item
that absorbs the session teardown. The counted rounds interleave bare and suite, journey by
journey, in alternating order, with tracing on and (by patching `Tracing.start/stop` to no-ops
for the suite's items) off. Printed: medians per side, their ratio, and the median of paired
ratios (each suite run against the bare run beside it, which cancels drift in the machine's load).
The aim is suite/bare ≤ 1.3×.

What the overhead was made of, from call-by-call timing of both sides: hardly pytest, pytest-bdd or
the Screenplay layer, whose Python costs about 30 ms a scenario (pytest-bdd's step lookup about 8
ms a step), but browser round trips the suite's checks added. WhatTheDeviceShows opened the page
again whenever it showed the account; Device.open and submit worked out state() for callers that
threw it away; the `site` fixture made an httpx.Client per scenario. That measured 1.4-1.6×; with
those fixed (8198fae, 960660b) the suite navigates and checks as often as bare does. Until 96fb5cb
the bare side traced with screenshots and the suite without, which flattered the suite (0.98×);
traced alike, the ratio is 1.05-1.15× with tracing and 1.09-1.17× without. What is left:
Device.state() asks the markers one by one with is_visible after its wait (about 5 ms each).

Parallel: the whole features suite as a subprocess, one worker and then `-n 2`: wall time, the CPU
the whole machine spent (from /proc/stat: getrusage of the children misses about half of it, as
Chromium's helper processes are not reaped through our process tree), the sum of the scenarios'
own times (JUnit XML) and the load average. The aim is ≥ 1.7×; on this 2-core machine it is out of
reach. With the full Chromium run headless, one worker kept the machine 87-89% busy (about 160 CPU
seconds in 93 s), two thirds of it Chromium, and `-n 2` gave 0.83-1.07×. With Debian's headless
shell (785bfc2) one worker spends about 57-61 CPU s in 47-51 s: 59-60% of 2 cores, so a second
worker can at best bring 1 / 0.59 = 1.68×, and only if it cost nothing. It does cost: a second
Chromium, simulator, sink and pytest collection (+0-9 CPU s), and each scenario runs 1.4-1.5× as
long when two share the cores. Measured: 1.29-1.38×. What the idle 41% is made of: waits with no
CPU behind them (mail that must not arrive is watched for 0.75 s; mail delivery; page loads), and
Chromium's processes waiting on each other.

Prints figures only; asserts nothing about wall time.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import queue
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Nothing imported at the top may be a pytest plugin or import one (fake_mail and httpx import
# anyio's, portalcheck.plugin imports pytest-bdd): pytest.main below could not rewrite their
# asserts, and filterwarnings=error makes that an error. They are imported where they are used,
# on the bare side's thread, which starts once pytest has.
import pytest  # noqa: E402
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright  # noqa: E402
from playwright.sync_api._generated import Tracing  # noqa: E402  (not re-exported; patched to switch tracing off)

if TYPE_CHECKING:
    import httpx

    from fake_mail import MailSink, Message
    from portalcheck.reference import ReferencePortal

AIM_OVERHEAD = 1.3
AIM_SPEEDUP = 1.7
MAIL_TIMEOUT_S = 10.0
IDLE_TIMEOUT_PASSED_S = 31 * 60


# -- the bare journeys ---------------------------------------------------------------------------


@dataclasses.dataclass
class BareWorld:
    """What the bare journeys share, started once: a sink, the reference simulator, Chromium."""

    sink: MailSink
    portal: ReferencePortal
    browser: Browser
    control: httpx.Client  # one for every journey, as a hand-written script would keep it
    tracing: bool = True


class Site:
    """A test site of the journey's own, through the control API; deleted on exit."""

    def __init__(self, world: BareWorld) -> None:
        self.world = world
        answer = self._call("POST", "/control/sites", expect=201)
        self.base = f"/control/sites/{answer['id']}"
        self.portal_url = answer["portal_url"].rstrip("/")

    def _call(self, method: str, path: str, body: Any = None, *, expect: int = 200) -> Any:
        response = self.world.control.request(method, path, json=body)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def call(self, method: str, path: str, body: Any = None, *, expect: int = 200) -> Any:
        return self._call(method, self.base + path, body, expect=expect)

    def close(self) -> None:
        self.call("DELETE", "", expect=204)


@dataclasses.dataclass
class Customer:
    id: int
    email: str
    invitation: Message


def invite_a_customer(site: Site) -> Customer:
    email = f"ada.lovelace.{secrets.token_hex(4)}@example.com"
    record = site.call("POST", "/customers", {"email": email, "first_name": "Ada", "last_name": "Lovelace"}, expect=201)
    mailbox = site.world.sink.mailbox(email)
    seen = mailbox.cursor()
    site.call("POST", f"/customers/{record['id']}/invitations", expect=202)
    invitation = mailbox.wait_for(subject="(?i)invited", after=seen, timeout=MAIL_TIMEOUT_S)
    return Customer(record["id"], email, invitation)


def open_device(world: BareWorld, stack: contextlib.ExitStack) -> Page:
    """A fresh browser context (traced as the suite traces its devices) and its page."""
    context = world.browser.new_context(locale="en-GB", timezone_id="UTC")
    if world.tracing:
        context.tracing.start(screenshots=False, snapshots=True)  # as steps/devices.py traces

    def close() -> None:
        if world.tracing:
            context.tracing.stop()
        context.close()

    stack.callback(close)
    return context.new_page()


def expect_account(page: Page, email: str) -> None:
    expect(page.get_by_role("heading", name="Your billing portal")).to_be_visible()
    expect(page.get_by_role("region", name="Your account")).to_contain_text(email)


def accept_invitation(page: Page, ada: Customer) -> None:
    page.goto(ada.invitation.link("/invitation/").url, wait_until="domcontentloaded")
    expect_account(page, ada.email)


@dataclasses.dataclass
class SignedIn:
    """What every journey starts with: a test site, Ada invited, and her laptop in the portal."""

    site: Site
    ada: Customer
    laptop: Page
    devices: contextlib.ExitStack


@contextlib.contextmanager
def ada_signed_in_on_her_laptop(world: BareWorld) -> Iterator[SignedIn]:
    with contextlib.ExitStack() as stack:
        site = Site(world)
        stack.callback(site.close)
        ada = invite_a_customer(site)
        laptop = open_device(world, stack)
        accept_invitation(laptop, ada)
        yield SignedIn(site, ada, laptop, stack)


def bare_invitation_to_portal(world: BareWorld) -> None:
    with ada_signed_in_on_her_laptop(world) as start:
        assert start.site.call("GET", f"/customers/{start.ada.id}")["email_verified"] is True


def bare_device_change(world: BareWorld) -> None:
    with ada_signed_in_on_her_laptop(world) as start:
        ada = start.ada
        management_url = ada.invitation.link("/manage/").url
        phone = open_device(world, start.devices)
        phone.goto(management_url, wait_until="domcontentloaded")
        expect(phone.get_by_role("heading", name=re.compile("^Verify"))).to_be_visible()
        mailbox = world.sink.mailbox(ada.email)
        seen = mailbox.cursor()
        with phone.expect_navigation(wait_until="domcontentloaded"):
            phone.get_by_role("button", name="Email me a login link").click()
        expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
        login_link = mailbox.wait_for(subject="(?i)login link", after=seen, timeout=MAIL_TIMEOUT_S)
        phone.goto(login_link.link("/link/").url, wait_until="domcontentloaded")
        expect_account(phone, ada.email)
        start.laptop.goto(management_url, wait_until="domcontentloaded")
        expect_account(start.laptop, ada.email)


def bare_idle_timeout(world: BareWorld) -> None:
    with ada_signed_in_on_her_laptop(world) as start:
        # As the suite's Given does: the timeout set, the clock moved, the laptop seen signed out.
        start.site.call("PUT", "/policy", {"session_idle_timeout_s": IDLE_TIMEOUT_PASSED_S - 60})
        start.site.call("POST", "/clock/advance", {"seconds": IDLE_TIMEOUT_PASSED_S})
        start.laptop.goto(f"{start.site.portal_url}/", wait_until="domcontentloaded")
        expect(start.laptop.get_by_role("heading", name="Sign in to your billing portal")).to_be_visible()
        start.laptop.goto(start.ada.invitation.link("/manage/").url, wait_until="domcontentloaded")
        expect_account(start.laptop, start.ada.email)


@dataclasses.dataclass(frozen=True)
class Journey:
    name: str
    rule: str
    test: str  # the scenario's test function in features/test_conformance.py
    bare: Callable[[BareWorld], None]


JOURNEYS = (
    Journey("invitation → portal", "INV-4",
            "test_accepting_the_invitation_signs_the_customer_in_and_verifies_her_email", bare_invitation_to_portal),
    Journey("device change", "DEV-1", "test_a_customer_verifies_a_new_device_with_a_login_link", bare_device_change),
    Journey("idle timeout → manage", "SES-3",
            "test_after_a_timeout_the_management_url_signs_her_in_again_without_a_new_email", bare_idle_timeout),
)


class BareRunner:
    """The bare journeys on a thread of their own, with their own Playwright, sink and simulator.

    Playwright's sync API allows one instance a thread and the suite's lives on the main thread;
    the main thread hands a journey over and blocks until it is done, so the two never overlap.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Journey, bool] | None] = queue.Queue()
        self._done: queue.Queue[tuple[float, BaseException | None]] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="bare journeys", daemon=True)
        self._thread.start()
        _, error = self._done.get(timeout=60)
        if error is not None:
            raise RuntimeError("the bare side did not start") from error

    def _serve(self) -> None:
        import httpx

        from fake_mail import MailSink
        from portalcheck.reference import ReferencePortal

        try:
            with sync_playwright() as playwright, MailSink() as sink:
                with ReferencePortal(smtp_host=sink.host, smtp_port=sink.smtp_port) as portal:
                    browser = launch(playwright)
                    control = httpx.Client(
                        base_url=portal.control_url, headers={"Authorization": f"Bearer {portal.token}"}, timeout=10
                    )
                    world = BareWorld(sink, portal, browser, control)
                    self._done.put((0.0, None))
                    while (job := self._jobs.get()) is not None:
                        journey, world.tracing = job
                        start = time.perf_counter()
                        try:
                            journey.bare(world)
                        except BaseException as error:
                            self._done.put((0.0, error))
                        else:
                            self._done.put((time.perf_counter() - start, None))
                    control.close()
                    browser.close()
        except BaseException as error:
            self._done.put((0.0, error))

    def time(self, journey: Journey, *, tracing: bool) -> float:
        self._jobs.put((journey, tracing))
        seconds, error = self._done.get()
        if error is not None:
            raise RuntimeError(f"the bare {journey.name} journey failed") from error
        return seconds

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(30)


def launch(playwright: Playwright) -> Browser:
    # Imported here, once pytest has loaded the plugin: imported earlier, it would miss pytest's
    # assertion rewriting (and filterwarnings=error makes that an error).
    from portalcheck import chromium

    return chromium.launch(playwright, chromium.find())


# -- the suite side: an in-process pytest session with a timing plugin ------------------------


@dataclasses.dataclass(frozen=True)
class Slot:
    """One suite item of the plan, and what runs beside it."""

    journey: Journey
    tracing: bool
    counted: bool
    bare: str  # "before", "after" or "none"


@dataclasses.dataclass
class Timings:
    bare: dict[tuple[str, bool], list[float]] = dataclasses.field(default_factory=dict)
    suite: dict[tuple[str, bool], list[float]] = dataclasses.field(default_factory=dict)
    failures: list[str] = dataclasses.field(default_factory=list)


def plan(runs: int) -> list[Slot]:
    """Warm-up, then `runs` rounds interleaving bare and suite in alternating order, then a tail
    item whose teardown carries the session fixtures' (not counted)."""
    slots = [Slot(journey, True, False, "before") for journey in JOURNEYS]
    for round_ in range(runs):
        for journey in JOURNEYS:
            for tracing in (True, False):
                slots.append(Slot(journey, tracing, True, "before" if round_ % 2 == 0 else "after"))
    slots.append(Slot(JOURNEYS[0], True, False, "none"))
    return slots


class SuiteTimer:
    """A pytest plugin: runs the plan's items, each fresh, and times each whole run protocol."""

    def __init__(self, slots: list[Slot], timings: Timings) -> None:
        self.slots = slots
        self.timings = timings
        self._slot_of: dict[int, Slot] = {}
        self.bare: BareRunner | None = None

    def pytest_sessionstart(self) -> None:
        self.bare = BareRunner()

    def pytest_sessionfinish(self) -> None:
        if self.bare is not None:
            self.bare.close()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        by_test = {item.name: item for item in items}
        missing = [journey.test for journey in JOURNEYS if journey.test not in by_test]
        if missing:
            raise pytest.UsageError(f"scenarios not collected: {missing}")
        planned = []
        for slot in self.slots:
            original = by_test[slot.journey.test]
            assert isinstance(original, pytest.Function)
            # A fresh item each time: reusing one would keep its function fixtures cached.
            item = pytest.Function.from_parent(
                original.parent, name=original.name, callobj=original.obj, originalname=original.originalname
            )
            self._slot_of[id(item)] = slot
            planned.append(item)
        items[:] = planned

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
        slot = self._slot_of[id(item)]
        key = (slot.journey.name, slot.tracing)
        if slot.bare == "before":
            self._bare(slot)
        patched = no_tracing() if not slot.tracing else contextlib.nullcontext()
        with patched:
            start = time.perf_counter()
            try:
                return (yield)
            finally:
                if slot.counted:
                    self.timings.suite.setdefault(key, []).append(time.perf_counter() - start)
                if slot.bare == "after":
                    self._bare(slot)

    def _bare(self, slot: Slot) -> None:
        assert self.bare is not None
        seconds = self.bare.time(slot.journey, tracing=slot.tracing)
        if slot.counted:
            self.timings.bare.setdefault((slot.journey.name, slot.tracing), []).append(seconds)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            first_line = next(iter(str(report.longrepr).strip().splitlines()[-1:]), "")
            self.timings.failures.append(f"{report.nodeid.split('::')[-1]} ({report.when}): {first_line[:200]}")


@contextlib.contextmanager
def no_tracing() -> Iterator[None]:
    """For the suite's untraced items only: its devices start and stop tracing as no-ops."""
    start, stop = Tracing.start, Tracing.stop
    Tracing.start = lambda self, *args, **kwargs: None  # type: ignore[method-assign]
    Tracing.stop = lambda self, *args, **kwargs: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        Tracing.start, Tracing.stop = start, stop  # type: ignore[method-assign]


def measure_journeys(runs: int, run_dir: Path) -> Timings:
    timings = Timings()
    node_ids = [f"{ROOT / 'features' / 'test_conformance.py'}::{journey.test}" for journey in JOURNEYS]
    args = [*node_ids, "-q", "-p", "no:cacheprovider", "--run-dir", str(run_dir),
            "--rootdir", str(ROOT), "--no-header", "--tb=short", "-o", "console_output_style=classic"]
    code = pytest.main(args, plugins=[SuiteTimer(plan(runs), timings)])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise SystemExit(f"the suite side did not run: pytest exit code {code}")
    return timings


# -- parallel: the whole features suite, one worker and two -------------------------------------


@dataclasses.dataclass(frozen=True)
class SuiteRun:
    workers: int
    wall: float
    busy: float  # CPU seconds the whole machine spent, from /proc/stat (nan elsewhere)
    scenarios: float  # the sum of the scenarios' own times (setup+call+teardown), from JUnit XML
    load: tuple[float, float]  # the 1-minute load average at start and at end
    summary: str


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores.

    Not getrusage(RUSAGE_CHILDREN): Chromium's helper processes are not reaped through our process
    tree, and about half the CPU a suite run costs never shows up there.
    """
    try:
        with open("/proc/stat") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
    except OSError:
        return float("nan"), float("nan")
    hertz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / hertz, sum(ticks) / hertz


def run_features(workers: int, run_dir: Path) -> SuiteRun:
    junit = run_dir / "junit.xml"
    command = [sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider",
               "--run-dir", str(run_dir), "--junitxml", str(junit)]
    if workers > 1:
        command += ["-n", str(workers)]
    load = os.getloadavg()[0]
    busy = machine_cpu()[0]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    busy = machine_cpu()[0] - busy
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else f"exit {done.returncode}: {done.stderr[-300:]}"
    return SuiteRun(workers, wall, busy, scenario_seconds(junit), (load, os.getloadavg()[0]), summary)


def scenario_seconds(junit: Path) -> float:
    import xml.etree.ElementTree as ElementTree

    try:
        return sum(float(case.get("time", 0)) for case in ElementTree.parse(junit).iter("testcase"))
    except (OSError, ElementTree.ParseError):
        return float("nan")


# -- printing ------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_journeys(timings: Timings, runs: int) -> None:
    """Medians per side, and the median of paired ratios: each suite run against the bare run
    beside it, which cancels most of a drift in the machine's load between rounds."""
    cores = os.cpu_count() or 1
    print(f"\nJourneys: median of {runs} runs each, warm browser and simulator on both sides "
          f"({cores} cores, load average now {os.getloadavg()[0]:.1f})")
    for tracing in (True, False):
        label = "tracing on (as the suite runs)" if tracing else "tracing off on both sides"
        print(f"\n  {label}")
        print(f"  {'journey':<30}{'bare':>8}{'suite':>9}{'suite/bare':>12}{'paired':>9}")
        rounds_bare, rounds_suite = [0.0] * runs, [0.0] * runs
        bare_total = suite_total = 0.0
        for journey in JOURNEYS:
            key = (journey.name, tracing)
            bare_runs, suite_runs = timings.bare.get(key, []), timings.suite.get(key, [])
            bare, suite = median(bare_runs), median(suite_runs)
            paired = median([s / b for s, b in zip(suite_runs, bare_runs)])
            for index, (s, b) in enumerate(zip(suite_runs, bare_runs)):
                rounds_suite[index] += s
                rounds_bare[index] += b
            bare_total += bare
            suite_total += suite
            name = f"{journey.rule} {journey.name}"
            print(f"  {name:<30}{bare:>7.2f}s{suite:>8.2f}s{suite / bare:>11.2f}×{paired:>8.2f}×")
        ratio = suite_total / bare_total
        paired = median([s / b for s, b in zip(rounds_suite, rounds_bare) if b])
        if max(ratio, paired) <= AIM_OVERHEAD:
            verdict = "within"
        else:
            verdict = "ABOVE" if min(ratio, paired) > AIM_OVERHEAD else "around"
        if timings.failures:
            verdict = "(not comparable: suite items failed) vs"
        print(f"  {'all three':<30}{bare_total:>7.2f}s{suite_total:>8.2f}s{ratio:>11.2f}×{paired:>8.2f}×   "
              f"{verdict} the aim of ≤ {AIM_OVERHEAD}×")
    print("\n  every run (s), tracing on, bare | suite:")
    for journey in JOURNEYS:
        bare_text, suite_text = (
            " ".join(f"{v:.2f}" for v in side.get((journey.name, True), [])) for side in (timings.bare, timings.suite)
        )
        print(f"  {journey.rule}  {bare_text} | {suite_text}")
    if timings.failures:
        print(f"\n  WARNING: {len(timings.failures)} suite items failed, so these figures mean little;"
              f" the first: {timings.failures[0]}")


def print_parallel(runs: list[SuiteRun]) -> None:
    cores = os.cpu_count() or 1
    print(f"\nWhole features suite, wall time (a subprocess each;"
          f" busy = CPU the whole machine spent, of {cores} cores)")
    for run in runs:
        print(f"  {run.workers} worker{'s' if run.workers > 1 else ' '}  {run.wall:6.1f}s wall"
              f"  machine busy {run.busy / (run.wall * cores):4.0%} ({run.busy:5.1f} CPU s)"
              f"  scenarios {run.scenarios:6.1f}s  load {run.load[0]:.1f}→{run.load[1]:.1f}  {run.summary}")
    one = min((run for run in runs if run.workers == 1), key=lambda run: run.wall)
    two = min((run for run in runs if run.workers == 2), key=lambda run: run.wall)
    speedup = one.wall / two.wall
    verdict = "meets" if speedup >= AIM_SPEEDUP else "BELOW"
    print(f"  speed-up of -n 2 over one worker (best of each): {speedup:.2f}×  {verdict} the aim of ≥ {AIM_SPEEDUP}×")
    idle = 1 - one.busy / (one.wall * cores)
    print(f"  why: one worker left {idle:.0%} of the machine idle, so a CPU-bound second worker could at best"
          f" bring it to {1 / (1 - idle):.2f}×; with two, each scenario took {two.scenarios / one.scenarios:.2f}×"
          f" as long, the workers were busy {two.scenarios / 2 / two.wall:.0%} of the wall time"
          f" (one: {one.scenarios / one.wall:.0%}), and the machine spent {two.busy / one.busy:.2f}× the CPU seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="counted runs of each journey on each side (default 5)")
    parser.add_argument("--skip-parallel", action="store_true", help="skip the one-worker against -n 2 comparison")
    parser.add_argument("--parallel-rounds", type=int, default=1, help="runs of the whole suite per worker count")
    options = parser.parse_args()
    if options.runs < 1 or options.parallel_rounds < 1:
        parser.error("--runs and --parallel-rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-journeys-") as scratch:
        timings = measure_journeys(options.runs, Path(scratch) / "journeys")
        parallel = []
        if not options.skip_parallel:
            for round_ in range(options.parallel_rounds):
                for workers in (1, 2):
                    parallel.append(run_features(workers, Path(scratch) / f"features-{workers}-{round_}"))
    print_journeys(timings, options.runs)
    if parallel:
        print_parallel(parallel)


if __name__ == "__main__":
    main()
