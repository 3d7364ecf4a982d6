"""The customer's pages under /portal/<site>/: markup of its own, forms guarded against CSRF.

Every link with a token is answered by a redirect to a page without it (SEC-3). A browser is
known by its device cookie; forms carry a token derived from it, checked on every POST (SEC-4).
"""

from __future__ import annotations

import hmac
import re
import secrets
from html import escape

from .control import valid_address
from .mail import Outbox
from .model import Portal, Site
from .web import Request, Response

DEVICE, SESSION = "alt_device", "alt_session"
COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{20,64}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
PROBLEMS = {
    "invalid": (400, "This link is not valid. It may have been mistyped or replaced by a newer one."),
    "used": (410, "This link has already been used, or a newer one replaced it."),
    "expired": (410, "This link has expired."),
}


class Forbidden(Exception):
    pass


def layout(title: str, main: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width"></head>'
        f'<body><header><p>Customer accounts</p></header><main>{main}</main></body></html>'
    )


class Pages:
    def __init__(self, portal: Portal, outbox: Outbox) -> None:
        self.portal, self.outbox = portal, outbox

    def __call__(self, request: Request) -> Response:
        parts = request.path.split("/", 3)  # "", "portal", site, rest
        site = self.portal.sites.get(parts[2]) if len(parts) > 2 else None
        if site is None:
            return Response(404, layout("Not found", "<h1>Page not found</h1>").encode())
        return Visit(self.portal, self.outbox, site, request).answer("/".join(parts[3:]).rstrip("/"))


