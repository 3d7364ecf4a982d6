"""Then-steps about the emails a customer receives, read at the sink."""

from __future__ import annotations

from pytest_bdd import then

from .screenplay.cast import Cast

from .screenplay.abilities import ReadMailbox
from .phrases import phrase
from .screenplay.tasks import ReadTheManagementUrl, latest_email, mail_cursor

KINDS = {"invitation": "invitation", "login link": "login_link", "account email": "account"}


@then(phrase(r"{WHO} receives (?:an|a new|a) (?P<kind>invitation|login link|account email)"))
def _(cast: Cast, who: str, kind: str) -> None:
    """An email of that kind reaches the customer after the action before."""
    customer = cast[who]
    customer.ability_to(ReadMailbox).wait_for(KINDS[kind], after=mail_cursor(customer, KINDS[kind]))


@then(phrase(r"{WHO} receives no (?:new )?(?P<kind>invitation|login link|account email)"))
def _(cast: Cast, who: str, kind: str) -> None:
    """No email of that kind reaches the customer, watched for the profile's quiet time."""
    customer = cast[who]
    customer.ability_to(ReadMailbox).expect_none(KINDS[kind], after=mail_cursor(customer, KINDS[kind]))


ACTION_LINKS = {"an invitation link": "invitation", "a login link": "login_link"}


@then(phrase(r"{WHOSE} (?P<kind>invitation|login link email|account email) holds (?P<what>an invitation link|a login link|{WHOSE} management URL)"))
def _(cast: Cast, kind: str, what: str) -> None:
    """Her latest email of that kind holds an invitation link, a login link, or her current management URL."""
    customer = cast["she"]
    mailbox = customer.ability_to(ReadMailbox)
    kind_key = {"invitation": "invitation", "login link email": "login_link", "account email": "account"}[kind]
    message = latest_email(customer, kind_key)
    if what in ACTION_LINKS:
        pattern = mailbox.profile.emails[ACTION_LINKS[what]].action_link
        assert pattern is not None
        message.link(pattern.pattern)  # raises with the links it did find
        return
    emailed = message.link(mailbox.profile.management_url.pattern).url
    # Hers and the current one, not just any link of that shape: the merchant's view must agree.
    cast.merchant.attempts_to(ReadTheManagementUrl(customer))
    _, answer = cast.merchant.recall("management link read")
    assert emailed == answer["url"], f"the {kind} holds {emailed}, but her current management URL is {answer['url']}"
