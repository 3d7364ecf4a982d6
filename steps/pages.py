"""Then-steps about what a customer's device shows, and steps that just look at the portal."""

from __future__ import annotations

from pytest_bdd import given, then, when

from .phrases import phrase
from .screenplay.cast import Cast
from .screenplay.devices import PageState
from .screenplay.questions import (
    TheAccountShown,
    TheFormsShown,
    WhatTheDeviceShows,
    WhatTheDeviceShowsOnceDrawn,
    WhereTheDeviceIs,
)
from .screenplay.tasks import OpenTheManagementUrl, OpenTheSignInPage, SignOut, VisitThePortal


def expect_state(cast: Cast, device: str, expected: PageState, why: str) -> None:
    """Judge what her device shows (live, `WhatTheDeviceShows`) against what it should show, and why."""
    customer = cast["she"]
    shown = customer.asks(WhatTheDeviceShows(device))
    where = customer.asks(WhereTheDeviceIs(device))
    assert shown is expected, f"{customer.name}'s {device} should show {expected.value} ({why}); it shows {shown.value}: {where}"


@then(phrase(r"{WHOSE} {DEVICE} (?:still )?shows {WHOSE} account"))
def _(cast: Cast, device: str) -> None:
    """The device shows the account, and it is hers (her email address on it)."""
    customer, shown = cast["she"], cast["she"].asks(TheAccountShown(device))
    assert shown, f"{customer.name}'s {device} should show her account; it shows {customer.asks(WhatTheDeviceShows(device)).value}: {customer.asks(WhereTheDeviceIs(device))}"
    assert (email := customer.recall("customer")["email"]).lower() in shown.lower(), f"{customer.name}'s {device} shows an account, but not hers ({email}): {shown!r}"


@then(phrase(r"{WHOSE} {DEVICE} shows {WHOSE} signed out"))
def _(cast: Cast, device: str) -> None:
    """The device shows the sign-in page: no session."""
    expect_state(cast, device, PageState.SIGNED_OUT, "the sign-in page")


@then(phrase(r"{WHOSE} {DEVICE} is asked to verify this device"))
def _(cast: Cast, device: str) -> None:
    """The device shows the verify-this-device page."""
    expect_state(cast, device, PageState.VERIFY_DEVICE, "the verify-this-device page")


@then(phrase(r"{WHOSE} {DEVICE} is offered a new login link"))
def _(cast: Cast, device: str) -> None:
    """The device shows the expired-or-invalid-link page, with a form to ask for a new login link."""
    expect_state(cast, device, PageState.LINK_PROBLEM, "the expired-or-invalid-link page")
    assert "login_link_form" in cast["she"].asks(TheFormsShown(device)), "the expired-link page should offer a new login link"


@then(phrase(r"{WHOSE} {DEVICE} is told the link is not valid"))
def _(cast: Cast, device: str) -> None:
    """The device shows the expired-or-invalid-link page."""
    expect_state(cast, device, PageState.LINK_PROBLEM, "the expired-or-invalid-link page")


@then(phrase(r"{WHOSE} {DEVICE} asks {WHOSE} to choose a password"))
def _(cast: Cast, device: str) -> None:
    """The device shows the choose-a-password page."""
    expect_state(cast, device, PageState.CHOOSE_PASSWORD, "the choose-a-password page")


@then(phrase(r"{WHOSE} {DEVICE} does not show {WHOSE} account"))
def _(cast: Cast, device: str) -> None:
    """The device shows no account (judged live: a page drawn before a change is loaded again)."""
    customer = cast["she"]
    shown = customer.asks(TheAccountShown(device))
    assert not shown, f"{customer.name}'s {device} should not show her account, but shows {shown!r}: {customer.asks(WhereTheDeviceIs(device))}"


