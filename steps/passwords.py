"""Steps about password sign-in, when the target has password logins."""

from __future__ import annotations

import secrets

from pytest_bdd import given, then, when

from portalcheck.cast import Cast

from .phrases import phrase
from .questions import TheAnswerText
from .tasks import GiveAPassword, SignInWithPassword


@given(phrase(r"{WHO} has a password"))
def _(cast: Cast, who: str) -> None:
    """The merchant sets a password for the customer through the control API."""
    cast.merchant.attempts_to(GiveAPassword(cast[who], f"pw-{secrets.token_urlsafe(12)}"))


@given(phrase(r"{WHO} signed in with {WHOSE} password on {WHOSE} {DEVICE}"))
@when(phrase(r"{WHO} signs in with {WHOSE} password on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She signs in with her email address and password on that device."""
    customer = cast[who]
    open_page = device in customer.recall("sign-in page open on", ())
    customer.attempts_to(SignInWithPassword(on=device, from_open_page=open_page))


@given(phrase(r"someone tried (?P<times>\d+) wrong passwords for (?P<who>[A-Z][a-z]+)"))
def _(cast: Cast, who: str, times: str) -> None:
    """Someone sent that many wrong passwords for the customer from her laptop."""
    customer = cast[who]
    stranger = cast.stranger()
    address = customer.recall("customer")["email"]
    for attempt in range(int(times)):
        stranger.attempts_to(SignInWithPassword(on="laptop", address=address, password=f"wrong-{attempt}-guess"))


@when(phrase(r"someone signs in as (?P<who>[A-Z][a-z]+) with a wrong password and as an unknown address"))
def _(cast: Cast, who: str) -> None:
    """Someone tries a wrong password for a customer, then any password for an unknown address."""
    customer = cast[who]
    stranger = cast.stranger()
    unknown = stranger.recall("customer")["email"]
    known = customer.recall("customer")["email"]
    stranger.attempts_to(SignInWithPassword(on="laptop", address=known, password="not-her-password-1"))
    first = stranger.asks(TheAnswerText("laptop", masking=(known,)))
    stranger.attempts_to(SignInWithPassword(on="laptop", address=unknown, password="not-her-password-1"))
    second = stranger.asks(TheAnswerText("laptop", masking=(unknown,)))
    cast.merchant.remember("answers", [first, second])


@then(phrase(r"(?:both|all three) answers read the same"))
def _(cast: Cast) -> None:
    """The answers compared were alike on every channel: status, page and text."""
    answers = cast.merchant.recall("answers")
    assert len(set(answers)) == 1, "the answers differ, so they tell addresses apart:\n" + "\n---\n".join(answers)
