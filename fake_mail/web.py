"""The HTTP face of the sink: a JSON API for tools and an inbox page for people."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from fake_mail.message import Message
from fake_mail.store import MailStore

__all__ = ["create_app"]

# How many messages the inbox page renders in full.
_PAGE_SIZE = 100
_CLICKABLE = {"http", "https", "mailto"}
# The page itself needs no script; mail HTML is shown in a sandboxed iframe,
# and this header keeps anything that slips through from running anyway.
_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:; "
    "frame-src 'self'; base-uri 'none'; form-action 'none'"
)


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
        messages = store_.messages(recipient)[::-1]
        context = {
            "recipient": recipient,
            "recipients": store_.recipients(),
            "messages": [_for_page(m) for m in messages[:_PAGE_SIZE]],
            "hidden": max(0, len(messages) - _PAGE_SIZE),
        }
        return templates.TemplateResponse(
            request, "inbox.html", context, headers={"Content-Security-Policy": _PAGE_POLICY}
        )

    return Starlette(
        routes=[
            Route("/", inbox, methods=["GET"]),
            Route("/api/messages", list_messages, methods=["GET"]),
            Route("/api/messages", clear_messages, methods=["DELETE"]),
            Route("/api/messages/{id}", show_message, methods=["GET"]),
            Route("/api/messages/{id}", delete_message, methods=["DELETE"]),
            Route("/api/messages/{id}/raw", raw_message, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


async def list_messages(request: Request) -> Response:
    """``GET /api/messages?to=&subject=``: summaries, newest first."""
    subject = request.query_params.get("subject") or None
    if subject is not None:
        try:
            re.compile(subject)
        except re.error as error:
            return JSONResponse({"error": f"subject is not a valid regex: {error}"}, 400)
    messages = request.state.store.messages(request.query_params.get("to") or None, subject)
    return JSONResponse([_summary(m) for m in reversed(messages)])


async def show_message(request: Request) -> Response:
    """``GET /api/messages/{id}``: headers, bodies, parts and links."""
    message = request.state.store.get(request.path_params["id"])
    if message is None:
        return _not_found(request)
    return JSONResponse(_detail(message))


async def raw_message(request: Request) -> Response:
    """``GET /api/messages/{id}/raw``: the bytes as received."""
    message = request.state.store.get(request.path_params["id"])
    if message is None:
        return _not_found(request)
    return Response(message.raw, media_type="message/rfc822")


async def delete_message(request: Request) -> Response:
    if not request.state.store.delete(request.path_params["id"]):
        return _not_found(request)
    return Response(status_code=204)


async def clear_messages(request: Request) -> Response:
    """``DELETE /api/messages[?to=]``: everyone's mail, or one recipient's."""
    request.state.store.clear(request.query_params.get("to") or None)
    return Response(status_code=204)


def _not_found(request: Request) -> Response:
    message_id = request.path_params["id"]
    return JSONResponse({"error": f"no message with id {message_id!r}"}, 404)


def _summary(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "seq": message.seq,
        "received_at": message.received_at.isoformat(),
        "mail_from": message.mail_from,
        "rcpt_tos": message.rcpt_tos,
        "from": message.from_,
        "to": message.to,
        "subject": message.subject,
        "size": len(message.raw),
    }


def _detail(message: Message) -> dict[str, Any]:
    return {
        **_summary(message),
        "cc": message.cc,
        "headers": message.headers.multi_items(),
        "text": message.text,
        "html": message.html,
        "parts": [
            {
                "content_type": part.content_type,
                "charset": part.charset,
                "disposition": part.disposition,
                "filename": part.filename,
                "size": part.size,
            }
            for part in message.parts
        ],
        "links": [{"url": link.url, "text": link.text} for link in message.links],
        "parse_error": message.parse_error,
    }


def _for_page(message: Message) -> dict[str, Any]:
    return {
        **_detail(message),
        "received": message.received_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "from_display": message.headers.get("From", message.mail_from),
        "links": [{"url": link.url, "text": link.text, "clickable": _clickable(link.url)} for link in message.links],
    }


def _clickable(url: str) -> bool:
    # Autoescaping stops markup, not a "javascript:" href; only known-safe
    # schemes become anchors, the rest are shown as text.
    return urlsplit(url).scheme.lower() in _CLICKABLE
