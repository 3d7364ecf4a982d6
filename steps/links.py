"""Steps where a customer opens what her emails hold, or asks the portal for a login link."""

from __future__ import annotations

from pytest_bdd import given, when

from .phrases import phrase
from .screenplay.cast import Cast
from .screenplay.devices import PageState
from .screenplay.questions import TheManagementUrl, WhatTheDeviceShows
from .screenplay.tasks import (
    AcceptTheInvitation,
    AskForALoginLink,
    AskForALoginLinkFromTheVerifyPage,
    KeepTheManagementUrl,
    OpenANewLoginLink,
    OpenTheLoginLink,
    OpenTheManagementUrl,
)


@when(phrase(r"{WHO} accepts {WHOSE} (?P<which>new )?invitation on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str, which: str | None) -> None:
    """She opens the link of her latest invitation on that device."""
    cast[who].attempts_to(AcceptTheInvitation(on=device))


@when(phrase(r"{WHO} opens {WHOSE} first invitation on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She opens the link of her first invitation (an older one) on that device."""
    cast[who].attempts_to(AcceptTheInvitation(on=device, which="first"))


@given(phrase(r"{WHO} asked for (?:a|another) login link on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """On the sign-in page of that device she asked for a login link, and it has arrived."""
    cast[who].attempts_to(AskForALoginLink(on=device, until_it_arrives=True))


@when(phrase(r"{WHO} asks for a login link on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """On the sign-in page of that device she asks for a login link."""
    cast[who].attempts_to(AskForALoginLink(on=device))


@given(phrase(r"{WHO} asked for (?P<count>\d+) login links within the hour"))
def _(cast: Cast, who: str, count: str) -> None:
    """She asked for that many login links from her laptop, each of which arrived."""
    customer = cast[who]
    customer.attempts_to(*[AskForALoginLink(on="laptop", until_it_arrives=True)] * int(count))


@given(phrase(r"{WHO} opened a login link on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She asked for a login link on that device and opened it there."""
    customer = cast[who]
    customer.attempts_to(AskForALoginLink(on=device, until_it_arrives=True), OpenTheLoginLink(on=device))


@when(phrase(r"{WHO} opens {WHOSE} (?P<which>first )?login link on {WHOSE} {DEVICE}"))
@when(phrase(r"{WHO} opens the (?P<which>same) login link on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str, which: str | None) -> None:
    """She opens her latest (or first) login link on that device."""
    cast[who].attempts_to(OpenTheLoginLink(on=device, which="first" if which == "first " else "latest"))


@when(phrase(r"{WHO} opens a new login link on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She asks for a new login link and opens it on that device."""
    cast[who].attempts_to(OpenANewLoginLink(on=device))


@given(phrase(r"{WHO} opened {WHOSE} management URL on {WHOSE} {DEVICE}"))
@when(phrase(r"{WHO} opens {WHOSE} management URL on {WHOSE} {DEVICE}"))
@when(phrase(r"{WHO} opens the management URL from {WHOSE} invitation on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She opens the management URL from her latest portal email on that device."""
    cast[who].attempts_to(OpenTheManagementUrl(on=device))


@given(phrase(r"{WHO} kept {WHOSE} management URL"))
def _(cast: Cast, who: str) -> None:
    """She keeps the management URL her email holds now, to open it later."""
    cast[who].attempts_to(KeepTheManagementUrl())


@when(phrase(r"{WHO} opens the management URL {WHO2} kept on {WHOSE} {DEVICE}".replace("{WHO2}", "(?:she|he|they)")))
def _(cast: Cast, who: str, device: str) -> None:
    """She opens the management URL she kept earlier on that device."""
    customer = cast[who]
    customer.attempts_to(OpenTheManagementUrl(on=device, url=customer.recall("kept management URL")))


@when(phrase(r"{WHO} opens (?P<other>[A-Z][a-z]+)'s management URL on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, other: str, device: str) -> None:
    """She opens another customer's management URL on her device."""
    url = cast[other].asks(TheManagementUrl())
    cast[who].attempts_to(OpenTheManagementUrl(on=device, url=url))


@when(phrase(r"{WHO} opens the invitation link of {WHOSE} invitation on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She opens the invitation link of her latest invitation, not its management URL."""
    cast[who].attempts_to(AcceptTheInvitation(on=device))


@given(phrase(r"{WHO} asked for a login link from the verify page on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """Her management URL took that device to the verify-this-device page, where she asked for a login link."""
    cast[who].attempts_to(OpenTheManagementUrl(on=device), AskForALoginLinkFromTheVerifyPage(on=device))
    shown = cast[who].asks(WhatTheDeviceShows(device))
    assert shown is PageState.LOGIN_LINK_SENT, f"asking from the verify page should say a link was sent, not {shown.value}"


@when(phrase(r"{WHO} asks for a login link from the verify page on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """On the verify-this-device page she asks for a login link to be emailed."""
    cast[who].attempts_to(AskForALoginLinkFromTheVerifyPage(on=device))
    shown = cast[who].asks(WhatTheDeviceShows(device))
    assert shown is PageState.LOGIN_LINK_SENT, f"asking from the verify page should say a link was sent, not {shown.value}"
