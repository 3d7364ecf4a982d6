"""The alternative portal's state and rules: sites, customers, links, devices and sessions.

Everything lives in memory behind one lock; every public method of `Portal` takes it, so two
requests racing for one single-use link are served one after the other (SEC-2). Time is the
site's own clock: the real time plus an offset the control API moves forward.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import threading
import time
from typing import Any

INVITES_PER_WINDOW, INVITE_WINDOW_S = 5, 30 * 60
LINK_REQUESTS_PER_WINDOW, LINK_REQUEST_WINDOW_S = 5, 60 * 60
READS_BEFORE_RENEWAL = 15
FAILURES_TO_LOCK, FAILURE_WINDOW_S, LOCK_S = 5, 15 * 60, 15 * 60
MAX_MANAGEMENT_TTL_S = 180 * 86400

DEFAULT_POLICY: dict[str, Any] = {
    "auto_invite": False,
    "email_verification_required": True,
    "password_login_enabled": False,
    "invitation_ttl_s": 48 * 3600,
    "login_link_ttl_s": 3600,
    "management_link_ttl_s": 65 * 86400,
    "management_link_refresh_s": 15 * 86400,
    "session_idle_timeout_s": 30 * 60,
}


class Refused(Exception):
    """A control call that cannot be done: HTTP status, error code, sentence."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def checked_policy(current: dict[str, Any], changes: Any) -> dict[str, Any]:
    if not isinstance(changes, dict):
        raise Refused(422, "invalid_policy", "the body must be a JSON object of policy keys")
    merged = dict(current)
    for key, value in changes.items():
        if key not in DEFAULT_POLICY:
            raise Refused(422, "unknown_setting", f"{key!r} is not a policy setting")
        if isinstance(DEFAULT_POLICY[key], bool):
            if not isinstance(value, bool):
                raise Refused(422, "invalid_policy", f"{key} must be true or false")
        elif isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise Refused(422, "invalid_policy", f"{key} must be a whole number of seconds above 0")
        elif key == "management_link_ttl_s" and value > MAX_MANAGEMENT_TTL_S:
            raise Refused(422, "invalid_policy", f"{key} may be at most {MAX_MANAGEMENT_TTL_S}")
        merged[key] = value
    return merged


def hash_password(password: str, salt: bytes | None = None) -> bytes:
    salt = salt or secrets.token_bytes(16)
    return salt + hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


def password_matches(password: str, stored: bytes | None) -> bool:
    candidate = hash_password(password, (stored or bytes(16))[:16])
    return stored is not None and hmac.compare_digest(candidate, stored)


def recent(times: list[float], now: float, window: float) -> int:
    return sum(1 for at in times if now - window < at <= now)


@dataclasses.dataclass
class Customer:
    id: int
    email: str
    first_name: str
    last_name: str
    email_verified: bool = False
    portal_enabled: bool = False
    password: bytes | None = None
    invites_sent: list[float] = dataclasses.field(default_factory=list)
    invite_accepted_at: float | None = None


@dataclasses.dataclass
class EmailLink:
    """An invitation ("accept") or login ("signin") link: a random token, single use."""

    token: str
    purpose: str
    customer_id: int
    sent_at: float
    spent: bool = False


@dataclasses.dataclass
class ManagementLink:
    id: int
    customer_id: int
    created_at: int
    reads: int = 0
    revoked: bool = False


@dataclasses.dataclass
class Device:
    """A browser, known by its device cookie: whom it is verified for, whom it should verify."""

    verified: set[int] = dataclasses.field(default_factory=set)
    pending: int | None = None


@dataclasses.dataclass
class Session:
    customer_id: int
    device_id: str
    seen_at: float


@dataclasses.dataclass
class Mail:
    """An email to send: its kind ("invitation", "login", "account") and its two links."""

    kind: str
    to: str
    name: str
    action_url: str | None
    management_url: str


