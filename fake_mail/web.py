"""The HTTP face of the sink: a JSON API for tools and an inbox page for people.

``GET /api/messages/wait`` answers the first matching mail the moment it is
stored (a long poll: the request waits on an event, nothing polls), which is
how :class:`fake_mail.RemoteSink` reads a sink run by another process.
``GET /api/events`` streams arrivals as server-sent events for the inbox page.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from fake_mail.arrivals import arrivals, first_match
from fake_mail.message import Message
from fake_mail.store import Criteria, MailStore

__all__ = ["MAX_WAIT_S", "PREVIEW_HEAD", "create_app", "preview_html"]

# The longest a wait may be asked to last; a test step waits seconds, not minutes.
MAX_WAIT_S = 600.0
_DEFAULT_WAIT_S = 5.0

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


class _BadQuery(Exception):
    """A query parameter that cannot be used; its text says which and why."""


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
            return _not_found(request)
        page = templates.get_template("_message.html").render(m=_for_page(message))
        return HTMLResponse(page, headers={"Content-Security-Policy": "default-src 'none'"})

    return Starlette(
        routes=[
            Route("/", inbox, methods=["GET"]),
            Route("/messages/{id}/card", message_card, methods=["GET"]),
            Route("/api/cursor", cursor, methods=["GET"]),
            Route("/api/events", events, methods=["GET"]),
            Route("/api/messages/wait", wait_message, methods=["GET"]),
            Route("/api/messages", list_messages, methods=["GET"]),
            Route("/api/messages", clear_messages, methods=["DELETE"]),
            Route("/api/messages/{id}", show_message, methods=["GET"]),
            Route("/api/messages/{id}", delete_message, methods=["DELETE"]),
            Route("/api/messages/{id}/raw", raw_message, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


async def list_messages(request: Request) -> Response:
    """``GET /api/messages?to=&subject=[&after=SEQ][&raw=1]``: summaries, newest first.

    With ``raw=1`` each carries its bytes too (``raw_base64``), as the wait does.
    """
    try:
        criteria = _criteria(request.query_params)
        after = _after(request.query_params)
        with_raw = _flag(request.query_params, "raw")
    except _BadQuery as error:
        return JSONResponse({"error": str(error)}, 400)
    messages = request.state.store.messages(criteria.recipient, criteria.subject, after=after)
    shown = _transfer if with_raw else _summary
    return JSONResponse([shown(m) for m in reversed(messages)])


async def cursor(request: Request) -> Response:
    """``GET /api/cursor``: the sequence number of the latest mail, for ``after=``."""
    return JSONResponse({"cursor": request.state.store.cursor()})


async def wait_message(request: Request) -> Response:
    """``GET /api/messages/wait?to=&subject=&after=&timeout=``: the first matching mail above ``after``.

    Answers 200 with the mail (summary and ``raw_base64``) as soon as it is
    stored; without ``after`` mail already stored counts too.  After
    ``timeout`` s (default 5) it answers 408 with ``error`` saying what was
    awaited and what did arrive.  A client that leaves stops the wait.
    """
    try:
        criteria = _criteria(request.query_params)
        after = _after(request.query_params)
        timeout = _timeout(request.query_params)
    except _BadQuery as error:
        return JSONResponse({"error": str(error)}, 400)
    store: MailStore = request.state.store
    waiting = asyncio.ensure_future(first_match(store, criteria, after, timeout))
    leaving = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({waiting, leaving}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiting, leaving):
            task.cancel()
        await asyncio.gather(waiting, leaving, return_exceptions=True)
    if waiting.cancelled():
        return Response(status_code=499)  # nobody is there to read it
    found = waiting.result()
    if found is None:
        body = {
            "error": store.explain_timeout(criteria, after, timeout),
            "awaited": criteria.describe(),
            "after": after,
            "timeout": timeout,
        }
        return JSONResponse(body, 408)
    return JSONResponse(_transfer(found))


async def events(request: Request) -> Response:
    """``GET /api/events?to=[&after=SEQ]``: server-sent events, one ``message`` event per mail stored.

    Each event's id is the mail's sequence number and its data the summary;
    a reconnecting ``EventSource`` sends ``Last-Event-ID`` and misses nothing.
    Without either, the stream starts with what arrives next.
    """
    try:
        recipient = _criteria(request.query_params).recipient
        after = _after({"after": request.headers.get("last-event-id") or request.query_params.get("after", "")})
    except _BadQuery as error:
        return JSONResponse({"error": str(error)}, 400)
    store: MailStore = request.state.store
    start = store.cursor() if after is None else after

    async def stream() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        async with aclosing(arrivals(store, recipient, start)) as batches:
            async for batch in batches:
                yield "".join(
                    f"id: {m.seq}\nevent: message\ndata: {json.dumps(_summary(m))}\n\n" for m in batch
                )

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _criteria(params: Mapping[str, str]) -> Criteria:
    subject = params.get("subject") or None
    if subject is not None:
        try:
            re.compile(subject)
        except re.error as error:
            raise _BadQuery(f"subject is not a valid regex: {error}") from None
    return Criteria(params.get("to") or None, subject, None)


def _after(params: Mapping[str, str]) -> int | None:
    text = params.get("after", "")
    if text == "":
        return None
    if not text.isascii() or not text.isdigit():
        raise _BadQuery(f"after must be a sequence number (a whole number, 0 or more), not {text!r}")
    return int(text)


def _timeout(params: Mapping[str, str]) -> float:
    text = params.get("timeout", "")
    if text == "":
        return _DEFAULT_WAIT_S
    try:
        seconds = float(text)
    except ValueError:
        raise _BadQuery(f"timeout must be a number of seconds, not {text!r}") from None
    if not 0 <= seconds <= MAX_WAIT_S:  # also refuses nan
        raise _BadQuery(f"timeout must be from 0 to {MAX_WAIT_S:g} seconds, not {text!r}")
    return seconds


def _flag(params: Mapping[str, str], name: str) -> bool:
    text = params.get(name, "0")
    if text not in {"0", "1"}:
        raise _BadQuery(f"{name} must be 0 or 1, not {text!r}")
    return text == "1"


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


def _transfer(message: Message) -> dict[str, Any]:
    """The summary and the bytes: all a client needs to rebuild the :class:`Message`."""
    return {**_summary(message), "raw_base64": base64.b64encode(message.raw).decode("ascii")}


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
