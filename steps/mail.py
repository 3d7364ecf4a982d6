"""Then-steps about the emails a customer receives, read at the sink."""

from __future__ import annotations

from pytest_bdd import then

from .phrases import phrase
from .screenplay.cast import Cast
from .screenplay.questions import TheCurrentManagementUrl, TheLinkIn, TheNewEmail, TheNewEmailWithinTheQuietTime

KINDS = {"invitation": "invitation", "login link": "login_link", "account email": "account", "login link email": "login_link"}


@then(phrase(r"{WHO} receives (?:an|a new|a) (?P<kind>invitation|login link|account email)"))
def _(cast: Cast, who: str, kind: str) -> None:
    """An email of that kind reaches the customer after the action before."""
    cast[who].asks(TheNewEmail(KINDS[kind]))  # waits for it: on none, the sink says what came instead


@then(phrase(r"{WHO} receives no (?:new )?(?P<kind>invitation|login link|account email)"))
def _(cast: Cast, who: str, kind: str) -> None:
    """No email of that kind reaches the customer, watched for the profile's quiet time."""
    arrived = cast[who].asks(TheNewEmailWithinTheQuietTime(KINDS[kind]))
    assert arrived is None, f"expected no new {kind} for {cast[who].name}, but got #{arrived.seq} {arrived.subject!r} (id {arrived.id})"


LINKS = {"an invitation link": "invitation", "a login link": "login_link"}


@then(phrase(r"{WHOSE} (?P<kind>invitation|login link email|account email) holds (?P<what>an invitation link|a login link|{WHOSE} management URL)"))
def _(cast: Cast, kind: str, what: str) -> None:
    """Her latest email of that kind holds an invitation link, a login link, or her current management URL."""
    emailed = cast["she"].asks(TheLinkIn(KINDS[kind], LINKS.get(what, "management")))  # raises with the links it did find
    # Hers and the current one, not just any link of that shape: the merchant's view must agree.
    current = emailed if what in LINKS else cast.merchant.asks(TheCurrentManagementUrl(cast["she"]))
    assert emailed == current, f"the {kind} holds {emailed}, but her current management URL is {current}"
