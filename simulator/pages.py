"""The customer's pages: sign-in, links, the management URL, the portal itself, sign-out.

Routes translate HTTP to calls of the service and its decisions back to pages. Cookies are
scoped to the site's path, so two test sites in one browser never share a session or device.
"""

from __future__ import annotations

import dataclasses
import hmac
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from . import tokens
from .faults import Faults
from .records import Customer
from .rules import Access, Outcome
from .service import Portal, SignedIn
from .store import Site
from .validation import InvalidInput, is_unicode_text, record_id

SESSION = "portal_session"
DEVICE = "portal_device"
CSRF = "portal_csrf"
VERIFY = "portal_verify"
LINK_ASKED = "portal_link_asked"  # only with the fault dev2_login_link_device_bound
DEVICE_MAX_AGE = 400 * 86400
MAX_FORM_FIELD = 1024
NO_PASSWORD_YET = "You have not chosen a password yet. Ask for a login link instead."  # fault pw3_no_password_told
DEFAULT_REFERRER_POLICY = "strict-origin-when-cross-origin"  # fault sec3_login_link_referrer


class Page:
    """One request's view of its site: the service, the site, cookies to set, and rendering."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.portal: Portal = request.state.portal
        self.faults: Faults = request.state.faults
        self.site: Site = self.portal.site(request.path_params["site"])
        self.base = urlsplit(self.portal.portal_url(self.site.id)).path
        self._cookies: list[tuple[str, str, int | None]] = []
        self._csrf = request.cookies.get(CSRF) or ""
        if not tokens.is_well_formed(self._csrf):
            self._csrf = tokens.new_token()
            self._cookies.append((CSRF, self._csrf, None))

    # -- cookies -------------------------------------------------------------------------

    @property
    def session_token(self) -> str | None:
        return self.request.cookies.get(SESSION)

    def device(self) -> str:
        """The hash of this browser's device cookie, giving it one if it has none yet."""
        value = self.request.cookies.get(DEVICE, "")
        if not tokens.is_well_formed(value):
            value = tokens.new_token()
            self._cookies.append((DEVICE, value, DEVICE_MAX_AGE))
        return tokens.token_hash(value)

    def set_cookie(self, name: str, value: str, max_age: int | None = None) -> None:
        self._cookies.append((name, value, max_age))

    def sign_in(self, signed: SignedIn) -> None:
        """SES-5: a new session id at every sign-in; the old one stops working."""
        old = self.session_token
        if old and old != signed.session_token and tokens.is_well_formed(old):
            self.portal.store.end_session(tokens.token_hash(old), forget_device=False)
        self.set_cookie(SESSION, signed.session_token)

    def finish(self, response: Response) -> Response:
        secure = self.request.url.scheme == "https"
        samesite = None if self.faults.ses5_no_samesite else "lax"
        for name, value, max_age in self._cookies:
            response.set_cookie(
                name, value, max_age=max_age, path=self.base, httponly=True, samesite=samesite, secure=secure  # type: ignore[arg-type]
            )
        return response

    # -- responses -------------------------------------------------------------------------

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        policy = self.site.policy
        if self.faults.pw1_password_always:
            policy = dataclasses.replace(policy, password_login_enabled=True)
        context.update(page=self, policy=policy, csrf=self._csrf)
        templates = self.request.state.templates
        response = templates.TemplateResponse(self.request, template, context, status_code=status)
        return self.finish(response)

    def redirect(self, path: str) -> Response:
        return self.finish(RedirectResponse(self.base + path, status_code=303))

    async def form(self) -> dict[str, str]:
        """The posted form, after the CSRF check (SEC-4); InvalidInput on anything off."""
        # With Referrer-Policy: no-referrer browsers send "Origin: null" even from our own
        # pages, so a null origin proves nothing either way: the CSRF token below decides.
        origin = self.request.headers.get("origin")
        own = f"{self.request.url.scheme}://{self.request.url.netloc}"
        cross_site = self.request.headers.get("sec-fetch-site") == "cross-site"
        trusting = self.faults.sec4_token_only_if_sent
        if not trusting and (cross_site or (origin not in (None, "null") and origin != own)):
            raise Forbidden("This form was sent from another site.")
        async with self.request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM_FIELD) as form:
            fields = {key: value for key, value in form.items() if isinstance(value, str)}
        # A multipart form naming an exotic charset (unicode_escape, utf-7) can decode to lone
        # surrogates, which nothing downstream can encode.
        if not all(is_unicode_text(key) and is_unicode_text(value) for key, value in fields.items()):
            raise InvalidInput("invalid_form", "This form holds text that is not valid Unicode. Type it again.")
        if trusting and "csrf" not in fields:
            return fields
        sent = fields.get("csrf", "")
        cookie = self.request.cookies.get(CSRF, "")
        if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
            raise Forbidden("This form has expired. Go back, reload the page and try again.")
        return fields

    def outcome(self, access: Access, customer: Customer | None) -> Response:
        """The page for an access decision that signed nobody in."""
        if access.outcome in (Outcome.VERIFY_DEVICE, Outcome.VERIFY_EMAIL) and customer is not None:
            ticket = self.portal.verify_ticket(self.site, customer)
            self.set_cookie(VERIFY, f"{customer.id}:{access.outcome.value}:{ticket}", 3600)
            return self.redirect("/verify-device")
        return self.redirect("/link-expired" if access.outcome is Outcome.EXPIRED else "/link-invalid")


