"""A page whose every answer is watched: page loads, fetch and XHR calls alike.

A portal may answer an action on any channel: a page load (server-rendered), or a fetch or XHR
call whose answer the page draws in place (a single-page app). `WatchedPage` records all three
for one page, and waits for an action the way a person would: until the requests it started are
answered, the view has changed, and it holds still (docs/spa-portals.md, "When an action counts
as answered"). The suite's devices (steps/screenplay/devices.py) and the explorer's
(portalcheck/explore/devices.py) both act through it, so both judge a portal by the same waits.
"""

from __future__ import annotations

import json
import time
from html import escape as html_escape
from typing import Any, Callable
from urllib.parse import quote, quote_plus

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request, Response

from .profile import Profile

# The requests that carry the portal's answers; scripts, styles and images never do.
ANSWERING = frozenset({"document", "fetch", "xhr"})
# A view is drawn once it shows the same for this many animation frames in a row.
STEADY_FRAMES = 2

# The view as a person sees it, read on the page's next animation frame: which document it is
# (its time origin is new with every page load, and kept across history.pushState), whether it
# has loaded, and its text.
NEXT_FRAME_VIEW = """() => new Promise(resolve => requestAnimationFrame(() => resolve({
    document: performance.timeOrigin,
    loading: document.readyState === "loading",
    text: document.body ? document.body.innerText : "",
})))"""
VIEW_NOW = """() => ({
    document: performance.timeOrigin,
    loading: document.readyState === "loading",
    text: document.body ? document.body.innerText : "",
})"""


