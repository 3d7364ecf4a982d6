"""A customer's devices: each one a browser context of its own, found by the profile's selectors.

A portal may answer on any channel: a page load (server-rendered), or a fetch or XHR call whose
answer the page draws in place (a single-page app). A device records all three for its page, and
judges an action by what came back on whichever channel carried it (see docs/spa-portals.md);
the recording and the waiting are `portalcheck.browsing`'s, shared with the explorer.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any, Callable

from playwright.sync_api import Browser, BrowserContext
from playwright.sync_api import Error as PlaywrightError

from portalcheck.browsing import WatchedPage
from portalcheck.profile import Profile


class PageState(str, enum.Enum):
    """What a device shows, by the profile's page markers, most specific first.

    A portal may show "link expired" or "check your email" as a notice on its sign-in page, so
    the signed-out mark is the last one that decides.
    """

    ACCOUNT = "signed_in"
    CHOOSE_PASSWORD = "choose_password"
    VERIFY_DEVICE = "verify_device"
    LINK_PROBLEM = "link_problem"
    LOGIN_LINK_SENT = "login_link_sent"
    SIGNED_OUT = "signed_out"
    UNKNOWN = "unknown"


class Device(WatchedPage):
    """One browser context and its page, with every answer the portal gave it."""

    def __init__(self, name: str, context: BrowserContext, profile: Profile,
                 changes: Callable[[], int] = lambda: 0) -> None:
        self.context = context
        super().__init__(name, context.new_page(), profile)
        # `changes` counts what could have changed the portal's mind since a page was drawn
        # (the control API's calls: time passing, revocation, policy), so a page is known fresh.
        self._changes = changes
        self._drawn_at = -1
        self.page.on("framenavigated", self._drawn)

    def _drawn(self, frame: Any) -> None:
        if frame == self.page.main_frame:
            self._drawn_at = self._changes()

    @property
    def stale(self) -> bool:
        """True when the page was drawn before something that may change what it would show."""
        return self._drawn_at != self._changes()

    def act(self, what: str, do: Callable[[], None]) -> None:
        super().act(what, do)
        self._drawn_at = self._changes()  # drawn from answers given after every change so far

    # -- what the page shows ---------------------------------------------------------------------

    def selector(self, name: str) -> Any:
        return self.page.locator(self.profile.selectors[name])

    def state(self) -> PageState:
        """Wait until one of the known page markers shows, and name it (UNKNOWN on timeout).

        A page with requests in flight is let draw their answers first; markers show only once a
        view is drawn, so a page still loading has none to mistake.
        """
        if self._pending:
            self.settle()
        markers = [state for state in PageState if state is not PageState.UNKNOWN]
        combined = self.selector(markers[0].value)
        for state in markers[1:]:
            combined = combined.or_(self.selector(state.value))
        try:
            combined.first.wait_for(state="visible")
        except PlaywrightError:
            return PageState.UNKNOWN
        for state in markers:
            if self.selector(state.value).first.is_visible():
                return state
        return PageState.UNKNOWN

    def state_now(self) -> PageState:
        """What the page shows once drawn, without waiting for a marker (for "does not")."""
        self.page.wait_for_load_state("load")
        self.settle()
        for state in PageState:
            if state is not PageState.UNKNOWN and self.selector(state.value).first.is_visible():
                return state
        return PageState.UNKNOWN

    def describe(self) -> str:
        """A line for failure messages: where the device is and what it shows."""
        try:
            title = self.page.title()
        except PlaywrightError:
            title = "?"
        return f"{self.name} at {self.page.url} (title {title!r}, status {self.final_status()})"

    def save_evidence(self, folder: Path, prefix: str) -> list[Path]:
        saved = []
        shot = folder / f"{prefix}-{self.name}.png"
        try:
            self.page.screenshot(path=str(shot), full_page=True)
            saved.append(shot)
        except PlaywrightError:
            pass
        trace = folder / f"{prefix}-{self.name}-trace.zip"
        self.context.tracing.stop(path=str(trace))
        saved.append(trace)
        return saved

    def close(self) -> None:
        try:
            self.context.tracing.stop()
        except PlaywrightError:
            pass  # already stopped, with the trace saved as evidence
        self.context.close()


def new_device(name: str, browser: Browser, profile: Profile, changes: Callable[[], int] = lambda: 0) -> Device:
    context = browser.new_context(locale="en-GB", timezone_id="UTC")
    # DOM snapshots make the trace worth opening; a screencast would cost a third of the run.
    context.tracing.start(screenshots=False, snapshots=True)
    return Device(name, context, profile, changes)
