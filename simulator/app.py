"""The application factory: `create_app(settings)` wires store, service, outbox and routes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import time
from pathlib import Path
from typing import AsyncIterator, Callable, Mapping
from urllib.parse import urlsplit

import jinja2
from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from . import control, pages
from .faults import Faults
from .middleware import LimitBody, SecurityHeaders, security_headers
from .outbox import Outbox, RelaySecurity
from .service import NotFound, Portal
from .store import Store
from .validation import InvalidInput

log = logging.getLogger("simulator")
TEMPLATES = Path(__file__).parent / "templates"


@dataclasses.dataclass(frozen=True)
class Settings:
    public_url: str
    control_token: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: RelaySecurity = RelaySecurity()  # STARTTLS and AUTH towards the relay
    db_path: str = ":memory:"
    sender: str = "Billing Portal <portal@billing.invalid>"
    wall_clock: Callable[[], float] = time.time
    # Fewer argon2 rounds make tests fast; the default is what a real portal would use.
    password_hasher: PasswordHasher = dataclasses.field(default_factory=PasswordHasher)
    # Deliberate breaks of single rules, to prove the suite notices (`--fault`); none by default.
    faults: Faults = Faults()


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def template_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html"])
    )
    env.filters["mask_email"] = mask_email
    return env


def create_app(settings: Settings) -> Starlette:
    environment = template_environment()
    templates = Jinja2Templates(env=environment)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        store = Store(settings.db_path)
        outbox = Outbox(
            store,
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            wall_clock=settings.wall_clock,
            sender="portal@billing.invalid",
            security=settings.smtp_security,
        )
        portal = Portal(
            store,
            templates=environment,
            public_url=settings.public_url,
            sender=settings.sender,
            wall_clock=settings.wall_clock,
            on_mail_queued=outbox.notify,
            password_hasher=settings.password_hasher,
            faults=settings.faults,
        )
        worker = asyncio.create_task(outbox.run(), name="outbox")
        try:
            yield {
                "portal": portal,
                "templates": templates,
                "control_token": settings.control_token,
                "faults": settings.faults,
            }
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            store.close()

    return Starlette(
        routes=[*control.routes, *pages.routes],
        middleware=[Middleware(SecurityHeaders), Middleware(LimitBody)],
        exception_handlers={
            HTTPException: http_error,
            NotFound: unknown_site,
            pages.Forbidden: forbidden,
            InvalidInput: refused_input,
            # Starlette's outermost ServerErrorMiddleware answers with this, outside our
            # middleware: the answer carries the security headers itself.
            Exception: server_error,
        },
        lifespan=lifespan,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    """404 and 405 from the router (with its Allow header), 400 from a form that cannot be read."""
    assert isinstance(exc, HTTPException)
    if _is_control(request):
        return control.http_error(exc)
    title = "Page not found" if exc.status_code == 404 else "Request refused"
    return _error_page(request, exc.status_code, title, str(exc.detail), headers=exc.headers)


async def unknown_site(request: Request, exc: Exception) -> Response:
    return _error_page(request, 404, "No such billing portal", "There is no billing portal at this address.")


async def forbidden(request: Request, exc: Exception) -> Response:
    return _error_page(request, 403, "Request refused", str(exc))


async def refused_input(request: Request, exc: Exception) -> Response:
    """A page's form that no page can answer more precisely (text that is not Unicode)."""
    assert isinstance(exc, InvalidInput)
    return _error_page(request, 422, "Request refused", exc.detail)


async def server_error(request: Request, exc: Exception) -> Response:
    """An unexpected exception: still the contract's JSON error, or an HTML page, with headers.

    Starlette re-raises the exception after this answer, so the server (uvicorn) logs its traceback.
    """
    headers = security_headers()
    if _is_control(request):
        return control.error(500, "internal_error", "the simulator failed on this request; its log says why", headers)
    try:
        detail = "The portal could not answer this request."
        return _error_page(request, 500, "Something went wrong", detail, headers=headers)
    except Exception:  # the templates themselves failing: a page that needs none
        return HTMLResponse(_BARE_ERROR_PAGE, status_code=500, headers=headers)


_BARE_ERROR_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Something went wrong</title>'
    "<h1>Something went wrong</h1><p>The portal could not answer this request.</p></html>"
)
_SITE_PATH = re.compile(r"/s/([^/]+)(?:/|$)")


def _is_control(request: Request) -> bool:
    # The scope's path, not request.url: that one re-parses the Host header, which may be anything.
    path: str = request.scope["path"]
    return path == "/control" or path.startswith("/control/")


def _sign_in_url(request: Request) -> str | None:
    """The sign-in page of the site a URL is under, when that site exists: a way back."""
    found = _SITE_PATH.match(request.scope["path"])
    portal: Portal | None = getattr(request.state, "portal", None)
    if found is None or portal is None or portal.store.site(found.group(1)) is None:
        return None
    return urlsplit(portal.portal_url(found.group(1))).path + "/login"


def _error_page(
    request: Request, status: int, title: str, detail: str, *, headers: Mapping[str, str] | None = None
) -> Response:
    templates: Jinja2Templates = request.state.templates
    context = {"title": title, "detail": detail, "sign_in": _sign_in_url(request)}
    return templates.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)
