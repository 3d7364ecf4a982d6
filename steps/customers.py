"""Steps about who the customers are and what the merchant does for them."""

from __future__ import annotations

import secrets

from pytest_bdd import given, then, when

from .phrases import phrase
from .screenplay.actors import Actor
from .screenplay.cast import Cast
from .screenplay.devices import PageState
from .screenplay.questions import TheCustomerRecord, WhatTheDeviceShows
from .screenplay.tasks import (
    AcceptTheInvitation,
    ChooseAPassword,
    CreateASubscription,
    Invite,
    RevokeAccess,
    SendAnAccountEmail,
)


@given(phrase(r"{WHO} is a customer"))
def _(cast: Cast, who: str) -> None:
    """The customer is registered with the site (a faker identity); nothing is sent."""
    cast[who]  # registers her with the site, with a faker identity


@given(phrase(r"{WHO} was invited"))
def _(cast: Cast, who: str) -> None:
    """The merchant invites the customer; her invitation has arrived."""
    cast.merchant.attempts_to(Invite(cast[who]))


@given(phrase(r"{WHO} was invited (?P<times>\d+) times"))
def _(cast: Cast, who: str, times: str) -> None:
    """The merchant invites the customer that many times; each invitation has arrived."""
    customer = cast[who]
    cast.merchant.attempts_to(*[Invite(customer)] * int(times))


@given(phrase(r"{WHO} accepted {WHOSE} invitation on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """Invited, she opened the invitation on that device (choosing a password if asked) and sees her account."""
    accept_the_invitation(cast, who, device)


def accept_the_invitation(cast: Cast, who: str, device: str) -> Actor:
    """The merchant invites the customer and she accepts on `device`, choosing a password if the
    portal asks (INV-8); her account must then show. Higher-level Givens start from here."""
    customer = cast[who]
    cast.merchant.attempts_to(Invite(customer))
    customer.attempts_to(AcceptTheInvitation(on=device))
    shown = customer.asks(WhatTheDeviceShows(device))
    if shown is PageState.CHOOSE_PASSWORD:  # INV-8: asked to, she chooses one
        customer.attempts_to(ChooseAPassword(on=device, password=f"pw-{secrets.token_urlsafe(12)}"))
        shown = customer.asks(WhatTheDeviceShows(device))
    assert shown is PageState.ACCOUNT, f"accepting the invitation should show the account, not {shown.value}"
    return customer


@given(phrase(r"(?P<who>[A-Z][a-z]+)'s portal access was revoked"))
def _(cast: Cast, who: str) -> None:
    """The customer was invited, then the merchant revoked her portal access."""
    customer = cast[who]
    cast.merchant.attempts_to(Invite(customer), RevokeAccess(customer))


@given(phrase(r"the merchant revoked {WHO}'s portal access"))
@when(phrase(r"the merchant revokes {WHO}'s portal access"))
def _(cast: Cast, who: str) -> None:
    """The merchant revokes the customer's portal access through the control API."""
    cast.merchant.attempts_to(RevokeAccess(cast[who]))


@given(phrase(r"the merchant invited {WHO} again"))
@when(phrase(r"the merchant invites {WHO}(?: again)?"))
def _(cast: Cast, who: str) -> None:
    """The merchant invites the customer again (the portal may refuse: too many invitations)."""
    cast.merchant.attempts_to(Invite(cast[who], expect=(202, 422)))


@given(phrase(r"(?P<count>\d+) subscriptions were created for {WHO}"))
def _(cast: Cast, who: str, count: str) -> None:
    """The merchant created that many subscriptions for the customer, one after another."""
    customer = cast[who]
    cast.merchant.attempts_to(*[CreateASubscription(customer, product=f"Plan {n}") for n in range(1, int(count) + 1)])


@when(phrase(r"a subscription is created for {WHO}"))
def _(cast: Cast, who: str) -> None:
    """The merchant creates a subscription for the customer (which may invite her automatically)."""
    cast.merchant.attempts_to(CreateASubscription(cast[who]))


@when(phrase(r"the merchant sends {WHO} an account email"))
def _(cast: Cast, who: str) -> None:
    """The merchant sends the customer an account email (one that carries her management URL)."""
    cast.merchant.attempts_to(SendAnAccountEmail(cast[who]))


@then(phrase(r"the merchant is told there were too many invitations"))
def _(cast: Cast) -> None:
    """The last invitation was refused as one too many (422)."""
    status = cast.merchant.recall("last status")
    assert status == 422, f"a sixth invitation within 30 minutes should be refused with 422, not {status}"


@then(phrase(r"{WHOSE} email address is verified"))
def _(cast: Cast) -> None:
    """The control API reports the customer's email address as verified."""
    record = cast.merchant.asks(TheCustomerRecord(cast["she"]))
    assert record["email_verified"] is True, f"the control API says the email is not verified: {record}"
