"""One walk: a test site of its own, its customers' devices and mailboxes, and the model's state.

`Walk.step(action)` reads the site's clock, asks the model what the portal must show, performs
the action through CONTRACT v1 only (control API, mail sink, browser with the profile's
selectors), observes every channel and returns what contradicts the model.

The site's clock runs on while a walk acts, and reads to the second, so the moment the portal
decided lies somewhere between the readings taken before and after the action. The model is
asked at the middle and at either end (widened by `SLACK_S`); when they differ (the action fell on
a boundary) the portal may take either branch, and the walk goes on with the one it took.

The model dates what an earlier step did (a link sent, a session begun) at that step's middle,
which is itself uncertain by half that step's length: on a loaded machine an action that waits for
an email takes seconds. Either end is widened by the most any earlier date may be off, so that
a boundary counted from such a date is still seen as one.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fake_mail import MailTimeout

from .. import tampering
from ..control import ControlError, SiteControl
from . import actions as act
from . import model
from .devices import Devices
from .quiet import QuietWindows, Unwanted, Window
from .target import Target

SLACK_S = 1.0  # beyond the readings: events the model dated at a reading happened a little later
CHANNEL_ORDER = ("page:", "account:", "mail", "status", "alike", "management URL", "url:", "referrer-policy:", "cookies:", "new_session:")
MAIL_ACTIONS = (act.Invite, act.Subscribe, act.SendAccountEmail, act.AskForLoginLink, act.AskForLoginLinkFromAnotherSite,
                act.AskFromVerifyPage, act.CompareLoginLinkAnswers)


@dataclasses.dataclass
class Timing:
    """The moments a step is judged at, from the clock readings before and after it.

    The portal decided at some moment between the two readings, each of which may be up to a
    second behind (the clock reads to the second): the middle first, then either end, widened by
    how far off the dates of earlier steps may be (`dated_within`). A clock advance is not
    uncertainty: only the real time a step took widens the dates."""

    dated_within: float = 0.0  # how far off, at most, the model's date of an earlier step may be

    def moments(self, before: float, after: float, action: act.Action | None = None) -> tuple[float, float, float]:
        """The middle, then either end; an advance of the clock is over once it answered, so its
        real span starts after the jump (not halfway through it)."""
        before = _after_jump(before, after, action)
        spread = SLACK_S + self.dated_within
        return (before + after) / 2 + 0.5, before - spread, after + 1 + spread

    def stepped(self, action: act.Action, before: float, after: float) -> None:
        before = _after_jump(before, after, action)
        self.dated_within = max(self.dated_within, max(0.0, after - before) / 2 + 1)


def _after_jump(before: float, after: float, action: act.Action | None) -> float:
    jumped = action.seconds if isinstance(action, act.AdvanceClock) else 0
    return min(after, before + jumped)


@dataclasses.dataclass(frozen=True)
class Contradiction:
    """The portal showed something the model rules out."""

    step: int
    action: act.Action
    rule: str
    channel: str
    expected: Any
    observed: Any
    why: str

    def describe(self) -> str:
        return (f"step {self.step + 1} ({self.action.kind}): {self.rule}: {self.why}; on {self.channel}"
                f" expected {self.expected!r}, observed {self.observed!r}")

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "rule": self.rule, "channel": self.channel, "expected": _plain(self.expected),
                "observed": _plain(self.observed), "why": self.why}


def _plain(value: Any) -> Any:
    return [_plain(item) for item in value] if isinstance(value, (tuple, list)) else value


class Walk:
    """A walk against one target. Call `close()` when done: it deletes the site."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.profile = target.profile
        self._site: SiteControl | None = None
        self._other_site: SiteControl | None = None
        self.state: model.State | None = None
        self.taken: list[act.Action] = []
        self.sent: list[tuple[tuple[str, str], ...]] = []  # per step taken: the emails the model said it sends
        self.emails: dict[str, str] = {}  # customer name -> address
        self.ids: dict[str, int] = {}  # customer name -> the control API's id
        self._link_urls: dict[int, str] = {}  # model link id -> the URL its email carried
        self._suffix = secrets.token_hex(4)
        self.emails[model.UNKNOWN] = f"someone.{self._suffix}@example.com"
        self.devices = Devices(target.browser, target.profile, self.emails)
        self.timing = Timing()
        self._signed_out_cookies: dict[str, str] = {}  # device key -> the session cookie it held before signing out
        self.windows = QuietWindows(target.sink, self.emails, self._kind_of,  # for unwanted email, still open
                                    settled=self._mail_caught_up if self.profile.mail_in_order else None)
        self._post: tuple[int, str] | None = None  # the customer the walk mails itself through, and her address
        self.passwords = {name: f"Walker-{secrets.token_urlsafe(12)}" for name in act.NAMES}  # the one each may choose

    # -- the site and its clock -------------------------------------------------------------------

    @property
    def site(self) -> SiteControl:
        if self._site is None:
            self._site = SiteControl.create(self.target.control)
            passwords = self.profile.has("password_login") and bool(self.target.control.capabilities().get("password_login"))
            self.state = model.initial(self.clock(), self._site.policy(), passwords=passwords)
        return self._site

    def clock(self) -> float:
        """The site's clock, as the control API reads it (CONTRACT v1 `GET /clock`)."""
        now = self.site.call("GET", "/clock")["now"]
        return datetime.datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp()

    def screenshot(self, channel: str) -> bytes | None:
        """A PNG of the device a channel names (`page:Ada's laptop`), as it shows now; None for
        the channels of no device (mail, the control API, answers compared)."""
        _, _, key = channel.partition(":")
        customer, _, device = key.partition("'s ")
        if device not in act.DEVICES or customer not in {*self.emails, "someone"}:
            return None
        try:
            return self.devices.page(customer, device)[0].screenshot(full_page=True)
        except Exception:  # a screenshot is evidence, not the finding: none rather than no finding
            return None

    def close(self) -> None:
        self.devices.close()
        for site in (self._site, self._other_site):
            if site is not None:
                try:
                    site.delete()
                except ControlError:
                    pass

    # -- one step -------------------------------------------------------------------------------

    def step(self, action: act.Action) -> list[Contradiction]:
        """Perform `action`, and return every contradiction of the model it showed (none: agreed)."""
        self.site  # the site exists before the clock is read
        assert self.state is not None
        before = self.clock()
        expected_mail = model.apply(self.state, action, before)[2]
        if self.windows.open and not _mail_free(action, expected_mail):  # it may mail people a window holds
            late = self._unwanted(self.windows.make_way(self._may_mail(action, expected_mail)))
            if late:
                return late
        index = len(self.taken)
        self.taken.append(action)
        cursor = self._cursor()
        observed, problems = self._perform(action)
        after = self.clock()
        candidates = [model.apply(self.state, variant, moment)
                      for moment in self.timing.moments(before, after, action) for variant in _variants(action)]
        self.timing.stepped(action, before, after)
        observed["mail"] = self._arrived(action, cursor, expected_mail)
        judged = []
        for _, expects, sent in candidates:  # the first branch that agrees on every channel is the portal's
            found = self._mismatches(index, action, expects, observed)
            learned: dict[int, str] = {}
            if not any(item.channel == "mail" for item in found):
                links_found, learned = self._check_links(index, action, sent, expects, observed)
                found += links_found
            judged.append((found, learned))
        chosen = next((i for i, (found, _) in enumerate(judged) if not found), 0)
        state = candidates[chosen][0]
        contradictions, learned = judged[chosen]
        self._link_urls.update(learned)
        contradictions += [Contradiction(index, action, rule, channel, expected, seen, why) for rule, channel, expected, seen, why in problems]
        self.state = state
        self.sent.append(model.mail_channel(candidates[chosen][2]))
        mail = next((expect for expect in candidates[chosen][1] if expect.channel == "mail"), None)
        for window in self.windows.open:
            if window.index == index and mail is not None:
                window.rule, window.why = mail.rule, mail.why
        late = self._unwanted(self.windows.expired())
        if late:  # an earlier step's contradiction came first
            return late
        # What a person sees first: the page, then whose details, mail, the control API; the
        # session cookie's value and attributes are consequences or details, named last.
        return sorted(contradictions, key=lambda item: next((rank for rank, prefix in enumerate(CHANNEL_ORDER) if item.channel.startswith(prefix)), len(CHANNEL_ORDER)))

    def finish(self) -> list[Contradiction]:
        """At the end of a walk: the windows for unwanted email still open, waited out and judged.
        The walk's devices are closed first, while the windows run: no step follows."""
        if self.windows.open:
            self.devices.close()
        return self._unwanted(self.windows.finish())

    def _unwanted(self, found: list[Unwanted]) -> list[Contradiction]:
        """The earliest step's contradiction of those whose windows saw email for its people."""
        if not found:
            return []
        first = min(found, key=lambda item: item.window.index)
        window = first.window
        return [Contradiction(window.index, window.action, window.rule, "mail", window.expected,
                              tuple(sorted([*window.expected, *first.arrived])), window.why)]

    def _mail_caught_up(self) -> bool:
        """With in-order mail: an account email sent to a customer of the walk's own (no person
        of the model, created at the first call) and awaited; once it came, every email the
        portal decided to send before it has come too. False when it did not come."""
        if self._post is None:
            address = f"post.{self._suffix}@example.com"
            answer, status = self._control("POST", "/customers", {"email": address, "first_name": "Post", "last_name": "Walker"})
            if status != 201:
                return False
            self._post = (answer["id"], address)
        customer, address = self._post
        box = self.target.sink.mailbox(address)
        cursor = box.cursor()
        if self._control("POST", f"/customers/{customer}/management_link_emails")[1] != 202:
            return False
        try:
            box.wait_for(subject=self.profile.emails["account"].subject.pattern, after=cursor, timeout=self.profile.mail_timeout_s)
        except MailTimeout:  # the windows are waited out instead
            return False
        return True

    def _kind_of(self, subject: str) -> str:
        """The profile's kind of an email, by its subject ("other" for none)."""
        return next((kind for kind, spec in self.profile.emails.items() if spec.subject.search(subject)), "other")

    def _cursor(self) -> int:
        return self.target.sink.mailbox(self.emails[model.UNKNOWN]).cursor()

    def _mismatches(self, index: int, action: act.Action, expects: list[model.Expect], observed: dict[str, Any]) -> list[Contradiction]:
        found = []
        for expect in expects:
            if expect.channel not in observed:
                continue
            seen = observed[expect.channel]
            if isinstance(expect.value, str) and expect.value.startswith("not:"):
                agrees = seen != expect.value[4:]
            else:
                agrees = seen == expect.value
            if not agrees:
                found.append(Contradiction(index, action, expect.rule, expect.channel, expect.value, seen, expect.why))
        return found

    # -- acting ---------------------------------------------------------------------------------

    def _perform(self, action: act.Action) -> tuple[dict[str, Any], list[tuple[str, str, Any, Any, str]]]:
        """Do it through the contract; what each channel showed, and breaches no model is needed for."""
        observed: dict[str, Any] = {}
        problems: list[tuple[str, str, Any, Any, str]] = []
        if isinstance(action, act.AddCustomer):
            email = f"{action.customer.lower()}.{self._suffix}@example.com"
            answer, status = self._control("POST", "/customers", {"email": email, "first_name": action.customer, "last_name": "Walker"})
            self.emails[action.customer] = email
            if status == 201:
                self.ids[action.customer] = answer["id"]
            observed["status"] = status
        elif isinstance(action, (act.Invite, act.Revoke, act.Subscribe, act.SendAccountEmail, act.ReadManagementLink)):
            method, path, body = {
                act.Invite: ("POST", "/invitations", None), act.Revoke: ("DELETE", "/invitations", None),
                act.Subscribe: ("POST", "/subscriptions", {"product": "Monthly plan"}),
                act.SendAccountEmail: ("POST", "/management_link_emails", None),
                act.ReadManagementLink: ("GET", "/management_link", None),
            }[type(action)]
            answer, status = self._control(method, f"/customers/{self.ids[action.customer]}{path}", body)
            observed["status"] = status
            if isinstance(action, act.ReadManagementLink) and status == 200:
                observed["handed_url"] = answer["url"]
        elif isinstance(action, act.SetPassword):
            _, observed["status"] = self._control("PUT", f"/customers/{self.ids[action.customer]}/password",
                                                  {"password": self.passwords[action.customer]})
        elif isinstance(action, (act.TryWrongPassword, act.CompareSignInAnswers)):
            observed.update(self._wrong_passwords(action, problems))
        elif isinstance(action, act.OpenLinkOnTwoDevices):
            observed.update(self._open_on_two_devices(action, problems))
        elif isinstance(action, act.OpenOtherSitesManagementUrl):
            observed.update(self._other_sites_management_url(action, problems))
        elif isinstance(action, act.SetPolicy):
            _, observed["status"] = self._control("PUT", "/policy", {action.key: action.value})
        elif isinstance(action, act.AdvanceClock):
            _, observed["status"] = self._control("POST", "/clock/advance", {"seconds": action.seconds})
        elif isinstance(action, act.KeepManagementUrl):
            pass  # she only keeps what her latest email holds
        elif isinstance(action, act.CompareLoginLinkAnswers):
            answers = []
            for who in (action.first, action.second, model.UNKNOWN):
                page, responses = self.devices.page("someone", "laptop")
                page.goto(self._page_url("sign_in"), wait_until="domcontentloaded")
                self.devices.submit_login_link(page, self.emails[who])
                text = page.locator("body").inner_text()
                masked = " ".join(re.sub(re.escape(self.emails[who]), "<address>", text, flags=re.IGNORECASE).split())
                answers.append((self.devices.final_status(responses), self.devices.marker(page), masked))
                problems += self.devices.http_problems(responses, token=None, key="someone's laptop")
            observed["alike"] = len(set(answers)) == 1
            observed["answers"] = answers
        else:
            observed.update(self._browse(action, problems))
        return observed, problems

    def _control(self, method: str, path: str, body: Any = None) -> tuple[Any, int]:
        answer = self.site.call(method, path, body, expect=tuple(range(200, 600)))
        return answer, self.site.client.calls[-1].status

    def _browse(self, action: Any, problems: list[tuple[str, str, Any, Any, str]]) -> dict[str, Any]:
        key = model.device_key(action.customer, action.device)
        page, responses = self.devices.page(action.customer, action.device)
        before = self.devices.session_cookie(key)
        token: str | None = None
        observed: dict[str, Any] = {}
        if isinstance(action, act.OpenEmailLink):
            url = self._email_link_url(action)
            token = _token(url, self.profile.emails[action.link].action_link)
            if action.damage:
                damaged = {"cut short": token[: len(token) // 2], "garbled": "".join(reversed(token))[:-2] + "%%"}[action.damage]
                url, token = url.replace(token, damaged, 1), None
            elif action.tamper:
                url, token = self._tampered(url, action.tamper), None
            self.devices.goto(page, url)
        elif isinstance(action, act.SignInWithPassword):
            self.devices.goto(page, self._page_url("sign_in"))
            observed[f"password_form:{key}"] = self._send_password(page, self.emails[action.customer], self.passwords[action.customer])
        elif isinstance(action, act.ChoosePassword):
            if self.devices.marker(page) == model.CHOOSE_PASSWORD:
                page.locator(self.profile.selectors["new_password_input"]).first.fill(self.passwords[action.customer])
                self.devices.loads_of(page).clear()
                self.devices.press(page, "new_password_submit")
        elif isinstance(action, act.CarrySessionToOtherSite):
            other = self._other_site_portal()
            self._carry_cookies(page, other)
            self.devices.goto(page, other + self.profile.pages["home"])
        elif isinstance(action, act.OpenManagementUrl):
            url = self._management_url(action)
            token = _token(url, self.profile.management_url)
            if action.tamper:
                url, token = self._tampered(url, action.tamper), None
            self.devices.goto(page, url)
        elif isinstance(action, act.AskForLoginLink):
            self.devices.goto(page, self._page_url("sign_in"))
            del responses[:]
            self.devices.submit_login_link(page, self.emails[action.customer])
        elif isinstance(action, act.AskForLoginLinkFromAnotherSite):
            self.devices.goto(page, self._page_url("sign_in"))
            del responses[:]
            where = urlsplit(self.site.portal_url)
            self.devices.post_from_another_site(page, "login_link_form", "login_link_email", self.emails[action.customer],
                                                f"{where.scheme}://{where.netloc}")
        elif isinstance(action, act.AskFromVerifyPage):
            if self.devices.marker(page) == model.VERIFY:
                del responses[:]
                self.devices.press(page, "verify_request_submit")
        elif isinstance(action, act.VisitPortal):
            self.devices.goto(page, self._page_url("home"))
        elif isinstance(action, act.ReuseEndedSession):
            ended = self._signed_out_cookies.get(key, "")
            if ended and self.profile.session_cookie:
                where = urlsplit(self.site.portal_url)
                page.context.add_cookies([{"name": self.profile.session_cookie, "value": ended, "domain": where.hostname or "",
                                           "path": where.path or "/", "httpOnly": True, "sameSite": "Lax"}])
            self.devices.goto(page, self._page_url("home"))
        elif isinstance(action, act.SignOut):
            self._signed_out_cookies[key] = before
            self.devices.goto(page, self._page_url("home"))
            if self.devices.marker(page) == model.ACCOUNT:
                self.devices.press(page, "sign_out")
        observed.update(self._observe(page, responses, key, before=before, token=token, problems=problems))
        if isinstance(action, act.CarrySessionToOtherSite) or getattr(action, "tamper", "") == "site":
            self._forget_other_site(page)
        return observed

    def _forget_other_site(self, page: Any) -> None:
        """The device's cookies under the other site's path dropped once judged: a copy of her
        session cookie there would be read as her session cookie at the next step."""
        if self._other_site is None:
            return
        path = urlsplit(self._other_site.portal_url).path or "/"
        kept = [cookie for cookie in page.context.cookies() if cookie["path"] != path]
        page.context.clear_cookies()
        if kept:
            page.context.add_cookies([{key: cookie[key] for key in ("name", "value", "domain", "path", "expires", "httpOnly", "secure", "sameSite")}
                                      for cookie in kept])

    def _observe(self, page: Any, responses: list[Any], key: str, *, before: str, token: str | None,
                 problems: list[tuple[str, str, Any, Any, str]]) -> dict[str, Any]:
        """What a device shows after an action: its page, whose details, whether its session changed."""
        state = self.devices.marker(page)
        observed: dict[str, Any] = {f"page:{key}": state}
        if state != model.SENT:  # the "check your email" page rightly repeats the address typed
            observed[f"account:{key}"] = self.devices.details_shown(page, state)
        if self.profile.session_cookie:
            after = self.devices.session_cookie(key)
            observed[f"new_session:{key}"] = bool(after) and after != before
        problems += self.devices.http_problems(responses, token=token, key=key)
        if token is not None and token in page.url:
            problems.append(("SEC-3", f"url:{key}", "a URL without the token", page.url, "a page reached through a token redirects to a URL without it"))
        return observed

    # -- passwords, and a link opened twice at once ------------------------------------------------

    def _send_password(self, page: Any, address: str, password: str) -> bool:
        """On the sign-in page shown: send the address and password, if it offers a password form."""
        form = page.locator(self.profile.selectors["password_form"])
        if form.count() == 0 or not form.first.is_visible():
            return False
        self.devices.submit(page, "password_form", {"password_email": address, "password_input": password}, "password_submit")
        return True

    def _wrong_passwords(self, action: act.TryWrongPassword | act.CompareSignInAnswers,
                         problems: list[tuple[str, str, Any, Any, str]]) -> dict[str, Any]:
        """Someone, on a laptop of their own, sends a wrong password for her (and for an unknown address)."""
        key = model.device_key("someone", "laptop")
        page, responses = self.devices.page("someone", "laptop")
        whom = [action.customer] if isinstance(action, act.TryWrongPassword) else [action.customer, model.UNKNOWN]
        observed: dict[str, Any] = {}
        answers = []
        for attempt, who in enumerate(whom):
            self.devices.goto(page, self._page_url("sign_in"))
            address = self.emails[who].upper() if getattr(action, "capitals", False) else self.emails[who]
            observed[f"password_form:{key}"] = self._send_password(page, address, f"wrong-{attempt}-{self._suffix}")
            if not observed[f"password_form:{key}"]:
                return observed
            text = page.locator("body").inner_text()
            masked = " ".join(re.sub(re.escape(self.emails[who]), "<address>", text, flags=re.IGNORECASE).split())
            answers.append((self.devices.final_status(responses), self.devices.marker(page), masked))
            problems += self.devices.http_problems(responses, token=None, key=key)
        if isinstance(action, act.CompareSignInAnswers):
            observed["alike"] = len(set(answers)) == 1
            observed["answers"] = answers
        else:
            observed.update(self._observe(page, [], key, before="", token=None, problems=problems))
            observed.pop(f"new_session:{key}", None)
        return observed

    def _open_on_two_devices(self, action: act.OpenLinkOnTwoDevices, problems: list[tuple[str, str, Any, Any, str]]) -> dict[str, Any]:
        """SEC-2: both devices start loading her latest link of a kind before either has it."""
        assert self.state is not None
        url = self._link_urls[self.state.mail_of(action.customer, action.link)[-1].action_link or 0]
        token = _token(url, self.profile.emails[action.link].action_link)
        devices = [(model.device_key(action.customer, device), *self.devices.page(action.customer, device)) for device in act.DEVICES]
        cookies = {key: self.devices.session_cookie(key) for key, _, _ in devices}
        self.devices.goto_together([page for _, page, _ in devices], url)
        observed: dict[str, Any] = {}
        for key, page, loads in devices:
            observed.update(self._observe(page, loads, key, before=cookies[key], token=token, problems=problems))
        return observed

    def _other_sites_management_url(self, action: act.OpenOtherSitesManagementUrl,
                                    problems: list[tuple[str, str, Any, Any, str]]) -> dict[str, Any]:
        """The other site takes her on (same address) and invites her; she accepts on one device,
        and opens that site's management URL on the other, verified in her own site only."""
        self._other_site_portal()
        other = self._other_site
        assert other is not None
        address = self.emails[action.customer]
        made = other.call("POST", "/customers", {"email": address, "first_name": action.customer, "last_name": "Walker"}, expect=(201,))
        cursor = self._cursor()
        other.call("POST", f"/customers/{made['id']}/invitations", expect=(202,))
        kind = self.profile.emails["invitation"]
        assert kind.action_link is not None
        message = self.target.sink.mailbox(address).wait_for(subject=kind.subject.pattern, after=cursor, timeout=self.profile.mail_timeout_s)
        accepting, _ = self.devices.page(action.customer, action.other)
        self.devices.goto(accepting, message.link(kind.action_link.pattern).url)
        key = model.device_key(action.customer, action.device)
        page, responses = self.devices.page(action.customer, action.device)
        before = self.devices.session_cookie(key)
        self._carry_cookies(page, other.portal_url)  # the same device: what makes it one is its cookies
        self.devices.goto(page, message.link(self.profile.management_url.pattern).url)
        observed = self._observe(page, responses, key, before=before, token=None, problems=problems)
        self._forget_other_site(page)
        self._forget_other_site(accepting)
        return observed

    def _carry_cookies(self, page: Any, other_portal: str) -> None:
        """The device's cookies of her site (her session and the device's own among them), copied
        to the other site's path, as one browser visiting both sites would hold them."""
        mine = urlsplit(self.site.portal_url).path or "/"
        path = urlsplit(other_portal).path or "/"
        carried = [cookie for cookie in page.context.cookies() if cookie["path"] == mine or mine.startswith(cookie["path"].rstrip("/") + "/")]
        page.context.add_cookies([{"name": cookie["name"], "value": cookie["value"], "domain": cookie["domain"], "path": path,
                                   "httpOnly": cookie["httpOnly"], "secure": cookie["secure"], "sameSite": cookie["sameSite"]}
                                  for cookie in carried])

    def _other_site_portal(self) -> str:
        if self._other_site is None:
            self._other_site = SiteControl.create(self.target.control)
        return self._other_site.portal_url

    def _page_url(self, page: str) -> str:
        return self.site.portal_url + self.profile.pages[page]

    # -- links ----------------------------------------------------------------------------------

    def _email_link_url(self, action: act.OpenEmailLink) -> str:
        assert self.state is not None
        mail = self.state.mail_of(action.customer, action.link)
        chosen = mail[0] if action.which == "first" else mail[-1]
        assert chosen.action_link is not None
        return self._link_urls[chosen.action_link]

    def _management_url(self, action: act.OpenManagementUrl) -> str:
        assert self.state is not None
        if action.source == "kept":
            return self._link_urls[self.state.kept[action.customer]]
        return self._link_urls[self.state.mail_of(action.customer)[-1].management_link]

    def _tampered(self, url: str, tamper: str) -> str:
        """The URL with one part changed: a path segment under the site, a query value, or the site."""
        if tamper == "site":
            return url.replace(self.site.portal_url, self._other_site_portal(), 1)
        what, _, number = tamper.partition(":")
        return tampering.tampered(url, urlsplit(self.site.portal_url).path.rstrip("/"), what, int(number))

    def _arrived(self, action: act.Action, cursor: int, sent: list[model.Mail]) -> tuple[tuple[str, str], ...]:
        """The emails that arrived for the walk's addresses since `cursor`: the predicted ones
        are awaited; after an action that may send mail, any other is watched for a while."""
        timeout = self.profile.mail_timeout_s
        for mail in sent:
            box = self.target.sink.mailbox(self.emails[mail.to])
            try:
                box.wait_for(subject=self.profile.emails[mail.kind].subject.pattern, after=cursor, timeout=timeout)
            except Exception:  # MailTimeout: what came instead is judged below
                timeout = 0.1
        # An email that must not arrive is watched for; one more beside an email that came is
        # caught at the next step. The window is not waited out here (`quiet`): the walk goes on,
        # and an email for these people arriving meanwhile is this step's, judged when the window
        # closes (at a step that may mail them, once it is over, or at the walk's end).
        quiet = {who for who in self._watched(action) if not any(mail.to == who for mail in sent)} if isinstance(action, MAIL_ACTIONS) else set()
        held = self.windows.holding()
        self._arrivals = []
        found = []
        for who, email in self.emails.items():
            for message in self.target.sink.mailbox(email).messages():
                if message.seq > cursor and not (who in held and message.seq > held[who].cursor):
                    kind = self._kind_of(message.subject)
                    found.append((who, kind))
                    self._arrivals.append((message.seq, who, kind, message))
        self._arrivals.sort(key=lambda item: item[0])
        if quiet:
            self.windows.opened(Window(len(self.taken) - 1, action, quiet, time.monotonic() + self.profile.mail_quiet_s,
                                       cursor=max([cursor, *(item[0] for item in self._arrivals)]), expected=tuple(sorted(found))))
        return tuple(sorted(found))

    def _may_mail(self, action: act.Action, expected: list[model.Mail]) -> set[str]:
        """Whom an action may send email to: whom the model expects it to, whom it asks email for,
        and her, for the other site's invitation."""
        people = {mail.to for mail in expected} | (set(self._watched(action)) if isinstance(action, MAIL_ACTIONS) else set())
        return people | ({action.customer} if isinstance(action, act.OpenOtherSitesManagementUrl) else set())

    def _watched(self, action: act.Action) -> list[str]:
        if isinstance(action, act.CompareLoginLinkAnswers):
            return [action.first, action.second, model.UNKNOWN]
        if isinstance(action, act.SetPolicy) or isinstance(action, act.AdvanceClock):
            return []
        return [getattr(action, "customer")]

    def _after_expected(self, who: str, cursor: int, sent: list[model.Mail]) -> int:
        box = self.target.sink.mailbox(self.emails[who])
        seqs = [message.seq for message in box.messages() if message.seq > cursor]
        return max(seqs, default=cursor)

    def _check_links(self, index: int, action: act.Action, sent: list[model.Mail], expects: list[model.Expect],
                     observed: dict[str, Any]) -> tuple[list[Contradiction], dict[int, str]]:
        """The URLs the emails carried, by the model's link ids, and the management URLs held to
        MU-6: the same link is the same URL, a new link a URL never handed out before. Nothing is
        learned here, only returned: the caller keeps what the branch the portal took learned."""
        found: list[Contradiction] = []
        learned: dict[int, str] = {}
        arrivals = list(self._arrivals)
        handed: list[tuple[int, str]] = []
        for mail in sent:
            match = next((item for item in arrivals if item[1] == mail.to and item[2] == mail.kind), None)
            if match is None:
                continue  # judged by the mail channel
            arrivals.remove(match)
            message = match[3]
            try:
                if mail.action_link is not None:
                    pattern = self.profile.emails[mail.kind].action_link
                    assert pattern is not None
                    learned[mail.action_link] = message.link(pattern.pattern).url
                handed.append((mail.management_link, message.link(self.profile.management_url.pattern).url))
            except LookupError as error:
                rule = {"invitation": "INV-3", "login_link": "LL-3"}.get(mail.kind, "MU-1")
                found.append(Contradiction(index, action, rule, "mail links", "an action link and the management URL",
                                           str(error).split(";")[0], "every portal email carries its links"))
        if "handed_url" in observed:
            handed += [(expect.value, observed["handed_url"]) for expect in expects if expect.channel == "handed"]
        for ml_id, url in handed:
            known = learned.get(ml_id, self._link_urls.get(ml_id))
            if known is not None and known != url:
                found.append(Contradiction(index, action, "MU-6", "management URL", known, url,
                                           "the same management URL is handed out until management_link_refresh_s after its creation"))
            elif known is None and url in {*self._link_urls.values(), *learned.values()}:
                by_email = "handed_url" not in observed
                found.append(Contradiction(index, action, "MU-1" if by_email else "MU-6", "management URL", "a new URL", url,
                                           "every email carries her current management URL, renewed after management_link_refresh_s"
                                           if by_email else "after management_link_refresh_s a new management URL is made"))
            else:
                learned[ml_id] = url
        return found, learned


def _mail_free(action: act.Action, expected: list[model.Mail]) -> bool:
    """Whether an action can go on while an earlier step's window for unwanted mail is open: it
    asks for no email and the model predicts none (the other site's invitation is awaited)."""
    return not isinstance(action, (*MAIL_ACTIONS, act.OpenOtherSitesManagementUrl)) and not expected


def _variants(action: act.Action) -> list[act.Action]:
    """The actions the model is asked about for `action`: for two devices racing, either may win."""
    if isinstance(action, act.OpenLinkOnTwoDevices) and not action.winner:
        return [dataclasses.replace(action, winner=device) for device in act.DEVICES]
    return [action]


def _token(url: str, pattern: re.Pattern[str] | None) -> str:
    """The secret part of a link: the profile pattern's `token` group, else the longest part of the URL."""
    found = pattern.search(url) if pattern is not None and "token" in pattern.groupindex else None
    if found is not None and found.group("token"):
        return found.group("token")
    parts = urlsplit(url)
    candidates = [segment for segment in parts.path.split("/") if segment] + [value for _, value in parse_qsl(parts.query)]
    return max(candidates, key=len, default="")
