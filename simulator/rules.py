"""The access policy, decided: plain functions over records, a Policy and `now`.

Each function names the POLICY.md rules it implements. Nothing here touches HTTP, SQL or a clock,
so every rule is unit-tested on its allowed and its refused side.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Iterable

from .policy import Policy
from .records import Customer, EmailLink, LinkKind, ManagementLink, Session

INVITATION_RESEND_LIMIT = 5  # INV-7
INVITATION_RESEND_WINDOW_S = 30 * 60
LOGIN_LINK_REQUEST_LIMIT = 5  # LL-8 (ref: 5 per hour)
LOGIN_LINK_REQUEST_WINDOW_S = 60 * 60
MANAGEMENT_LINK_READ_LIMIT = 15  # MU-7
PASSWORD_FAILURE_LIMIT = 5  # PW-6
PASSWORD_FAILURE_WINDOW_S = 15 * 60
PASSWORD_LOCKOUT_S = 15 * 60


class Outcome(str, enum.Enum):
    SIGN_IN = "sign_in"
    VERIFY_DEVICE = "verify_device"  # no access; offer a login link to the customer's address
    VERIFY_EMAIL = "verify_email"  # no access until the email is verified (by a link)
    EXPIRED = "expired"
    INVALID = "invalid"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    PASSWORDS_OFF = "passwords_off"


@dataclasses.dataclass(frozen=True)
class Access:
    """What opening a link or signing in grants, and what it changes if it does."""

    outcome: Outcome
    reason: str
    verify_email: bool = False
    verify_device: bool = False
    choose_password: bool = False

    @property
    def granted(self) -> bool:
        return self.outcome is Outcome.SIGN_IN


def email_link_expires_at(link: EmailLink, policy: Policy) -> float:
    """INV-5, LL-5: an emailed link lives for its kind's TTL from when it was sent."""
    ttl = policy.invitation_ttl_s if link.kind is LinkKind.INVITATION else policy.login_link_ttl_s
    return link.created_at + ttl


def decide_email_link(
    link: EmailLink | None, customer: Customer | None, policy: Policy, now: float
) -> Access:
    """Opening an invitation or login link (INV-4..6, LL-4..7, EV-3, REV-1).

    A valid link signs the customer in on the device that opened it, whichever device asked
    for it, and verifies both the email and that device. Every link works once.
    """
    if link is None or customer is None or customer.id != link.customer_id:
        return Access(Outcome.INVALID, "This link is not valid.")
    if not customer.portal_enabled:
        return Access(Outcome.INVALID, "Portal access for this account is not enabled.")
    if link.revoked_at is not None:
        return Access(Outcome.INVALID, "A newer link has replaced this one.")
    if link.used_at is not None:
        return Access(Outcome.INVALID, "This link has already been used.")
    if now >= email_link_expires_at(link, policy):
        return Access(Outcome.EXPIRED, "This link has expired.")
    return Access(
        Outcome.SIGN_IN,
        "Signed in by an emailed link.",
        verify_email=True,
        verify_device=True,
        choose_password=(
            link.kind is LinkKind.INVITATION
            and policy.password_login_enabled
            and not customer.has_password
        ),
    )


def management_link_expires_at(link: ManagementLink, policy: Policy) -> float:
    """MU-5."""
    return link.created_at + policy.management_link_ttl_s


def management_link_refreshes_at(link: ManagementLink, policy: Policy) -> float:
    """MU-6: when a new management link becomes available (`new_link_available_at`)."""
    return link.created_at + policy.management_link_refresh_s