class Visit:
    """One request to one site's pages: its device, its session, the cookies to set."""

    def __init__(self, portal: Portal, outbox: Outbox, site: Site, request: Request) -> None:
        self.portal, self.outbox, self.site, self.request = portal, outbox, site, request
        self.base = f"/portal/{site.id}"
        self.cookies: list[str] = []
        self.device = request.cookies.get(DEVICE, "")
        if not COOKIE_VALUE.fullmatch(self.device):
            self.device = secrets.token_urlsafe(24)
            self.set_cookie(DEVICE, self.device, max_age=400 * 86400)
        self.sid = request.cookies.get(SESSION)

    def answer(self, route: str) -> Response:
        handler = ROUTES.get((self.request.method, route))
        if handler is None:
            return self.page(404, "Not found", "<h1>Page not found</h1>")
        try:
            return handler(self)
        except Forbidden as why:
            return self.page(403, "Refused", f"<h1>Request refused</h1><p>{escape(str(why))}</p>")

    # -- responses and cookies ------------------------------------------------------------------

    def set_cookie(self, name: str, value: str, *, max_age: int | None = None) -> None:
        age = f"; Max-Age={max_age}" if max_age is not None else ""
        self.cookies.append(f"{name}={value}; Path={self.base}{age}; HttpOnly; SameSite=Lax")

    def finish(self, response: Response) -> Response:
        response.headers += [("Set-Cookie", cookie) for cookie in self.cookies]
        return response

    def page(self, status: int, title: str, main: str) -> Response:
        return self.finish(Response(status, layout(title, main).encode()))

    def go(self, route: str) -> Response:
        return self.finish(Response.redirect(f"{self.base}/{route}"))

    def signed_in(self, sid: str, route: str = "account") -> Response:
        if sid != self.sid:
            self.set_cookie(SESSION, sid)
        return self.go(route)

    def form(self) -> dict[str, str]:
        """The posted fields once the request is known to come from our own page (SEC-4)."""
        headers = self.request.headers
        origin = headers.get("Origin")
        # Referrer-Policy: no-referrer makes the browser send "Origin: null" from our own pages.
        if headers.get("Sec-Fetch-Site") == "cross-site" or origin not in (None, "null", f"http://{headers.get('Host')}"):
            raise Forbidden("This form was sent from another site.")
        fields = self.request.form()
        sent = (fields or {}).get("_xsrf", "")
        if DEVICE not in self.request.cookies or not hmac.compare_digest(sent.encode(), self.site.csrf(self.device).encode()):
            raise Forbidden("This form is out of date. Reload the page and try again.")
        return fields or {}

    # -- pieces -----------------------------------------------------------------------------------

    def hidden(self) -> str:
        return f'<input type="hidden" name="_xsrf" value="{self.site.csrf(self.device)}">'

    def link_form(self) -> str:
        return (
            f'<form method="post" action="{self.base}/signin/email-link" aria-label="Request a sign-in link">'
            f'{self.hidden()}<label for="ll-address">Email to receive the link</label> '
            '<input id="ll-address" name="address" type="email" autocomplete="email" maxlength="254" required> '
            "<button type=\"submit\">Request a sign-in link</button></form>"
        )

    def password_form(self) -> str:
        if not self.site.policy["password_login_enabled"]:
            return ""
        return (
            f'<h2>Or use your password</h2><form method="post" action="{self.base}/signin/password" aria-label="Log in with a password">'
            f'{self.hidden()}<label for="pw-login">Account email</label> '
            '<input id="pw-login" name="login" type="email" autocomplete="username" maxlength="254" required> '
            '<label for="pw-secret">Password</label> '
            '<input id="pw-secret" name="secret" type="password" autocomplete="current-password" required> '
            '<button type="submit">Log in</button></form>'
        )

    def signin_page(self, status: int = 200, alert: str = "") -> Response:
        note = f'<p role="alert">{escape(alert)}</p>' if alert else ""
        main = f"<h1>Welcome back</h1>{note}<p>We email you a link that signs you in.</p>{self.link_form()}{self.password_form()}"
        return self.page(status, "Sign in", main)

    def sent_page(self, to: str) -> Response:
        main = (
            f"<h1>Check your inbox</h1><p>If {escape(to)} belongs to a customer account, a sign-in link"
            f' is on its way. It works once.</p><p><a href="{self.base}/signin">Back</a></p>'
        )
        return self.page(200, "Link requested", main)

    # -- routes -----------------------------------------------------------------------------------

    def home(self) -> Response:
        return self.go("account")

    def account(self) -> Response:
        session = self.portal.session(self.site, self.sid)
        if session is None:
            return self.go("signin")
        customer = self.site.customers[session.customer_id]
        main = (
            '<h1>Billing overview</h1><section aria-label="Customer details">'
            f"<p>{escape(customer.first_name)} {escape(customer.last_name)}</p><p>{escape(customer.email)}</p></section>"
            "<p>No open invoices.</p>"
            f'<form method="post" action="{self.base}/signout">{self.hidden()}<button type="submit">Log out</button></form>'
        )
        return self.page(200, "Billing overview", main)

    def signin(self) -> Response:
        return self.signin_page()

    def ask_for_link(self) -> Response:
        address = self.form().get("address", "")
        if not valid_address(address):
            return self.signin_page(400, "Enter a valid email address.")
        self.outbox.send(self.portal.request_login_link(self.site, address))
        return self.sent_page(address)

    def password(self) -> Response:
        fields = self.form()
        address, secret = fields.get("login", ""), fields.get("secret", "")
        if not valid_address(address) or not 0 < len(secret) <= 256:
            return self.signin_page(400, "Enter your email address and password.")
        outcome, sid = self.portal.password_sign_in(self.site, address, secret, self.device)
        if sid is not None:
            return self.signed_in(sid)
        status, alert = {
            "off": (403, "Password sign-in is not available. Request a sign-in link instead."),
            "locked": (429, "Too many attempts. Try again in 15 minutes or request a sign-in link."),
            "mismatch": (401, "That email and password do not match."),
            "unverified": (403, "Confirm your email address first: open your activation email or request a sign-in link."),
        }[outcome]
        return self.signin_page(status, alert)

    def email_link(self, purpose: str) -> Response:
        token = self.request.query.get("t", "")
        if not TOKEN.fullmatch(token):
            return self.go("link-problem?why=invalid")
        outcome, detail = self.portal.open_email_link(self.site, purpose, token, self.device)
        if outcome == "problem":
            return self.go(f"link-problem?why={detail}")
        sid, choose_password = detail
        return self.signed_in(sid, "welcome/password" if choose_password else "account")

    def manage(self) -> Response:
        outcome, detail = self.portal.open_management_url(self.site, self.request.query, self.device, self.sid)
        if outcome == "signed_in":
            return self.signed_in(detail)
        return self.go("verify" if outcome == "verify" else f"link-problem?why={detail}")

    def verify(self) -> Response:
        with self.portal.lock:
            pending = self.site.device(self.device).pending
        if pending is None:
            return self.go("signin")
        main = (
            "<h1>Confirm this device</h1><p>This browser is not confirmed for your account yet, so the"
            " management link cannot open it. We will email a sign-in link to the address on your account.</p>"
            f'<form method="post" action="{self.base}/verify">{self.hidden()}'
            '<button type="submit">Request a sign-in link</button></form>'
        )
        return self.page(200, "Confirm this device", main)

    def verify_request(self) -> Response:
        self.form()
        self.outbox.send(self.portal.request_from_verify_page(self.site, self.device))
        return self.sent_page("the address on your account")

    def problem(self) -> Response:
        status, reason = PROBLEMS.get(self.request.query.get("why", ""), PROBLEMS["invalid"])
        main = f"<h1>Link expired or invalid</h1><p>{reason}</p><p>Request a new sign-in link:</p>{self.link_form()}"
        return self.page(status, "Link expired or invalid", main)

    def choose_page(self, status: int = 200, alert: str = "") -> Response:
        if self.portal.session(self.site, self.sid) is None:
            return self.go("signin")
        note = f'<p role="alert">{escape(alert)}</p>' if alert else ""
        main = (
            f"<h1>Pick a password</h1>{note}<p>Next time you can log in with it instead of an emailed link.</p>"
            f'<form method="post" action="{self.base}/welcome/password">{self.hidden()}'
            '<label for="new-secret">New password</label> '
            '<input id="new-secret" name="new_secret" type="password" autocomplete="new-password" minlength="8" required> '
            f'<button type="submit">Set password</button></form><p><a href="{self.base}/account">Skip for now</a></p>'
        )
        return self.page(status, "Pick a password", main)

    def choose(self) -> Response:
        secret = self.form().get("new_secret", "")
        if not 8 <= len(secret) <= 256:
            return self.choose_page(400, "Use 8 to 256 characters.")
        if not self.portal.choose_password(self.site, self.sid, secret):
            return self.go("signin")
        return self.go("account")

    def sign_out(self) -> Response:
        self.form()
        self.portal.sign_out(self.site, self.sid, self.device)
        self.set_cookie(SESSION, "", max_age=0)
        return self.go("signin")


ROUTES = {
    ("GET", ""): Visit.home,
    ("GET", "account"): Visit.account,
    ("GET", "signin"): Visit.signin,
    ("POST", "signin/email-link"): Visit.ask_for_link,
    ("POST", "signin/password"): Visit.password,
    ("GET", "signin/link"): lambda visit: visit.email_link("signin"),
    ("GET", "accept"): lambda visit: visit.email_link("accept"),
    ("GET", "manage"): Visit.manage,
    ("GET", "verify"): Visit.verify,
    ("POST", "verify"): Visit.verify_request,
    ("GET", "link-problem"): Visit.problem,
    ("GET", "welcome/password"): Visit.choose_page,
    ("POST", "welcome/password"): Visit.choose,
    ("POST", "signout"): Visit.sign_out,
}
