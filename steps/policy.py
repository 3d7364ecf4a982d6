"""Steps that set the test site's policy, in the words of POLICY.md's settings."""

from __future__ import annotations

import pytest
from pytest_bdd import given, when

from portalcheck.profile import Profile

from .phrases import phrase, seconds
from .screenplay.cast import Cast
from .screenplay.tasks import SetThePolicy

SWITCHES = {"on": True, "off": False}


@given(phrase(r"automatic invitations are (?P<state>on|off)"))
def _(cast: Cast, state: str) -> None:
    """The site's policy invites new subscribers automatically, or not."""
    cast.merchant.attempts_to(SetThePolicy({"auto_invite": SWITCHES[state]}))


@given(phrase(r"password logins are (?P<state>on|off)"))
@given(phrase(r"password logins were turned (?P<state>on|off)"))
@when(phrase(r"password logins are turned (?P<state>on|off)"))
def _(cast: Cast, profile: Profile, state: str) -> None:
    """The site's policy offers password logins, or not (N/A where the target has none)."""
    set_password_logins(cast, profile, state)


def set_password_logins(cast: Cast, profile: Profile, state: str) -> None:
    if not profile.has("password_login"):
        pytest.skip("not applicable: the target lacks password_login")
    cast.merchant.attempts_to(SetThePolicy({"password_login_enabled": SWITCHES[state]}))


@given(phrase(r"email verification is (?P<state>not )?required"))
def _(cast: Cast, state: str | None) -> None:
    """The site's policy requires email verification before access, or not."""
    cast.merchant.attempts_to(SetThePolicy({"email_verification_required": not state}))


TTL_SETTINGS = {
    "invitations expire": "invitation_ttl_s",
    "login links expire": "login_link_ttl_s",
    "management URLs expire": "management_link_ttl_s",
    "management URLs are renewed every": "management_link_refresh_s",
}


@given(phrase(r"(?P<setting>invitations expire|login links expire|management URLs expire) after (?P<amount>\d+) (?P<unit>minutes|hours|days)"))
@given(phrase(r"(?P<setting>management URLs are renewed every) (?P<amount>\d+) (?P<unit>days)"))
def _(cast: Cast, setting: str, amount: str, unit: str) -> None:
    """Sets how long invitations, login links or management URLs live, or how often management URLs are renewed."""
    cast.merchant.attempts_to(SetThePolicy({TTL_SETTINGS[setting]: seconds(amount, unit)}))


@given(phrase(r"sessions end after (?P<amount>\d+) (?P<unit>minutes) of inactivity"))
def _(cast: Cast, amount: str, unit: str) -> None:
    """Sets the site's session idle timeout."""
    cast.merchant.attempts_to(SetThePolicy({"session_idle_timeout_s": seconds(amount, unit)}))
