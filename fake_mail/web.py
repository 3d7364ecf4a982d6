"""The HTTP face of the sink: the JSON API (:mod:`fake_mail.api`) and an inbox page for people.

The page shows new mail without a reload: its one script listens to the API's
event stream and inserts each new message as ``/messages/{id}/card`` draws it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from fake_mail import api
from fake_mail.message import Message
from fake_mail.store import MailStore

__all__ = ["PREVIEW_HEAD", "create_app", "preview_html"]

# How many messages the inbox page renders in full.
_PAGE_SIZE = 100
_CLICKABLE = {"http", "https", "mailto"}
# The page runs one script of its own (the live update, by nonce); mail HTML is
# shown in an iframe sandboxed without scripts, and this header keeps any
# script that slips into the page from running anyway.
_PAGE_POLICY = (
    "default-src 'none'; script-src 'nonce-{nonce}'; connect-src 'self'; style-src 'unsafe-inline'; "
    "img-src data: http: https:; frame-src 'self'; base-uri 'none'; form-action 'none'"
)
# Put in the head of a mail's HTML preview: its links open in a tab of their
# own (the iframe may open popups that leave its sandbox), and long words wrap.
PREVIEW_HEAD = '<base target="_blank"><style>body { overflow-wrap: anywhere; }</style>'
_HEAD_TAG = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def create_app(store: MailStore) -> Starlette:
    """A Starlette app over ``store``; handlers find it as ``request.state.store``."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"store": store}

    templates = Jinja2Templates(
        env=jinja2.Environment(
            loader=jinja2.PackageLoader("fake_mail", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
    )

    async def inbox(request: Request) -> Response:
        store_: MailStore = request.state.store
        recipient = request.query_params.get("to") or None
        cursor = store_.cursor()  # before listing: the live update takes over from here
        messages = store_.messages(recipient)[::-1]
        nonce = secrets.token_urlsafe(16)
        context = {
            "recipient": recipient,
            "recipients": store_.recipients(),
            "messages": [_for_page(m) for m in messages[:_PAGE_SIZE]],
            "count": len(messages),
            "hidden": max(0, len(messages) - _PAGE_SIZE),
            "cursor": cursor,
            "nonce": nonce,
        }
        return templates.TemplateResponse(
            request, "inbox.html", context, headers={"Content-Security-Policy": _PAGE_POLICY.format(nonce=nonce)}
        )

    async def message_card(request: Request) -> Response:
        """``GET /messages/{id}/card``: one message as the inbox page shows it (for the live update)."""
        message = request.state.store.get(request.path_params["id"])
        if message is None:
            return api.not_found(request)
        page = templates.get_template("_message.html").render(m=_for_page(message))
        return HTMLResponse(page, headers={"Content-Security-Policy": "default-src 'none'"})

    return Starlette(
        routes=[
            Route("/", inbox, methods=["GET"]),
            Route("/messages/{id}/card", message_card, methods=["GET"]),
            *api.routes,
        ],
        lifespan=lifespan,
    )


def _for_page(message: Message) -> dict[str, Any]:
    return {
        **api.detail(message),
        "received": message.received_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "from_display": message.headers.get("From", message.mail_from),
        "links": [{"url": link.url, "text": link.text, "clickable": _clickable(link.url)} for link in message.links],
        "preview": preview_html(message.html) if message.html is not None else None,
    }


def preview_html(html: str) -> str:
    """The mail's HTML with :data:`PREVIEW_HEAD` at the start of its head (or of the document)."""
    head = _HEAD_TAG.search(html)
    if head is None:
        return PREVIEW_HEAD + html
    return html[: head.end()] + PREVIEW_HEAD + html[head.end() :]


def _clickable(url: str) -> bool:
    # Autoescaping stops markup, not a "javascript:" href; only known-safe
    # schemes become anchors, the rest are shown as text.
    return urlsplit(url).scheme.lower() in _CLICKABLE