class Forbidden(Exception):
    pass


def _signed_in(page: Page) -> SignedIn | None:
    return page.portal.signed_in(page.site, page.session_token)


async def home(request: Request) -> Response:
    page = Page(request)
    signed = _signed_in(page)
    if signed is None:
        return page.redirect("/login?ended=1" if page.session_token else "/login")
    return page.render(
        "home.html", customer=signed.customer, subscriptions=page.portal.subscriptions(signed.customer)
    )


async def site_root(request: Request) -> Response:
    return Page(request).redirect("/")


async def sign_in_page(request: Request) -> Response:
    page = Page(request)
    notice = None
    if request.query_params.get("ended"):
        notice = "Your session has ended. Sign in again to continue."
        page.set_cookie(SESSION, "", 0)
    elif request.query_params.get("signed_out"):
        notice = "You have signed out."
    return page.render("sign_in.html", notice=notice)


async def request_login_link(request: Request) -> Response:
    page = Page(request)
    fields = await page.form()
    email = fields.get("email", "")
    try:
        page.portal.request_login_link(page.site, email)
    except InvalidInput as exc:
        return page.render("sign_in.html", status=422, error=exc.detail, email=email[:254])
    if page.faults.ll2_enumeration and page.portal.store.customer_by_email(page.site.id, email) is None:
        return page.render("sign_in.html", status=404, error="There is no account with that address.", email=email)
    if page.faults.dev2_login_link_device_bound:
        page.set_cookie(LINK_ASKED, "1")
    return page.render("check_email.html", email=email)


async def password_sign_in(request: Request) -> Response:
    page = Page(request)
    fields = await page.form()
    try:
        access, signed = page.portal.password_sign_in(
            page.site, fields.get("email", ""), fields.get("password", ""), page.device()
        )
    except InvalidInput as exc:
        return page.render("sign_in.html", status=422, error=exc.detail)
    if signed is not None:
        page.sign_in(signed)
        return page.redirect("/")
    if access.outcome is Outcome.VERIFY_EMAIL:
        customer = page.portal.store.customer_by_email(page.site.id, fields.get("email", ""))
        return page.outcome(access, customer)
    status = {Outcome.LOCKED: 429, Outcome.PASSWORDS_OFF: 403}.get(access.outcome, 401)
    if page.faults.pw3_no_password_told and access.outcome is Outcome.BAD_CREDENTIALS:
        customer = page.portal.store.customer_by_email(page.site.id, fields.get("email", ""))
        if customer is not None and not customer.has_password:
            return page.render("sign_in.html", status=status, error=NO_PASSWORD_YET)
    return page.render("sign_in.html", status=status, error=access.reason)


async def open_email_link(request: Request) -> Response:
    page = Page(request)
    if page.faults.dev2_login_link_device_bound and LINK_ASKED not in request.cookies:
        if request.url.path.startswith(page.base + "/link/"):  # login links only, not invitations
            return page.redirect("/link-invalid")
    access, customer, signed = page.portal.open_email_link(
        page.site, request.path_params["token"], page.device()
    )
    response = page.outcome(access, customer) if signed is None else None
    if signed is not None:
        page.sign_in(signed)
        response = page.redirect("/password" if access.choose_password else "/")
    if page.faults.sec3_login_link_referrer and request.url.path.startswith(page.base + "/link/"):
        response.headers["referrer-policy"] = DEFAULT_REFERRER_POLICY  # the fault: the middleware keeps it
    return response


