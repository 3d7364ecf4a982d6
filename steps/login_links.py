"""Steps about what the sign-in page answers to anyone who asks for a login link."""

from __future__ import annotations

from pytest_bdd import then, when

from .screenplay.cast import Cast

from .screenplay.abilities import ReadMailbox
from .screenplay.questions import TheAnswerText
from .phrases import phrase
from .screenplay.tasks import AskForALoginLink, mail_cursor, note_mail_cursor


@when(phrase(r"someone asks for login links for (?P<first>[A-Z][a-z]+), (?P<second>[A-Z][a-z]+) and an unknown address"))
def _(cast: Cast, first: str, second: str) -> None:
    """Someone asks for login links for two customers and an unknown address."""
    stranger = cast.stranger()
    answers = []
    for person in (cast[first], cast[second], stranger):
        address = person.recall("customer")["email"]
        note_mail_cursor(person, "login_link")
        stranger.attempts_to(AskForALoginLink(on="laptop", address=address))
        answers.append(stranger.asks(TheAnswerText("laptop", masking=(address,))))
    cast.merchant.remember("answers", answers)
    cast.merchant.remember("asked for", (cast[first], cast[second], stranger))
    cast.spotlight(cast[first])


@then(phrase(r"only (?P<who>[A-Z][a-z]+) receives a login link"))
def _(cast: Cast, who: str) -> None:
    """Of those, only that customer receives a login link."""
    lucky = cast[who]
    for person in cast.merchant.recall("asked for"):
        mailbox = person.ability_to(ReadMailbox)
        if person is lucky:
            mailbox.wait_for("login_link", after=mail_cursor(person, "login_link"))
        else:
            mailbox.expect_none("login_link", after=mail_cursor(person, "login_link"))
