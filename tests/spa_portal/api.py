"""The app's JSON API under `/spa/<site>/api/`: the only place cookies are set and refusals made.

Every state-changing call is a POST of JSON from the app's own origin: a form on another site can
send neither that content type nor a same-origin fetch (SEC-4). A refusal is a 4xx with
`{"error", "detail"}`; the page that made the call was a 200 all along.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Callable

from tests.alt_portal.control import valid_address
from tests.alt_portal.mail import Outbox
from tests.alt_portal.model import Site
from tests.alt_portal.web import Request, Response

from .portal import SpaPortal

DEVICE, SESSION = "spa_device", "spa_session"
COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{20,64}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
PROBLEMS = {
    "invalid": (400, "This link is not valid: it may be mistyped, or a newer one replaced it."),
    "used": (410, "This link was used already, or a newer one replaced it."),
    "expired": (410, "This link has expired."),
}
PASSWORD_REFUSALS = {
    "off": (403, "Signing in with a password is not offered. Ask for a sign-in link instead."),
    "locked": (429, "Too many attempts. Wait 15 minutes or ask for a sign-in link."),
    "mismatch": (401, "The email or the password is not right."),
    "unverified": (403, "Confirm your email address first: open your invitation or ask for a sign-in link."),
}


class Refusal(Exception):
    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.body = status, {"error": code, "detail": detail, **extra}


class Call:
    """One API call: its device and session cookies, the cookies it sets, its JSON answer."""

    def __init__(self, portal: SpaPortal, outbox: Outbox, site: Site, request: Request) -> None:
        self.portal, self.outbox, self.site, self.request = portal, outbox, site, request
        self.base = f"/spa/{site.id}"
        self.cookies: list[str] = []
        self.device = request.cookies.get(DEVICE, "")
        if not COOKIE_VALUE.fullmatch(self.device):
            self.device = secrets.token_urlsafe(24)
            self.set_cookie(DEVICE, self.device, max_age=400 * 86400)
        self.sid = request.cookies.get(SESSION)

    def answer(self, route: str) -> Response:
        handler = ROUTES.get((self.request.method, route))
        try:
            if handler is None:
                raise Refusal(404, "not_found", "No such call.")
            status, body = handler(self)
        except Refusal as refusal:
            status, body = refusal.status, refusal.body
        response = Response.json(status, body)
        response.headers += [("Set-Cookie", cookie) for cookie in self.cookies]
        return response

    def set_cookie(self, name: str, value: str, *, max_age: int | None = None) -> None:
        age = f"; Max-Age={max_age}" if max_age is not None else ""
        same_site = "" if "ses5_no_samesite" in self.portal.faults else "; SameSite=Lax"
        self.cookies.append(f"{name}={value}; Path={self.base}{age}; HttpOnly{same_site}")

    def fields(self, *names: str) -> list[str]:
        """The named text fields of a JSON body sent by the app itself (SEC-4)."""
        headers = self.request.headers
        kind = headers.get("Content-Type", "").split(";")[0].strip().lower()
        if headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none") or kind != "application/json":
            raise Refusal(403, "cross_site", "This request did not come from the portal's own page.")
        try:
            body = self.request.json()
        except ValueError:
            raise Refusal(400, "bad_json", "The request is not JSON.") from None
        values = [body.get(name) if isinstance(body, dict) else None for name in names]
        if not all(isinstance(value, str) for value in values):
            raise Refusal(400, "bad_request", f"Expected the text fields {', '.join(names)}.")
        return values

    def malformed(self, code: str, detail: str) -> Refusal:
        if "sec5_server_error" in self.portal.faults:
            return Refusal(500, "internal", "Something went wrong.")
        return Refusal(400, code, detail)

    def signed_in(self, sid: str, next_view: str = "account") -> tuple[int, Any]:
        if sid != self.sid:
            self.set_cookie(SESSION, sid)
        return 200, {"next": next_view}

    # -- calls ------------------------------------------------------------------------------------

    def state(self) -> tuple[int, Any]:
        session = self.portal.session(self.site, self.sid)
        customer = self.site.customers[session.customer_id] if session else None
        with self.portal.lock:
            pending = self.site.device(self.device).pending is not None
        return 200, {
            "customer": customer and {"name": f"{customer.first_name} {customer.last_name}".strip(), "email": customer.email},
            "password_login": self.portal.password_logins(self.site),
            "verify_pending": pending,
        }

    def login_link(self) -> tuple[int, Any]:
        (address,) = self.fields("email")
        if not valid_address(address):
            raise self.malformed("invalid_email", "Enter a valid email address.")
        self.outbox.send(self.portal.request_login_link(self.site, address))
        return 200, {"to": address}

    def password(self) -> tuple[int, Any]:
        address, secret = self.fields("email", "password")
        outcome, sid = self.portal.password_sign_in(self.site, address, secret, self.device)
        if sid is not None:
            return self.signed_in(sid)
        status, detail = PASSWORD_REFUSALS[outcome]
        raise Refusal(status, outcome, detail)

    def email_link(self, purpose: str) -> tuple[int, Any]:
        (token,) = self.fields("token")
        if not TOKEN.fullmatch(token):
            raise self.malformed("invalid", PROBLEMS["invalid"][1])
        outcome, detail = self.portal.open_email_link(self.site, purpose, token, self.device)
        if outcome == "problem":
            status, sentence = PROBLEMS[detail]
            raise Refusal(status, detail, sentence)
        sid, choose_password = detail
        return self.signed_in(sid, "welcome/password" if choose_password else "account")

    def manage(self) -> tuple[int, Any]:
        link, stamp, signature = self.fields("l", "ts", "sig")
        query = {"l": link, "ts": stamp, "sig": signature}
        outcome, detail = self.portal.open_management_url(self.site, query, self.device, self.sid)
        if outcome == "signed_in":
            return self.signed_in(detail)
        if outcome == "verify":
            raise Refusal(403, "verify_device", "This browser is not verified for the account yet.", next="verify")
        status, sentence = PROBLEMS[detail]
        raise Refusal(status, detail, sentence)

    def verify(self) -> tuple[int, Any]:
        self.fields()
        self.outbox.send(self.portal.request_from_verify_page(self.site, self.device))
        return 200, {"to": "the address on your account"}

    def choose_password(self) -> tuple[int, Any]:
        (secret,) = self.fields("password")
        if not 8 <= len(secret) <= 256:
            raise Refusal(400, "bad_password", "Use 8 to 256 characters.")
        if not self.portal.choose_password(self.site, self.sid, secret):
            raise Refusal(401, "signed_out", "Your session has ended. Sign in again.")
        return 200, {"next": "account"}

    def sign_out(self) -> tuple[int, Any]:
        self.fields()
        self.portal.sign_out(self.site, self.sid, self.device)
        self.set_cookie(SESSION, "", max_age=0)
        return 200, {"next": "signin"}


ROUTES: dict[tuple[str, str], Callable[[Call], tuple[int, Any]]] = {
    ("GET", "state"): Call.state,
    ("POST", "login-link"): Call.login_link,
    ("POST", "password"): Call.password,
    ("POST", "links/accept"): lambda call: call.email_link("accept"),
    ("POST", "links/signin"): lambda call: call.email_link("signin"),
    ("POST", "manage"): Call.manage,
    ("POST", "verify"): Call.verify,
    ("POST", "choose-password"): Call.choose_password,
    ("POST", "signout"): Call.sign_out,
}
