"""Steps about what the sign-in page answers to anyone who asks for a login link."""

from __future__ import annotations

from pytest_bdd import then, when

from .phrases import phrase
from .screenplay.cast import Cast
from .screenplay.questions import TheNewEmail, TheNewEmailWithinTheQuietTime
from .screenplay.tasks import AskForLoginLinksFor


@when(phrase(r"someone asks for login links for (?P<first>[A-Z][a-z]+), (?P<second>[A-Z][a-z]+) and an unknown address"))
def _(cast: Cast, first: str, second: str) -> None:
    """Someone asks for login links for two customers and an unknown address."""
    someone = cast.stranger()
    someone.attempts_to(AskForLoginLinksFor((cast[first], cast[second], someone)))
    cast.spotlight(cast[first])


@then(phrase(r"only (?P<who>[A-Z][a-z]+) receives a login link"))
def _(cast: Cast, who: str) -> None:
    """Of those, only that customer receives a login link (the others' mailboxes watched for the quiet time)."""
    lucky = cast[who]
    strays = {person.name: person.asks(TheNewEmailWithinTheQuietTime("login_link")) for person in cast.someone.recall("asked for") if person is not lucky}
    assert lucky.asks(TheNewEmail("login_link")) and not any(strays.values()), f"only {lucky.name} should receive a login link: {strays}"