def decide_management_url(
    link: ManagementLink | None,
    customer: Customer | None,
    *,
    device_verified: bool,
    policy: Policy,
    now: float,
) -> Access:
    """Opening a management URL (MU-2..5, MU-8, EV-1, EV-3, DEV-1, SES-3, REV-1).

    `link` is None when the URL does not verify (tampered, another customer's, unknown).
    """
    if link is None or customer is None or customer.id != link.customer_id:
        return Access(Outcome.INVALID, "This management link is not valid.")
    if link.revoked_at is not None or not customer.portal_enabled:
        return Access(Outcome.INVALID, "Portal access for this account is not enabled.")
    if now >= management_link_expires_at(link, policy):
        return Access(Outcome.EXPIRED, "This management link has expired.")
    if not policy.email_verification_required:
        return Access(Outcome.SIGN_IN, "Email verification is not required.")
    if not customer.email_verified:
        return Access(
            Outcome.VERIFY_EMAIL,
            "Your email address is not verified yet. Open your invitation or a login link first.",
        )
    if not device_verified:
        return Access(
            Outcome.VERIFY_DEVICE,
            "This device is not verified. For your security we need to email you a login link.",
        )
    return Access(Outcome.SIGN_IN, "This device is verified.")


def current_management_link(
    links: Iterable[ManagementLink], policy: Policy, now: float
) -> ManagementLink | None:
    """MU-6: the link to hand out now, or None when a new one must be made.

    The newest unrevoked link is handed out until its refresh time; older ones stay valid
    (until their own expiry) but are no longer handed out.
    """
    live = [link for link in links if link.revoked_at is None]
    if not live:
        return None
    newest = max(live, key=lambda link: (link.created_at, link.id))
    return newest if now < management_link_refreshes_at(newest, policy) else None


def may_read_management_link(link: ManagementLink) -> bool:
    """MU-7: at most 15 reads through the control API before a new link is available."""
    return link.fetch_count < MANAGEMENT_LINK_READ_LIMIT


def _count_within(times: Iterable[float], now: float, window_s: float) -> int:
    return sum(1 for t in times if now - window_s < t <= now)


def may_send_invitation(sent_at: Iterable[float], now: float) -> bool:
    """INV-7: the sixth invitation within 30 minutes is refused."""
    return _count_within(sent_at, now, INVITATION_RESEND_WINDOW_S) < INVITATION_RESEND_LIMIT


def may_send_login_link(requested_at: Iterable[float], now: float) -> bool:
    """LL-8: at most five login-link emails per address per hour."""
    return _count_within(requested_at, now, LOGIN_LINK_REQUEST_WINDOW_S) < LOGIN_LINK_REQUEST_LIMIT


def password_locked_until(failures_at: Iterable[float], now: float) -> float | None:
    """PW-6: five wrong passwords within 15 minutes lock the address for 15 minutes.

    Returns when the lock ends, or None when the address is not locked now.
    """
    times = sorted(failures_at)
    ends = [
        times[i] + PASSWORD_LOCKOUT_S
        for i in range(PASSWORD_FAILURE_LIMIT - 1, len(times))
        if times[i] - times[i - PASSWORD_FAILURE_LIMIT + 1] < PASSWORD_FAILURE_WINDOW_S
    ]
    until = max(ends, default=None)
    return until if until is not None and now < until else None


def decide_password_sign_in(
    customer: Customer | None,
    *,
    password_ok: bool,
    failures_at: Iterable[float],
    policy: Policy,
    now: float,
) -> Access:
    """A sign-in with email and password (PW-1..6, EV-2).

    Unknown address, no password and wrong password all get the same answer (PW-3); the
    lock-out applies to an address whether or not it is known, so it reveals nothing either.
    """
    if not policy.password_login_enabled:
        return Access(Outcome.PASSWORDS_OFF, "Password sign-in is not available.")
    if password_locked_until(failures_at, now) is not None:
        return Access(
            Outcome.LOCKED,
            "Too many failed attempts. Try again later or ask for a login link.",
        )
    if customer is None or not customer.portal_enabled or not password_ok:
        return Access(Outcome.BAD_CREDENTIALS, "That email and password do not match.")
    if policy.email_verification_required and not customer.email_verified:
        return Access(
            Outcome.VERIFY_EMAIL,
            "Your email address is not verified yet. Open your invitation or a login link first.",
        )
    return Access(
        Outcome.SIGN_IN,
        "Signed in with a password.",
        verify_device=policy.email_verification_required,
    )


def session_alive(session: Session | None, policy: Policy, now: float) -> bool:
    """SES-1, SES-2: a session lives while activity comes within the idle timeout."""
    return session is not None and now - session.last_seen_at < policy.session_idle_timeout_s