@then(phrase(r"{WHOSE} {DEVICE} does not show (?P<other>[A-Z][a-z]+)'s account"))
def _(cast: Cast, device: str, other: str) -> None:
    """The device shows no account of that other customer."""
    owner, other_email = cast["she"], cast[other].recall("customer")["email"]
    shown = cast.spotlight(owner).asks(TheAccountShown(device))  # naming Ben must not turn "her" into him
    assert other_email.lower() not in shown.lower(), f"{owner.name}'s {device} shows {other}'s account: {shown!r}"


@then(phrase(r"{WHOSE} {DEVICE} gets the usual answer"))
def _(cast: Cast, device: str) -> None:
    """The device says a login link is on its way, the answer every address gets."""
    expect_state(cast, device, PageState.LOGIN_LINK_SENT, "the usual 'check your email' answer")


@then(phrase(r"{WHOSE} {DEVICE} does not get the usual answer"))
def _(cast: Cast, device: str) -> None:
    """The device, once its page is drawn, does not say a login link is on its way."""
    shown = cast["she"].asks(WhatTheDeviceShowsOnceDrawn(device))
    assert shown is not PageState.LOGIN_LINK_SENT, f"a cross-site form should be refused, but {cast['she'].asks(WhereTheDeviceIs(device))} says a link was sent"


@then(phrase(r"{WHOSE} {DEVICE} offers no password form"))
def _(cast: Cast, device: str) -> None:
    """The sign-in page is drawn with its login-link form, and without a password form."""
    forms = cast["she"].asks(TheFormsShown(device, once_drawn=True))
    # An absent form proves nothing on a page that did not load: the sign-in page must be there.
    assert "login_link_form" in forms, f"the sign-in page did not load with its login-link form: {cast['she'].asks(WhereTheDeviceIs(device))}"
    assert "password_form" not in forms, "with password logins off, the sign-in page should offer no password form"


@then(phrase(r"{WHOSE} {DEVICE} offers a password form"))
def _(cast: Cast, device: str) -> None:
    """The sign-in page (the one shown, else opened now) is drawn with a password form beside its login-link form."""
    if "login_link_form" not in cast["she"].asks(TheFormsShown(device)):
        cast["she"].attempts_to(VisitThePortal(on=device, page="sign_in"))
    forms = cast["she"].asks(TheFormsShown(device, once_drawn=True))
    assert "password_form" in forms, f"with password logins on, the sign-in page should offer a password form: {cast['she'].asks(WhereTheDeviceIs(device))}"


@then(phrase(r"{WHOSE} management URL (?:still )?opens {WHOSE} account on {WHOSE} {DEVICE}"))
def _(cast: Cast, device: str) -> None:
    """She opens her current management URL on the device, and it shows her account."""
    cast["she"].attempts_to(OpenTheManagementUrl(on=device))
    expect_state(cast, device, PageState.ACCOUNT, "her management URL on a verified device")


@then(phrase(r"{WHOSE} management URL asks {WHOSE} {DEVICE} to verify this device"))
def _(cast: Cast, device: str) -> None:
    """She opens her current management URL on the device, and it asks to verify the device."""
    cast["she"].attempts_to(OpenTheManagementUrl(on=device))
    expect_state(cast, device, PageState.VERIFY_DEVICE, "a device that is no longer verified")


@when(phrase(r"{WHO} visits the portal on {WHOSE} {DEVICE}"))
@given(phrase(r"{WHO} looked at {WHOSE} account on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She opens the portal's home page on the device."""
    cast[who].attempts_to(VisitThePortal(on=device))


@when(phrase(r"{WHO} visits the sign-in page on {WHOSE} {DEVICE}"))
@given(phrase(r"{WHO} has the sign-in page open on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She opens the sign-in page on the device (and remembers it is open there)."""
    cast[who].attempts_to(OpenTheSignInPage(on=device))


@when(phrase(r"{WHO} signs out on {WHOSE} {DEVICE}"))
def _(cast: Cast, who: str, device: str) -> None:
    """She presses sign out on the device (opening her account first if it is not shown)."""
    cast[who].attempts_to(SignOut(on=device))
