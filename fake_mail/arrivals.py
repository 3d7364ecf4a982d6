"""Mail arriving in the store, as an asyncio reader sees it: for the HTTP wait and the live inbox.

The SMTP thread stores a mail and calls the watch's callback, which sets an
:class:`asyncio.Event` on the reader's loop; the reader then takes what is new.
Nothing polls: between arrivals the reader awaits that event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from fake_mail.message import Message
from fake_mail.store import Criteria, MailStore

__all__ = ["arrivals", "first_match"]


async def arrivals(store: MailStore, recipient: str | None, after: int | None) -> AsyncGenerator[list[Message], None]:
    """Batches of ``recipient``'s mail above ``after`` (None: stored mail too), as it arrives, forever.

    Close it (``contextlib.aclosing``) when done: an open one keeps retention
    from dropping what it has not yet handed over.
    """
    loop = asyncio.get_running_loop()
    arrived = asyncio.Event()

    def wake() -> None:
        try:
            loop.call_soon_threadsafe(arrived.set)
        except RuntimeError:  # the loop has closed: nobody is reading any more
            pass

    with store.watch(recipient, after, on_arrival=wake) as watch:
        while True:
            arrived.clear()
            fresh = watch.fresh()
            if fresh:
                yield fresh
            else:
                await arrived.wait()


async def first_match(store: MailStore, criteria: Criteria, after: int | None, timeout: float) -> Message | None:
    """The first mail matching ``criteria`` above ``after``, or None once ``timeout`` s have passed."""
    batches = arrivals(store, criteria.recipient, after)
    try:
        async with asyncio.timeout(timeout):
            async for batch in batches:
                for message in batch:
                    if criteria.matches(message):
                        return message
    except TimeoutError:
        return None
    finally:
        await batches.aclose()
    raise AssertionError("unreachable: arrivals never ends")  # pragma: no cover
