"""The devices of a walk's customers: a browser context each, and what its page shows.

A device is opened on first use and keeps its cookie jar for the whole walk. It opens pages,
presses buttons and sends forms through `portalcheck.browsing.WatchedPage`, as the suite's own
devices do: an action counts as answered once its requests are answered and the view changed and
holds still, so a single-page app that answers by fetch is read as fairly as a page load. Every
answer the portal sends it (page loads and redirects, fetch and XHR calls) is kept as the loads of
its latest action, so that the walk judges the status and cookies of each answer, not only the
page it ended on.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Response
from playwright.sync_api import Error as PlaywrightError

from ..browsing import WatchedPage
from ..profile import Profile
from . import model

# The page markers of the profile, most specific first (a notice may sit on the sign-in page).
MARKERS = (
    ("signed_in", model.ACCOUNT), ("choose_password", model.CHOOSE_PASSWORD), ("verify_device", model.VERIFY),
    ("link_problem", model.PROBLEM), ("login_link_sent", model.SENT), ("signed_out", model.SIGNED_OUT),
)


class Devices:
    """Every device of a walk, by `model.device_key`; `close()` closes their contexts."""

    def __init__(self, browser: Browser, profile: Profile, emails: dict[str, str]) -> None:
        self.browser = browser
        self.profile = profile
        self.emails = emails  # customer name -> address, the walk's own (it grows as customers are added)
        self._contexts: dict[str, tuple[BrowserContext, WatchedPage, list[Response]]] = {}

    def close(self) -> None:
        for context, _, _ in self._contexts.values():
            try:
                context.close()
            except PlaywrightError:
                pass
        self._contexts.clear()

    # -- the browser ----------------------------------------------------------------------------

    def page(self, customer: str, device: str) -> tuple[Page, list[Response]]:
        """The device's page (a browser context of its own, made on first use) and the answers
        it was sent since its latest action: page loads, redirects, fetch and XHR calls."""
        key = model.device_key(customer, device)
        if key not in self._contexts:
            context = self.browser.new_context(locale="en-GB", timezone_id="UTC")
            watched = WatchedPage(key, context.new_page(), self.profile)
            loads: list[Response] = []
            watched.page.on("response", lambda response: loads.append(response) if watched.answering(response.request) else None)
            self._contexts[key] = (context, watched, loads)
        _, watched, loads = self._contexts[key]
        return watched.page, loads

    def watched(self, page: Page) -> WatchedPage:
        return next(watched for _, watched, _ in self._contexts.values() if watched.page is page)

    def loads_of(self, page: Page) -> list[Response]:
        return next(loads for _, watched, loads in self._contexts.values() if watched.page is page)

    def goto(self, page: Page, url: str) -> None:
        """Open `url` and let the page draw what the requests it makes while loading answer."""
        self.loads_of(page).clear()
        self.watched(page).open(url)

    def press(self, page: Page, button: str) -> None:
        """Press the profile's `button` and wait for the answer, on whichever channel it comes."""
        self._drawn(page).press(button)

    def submit_login_link(self, page: Page, address: str) -> None:
        """Ask for a login link for `address` on the sign-in page shown; only its answers are kept."""
        watched = self._drawn(page)
        self.loads_of(page).clear()
        watched.submit("login_link_form", {"login_link_email": address}, "login_link_submit")

    def post_from_another_site(self, page: Page, form: str, field: str, value: str, portal_url: str) -> None:
        """Post the profile's `form` shown on `page` from a page of another origin (SEC-4); only
        the portal's answers to it are kept."""
        watched = self._drawn(page)
        self.loads_of(page).clear()
        watched.post_from_another_site(form, field, value, portal_url)

    def submit(self, page: Page, form: str, fields: dict[str, str], button: str) -> None:
        """Fill the profile's `form` (field selector name -> value), press its `button`, and wait
        for the answer on whichever channel it comes (a page load, or fetch calls the page draws
        in place); only the answers to it are kept. For the password forms, say."""
        watched = self._drawn(page)
        self.loads_of(page).clear()
        watched.submit(form, fields, button)

    def goto_together(self, pages: list[Page], url: str) -> None:
        """Start opening `url` on every page before any has an answer (two devices racing for one
        link), then wait for each to be answered and drawn, as `goto` does for one."""
        watched = [self._drawn(page) for page in pages]
        before = []
        for each in watched:
            self.loads_of(each.page).clear()
            before.append(each.view_now())
            each.navigating()
        for each in watched:
            each.page.evaluate("url => { window.location.href = url }", url)
        for each, view in zip(watched, before):
            each.settle(f"opening {url}", before=view)

    def _drawn(self, page: Page) -> WatchedPage:
        """The page, once what it was opened with has been answered and drawn (the walk may have
        opened it itself, without waiting): the view before an action is then the one seen."""
        watched = self.watched(page)
        if watched.waiting:
            watched.settle("drawing the page")
        return watched

    def marker(self, page: Page) -> str:
        """Which of the profile's page markers shows ("unknown" when none does once the page holds still)."""
        watched = self._drawn(page)  # a single-page app shows no marker, or the wrong one, until it has drawn its answer
        for _ in range(2):
            for name, state in MARKERS:
                if page.locator(self.profile.selectors[name]).first.is_visible():
                    return state
            # None shows: the page may be drawing itself still, or was drawn anew between the
            # looks (a script redrawing its answer). Once it holds still, look again: a page that
            # holds still and shows no marker shows none (not waited for: a wrong page is common).
            watched.settle("drawing the page")
        return "unknown"

    def details_shown(self, page: Page, state: str) -> str | None:
        """Whose details the page shows: on the account page its account region, else anywhere."""
        if state == model.ACCOUNT:
            text = page.locator(self.profile.selectors["signed_in_customer"]).first.inner_text()
        else:
            text = page.locator("body").inner_text()
        text = text.lower()
        shown = [name for name, email in self.emails.items() if name != model.UNKNOWN and email.lower() in text]
        if state == model.ACCOUNT and not shown:
            return "nobody named"
        return shown[0] if shown else None

    def session_cookie(self, key: str) -> str:
        if key not in self._contexts or not self.profile.session_cookie:
            return ""
        jar = self._contexts[key][0].cookies()  # the device's own cookie jar
        return next((cookie["value"] for cookie in jar if cookie["name"] == self.profile.session_cookie and cookie["value"]), "")

    def final_status(self, responses: list[Response]) -> int | None:
        return responses[-1].status if responses else None

    def http_problems(self, responses: list[Response], *, token: str | None, key: str) -> list[tuple[str, str, Any, Any, str]]:
        """SEC-5: no answer is a 5xx; SES-5: session cookies HttpOnly and SameSite=Lax, on
        whatever answer sets them; SEC-3: a token's page asks for no referrer (page loads only:
        an API call's headers are no page's)."""
        problems = []
        for response in responses:
            if response.status >= 500:
                problems.append(("SEC-5", f"status:{key}", "no 5xx", f"{response.status} from {response.url}", "the portal never answers with a server error"))
            for header in response.headers_array():
                if header["name"].lower() != "set-cookie":
                    continue
                name = header["value"].split("=", 1)[0].strip()
                if self.profile.session_cookie and name != self.profile.session_cookie:
                    continue
                attributes = {part.strip().lower().replace(" ", "") for part in header["value"].split(";")[1:]}
                if "httponly" not in attributes or not attributes & {"samesite=lax", "samesite=strict"}:
                    problems.append(("SES-5", f"cookies:{key}", "HttpOnly; SameSite=Lax", header["value"].split(";", 1)[-1].strip(),
                                     f"the session cookie {name} is set HttpOnly and SameSite=Lax"))
        page_loads = [response for response in responses if response.request.is_navigation_request()]
        if token is not None and page_loads:
            policy = page_loads[0].headers.get("referrer-policy", "")
            if "no-referrer" not in policy.split(","):
                problems.append(("SEC-3", f"referrer-policy:{key}", "no-referrer", policy or None, "a page reached through a token asks for no referrer"))
        return problems
