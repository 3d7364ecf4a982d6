"""Steps about who the customers are and what the merchant does for them."""

from __future__ import annotations

import secrets

from pytest_bdd import given, then, when

from portalcheck.cast import Cast

from .devices import PageState
from .phrases import phrase
from .questions import TheCustomerRecord, WhatTheDeviceShows
from .tasks import AcceptTheInvitation, ChooseAPassword, CreateASubscription, Invite, RevokeAccess, SendAnAccountEmail


@given(phrase(r"{WHO} is a customer"))
def _(cast: Cast, who: str) -> None:
    cast[who]  # registers her with the site, with a faker identity


@given(phrase(r"{WHO} was invited"))
def _(cast: Cast, who: str) -> None:
    cast.merchant.attempts_to(Invite(cast[who]))


@given(phrase(r"{WHO} was invited (?P<times>\d+) times"))
def _(cast: Cast, who: str, times: str) -> None:
    customer = cast[who]
    cast.merchant.attempts_to(*[Invite(customer)] * int(times))


@given(phrase(r"{WHO} accepted {WHOSE} invitation on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    customer = cast[who]
    cast.merchant.attempts_to(Invite(customer))
    customer.attempts_to(AcceptTheInvitation(on=device))
    shown = customer.asks(WhatTheDeviceShows(device))
    if shown is PageState.CHOOSE_PASSWORD:  # INV-8: asked to, she chooses one
        customer.attempts_to(ChooseAPassword(on=device, password=f"pw-{secrets.token_urlsafe(12)}"))
        shown = customer.asks(WhatTheDeviceShows(device))
    assert shown is PageState.ACCOUNT, f"accepting the invitation should show the account, not {shown.value}"


@given(phrase(r"(?P<who>[A-Z][a-z]+)'s portal access was revoked"))
def _(cast: Cast, who: str) -> None:
    customer = cast[who]
    cast.merchant.attempts_to(Invite(customer), RevokeAccess(customer))


@given(phrase(r"the merchant revoked {WHO}'s portal access"))
@when(phrase(r"the merchant revokes {WHO}'s portal access"))
def _(cast: Cast, who: str) -> None:
    cast.merchant.attempts_to(RevokeAccess(cast[who]))


@given(phrase(r"the merchant invited {WHO} again"))
@when(phrase(r"the merchant invites {WHO}(?: again)?"))
def _(cast: Cast, who: str) -> None:
    cast.merchant.attempts_to(Invite(cast[who], expect=(202, 422)))


@when(phrase(r"a subscription is created for {WHO}"))
def _(cast: Cast, who: str) -> None:
    cast.merchant.attempts_to(CreateASubscription(cast[who]))


@when(phrase(r"the merchant sends {WHO} an account email"))
def _(cast: Cast, who: str) -> None:
    cast.merchant.attempts_to(SendAnAccountEmail(cast[who]))


@then(phrase(r"the merchant is told there were too many invitations"))
def _(cast: Cast) -> None:
    status = cast.merchant.recall("last status")
    assert status == 422, f"a sixth invitation within 30 minutes should be refused with 422, not {status}"


@then(phrase(r"{WHOSE} email address is verified"))
def _(cast: Cast) -> None:
    record = cast.merchant.asks(TheCustomerRecord(cast["she"]))
    assert record["email_verified"] is True, f"the control API says the email is not verified: {record}"
