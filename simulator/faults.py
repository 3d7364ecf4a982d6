"""Fault switches: deliberate breaks of one rule each, to prove the suite notices (issue 5).

`python -m simulator --fault NAME` turns one on. The `Faults` value travels explicitly from
`Settings` to the service and the pages, which apply it by adjusting what they hand the policy
core or what they answer; `rules.py` never sees it. With every switch off (the default) no code
path changes. Each switch mimics a mistake a vendor could plausibly ship.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

# "Never expires": a lifetime no scenario's clock reaches (a thousand years, in seconds).
NEVER_S = 1000 * 365 * 86400


@dataclasses.dataclass(frozen=True)
class Fault:
    name: str
    rule: str  # the POLICY.md rule this fault breaks
    breaks: str  # what goes wrong, in one line
    # Rules the same bug breaks too, where a walk may meet it first: a device let in unverified
    # is also let in where EV-2 or SEC-6 says it is not verified. Not the scenarios' concern.
    also: tuple[str, ...] = ()


def _switch(rule: str, breaks: str, *, also: tuple[str, ...] = ()) -> Any:
    return dataclasses.field(default=False, metadata={"rule": rule, "breaks": breaks, "also": also})


@dataclasses.dataclass(frozen=True)
class Faults:
    """Which faults are on; all off by default, the reference behaviour."""

    inv2_always_invite: bool = _switch("INV-2", "a new subscription sends the invitation even with auto_invite off")
    inv5_no_expiry: bool = _switch("INV-5", "invitation links never expire")
    inv7_no_resend_limit: bool = _switch("INV-7", "invitations may be resent without limit")
    ll2_enumeration: bool = _switch("LL-2", "asking for a login link for an unknown address says it is unknown")
    ll5_no_expiry: bool = _switch("LL-5", "login links never expire")
    ll6_reusable: bool = _switch("LL-6", "a login link works more than once", also=("SEC-2",))
    mu3_any_device: bool = _switch("MU-3", "the management URL signs in on a device that is not verified", also=("EV-2", "SEC-6"))
    mu5_no_expiry: bool = _switch("MU-5", "management URLs never expire")
    mu6_always_new: bool = _switch("MU-6", "every read or email makes a new management URL")
    mu7_no_read_limit: bool = _switch("MU-7", "the control API serves the management link without a read limit")
    ev1_unverified_access: bool = _switch("EV-1", "the management URL signs in a customer whose email is not verified")
    pw1_password_always: bool = _switch(
        "PW-1", "the password form shows and password sign-in works with password logins off"
    )
    ses1_no_idle_timeout: bool = _switch("SES-1", "sessions never time out")
    ses5_no_samesite: bool = _switch("SES-5", "cookies are set with no SameSite attribute, left to the browser's default")
    dev2_login_link_device_bound: bool = _switch("DEV-2", "a login link works only on the device that asked for it")
    rev1_sessions_survive: bool = _switch("REV-1", "revoking portal access leaves the customer's sessions alive")
    rev1_devices_stay_verified: bool = _switch(
        "REV-1", "revoking portal access leaves her devices verified: after a new invitation they are trusted at once"
    )
    sec6_tokens_any_site: bool = _switch(
        "SEC-6", "links, management URLs and sessions are looked up without their site: one moved under another site's path works there"
    )
    sec6_devices_any_site: bool = _switch(
        "SEC-6", "a verified device is remembered for the email address, not the site's customer: verified in one site, it is verified in every site she is a customer of"
    )
    ses4_sign_out_keeps_session: bool = _switch(
        "SES-4", "signing out clears the cookie and the device's verification, but the session stays valid on the server"
    )
    sec3_login_link_referrer: bool = _switch(
        "SEC-3", "the login-link page sends the framework's default Referrer-Policy, not no-referrer (invitations are fine)"
    )
    pw3_no_password_told: bool = _switch(
        "PW-3", "a customer who has no password is told so, instead of the generic error an unknown address gets"
    )
    pw6_lock_by_typed_address: bool = _switch(
        "PW-6", "wrong passwords are counted per address as typed, so the same address in capitals starts a fresh count"
    )
    ev2_link_verifies_waiting_devices: bool = _switch(
        "EV-2", "opening a login link also verifies every device of hers that was asked to verify, not only the one that opened it"
    )
    mu1_stale_url_in_emails: bool = _switch(
        "MU-1", "emails carry the first management URL still valid, not the current one, once it was renewed"
    )
    mu8_customer_from_path: bool = _switch(
        "MU-8", "the management URL's signature is checked, but the customer signed in is the one its path names"
    )
    inv7_auto_invites_uncounted: bool = _switch(
        "INV-7", "invitations sent by new subscriptions bypass the resend limit and are not counted towards it"
    )
    sec4_token_only_if_sent: bool = _switch(
        "SEC-4", "forms are taken from any origin, and their CSRF token is checked only when the form sends one"
    )

    @classmethod
    def named(cls, names: Iterable[str]) -> Faults:
        """The faults called `names` on, the rest off; ValueError naming an unknown one."""
        wanted = list(names)
        for name in wanted:
            if name not in REGISTRY:
                raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(REGISTRY)}")
        return cls(**{name: True for name in wanted})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name in REGISTRY if getattr(self, name))

    def __bool__(self) -> bool:
        return bool(self.names)


REGISTRY: dict[str, Fault] = {
    field.name: Fault(field.name, field.metadata["rule"], field.metadata["breaks"], field.metadata["also"])
    for field in dataclasses.fields(Faults)
}