class Site:
    def __init__(self, site_id: str) -> None:
        self.id = site_id
        self.key = secrets.token_bytes(32)
        self.offset = 0.0
        self.policy = dict(DEFAULT_POLICY)
        self.customers: dict[int, Customer] = {}
        self.email_links: dict[str, EmailLink] = {}
        self.management_links: dict[int, ManagementLink] = {}
        self.devices: dict[str, Device] = {}
        self.sessions: dict[str, Session] = {}
        self.link_requests: dict[str, list[float]] = {}
        self.password_failures: dict[str, list[float]] = {}
        self.serial = 0

    def now(self) -> float:
        return time.time() + self.offset

    def next_id(self) -> int:
        self.serial += 1
        return self.serial

    def by_email(self, address: str) -> Customer | None:
        return next((c for c in self.customers.values() if c.email.lower() == address.lower()), None)

    def device(self, device_id: str) -> Device:
        return self.devices.setdefault(device_id, Device())

    def csrf(self, device_id: str) -> str:
        return hmac.new(self.key, b"form:" + device_id.encode(), hashlib.sha256).hexdigest()[:40]

    def signature(self, link_id: int, customer_id: int, created_at: int) -> str:
        message = f"{self.id}|{link_id}|{customer_id}|{created_at}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


class Portal:
    """All sites of the running portal. `base_url` is where its pages are reached."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.lock = threading.RLock()
        self.sites: dict[str, Site] = {}

    # -- sites and the merchant's calls ------------------------------------------------------

    def site_url(self, site: Site) -> str:
        return f"{self.base_url}/portal/{site.id}"

    def new_site(self) -> Site:
        with self.lock:
            site = Site(secrets.token_hex(5))
            self.sites[site.id] = site
            return site

    def add_customer(self, site: Site, email: str, first: str, last: str) -> Customer:
        with self.lock:
            if site.by_email(email):
                raise Refused(409, "email_taken", "a customer of this site already has that address")
            customer = Customer(site.next_id(), email, first, last)
            site.customers[customer.id] = customer
            return customer

    def invite(self, site: Site, customer: Customer, *, quiet_limit: bool = False) -> Mail | None:
        """Enable portal access and send a new invitation; earlier invitation links die (INV-6)."""
        with self.lock:
            now = site.now()
            if recent(customer.invites_sent, now, INVITE_WINDOW_S) >= INVITES_PER_WINDOW:
                if quiet_limit:
                    return None
                raise Refused(422, "too_many_invitations", "five invitations were sent in the last 30 minutes")
            customer.portal_enabled = True
            customer.invites_sent.append(now)
            self._spend(site, customer.id, "accept")
            token = self._new_email_link(site, customer, "accept", now)
            return self._mail(site, customer, "invitation", f"{self.site_url(site)}/accept?t={token}")

    def revoke(self, site: Site, customer: Customer) -> None:
        with self.lock:
            if not customer.portal_enabled:
                raise Refused(422, "not_enabled", "this customer has no portal access to revoke")
            customer.portal_enabled = False
            self._spend(site, customer.id, None)
            for link in site.management_links.values():
                link.revoked = link.revoked or link.customer_id == customer.id
            for sid in [sid for sid, s in site.sessions.items() if s.customer_id == customer.id]:
                del site.sessions[sid]
            for device in site.devices.values():
                device.verified.discard(customer.id)
                device.pending = None if device.pending == customer.id else device.pending

    def current_management_link(self, site: Site, customer: Customer) -> ManagementLink:
        """MU-6: the newest live link until its renewal time, then a new one."""
        with self.lock:
            now = site.now()
            live = [l for l in site.management_links.values() if l.customer_id == customer.id and not l.revoked]
            newest = max(live, key=lambda l: l.id, default=None)
            if newest is None or now >= newest.created_at + site.policy["management_link_refresh_s"]:
                newest = ManagementLink(site.next_id(), customer.id, int(now))
                site.management_links[newest.id] = newest
            return newest

    def read_management_link(self, site: Site, customer: Customer) -> dict[str, Any]:
        with self.lock:
            link = self.current_management_link(site, customer)
            if link.reads >= READS_BEFORE_RENEWAL:
                raise Refused(429, "too_many_reads", "read 15 times; a new link is not available yet")
            link.reads += 1
            sent = customer.invites_sent[-1] if customer.invites_sent else None
            return {
                "url": self.management_url(site, link),
                "fetch_count": link.reads,
                "created_at": link.created_at,
                "new_link_available_at": link.created_at + site.policy["management_link_refresh_s"],
                "expires_at": link.created_at + site.policy["management_link_ttl_s"],
                "last_invite_sent_at": sent,
            }

    def management_url(self, site: Site, link: ManagementLink) -> str:
        signature = site.signature(link.id, link.customer_id, link.created_at)
        return f"{self.site_url(site)}/manage?l={link.id}&ts={link.created_at}&sig={signature}"

    def account_mail(self, site: Site, customer: Customer) -> Mail:
        with self.lock:
            return self._mail(site, customer, "account", None)

    # -- the customer's side ---------------------------------------------------------------

    def request_login_link(self, site: Site, address: str) -> Mail | None:
        """LL-1, LL-2, LL-7, LL-8: the caller answers the same whatever this returns."""
        with self.lock:
            now = site.now()
            asked = site.link_requests.setdefault(address.lower(), [])
            if recent(asked, now, LINK_REQUEST_WINDOW_S) >= LINK_REQUESTS_PER_WINDOW:
                return None
            asked.append(now)
            customer = site.by_email(address)
            if customer is None or not customer.portal_enabled:
                return None
            self._spend(site, customer.id, "signin")
            token = self._new_email_link(site, customer, "signin", now)
            return self._mail(site, customer, "login", f"{self.site_url(site)}/signin/link?t={token}")

    def request_from_verify_page(self, site: Site, device_id: str) -> Mail | None:
        with self.lock:
            pending = site.device(device_id).pending
            customer = site.customers.get(pending) if pending is not None else None
            return self.request_login_link(site, customer.email) if customer else None

    def open_email_link(self, site: Site, purpose: str, token: str, device_id: str) -> tuple[str, Any]:
        """("signed_in", (sid, choose_password)) or ("problem", why)."""
        with self.lock:
            now = site.now()
            link = site.email_links.get(token)
            customer = site.customers.get(link.customer_id) if link and link.purpose == purpose else None
            if link is None or customer is None or not customer.portal_enabled:
                return "problem", "invalid"
            if link.spent:
                return "problem", "used"
            ttl = site.policy["invitation_ttl_s" if purpose == "accept" else "login_link_ttl_s"]
            if now >= link.sent_at + ttl:
                return "problem", "expired"
            link.spent = True
            customer.email_verified = True
            site.device(device_id).verified.add(customer.id)
            if purpose == "accept":
                customer.invite_accepted_at = now
            choose = purpose == "accept" and site.policy["password_login_enabled"] and customer.password is None
            return "signed_in", (self._start_session(site, customer, device_id), choose)

    def open_management_url(self, site: Site, query: dict[str, str], device_id: str, sid: str | None) -> tuple[str, Any]:
        """("signed_in", sid), ("verify", None) or ("problem", why)."""
        with self.lock:
            try:
                link = site.management_links.get(int(query.get("l", "")))
                created = int(query.get("ts", ""))
            except ValueError:
                return "problem", "invalid"
            given = query.get("sig", "")
            if link is None or created != link.created_at or not hmac.compare_digest(
                given.encode(), site.signature(link.id, link.customer_id, created).encode()
            ):
                return "problem", "invalid"
            customer = site.customers[link.customer_id]
            if link.revoked or not customer.portal_enabled:
                return "problem", "invalid"
            if site.now() >= link.created_at + site.policy["management_link_ttl_s"]:
                return "problem", "expired"
            device = site.device(device_id)
            required = site.policy["email_verification_required"]
            if required and (not customer.email_verified or customer.id not in device.verified):
                device.pending = customer.id
                return "verify", None
            current = self.session(site, sid)
            if current is not None and current.customer_id == customer.id and current.device_id == device_id:
                return "signed_in", sid
            return "signed_in", self._start_session(site, customer, device_id)

    def password_sign_in(self, site: Site, address: str, password: str, device_id: str) -> tuple[str, str | None]:
        """("signed_in", sid) or (reason, None): "off", "locked", "mismatch", "unverified"."""
        with self.lock:
            if not site.policy["password_login_enabled"]:
                return "off", None
            now = site.now()
            failures = site.password_failures.setdefault(address.lower(), [])
            if self._locked(failures, now):
                return "locked", None
            customer = site.by_email(address)
            stored = customer.password if customer and customer.portal_enabled else None
            if not password_matches(password, stored) or customer is None:
                failures.append(now)
                return "mismatch", None
            required = site.policy["email_verification_required"]
            if required and not customer.email_verified:
                return "unverified", None
            site.device(device_id).verified.add(customer.id)
            return "signed_in", self._start_session(site, customer, device_id)

    def choose_password(self, site: Site, sid: str | None, password: str) -> bool:
        with self.lock:
            current = self.session(site, sid)
            if current is None:
                return False
            site.customers[current.customer_id].password = hash_password(password)
            return True

    def set_password(self, site: Site, customer: Customer, password: str) -> None:
        with self.lock:
            if not site.policy["password_login_enabled"]:
                raise Refused(422, "passwords_off", "password logins are off for this site")
            customer.password = hash_password(password)

    def session(self, site: Site, sid: str | None) -> Session | None:
        """The live session `sid`, its idle clock restarted (SES-1, SES-2); None when it ended."""
        with self.lock:
            current = site.sessions.get(sid or "")
            if current is None:
                return None
            now = site.now()
            if now - current.seen_at >= site.policy["session_idle_timeout_s"]:
                del site.sessions[sid or ""]
                return None
            current.seen_at = now
            return current

    def sign_out(self, site: Site, sid: str | None, device_id: str) -> None:
        """SES-4: the session ends and the device is no longer verified."""
        with self.lock:
            site.sessions.pop(sid or "", None)
            site.device(device_id).verified.clear()

    # -- helpers (called with the lock held) ------------------------------------------------

    def _start_session(self, site: Site, customer: Customer, device_id: str) -> str:
        """SES-5: every sign-in gets a new id; the device's older sessions end."""
        for old in [sid for sid, s in site.sessions.items() if s.device_id == device_id]:
            del site.sessions[old]
        sid = secrets.token_urlsafe(32)
        site.sessions[sid] = Session(customer.id, device_id, site.now())
        return sid

    def _new_email_link(self, site: Site, customer: Customer, purpose: str, now: float) -> str:
        token = secrets.token_urlsafe(32)
        site.email_links[token] = EmailLink(token, purpose, customer.id, now)
        return token

    def _spend(self, site: Site, customer_id: int, purpose: str | None) -> None:
        for link in site.email_links.values():
            if link.customer_id == customer_id and purpose in (None, link.purpose):
                link.spent = True

    def _mail(self, site: Site, customer: Customer, kind: str, action_url: str | None) -> Mail:
        link = self.current_management_link(site, customer)
        name = f"{customer.first_name} {customer.last_name}".strip()
        return Mail(kind, customer.email, name, action_url, self.management_url(site, link))

    @staticmethod
    def _locked(failures: list[float], now: float) -> bool:
        """PW-6: five failures within 15 minutes lock the address for 15 minutes."""
        ordered = sorted(failures)
        for i in range(FAILURES_TO_LOCK - 1, len(ordered)):
            if ordered[i] - ordered[i - FAILURES_TO_LOCK + 1] < FAILURE_WINDOW_S and now < ordered[i] + LOCK_S:
                return True
        return False