class WatchedPage:
    """One page and every answer the portal gave it; `name` says whose it is in messages."""

    def __init__(self, name: str, page: Page, profile: Profile) -> None:
        self.name = name
        self.profile = profile
        self.page = page
        self.page.set_default_timeout(profile.page_timeout_s * 1000)
        self.traffic: list[Response] = []  # every document, fetch and XHR response, redirects included
        self._first_of_latest = 0
        self._pending: set[Request] = set()
        self.page.on("request", self._sent)
        self.page.on("requestfinished", self._finished)
        self.page.on("requestfailed", self._finished)
        self.page.on("response", self._record)

    # -- what the page was sent ------------------------------------------------------------------

    def answering(self, request: Request) -> bool:
        """Whether `request` may carry the portal's answer: a document, fetch or XHR of this page."""
        if request.resource_type not in ANSWERING:
            return False
        try:
            return request.frame == self.page.main_frame
        except PlaywrightError:  # a service worker's request has no frame
            return False

    def _sent(self, request: Request) -> None:
        if self.answering(request):
            self._pending.add(request)

    def _finished(self, request: Request) -> None:
        self._pending.discard(request)

    def _record(self, response: Response) -> None:
        if self.answering(response.request):
            self.traffic.append(response)

    @property
    def waiting(self) -> bool:
        """True while a request of the page that may carry an answer is unanswered."""
        return bool(self._pending)

    def navigating(self) -> None:
        """Say a new action starts: `responses` and `answers` count from here."""
        self._first_of_latest = len(self.traffic)

    @property
    def latest(self) -> list[Response]:
        """Every document, fetch and XHR response since the latest action, redirects included."""
        return self.traffic[self._first_of_latest:]

    @property
    def responses(self) -> list[Response]:
        """The page loads since the latest action, redirects included (what a token's page sent)."""
        return [response for response in self.latest if response.request.is_navigation_request()]

    def answers(self) -> list[Response]:
        """The portal's answers since the latest action: each request's last response, after its redirects."""
        return [response for response in self.latest if response.request.redirected_to is None]

    def answers_carrying(self, value: str) -> list[Response]:
        """The answers to the requests since the latest action that carried `value` (in the
        address or the body, as typed, URL-encoded or in JSON), each after its redirects.

        A textarea's value holds its line breaks as LF until a form sends it (as CRLF): a script
        that reads the value sends LF.
        """
        typed = {value, value.replace("\r\n", "\n")}
        forms = {form for text in typed for form in (text, quote(text, safe=""), quote_plus(text), json.dumps(text)[1:-1])}
        found = []
        for response in self.latest:
            request = response.request
            if request.redirected_from is not None or not any(form in carried(request) for form in forms):
                continue
            while request.redirected_to is not None:
                request = request.redirected_to
            final = next((later for later in self.latest if later.request == request), None)
            if final is not None:
                found.append(final)
        return found

    def set_cookie_headers(self) -> list[str]:
        """Every Set-Cookie header the portal sent this page: on pages, redirects and fetch or XHR calls."""
        return [
            header["value"] for response in self.traffic for header in response.headers_array()
            if header["name"].lower() == "set-cookie"
        ]

    def final_status(self) -> int | None:
        """The status of the portal's last answer since the latest action."""
        answers = self.answers()
        return answers[-1].status if answers else None

    # -- acting on the page ----------------------------------------------------------------------

    def open(self, url: str) -> None:
        """Go to `url`, follow its redirects, and let the page draw itself from the requests it
        makes as it loads: the page then shows the portal's state at the time it was opened, as a
        server-rendered page would."""
        self.navigating()
        self.page.goto(url, wait_until="domcontentloaded")
        if self._pending:
            self.settle(f"opening {url}")

    def act(self, what: str, do: Callable[[], None]) -> None:
        """Do `do` (press a button, send a form), then wait until the portal answered it and the
        page drew the answer: a new page load, or the same page drawn anew by its script.

        The view before the action must not pass for its answer, so the answer counts once the
        requests the action started are answered and the page shows something else than before.
        """
        before = self.view_now()
        self.navigating()
        do()
        self.settle(what, before=before)

    def submit(self, form: str, fields: dict[str, str], button: str) -> None:
        """Fill the fields of the profile's `form` (field selector -> value) and press `button`."""
        scope = self.page.locator(self.profile.selectors[form])
        for selector, value in fields.items():
            scope.locator(self.profile.selectors[selector]).fill(value)
        self.act(f"pressing {button}", scope.locator(self.profile.selectors[button]).click)

    def post_from_another_site(self, form: str, field: str, value: str, portal_url: str) -> None:
        """Post the profile's `form` shown on this page from a page of another origin, as an
        attacker's page would (SEC-4): where it posts and its field's name are read here, then a
        data: page sends it with `value` on load; wait until the portal answered."""
        scope = self.page.locator(self.profile.selectors[form]).first
        action = scope.evaluate("form => form.action")
        name = scope.locator(self.profile.selectors[field]).first.get_attribute("name") or "email"
        self.navigating()
        with self.page.expect_navigation(url=lambda url: url.startswith(portal_url), wait_until="domcontentloaded"):
            self.page.goto(attacker_page(action, name, value))
        if self._pending:
            self.settle(f"a page on another site posting {form}")

    def press(self, button: str) -> None:
        """Press the profile's `button` on the page shown, and wait for the portal's answer."""
        self.act(f"pressing {button}", self.page.locator(self.profile.selectors[button]).first.click)

    def settle(self, what: str = "the page", *, before: dict[str, Any] | None = None) -> None:
        """Wait until every request of the page is answered and the view holds still; with
        `before`, also until the view differs from it (a new document, or other text).

        Every step waits for the page's next animation frame: the waiting is on the page, bounded
        by the profile's page timeout. An action answered by the very same view (nothing changed)
        is let through at the timeout, as what the page then shows is its answer.
        """
        deadline = time.monotonic() + self.profile.page_timeout_s
        answered = before is None
        previous: dict[str, Any] | None = None
        steady = 0
        while True:
            view = self._next_frame_view()
            if view is not None and before is not None and not answered:
                answered = self.latest != [] and (view["document"] != before["document"] or view["text"] != before["text"])
            quiet = not self._pending and view is not None and not view["loading"]
            steady = steady + 1 if quiet and view == previous else 0
            previous = view
            if answered and steady >= STEADY_FRAMES:
                return
            if time.monotonic() > deadline:
                if self._pending:
                    waiting = sorted(request.url for request in self._pending)
                    raise AssertionError(f"after {what} on {self.name}, the portal did not answer within"
                                         f" {self.profile.page_timeout_s}s: still waiting for {waiting}")
                if before is not None and not self.latest:
                    raise AssertionError(f"{what} on {self.name} sent nothing to the portal within {self.profile.page_timeout_s}s")
                return

    def view_now(self) -> dict[str, Any]:
        """The view as it is now (for `settle(before=...)`): its document, whether it loads, its text."""
        try:
            return dict(self.page.evaluate(VIEW_NOW))
        except PlaywrightError:  # between two documents
            return {"document": None, "loading": True, "text": ""}

    def _next_frame_view(self) -> dict[str, Any] | None:
        try:
            return dict(self.page.evaluate(NEXT_FRAME_VIEW))
        except PlaywrightError:  # the document went away under the script: a page load is under way
            return None


def attacker_page(action: str, field: str, value: str) -> str:
    """A page of another origin (a data: URL) that posts a form of one field to `action` on load."""
    html = (
        f'<form id="f" method="post" action="{html_escape(action)}"><input name="{html_escape(field)}" value="{html_escape(value)}"></form>'
        '<script>document.getElementById("f").submit()</script>'
    )
    return "data:text/html," + quote(html)


def carried(request: Request) -> str:
    """What a request carried to the portal: its address and its body, as text."""
    try:
        body = request.post_data or ""
    except (PlaywrightError, UnicodeDecodeError):  # a binary body
        body = ""
    return request.url + "\n" + body
