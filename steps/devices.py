"""A customer's devices: each one a browser context of its own, found by the profile's selectors."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any, Callable

from playwright.sync_api import Browser, BrowserContext, Page, Response
from playwright.sync_api import Error as PlaywrightError

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


class Device:
    """One browser context and its page. Records the main-frame responses of each navigation."""

    def __init__(self, name: str, context: BrowserContext, profile: Profile,
                 changes: Callable[[], int] = lambda: 0) -> None:
        self.name = name
        self.context = context
        self.profile = profile
        self.page: Page = context.new_page()
        self.page.set_default_timeout(profile.page_timeout_s * 1000)
        self.history: list[Response] = []  # of every navigation this device made, redirects included
        self._first_of_latest = 0
        self.page.on("response", self._record)
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

    def _record(self, response: Response) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.history.append(response)

    @property
    def responses(self) -> list[Response]:
        """The responses since `navigating()` was last called: the latest navigation's, redirects included."""
        return self.history[self._first_of_latest:]

    def navigating(self) -> None:
        """Say a new navigation starts: `responses` counts from here."""
        self._first_of_latest = len(self.history)

    def open(self, url: str) -> None:
        """Go to `url` and follow its redirects. What the device then shows is `state()`'s to say."""
        self.navigating()
        self.page.goto(url, wait_until="domcontentloaded")

    def submit(self, form: str, fields: dict[str, str], button: str) -> None:
        """Fill the fields of the profile's `form` (field selector -> value) and press `button`."""
        scope = self.page.locator(self.profile.selectors[form])
        for selector, value in fields.items():
            scope.locator(self.profile.selectors[selector]).fill(value)
        self.navigating()
        with self.page.expect_navigation(wait_until="domcontentloaded"):
            scope.locator(self.profile.selectors[button]).click()

    def selector(self, name: str) -> Any:
        return self.page.locator(self.profile.selectors[name])

    def state(self) -> PageState:
        """Wait until one of the known page markers shows, and name it (UNKNOWN on timeout)."""
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
        """What the loaded page shows at once, without waiting for a marker (for "does not")."""
        self.page.wait_for_load_state("load")
        for state in PageState:
            if state is not PageState.UNKNOWN and self.selector(state.value).first.is_visible():
                return state
        return PageState.UNKNOWN

    def set_cookie_headers(self) -> list[str]:
        """Every Set-Cookie header of the pages this device was shown, redirects included."""
        return [
            header["value"] for response in self.history for header in response.headers_array()
            if header["name"].lower() == "set-cookie"
        ]

    def final_status(self) -> int | None:
        return self.responses[-1].status if self.responses else None

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
