"""The application factory: `create_app(settings)` wires store, service, outbox and routes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from pathlib import Path
from typing import AsyncIterator, Callable

import jinja2
from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from . import control, pages
from .faults import Faults
from .middleware import LimitBody, SecurityHeaders
from .outbox import Outbox
from .service import NotFound, Portal
from .store import Store

log = logging.getLogger("simulator")
TEMPLATES = Path(__file__).parent / "templates"


@dataclasses.dataclass(frozen=True)
class Settings:
    public_url: str
    control_token: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
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

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if request.url.path.startswith("/control"):
            return await control.not_found(request, exc)
        return _error_page(request, exc.status_code, "Page not found" if exc.status_code == 404 else "Request refused", str(exc.detail))

    async def unknown_site(request: Request, exc: Exception) -> Response:
        return _error_page(request, 404, "No such billing portal", "There is no billing portal at this address.")

    async def forbidden(request: Request, exc: Exception) -> Response:
        return _error_page(request, 403, "Request refused", str(exc))

    return Starlette(
        routes=[*control.routes, *pages.routes],
        middleware=[Middleware(SecurityHeaders), Middleware(LimitBody)],
        exception_handlers={HTTPException: http_error, NotFound: unknown_site, pages.Forbidden: forbidden},
        lifespan=lifespan,
    )


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    templates: Jinja2Templates = request.state.templates
    return templates.TemplateResponse(request, "error.html", {"title": title, "detail": detail}, status_code=status)
