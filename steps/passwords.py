"""Steps about password sign-in, when the target has password logins."""

from __future__ import annotations

import secrets

from pytest_bdd import given, then, when

from .customers import accept_the_invitation
from .phrases import phrase
from .screenplay.cast import Cast
from .screenplay.questions import TheAccountShown
from .screenplay.tasks import ChooseAPassword, GiveAPassword, SignInWithPassword, SignInWithPasswordAsEach


@given(phrase(r"{WHO} has a password"))
def _(cast: Cast, who: str) -> None:
    """The merchant sets a password for the customer through the control API."""
    cast.merchant.attempts_to(GiveAPassword(cast[who], f"pw-{secrets.token_urlsafe(12)}"))


@given(phrase(r"{WHO} has a password and a verified {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She accepted her invitation on that device (her email and that device verified), then the
    merchant set her a password through the control API."""
    customer = accept_the_invitation(cast, who, device)
    cast.merchant.attempts_to(GiveAPassword(customer, f"pw-{secrets.token_urlsafe(12)}"))


@given(phrase(r"{WHO} signed in with {WHOSE} password on {WHOSE} {DEVICE}"))
@when(phrase(r"{WHO} signs in with {WHOSE} password on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She signs in with her email address and password on that device (from the sign-in page she has open there, if any)."""
    cast[who].attempts_to(SignInWithPassword(on=device))


@then(phrase(r"{WHOSE} password no longer signs {WHOSE} in on {WHOSE} {DEVICE}"))
def _(cast: Cast, device: str) -> None:
    """She sends her password from the sign-in page (the one her device has open, if any), and no account shows."""
    cast["she"].attempts_to(SignInWithPassword(on=device))
    shown = cast["she"].asks(TheAccountShown(device))
    assert not shown, f"with password logins off her password should not sign her in, but her {device} shows {shown!r}"


@given(phrase(r"someone tried (?:a wrong password|(?P<times>\d+) wrong passwords) for (?P<who>[A-Z][a-z]+)(?P<capitals>, typing {WHOSE} address in capitals)?"))
def _(cast: Cast, who: str, times: str | None, capitals: str | None) -> None:
    """Someone sent one (or that many) wrong passwords for the customer from a laptop of their own, her address typed as given."""
    try_wrong_passwords(cast, who, int(times or 1), capitals=bool(capitals))


@when(phrase(r"someone tries (?:a wrong password|(?P<times>\d+) wrong passwords) for (?P<who>[A-Z][a-z]+)(?P<capitals>, typing {WHOSE} address in capitals)?"))
def _(cast: Cast, who: str, times: str | None, capitals: str | None) -> None:
    """Someone sends one (or that many) wrong passwords for the customer, her address typed as given."""
    try_wrong_passwords(cast, who, int(times or 1), capitals=bool(capitals))


@when(phrase(r"{WHO} chooses a password on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """On the choose-a-password page her device shows, she chooses one (and remembers it)."""
    cast[who].attempts_to(ChooseAPassword(on=device, password=f"pw-{secrets.token_urlsafe(12)}"))


def try_wrong_passwords(cast: Cast, who: str, times: int, *, capitals: bool = False) -> None:
    """A stranger sends `times` wrong passwords for the customer's address (typed in capitals,
    if asked), from a laptop of their own."""
    address = cast[who].recall("customer")["email"]
    address = address.upper() if capitals else address
    stranger = cast.stranger()
    for attempt in range(times):
        stranger.attempts_to(SignInWithPassword(on="laptop", address=address, password=f"wrong-{attempt}-guess"))


@when(phrase(r"someone signs in as (?P<who>[A-Z][a-z]+) with a wrong password and as an unknown address"))
def _(cast: Cast, who: str) -> None:
    """Someone tries a wrong password for a customer, then any password for an unknown address."""
    customer = cast[who]
    someone = cast.stranger()
    someone.attempts_to(SignInWithPasswordAsEach((customer, someone), password="not-her-password-1"))


@then(phrase(r"(?:both|all three) answers read the same"))
def _(cast: Cast) -> None:
    """The answers compared were alike on every channel: status, page and text."""
    answers = cast.someone.recall("answers")
    assert len(set(answers)) == 1, "the answers differ, so they tell addresses apart:\n" + "\n---\n".join(answers)
