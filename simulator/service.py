"""The portal's operations: load records, ask the policy core, apply what it decided.

Both the control API and the customer's pages call these; neither knows SQL or the rules.
Every operation reads its site's clock once, so one request sees one `now`.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Callable

import jinja2
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import rules, site_clock, tokens, validation
from .emails import compose
from .faults import NEVER_S, Faults
from .isotime import iso8601
from .policy import Policy
from .records import Customer, LinkKind, ManagementLink
from .rules import Access, Outcome
from .store import Site, Store

VERIFY_TICKET_TTL_S = 3600
_LOGIN_REQUESTS = "login_link_request"
_INVITATIONS = "invitation_sent"
_PASSWORD_FAILURES = "password_failure"
_WAITING_DEVICE = "device_waiting"  # only with the fault ev2_link_verifies_waiting_devices


class NotFound(LookupError):
    pass


class RateLimited(Exception):
    pass


class Refused(Exception):
    """The operation is not allowed in the current state; the message says why."""


@dataclasses.dataclass(frozen=True)
class ManagementLinkView:
    url: str
    fetch_count: int
    created_at: float
    new_link_available_at: float
    expires_at: float
    last_invite_sent_at: float | None


@dataclasses.dataclass(frozen=True)
class SignedIn:
    customer: Customer
    session_token: str
    session_id_hash: str


class Portal:
    def __init__(
        self,
        store: Store,
        *,
        templates: jinja2.Environment,
        public_url: str,
        sender: str,
        wall_clock: Callable[[], float],
        on_mail_queued: Callable[[], None] = lambda: None,
        password_hasher: PasswordHasher | None = None,
        faults: Faults = Faults(),
    ) -> None:
        self.store = store
        self._templates = templates
        self._public_url = public_url.rstrip("/")
        self._sender = sender
        self._wall_clock = wall_clock
        self._on_mail_queued = on_mail_queued
        self._hasher = password_hasher or PasswordHasher()
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self._faults = faults

    # -- sites and their clocks --------------------------------------------------------------

    def site(self, site_id: str) -> Site:
        site = self.store.site(site_id)
        if site is None:
            raise NotFound(f"no site {site_id!r}")
        return site

    def now(self, site: Site) -> float:
        return self._wall_clock() + site.clock_offset

    def portal_url(self, site_id: str) -> str:
        return f"{self._public_url}/s/{site_id}"

    def create_site(self) -> Site:
        site_id = secrets.token_hex(8)
        self.store.add_site(site_id, tokens.new_secret(), Policy())
        return self.site(site_id)

    def update_policy(self, site: Site, changes: dict[str, object]) -> Policy:
        policy = site.policy.updated(changes)  # raises PolicyError, changing nothing
        self.store.set_policy(site.id, policy)
        return policy

    def advance_clock(self, site: Site, seconds: object) -> float:
        """Move the site's clock forward; InvalidInput, changing nothing, past `site_clock.LATEST`."""
        step = site_clock.step(seconds)
        if not self.store.advance_clock(site.id, step, offset_at_most=site_clock.LATEST - self._wall_clock()):
            raise site_clock.past_latest(self.now(self.site(site.id)), step)  # NotFound if it is gone
        return self.now(self.site(site.id))

    # -- customers (control API) -------------------------------------------------------------

    def customer(self, site: Site, customer_id: int) -> Customer:
        customer = self.store.customer(site.id, customer_id)
        if customer is None:
            raise NotFound(f"no customer {customer_id} in site {site.id}")
        return customer

    def create_customer(self, site: Site, email: object, first_name: object, last_name: object) -> Customer:
        return self.store.add_customer(
            site.id,
            validation.email_address(email),
            validation.text(first_name, field="first_name"),
            validation.text(last_name, field="last_name"),
        )

    def create_subscription(self, site: Site, customer: Customer, product: object) -> int:
        """INV-2: with auto_invite on, a new subscription sends the invitation."""
        name = validation.text(product, field="product")
        now = self.now(site)
        subscription_id = self.store.add_subscription(customer.id, name, now)
        if site.policy.auto_invite or self._faults.inv2_always_invite:
            try:
                self.invite(site, customer, counted=not self._faults.inv7_auto_invites_uncounted)
            except RateLimited:
                pass  # INV-7 withholds a sixth invitation; the subscription itself stands (201)
        return subscription_id

    def invite(self, site: Site, customer: Customer, *, counted: bool = True) -> None:
        """INV-1, INV-6, INV-7, REV-3: enable access and send (or resend) the invitation.

        `counted=False` only for the fault `inv7_auto_invites_uncounted`: no limit, no count."""
        now = self.now(site)
        # One transaction: two invitations at once cannot both pass the limit, and an email that
        # fails to compose leaves the earlier links valid.
        with self.store.atomic():
            sent = self.store.events(site.id, _INVITATIONS, str(customer.id), now - rules.INVITATION_RESEND_WINDOW_S)
            if counted and not rules.may_send_invitation(sent, now) and not self._faults.inv7_no_resend_limit:
                raise RateLimited("at most 5 invitations may be sent to a customer within 30 minutes")
            token = tokens.new_token()
            self.store.add_email_link(customer.id, LinkKind.INVITATION, tokens.token_hash(token), now, supersede=True)
            if counted:
                self.store.record_event(site.id, _INVITATIONS, str(customer.id), now)
            customer = self.customer(site, customer.id)
            self._send(site, customer, "invitation", now, action=self._url(site, "invitation", token))

    def revoke(self, site: Site, customer: Customer) -> None:
        if not customer.portal_enabled:
            raise Refused("portal access is not enabled for this customer")
        self.store.revoke_access(
            customer.id,
            self.now(site),
            end_sessions=not self._faults.rev1_sessions_survive,
            forget_devices=not self._faults.rev1_devices_stay_verified,
        )

    def management_link(self, site: Site, customer: Customer) -> ManagementLinkView:
        """MU-6, MU-7: the current link, as the control API hands it out (counted)."""
        now = self.now(site)
        link = self._current_management_link(site, customer, now)
        if not rules.may_read_management_link(link) and not self._faults.mu7_no_read_limit:
            raise RateLimited(
                "the management link was read 15 times; a new one is available at "
                + str(iso8601(rules.management_link_refreshes_at(link, site.policy)))
            )
        self.store.count_management_link_read(link.id)
        return ManagementLinkView(
            url=self._management_url(site, link),
            fetch_count=link.fetch_count + 1,
            created_at=link.created_at,
            new_link_available_at=rules.management_link_refreshes_at(link, site.policy),
            expires_at=rules.management_link_expires_at(link, site.policy),
            last_invite_sent_at=customer.invite_last_sent_at,
        )

    def send_account_email(self, site: Site, customer: Customer) -> None:
        """MU-1: an account email (a statement, a receipt) carries the management URL."""
        self._send(site, customer, "account", self.now(site))

    def set_password(self, site: Site, customer: Customer, password: object) -> None:
        if not site.policy.password_login_enabled:
            raise Refused("password logins are off for this site")
        self.store.set_password_hash(customer.id, self._hasher.hash(validation.password(password)))

    # -- what a customer does ----------------------------------------------------------------

    def request_login_link(self, site: Site, email: object) -> None:
        """LL-1, LL-2, LL-8, REV-2: always the same answer; only a customer with access gets mail."""
        address = validation.email_address(email).lower()
        now = self.now(site)
        with self.store.atomic():  # as in invite: the throttle and the new link hold together
            requested = self.store.events(site.id, _LOGIN_REQUESTS, address, now - rules.LOGIN_LINK_REQUEST_WINDOW_S)
            if not rules.may_send_login_link(requested, now):
                return
            self.store.record_event(site.id, _LOGIN_REQUESTS, address, now)
            customer = self.store.customer_by_email(site.id, address)
            if customer is not None and customer.portal_enabled:
                self._send_login_link(site, customer, now)

    def request_login_link_for(self, site: Site, customer_id: int, ticket: str) -> Customer:
        """MU-3, DEV-1: "email me a login link" from the verify-this-device page."""
        customer = self._customer_for_ticket(site, customer_id, ticket)
        self.request_login_link(site, customer.email)
        return customer

    def verify_ticket(self, site: Site, customer: Customer) -> str:
        """A signed, short-lived pass to ask for a login link to `customer`'s own address."""
        issued = int(self.now(site))
        return f"{issued}.{tokens.sign(site.secret, 'verify', site.id, customer.id, issued)}"

    def open_email_link(self, site: Site, token: str, device: str) -> tuple[Access, Customer | None, SignedIn | None]:
        """INV-4, INV-5, LL-4..7, EV-3, SEC-2: open an invitation or login link on `device`."""
        now = self.now(site)
        scope = self._lookup_scope(site)
        link = self.store.email_link(scope, tokens.token_hash(token)) if tokens.is_well_formed(token) else None
        customer = self.store.customer(scope, link.customer_id) if link else None
        policy = site.policy
        if self._faults.inv5_no_expiry:
            policy = dataclasses.replace(policy, invitation_ttl_s=NEVER_S)
        if self._faults.ll5_no_expiry:
            policy = dataclasses.replace(policy, login_link_ttl_s=NEVER_S)
        reusable = self._faults.ll6_reusable and link is not None and link.kind is LinkKind.LOGIN
        if reusable and link is not None:
            link = dataclasses.replace(link, used_at=None)  # the fault: a used login link passes for new
        access = rules.decide_email_link(link, customer, policy, now)
        if not access.granted or link is None or customer is None:
            return access, customer, None
        if not self.store.use_email_link(tokens.token_hash(token), now) and not reusable:
            return Access(Outcome.INVALID, "This link has already been used."), customer, None
        self.store.mark_verified(
            customer.id, device=device, now=now, accepted_invitation=link.kind is LinkKind.INVITATION
        )
        if self._faults.ev2_link_verifies_waiting_devices:
            for waiting in self.store.event_subjects(site.id, f"{_WAITING_DEVICE}:{customer.id}"):
                self.store.mark_verified(customer.id, device=waiting, now=now, accepted_invitation=False)
        return access, customer, self._start_session(site, customer, device, now)

    def open_management_url(
        self, site: Site, customer_id: int, created: int, signature: str, device: str, session_token: str | None
    ) -> tuple[Access, Customer | None, SignedIn | None]:
        """MU-2..5, MU-8, EV-1, SES-3, DEV-1."""
        now = self.now(site)
        link = self._verified_management_link(site, customer_id, created, signature)
        customer = self.store.customer(self._lookup_scope(site), customer_id)
        device_verified = customer is not None and self.store.device_verified(customer.id, device)
        if self._faults.sec6_devices_any_site and customer is not None:
            device_verified = device_verified or self.store.device_verified_for_address(customer.email, device)
        device_verified = device_verified or self._faults.mu3_any_device
        policy = site.policy
        if self._faults.mu5_no_expiry:
            policy = dataclasses.replace(policy, management_link_ttl_s=NEVER_S)
        if self._faults.ev1_unverified_access and customer is not None and not customer.email_verified:
            policy = dataclasses.replace(policy, email_verification_required=False)
        access = rules.decide_management_url(
            link, customer, device_verified=device_verified, policy=policy, now=now
        )
        if self._faults.ev2_link_verifies_waiting_devices and access.outcome is Outcome.VERIFY_DEVICE and customer:
            self.store.record_event(site.id, f"{_WAITING_DEVICE}:{customer.id}", device, now)
        if not access.granted or customer is None:
            return access, customer, None
        current = self.signed_in(site, session_token)
        if current is not None and current.customer.id == customer.id:
            return access, customer, current
        return access, customer, self._start_session(site, customer, device, now)

    def password_sign_in(
        self, site: Site, email: object, password: object, device: str
    ) -> tuple[Access, SignedIn | None]:
        """PW-1..6, EV-2."""
        now = self.now(site)
        address = validation.email_address(email).lower()
        if not isinstance(password, str) or len(password) > validation.MAX_PASSWORD:
            raise validation.InvalidInput("invalid_password", "password must be at most 256 characters")
        if not validation.is_unicode_text(password):
            raise validation.InvalidInput("invalid_password", "password must be Unicode text")
        customer = self.store.customer_by_email(site.id, address)
        if self._faults.pw6_lock_by_typed_address:
            address = validation.email_address(email)  # the fault: counted as typed, not as the address
        failures = self.store.events(
            site.id, _PASSWORD_FAILURES, address, now - rules.PASSWORD_FAILURE_WINDOW_S - rules.PASSWORD_LOCKOUT_S
        )
        policy = site.policy
        if self._faults.pw1_password_always:
            policy = dataclasses.replace(policy, password_login_enabled=True)
        password_ok = self._password_matches(customer, password) if policy.password_login_enabled else False
        access = rules.decide_password_sign_in(
            customer, password_ok=password_ok, failures_at=failures, policy=policy, now=now
        )
        if access.outcome is Outcome.BAD_CREDENTIALS:
            self.store.record_event(site.id, _PASSWORD_FAILURES, address, now)
        if not access.granted or customer is None:
            return access, None
        self.store.clear_events(site.id, _PASSWORD_FAILURES, address)
        if access.verify_device:
            self.store.mark_verified(customer.id, device=device, now=now, accepted_invitation=False)
        return access, self._start_session(site, customer, device, now)

    def signed_in(self, site: Site, session_token: str | None, *, touch: bool = True) -> SignedIn | None:
        """SES-1, SES-2, SES-6: the session behind a cookie, if alive; activity extends it."""
        if not session_token or not tokens.is_well_formed(session_token):
            return None
        id_hash = tokens.token_hash(session_token)
        scope = self._lookup_scope(site)
        session = self.store.session(scope, id_hash)
        now = self.now(site)
        if session is None:
            return None
        policy = site.policy
        if self._faults.ses1_no_idle_timeout:
            policy = dataclasses.replace(policy, session_idle_timeout_s=NEVER_S)
        if not rules.session_alive(session, policy, now):
            # Gone for good: a longer timeout set later must not bring it back (SES-1).
            self.store.end_session(id_hash, forget_device=False)
            return None
        customer = self.store.customer(scope, session.customer_id)
        if customer is None or not (customer.portal_enabled or self._faults.rev1_sessions_survive):
            return None
        if (
            site.policy.email_verification_required
            and not customer.email_verified
            and not self._faults.ev1_unverified_access
        ):
            # Started while verification was off; once it is on, no route gives access (EV-1).
            return None
        if touch:
            self.store.touch_session(id_hash, now)
        return SignedIn(customer, session_token, id_hash)

    def sign_out(self, site: Site, session_token: str | None) -> None:
        """SES-4: the session ends and the device is no longer verified."""
        if session_token and tokens.is_well_formed(session_token):
            if self._faults.ses4_sign_out_keeps_session:
                self.store.forget_device_of_session(tokens.token_hash(session_token))
                return
            self.store.end_session(tokens.token_hash(session_token), forget_device=True)

    def choose_password(self, site: Site, customer: Customer, password: object) -> None:
        """INV-8."""
        self.set_password(site, customer, password)

    def subscriptions(self, customer: Customer) -> list[str]:
        return self.store.subscriptions(customer.id)

    # -- inner workings ----------------------------------------------------------------------

    def _start_session(self, site: Site, customer: Customer, device: str, now: float) -> SignedIn:
        """SES-5: every sign-in gets a fresh session id; the caller drops the old cookie's session."""
        token = tokens.new_token()
        id_hash = tokens.token_hash(token)
        self.store.add_session(id_hash, customer.id, device, now)
        signed_in = self.store.customer(self._lookup_scope(site), customer.id)
        assert signed_in is not None
        return SignedIn(signed_in, token, id_hash)

    def _lookup_scope(self, site: Site) -> str | None:
        """The site that tokens and sessions are looked up in: this one; any, with the fault."""
        return None if self._faults.sec6_tokens_any_site else site.id

    def _current_management_link(self, site: Site, customer: Customer, now: float) -> ManagementLink:
        link = rules.current_management_link(self.store.management_links(customer.id), site.policy, now)
        if link is not None and not self._faults.mu6_always_new:
            return link
        nonce = secrets.token_urlsafe(16)
        signature = tokens.sign(site.secret, "manage", site.id, customer.id, int(now), nonce)
        return self.store.add_management_link(customer.id, int(now), nonce, tokens.token_hash(signature))

    def _management_url(self, site: Site, link: ManagementLink) -> str:
        nonce = self.store.management_link_nonce(link.id)
        created = int(link.created_at)
        signature = tokens.sign(site.secret, "manage", site.id, link.customer_id, created, nonce)
        return f"{self.portal_url(site.id)}/manage/{link.customer_id}/{created}/{signature}"

    def _verified_management_link(
        self, site: Site, customer_id: int, created: int, signature: str
    ) -> ManagementLink | None:
        found = self.store.management_link_by_signature(self._lookup_scope(site), tokens.token_hash(signature))
        if found is None:
            return None
        link, nonce = found
        if self._faults.mu8_customer_from_path and int(link.created_at) == created:
            # The fault: the signature is checked for the link's own customer, but the link handed
            # on names the customer of the path, who is the one signed in.
            if not tokens.signature_matches(
                site.secret, signature, "manage", site.id, link.customer_id, created, nonce
            ):
                return None
            return dataclasses.replace(link, customer_id=customer_id)
        if link.customer_id != customer_id or int(link.created_at) != created:
            return None
        if self._faults.sec6_tokens_any_site:
            # The fault: the signature is checked against the site the link belongs to, not the
            # site whose path it was opened under.
            owner = self.store.customer(None, customer_id)
            site = self.store.site(owner.site_id) if owner else None
            if site is None:
                return None
        if not tokens.signature_matches(site.secret, signature, "manage", site.id, customer_id, created, nonce):
            return None
        return link

    def _customer_for_ticket(self, site: Site, customer_id: int, ticket: str) -> Customer:
        issued_text, _, signature = ticket.partition(".")
        issued = validation.record_id(issued_text)
        valid = (
            issued is not None
            and tokens.signature_matches(site.secret, signature, "verify", site.id, customer_id, issued)
            and self.now(site) - issued < VERIFY_TICKET_TTL_S
        )
        customer = self.store.customer(site.id, customer_id) if valid else None
        if customer is None:
            raise validation.InvalidInput("invalid_ticket", "This page has expired. Open your management link again.")
        return customer

    def _password_matches(self, customer: Customer | None, password: str) -> bool:
        stored = self.store.password_hash(customer.id) if customer else None
        try:
            # Hash even without a stored password, so an unknown address takes as long (PW-3).
            self._hasher.verify(stored or self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return stored is not None

    def _send_login_link(self, site: Site, customer: Customer, now: float) -> None:
        """LL-3, LL-7: a new login link makes older unused ones invalid."""
        token = tokens.new_token()
        self.store.add_email_link(customer.id, LinkKind.LOGIN, tokens.token_hash(token), now, supersede=True)
        self._send(site, customer, "login_link", now, action=self._url(site, "link", token))

    def _send(self, site: Site, customer: Customer, kind: str, now: float, *, action: str | None = None) -> None:
        """MU-1: every portal email carries the customer's current management URL."""
        current = self._current_management_link(site, customer, now)
        if self._faults.mu1_stale_url_in_emails:
            # The fault: the first link still valid, as if the emails cached the URL they first carried.
            live = [link for link in self.store.management_links(customer.id) if link.revoked_at is None
                    and now < rules.management_link_expires_at(link, site.policy)]
            current = min(live, key=lambda link: (link.created_at, link.id), default=current)
        management = self._management_url(site, current)
        links = {"management": management, "sign_in": f"{self.portal_url(site.id)}/login"}
        if action is not None:
            links["action"] = action
        message = compose(
            self._templates, kind, sender=self._sender, customer=customer, sent_at=now, links=links
        )
        # The outbox runs on the wall clock, not the site's: a site whose clock was advanced
        # must not queue mail that the worker thinks is due days from now.
        self.store.queue_mail(site.id, customer.email, message.as_bytes(), self._wall_clock())
        self._on_mail_queued()

    def _url(self, site: Site, route: str, token: str) -> str:
        return f"{self.portal_url(site.id)}/{route}/{token}"

