"""The sink's JSON API: what tools and :class:`fake_mail.RemoteSink` read.

``GET /api/messages/wait`` answers the first matching mail the moment it is
stored (a long poll: the request awaits an event, nothing polls).
``GET /api/events`` streams arrivals as server-sent events (the inbox page's
live update).  Handlers find the store as ``request.state.store``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from fake_mail.arrivals import arrivals, first_match
from fake_mail.message import Message
from fake_mail.store import Criteria, MailStore

__all__ = ["MAX_WAIT_S", "detail", "not_found", "routes", "summary"]

# The longest a wait may be asked to last; a test step waits seconds, not minutes.
MAX_WAIT_S = 600.0
_DEFAULT_WAIT_S = 5.0


class _BadQuery(Exception):
    """A query parameter that cannot be used; its text says which and why."""


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
    shown = _transfer if with_raw else summary
    return JSONResponse([shown(m) for m in reversed(messages)])


async def show_cursor(request: Request) -> Response:
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
                    f"id: {m.seq}\nevent: message\ndata: {json.dumps(summary(m))}\n\n" for m in batch
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
        return not_found(request)
    return JSONResponse(detail(message))


async def raw_message(request: Request) -> Response:
    """``GET /api/messages/{id}/raw``: the bytes as received."""
    message = request.state.store.get(request.path_params["id"])
    if message is None:
        return not_found(request)
    return Response(message.raw, media_type="message/rfc822")


async def delete_message(request: Request) -> Response:
    if not request.state.store.delete(request.path_params["id"]):
        return not_found(request)
    return Response(status_code=204)


async def clear_messages(request: Request) -> Response:
    """``DELETE /api/messages[?to=]``: everyone's mail, or one recipient's."""
    request.state.store.clear(request.query_params.get("to") or None)
    return Response(status_code=204)


def not_found(request: Request) -> Response:
    message_id = request.path_params["id"]
    return JSONResponse({"error": f"no message with id {message_id!r}"}, 404)


def summary(message: Message) -> dict[str, Any]:
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
    return {**summary(message), "raw_base64": base64.b64encode(message.raw).decode("ascii")}


def detail(message: Message) -> dict[str, Any]:
    return {
        **summary(message),
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


routes = [
    Route("/api/cursor", show_cursor, methods=["GET"]),
    Route("/api/events", events, methods=["GET"]),
    Route("/api/messages/wait", wait_message, methods=["GET"]),
    Route("/api/messages", list_messages, methods=["GET"]),
    Route("/api/messages", clear_messages, methods=["DELETE"]),
    Route("/api/messages/{id}", show_message, methods=["GET"]),
    Route("/api/messages/{id}", delete_message, methods=["DELETE"]),
    Route("/api/messages/{id}/raw", raw_message, methods=["GET"]),
]