async def open_management_url(request: Request) -> Response:
    page = Page(request)
    params = request.path_params
    customer_id, created = record_id(params["customer"]), record_id(params["created"])
    if customer_id is None or created is None:
        return page.redirect("/link-invalid")
    access, customer, signed = page.portal.open_management_url(
        page.site, customer_id, created, params["signature"], page.device(), page.session_token
    )
    if signed is None:
        return page.outcome(access, customer)
    page.sign_in(signed)
    return page.redirect("/")


def _verify_cookie(page: Page) -> tuple[int, str, str] | None:
    customer, _, rest = page.request.cookies.get(VERIFY, "").partition(":")
    reason, _, ticket = rest.partition(":")
    customer_id = record_id(customer)
    if customer_id is None or reason not in (Outcome.VERIFY_DEVICE.value, Outcome.VERIFY_EMAIL.value):
        return None
    return customer_id, reason, ticket


async def verify_device(request: Request) -> Response:
    """One route for both methods, so a 405 here names both in its Allow header."""
    if request.method == "POST":
        return await send_verification_link(request)
    return await verify_device_page(request)


async def verify_device_page(request: Request) -> Response:
    page = Page(request)
    found = _verify_cookie(page)
    customer = page.portal.store.customer(page.site.id, found[0]) if found else None
    if found is None or customer is None:
        return page.redirect("/login")
    return page.render("verify_device.html", status=403, customer=customer, reason=found[1])


async def send_verification_link(request: Request) -> Response:
    page = Page(request)
    await page.form()
    found = _verify_cookie(page)
    if found is None:
        return page.redirect("/login")
    try:
        customer = page.portal.request_login_link_for(page.site, found[0], found[2])
    except InvalidInput as exc:
        return page.render("sign_in.html", status=422, error=exc.detail)
    page.set_cookie(VERIFY, "", 0)
    if page.faults.dev2_login_link_device_bound:
        page.set_cookie(LINK_ASKED, "1")
    return page.render("check_email.html", email=customer.email)


async def link_problem(request: Request) -> Response:
    page = Page(request)
    expired = request.url.path.endswith("/link-expired")
    return page.render("link_problem.html", status=410 if expired else 404, expired=expired)


async def choose_password_page(request: Request) -> Response:
    page = Page(request)
    signed = _signed_in(page)
    if signed is None:
        return page.redirect("/login")
    if not page.site.policy.password_login_enabled:  # PW-1: no password form (and no 500)
        return page.redirect("/")
    if request.method == "GET":
        return page.render("choose_password.html", customer=signed.customer)
    fields = await page.form()
    try:
        page.portal.choose_password(page.site, signed.customer, fields.get("password", ""))
    except InvalidInput as exc:
        return page.render("choose_password.html", status=422, customer=signed.customer, error=exc.detail)
    return page.redirect("/")


async def sign_out(request: Request) -> Response:
    page = Page(request)
    await page.form()
    page.portal.sign_out(page.site, page.session_token)
    page.set_cookie(SESSION, "", 0)
    return page.redirect("/login?signed_out=1")


SITE = "/s/{site}"

routes = [
    Route(SITE, site_root),
    Route(SITE + "/", home),
    Route(SITE + "/login", sign_in_page),
    Route(SITE + "/login-link", request_login_link, methods=["POST"]),
    Route(SITE + "/sign-in", password_sign_in, methods=["POST"]),
    Route(SITE + "/invitation/{token}", open_email_link),
    Route(SITE + "/link/{token}", open_email_link),
    Route(SITE + "/manage/{customer}/{created}/{signature}", open_management_url),
    Route(SITE + "/verify-device", verify_device, methods=["GET", "POST"]),
    Route(SITE + "/link-expired", link_problem),
    Route(SITE + "/link-invalid", link_problem),
    Route(SITE + "/password", choose_password_page, methods=["GET", "POST"]),
    Route(SITE + "/sign-out", sign_out, methods=["POST"]),
]
