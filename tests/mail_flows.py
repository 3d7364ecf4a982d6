"""What the fake_mail tests share: composing a portal-like email, and knowing a reader waits."""

from __future__ import annotations

import threading
from email.message import EmailMessage
from typing import Any

import pytest

from fake_mail import MailStore


def compose(to: str, subject: str, text: str | None = None, html: str | None = None) -> EmailMessage:
    """An email as the portal sends one: plain text, HTML, or both as alternatives."""
    mail = EmailMessage()
    mail["From"] = "Billing Portal <no-reply@portal.example>"
    mail["To"] = to
    mail["Subject"] = subject
    if text is not None:
        mail.set_content(text)
    if html is not None:
        if text is None:
            mail.set_content(html, subtype="html")
        else:
            mail.add_alternative(html, subtype="html")
    return mail


def signal_when_waiting(store: MailStore, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once a reader is blocked waiting on `store`, so a writer can deliver strictly after
    the wait began (no sleeping to get the order)."""
    event = threading.Event()
    condition = store._arrived
    original = condition.wait

    def wait(timeout: float | None = None) -> bool:
        event.set()
        return original(timeout)

    monkeypatch.setattr(condition, "wait", wait)
    return event


def signal_when_watched(store: MailStore, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once any reader opens a watch on `store`: a thread in `wait_for`, or an HTTP wait or
    event stream on the server. Mail sent after it is new to that reader (no sleeping)."""
    event = threading.Event()
    original = store.watch

    def watch(*args: Any, **kwargs: Any) -> Any:
        event.set()
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "watch", watch)
    return event
