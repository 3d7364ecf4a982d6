"""A model of POLICY v1, written from the policy text (shared/POLICY.md, docs/policy.md), not
from the simulator: pure, and driven by the clock it is handed.

`apply(state, action, now)` returns the state after the action and what the portal must show for
it, each expectation naming the rule it comes from. The state is never changed in place, so a
walk can ask what the portal would show at two readings of the clock and keep the branch the
portal took (see `walk.Walk.step`). Where the policy leaves a choice to the portal, the model
follows the reference choice named in docs/policy.md ("Ref:"), and says so in `docs/explore.md`.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Iterable

from . import actions as act

# Fixed limits of POLICY v1 (not settings): INV-7, LL-8, MU-7.
INVITATION_LIMIT, INVITATION_WINDOW_S = 5, 30 * 60
LOGIN_LINK_LIMIT, LOGIN_LINK_WINDOW_S = 5, 60 * 60
MANAGEMENT_READ_LIMIT = 15
PASSWORD_FAILURE_LIMIT, PASSWORD_WINDOW_S, PASSWORD_LOCK_S = 5, 15 * 60, 15 * 60  # PW-6
UNKNOWN = "unknown address"  # the third asker of LL-2: an address the portal never saw

# What a device can show, by the profile's page markers.
ACCOUNT, SIGNED_OUT, VERIFY, PROBLEM, SENT = "account", "signed_out", "verify_device", "link_problem", "login_link_sent"
CHOOSE_PASSWORD = "choose_password"
NOT_ACCOUNT = "not:account"  # any page but the account: what a tampered URL may show
NOT_SENT = "not:login_link_sent"  # any page but "check your email": what a refused form may show
OTHER_SITE = "other site"  # a page of another site the device shows: nothing of hers to act on

DEFAULT_POLICY: dict[str, Any] = {
    "auto_invite": False,
    "email_verification_required": True,
    "password_login_enabled": False,
    "invitation_ttl_s": 172800,
    "login_link_ttl_s": 3600,
    "management_link_ttl_s": 5616000,
    "management_link_refresh_s": 1296000,
    "session_idle_timeout_s": 1800,
}


@dataclasses.dataclass
class EmailLink:
    id: int
    kind: str  # "invitation" or "login_link"
    customer: str
    sent_at: float
    asked_on: str = ""  # the device that asked for a login link
    used: bool = False
    revoked_by: str = ""  # the rule that made it invalid: INV-6, LL-7, REV-1


@dataclasses.dataclass
class ManagementLink:
    id: int
    customer: str
    created_at: float
    reads: int = 0
    revoked: bool = False


@dataclasses.dataclass
class Customer:
    name: str
    enabled: bool = False
    was_enabled: bool = False
    email_verified: bool = False
    has_password: bool = False
    elsewhere: bool = False  # another site took her on too (SEC-6)
    invitations_at: list[float] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Session:
    customer: str
    last_seen: float


@dataclasses.dataclass
class Device:
    session: Session | None = None
    verified: set[str] = dataclasses.field(default_factory=set)
    page: str = ""
    page_customer: str = ""
    page_at: float = 0.0
    ended_by: str = ""  # the rule that ended its last session: SES-1, SES-4, REV-1
    asked_to_verify: bool = False  # shown the verify page, and not verified since
    passed_over: bool = False  # asked to verify, then a link of hers opened on another device (EV-2)
    revoked: set[str] = dataclasses.field(default_factory=set)  # customers whose verification here a revocation ended


@dataclasses.dataclass(frozen=True)
class Mail:
    to: str
    kind: str  # "invitation", "login_link", "account"
    action_link: int | None
    management_link: int
    rule: str


@dataclasses.dataclass(frozen=True)
class Expect:
    """One observation the portal must give. `channel` names what is observed: `page:<device>`,
    `account:<device>` (whose details the page shows), `mail` (who gets which emails),
    `status` (the control API's answer), `handed` (which management link a read hands out),
    `new_session:<device>`, `alike` (LL-2's answers)."""

    channel: str
    value: Any
    rule: str
    why: str


@dataclasses.dataclass
class State:
    now: float
    policy: dict[str, Any] = dataclasses.field(default_factory=lambda: dict(DEFAULT_POLICY))
    customers: dict[str, Customer] = dataclasses.field(default_factory=dict)
    links: list[EmailLink] = dataclasses.field(default_factory=list)
    management_links: list[ManagementLink] = dataclasses.field(default_factory=list)
    devices: dict[str, Device] = dataclasses.field(default_factory=dict)
    login_requests: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    mail: list[Mail] = dataclasses.field(default_factory=list)
    kept: dict[str, int] = dataclasses.field(default_factory=dict)
    handed: set[int] = dataclasses.field(default_factory=set)  # management links shown so far
    password_failures: dict[str, list[float]] = dataclasses.field(default_factory=dict)  # PW-6, per address
    passwords: bool = False  # the target has password logins (GET /control/capabilities)

    # -- questions the walk and the machine ask -------------------------------------------------

    def links_of(self, customer: str, kind: str) -> list[EmailLink]:
        """The links her emails of a kind carried, oldest first."""
        ids = [mail.action_link for mail in self.mail_of(customer, kind)]
        return [link for link_id in ids for link in self.links if link.id == link_id]

    def mail_of(self, customer: str, kind: str | None = None) -> list[Mail]:
        return [mail for mail in self.mail if mail.to == customer and (kind is None or mail.kind == kind)]

    def device(self, customer: str, device: str) -> Device:
        return self.devices.get(device_key(customer, device)) or Device()

    def boundaries(self) -> list[tuple[float, str]]:
        """Every moment at which a prediction changes, with the rule that says so: the
        times an advance of the clock is aimed at (just before, at, just after)."""
        policy = self.policy
        found: list[tuple[float, str]] = []
        for link in self.links:
            if not link.used and not link.revoked_by:
                ttl = policy["invitation_ttl_s"] if link.kind == "invitation" else policy["login_link_ttl_s"]
                rule = "INV-5" if link.kind == "invitation" else "LL-5"
                found.append((link.sent_at + ttl, f"{rule}: {link.customer}'s {link.kind.replace('_', ' ')} {link.id} expires"))
        for ml in self.management_links:
            if not ml.revoked:
                found.append((ml.created_at + policy["management_link_ttl_s"], f"MU-5: management link {ml.id} expires"))
                found.append((ml.created_at + policy["management_link_refresh_s"], f"MU-6: management link {ml.id} is renewed"))
        for key, device in self.devices.items():
            if device.session is not None:
                found.append((device.session.last_seen + policy["session_idle_timeout_s"], f"SES-1: the session on {key} ends"))
        for customer in self.customers.values():
            for sent in customer.invitations_at:
                found.append((sent + INVITATION_WINDOW_S, f"INV-7: {customer.name}'s invitation leaves the 30-minute window"))
        for who, times in self.login_requests.items():
            for asked in times:
                found.append((asked + LOGIN_LINK_WINDOW_S, f"LL-8: {who}'s login-link request leaves the hour"))
        for who, times in self.password_failures.items():
            for failed in times:
                found.append((failed + PASSWORD_WINDOW_S, f"PW-6: a wrong password for {who} leaves the 15 minutes"))
            until = locked_until(times, float("-inf"))
            if until is not None:
                found.append((until, f"PW-6: {who}'s address is no longer locked"))
        # All of them, past ones too, in a stable order: what a walk may draw from must not
        # depend on how far the clock crept on between two runs of the same walk.
        return sorted(found, key=lambda item: item[1])


def device_key(customer: str, device: str) -> str:
    return f"{customer}'s {device}"


def locked_until(failures: Iterable[float], now: float) -> float | None:
    """PW-6: five wrong passwords within 15 minutes lock the address for 15 minutes from the
    fifth; when the lock ends, or None when the address is not locked at `now`."""
    times = sorted(failures)
    ends = [times[i] + PASSWORD_LOCK_S for i in range(PASSWORD_FAILURE_LIMIT - 1, len(times))
            if times[i] - times[i - PASSWORD_FAILURE_LIMIT + 1] < PASSWORD_WINDOW_S]
    until = max(ends, default=None)
    return until if until is not None and now < until else None


def initial(now: float, policy: dict[str, Any] | None = None, *, passwords: bool = False) -> State:
    """A new test site: no customers, the policy it reports (the defaults when not given);
    `passwords`: whether the target has password logins at all."""
    return State(now=now, policy=dict(policy or DEFAULT_POLICY), passwords=passwords)


def apply(state: State, action: act.Action, now: float) -> tuple[State, list[Expect], list[Mail]]:
    """The state after `action` at `now`, what the portal must show for it, and the emails it
    must send (every other email must not arrive). `state` itself is left as it was.

    `now` is taken as given, even when it is earlier than `state.now`: the walk asks about
    moments on either side of its clock readings, and a late moment one step chose must not
    hold the next step's early one back (so events may be dated a little after `now`). A rate
    window counts what happened less than its length before `now`, later events included."""
    after = copy.deepcopy(state)
    after.now = now
    step = _Step(after)
    getattr(step, action.kind)(action)
    if not any(expect.channel == "mail" for expect in step.expects):
        step.mail_expectation("MU-1", "this action sends no email")  # every email has a cause
    return after, step.expects, step.sent


class _Step:
    """One action applied to a state of its own (a copy): the rules, one method per action."""

    def __init__(self, state: State) -> None:
        self.s = state
        self.now = state.now
        self.expects: list[Expect] = []
        self.sent: list[Mail] = []

    def expect(self, channel: str, value: Any, rule: str, why: str) -> None:
        self.expects.append(Expect(channel, value, rule, why))

    def show(self, customer: str, device: str, page: str, rule: str, why: str, *, account: str = "") -> None:
        key = device_key(customer, device)
        target = self.s.devices.setdefault(key, Device())
        target.page, target.page_customer, target.page_at = page, customer, self.now
        if page == VERIFY:
            target.asked_to_verify = True
        self.expect(f"page:{key}", page, rule, why)
        if page in (CHOOSE_PASSWORD, NOT_SENT):
            return  # a page of her session (choosing a password, or where a refused form leaves her): it may greet her by name
        self.expect(f"account:{key}", account or None, rule,
                    f"the page shows {account}'s details" if account else "a page that grants nothing shows no customer's details")

    def mail_expectation(self, rule: str, why: str) -> None:
        self.expect("mail", tuple(sorted((mail.to, mail.kind) for mail in self.sent)), rule, why)

    # -- the policy's pieces ----------------------------------------------------------------------

    def current_management_link(self, customer: str) -> ManagementLink:
        """MU-6: the newest live link until `management_link_refresh_s` after its creation; then a new one."""
        live = [ml for ml in self.s.management_links if ml.customer == customer and not ml.revoked]
        if live and self.now < live[-1].created_at + self.s.policy["management_link_refresh_s"]:
            return live[-1]
        made = ManagementLink(self._new_id(), customer, self.now)
        self.s.management_links.append(made)
        return made

    def send(self, to: str, kind: str, rule: str, action_link: int | None = None) -> None:
        """MU-1: every portal email carries the customer's current management URL."""
        ml = self.current_management_link(to)
        self.s.handed.add(ml.id)
        self.sent.append(Mail(to, kind, action_link, ml.id, rule))
        self.s.mail.append(self.sent[-1])

    def new_email_link(self, customer: str, kind: str, supersede_rule: str, asked_on: str = "") -> int:
        """INV-6, LL-7: a new link of a kind makes the customer's older unused ones of that kind invalid."""
        for link in self.s.links:
            if link.customer == customer and link.kind == kind and not link.used and not link.revoked_by:
                link.revoked_by = supersede_rule
        link = EmailLink(self._new_id(), kind, customer, self.now, asked_on)
        self.s.links.append(link)
        return link.id

    def _new_id(self) -> int:
        return 1 + max((item.id for item in [*self.s.links, *self.s.management_links]), default=0)

    def session_holds(self, customer: str, device: str) -> tuple[bool, str]:
        """SES-1, SES-6, REV-1, EV-1: whether the device's session gives access now. A session
        found timed out is gone for good (SES-1: a longer timeout set later does not bring it back)."""
        target = self.s.devices.get(device_key(customer, device))
        session = target.session if target else None
        if target is None or session is None:
            return False, (target.ended_by if target is not None and target.ended_by else "SES-6")
        if self.now - session.last_seen >= self.s.policy["session_idle_timeout_s"]:
            target.session, target.ended_by = None, "SES-1"
            return False, "SES-1"
        holder = self.s.customers[session.customer]
        if not holder.enabled:
            return False, "REV-1"
        if self.s.policy["email_verification_required"] and not holder.email_verified:
            return False, "EV-1"
        return True, "SES-2"

    def start_session(self, customer: str, device: str, *, live_one_kept: bool = False) -> None:
        """SES-5: every sign-in gets a new session identifier; the device's old session ends.
        Where a live session would have been kept (`live_one_kept`: the management URL), the same
        cookie value after a session that ended by inactivity or revocation means the portal held
        it alive: the expectation is then the rule that ended it (SES-1, REV-1)."""
        target = self.s.devices.setdefault(device_key(customer, device), Device())
        ended = target.ended_by if live_one_kept else ""
        target.session, target.ended_by = Session(customer, self.now), ""
        rule, why = {
            "SES-1": ("SES-1", "her session there had ended after inactivity: it is not kept, a new one starts"),
            "REV-1": ("REV-1", "her revocation ended her session there: it is not kept, a new one starts"),
        }.get(ended, ("SES-5", "a sign-in issues a new session identifier"))
        self.expect(f"new_session:{device_key(customer, device)}", True, rule, why)

    def request_login_link(self, address_of: str, device_key_asking: str, rule_sent: str) -> None:
        """LL-1, LL-2, LL-8, REV-2: only a customer with access gets mail, at most 5 an hour per address."""
        window = [t for t in self.s.login_requests.get(address_of, []) if self.now - LOGIN_LINK_WINDOW_S < t]
        if len(window) >= LOGIN_LINK_LIMIT:
            return
        self.s.login_requests.setdefault(address_of, []).append(self.now)
        customer = self.s.customers.get(address_of)
        if customer is not None and customer.enabled:
            link = self.new_email_link(address_of, "login_link", "LL-7", device_key_asking)
            self.send(address_of, "login_link", rule_sent, link)

    def login_mail_rule(self, who: str) -> tuple[str, str]:
        customer = self.s.customers.get(who)
        recent = [t for t in self.s.login_requests.get(who, []) if self.now - LOGIN_LINK_WINDOW_S < t]
        if customer is not None and customer.enabled and len(recent) < LOGIN_LINK_LIMIT:
            return "LL-3", f"{who} has portal access and asked fewer than 5 times this hour: a login link arrives"
        if len(recent) >= LOGIN_LINK_LIMIT:
            return "LL-8", f"{who}'s address asked 5 times within the hour: no login link"
        if customer is not None and customer.was_enabled:
            return "REV-2", f"{who}'s access was revoked: no login link"
        return "LL-2", f"{who} has no portal access: no login link"

    # -- the merchant, through the control API ------------------------------------------------------

    def add_customer(self, a: act.AddCustomer) -> None:
        self.s.customers[a.customer] = Customer(a.customer)
        self.expect("status", 201, "CONTRACT", "a new customer is created")

    def invite(self, a: act.Invite, *, status: bool = True, rule: str = "INV-1") -> None:
        """INV-1, INV-3, INV-6, INV-7, REV-3."""
        customer = self.s.customers[a.customer]
        recent = [t for t in customer.invitations_at if self.now - INVITATION_WINDOW_S < t]
        if len(recent) >= INVITATION_LIMIT:
            if status:
                self.expect("status", 422, "INV-7", "a sixth invitation within 30 minutes is refused")
            self.mail_expectation("INV-7", "a refused invitation sends nothing")
            return
        if status:
            self.expect("status", 202, "INV-1", "the merchant may invite the customer")
        customer.enabled = customer.was_enabled = True
        customer.invitations_at.append(self.now)
        link = self.new_email_link(a.customer, "invitation", "INV-6")
        self.send(a.customer, "invitation", rule, link)
        self.mail_expectation(rule, f"{a.customer} gets an invitation carrying an invitation link and her management URL (INV-3)")

    def revoke(self, a: act.Revoke) -> None:
        """REV-1: every session, link, management URL and verified device of the customer ends."""
        customer = self.s.customers[a.customer]
        if not customer.enabled:
            self.expect("status", 422, "CONTRACT", "revoking access that is not enabled is refused")
            return
        self.expect("status", 200, "REV-1", "the merchant revokes the customer's access")
        customer.enabled = False
        for link in self.s.links:
            if link.customer == a.customer and not link.revoked_by:
                link.revoked_by = "REV-1"
        for ml in self.s.management_links:
            if ml.customer == a.customer:
                ml.revoked = True
        for target in self.s.devices.values():
            if a.customer in target.verified:
                target.revoked.add(a.customer)
            target.verified.discard(a.customer)
            if target.session is not None and target.session.customer == a.customer:
                target.session, target.ended_by = None, "REV-1"
        self.mail_expectation("REV-1", "revocation sends no email")

    def subscribe(self, a: act.Subscribe) -> None:
        """INV-2: with auto_invite on, a new subscription sends the invitation (INV-7 may withhold it)."""
        self.expect("status", 201, "INV-2", "the subscription is created")
        if self.s.policy["auto_invite"]:
            self.invite(act.Invite(a.customer), status=False, rule="INV-2")
        else:
            self.mail_expectation("INV-2", "with automatic invitations off a subscription sends no invitation")

    def send_account_email(self, a: act.SendAccountEmail) -> None:
        self.expect("status", 202, "MU-1", "the account email is sent")
        self.send(a.customer, "account", "MU-1")
        self.mail_expectation("MU-1", "an account email carrying the management URL arrives")

    def read_management_link(self, a: act.ReadManagementLink) -> None:
        """MU-6, MU-7."""
        ml = self.current_management_link(a.customer)
        if ml.reads >= MANAGEMENT_READ_LIMIT:
            self.expect("status", 429, "MU-7", "the 16th read before a new link is available is refused")
            return
        ml.reads += 1
        self.s.handed.add(ml.id)
        self.expect("status", 200, "MU-7", "fewer than 15 reads of this link so far")
        self.expect("handed", ml.id, "MU-6", f"management link {ml.id} is the one handed out now")

    def set_policy(self, a: act.SetPolicy) -> None:
        self.s.policy[a.key] = a.value
        self.expect("status", 200, "CONTRACT", f"{a.key} may be set to {a.value!r}")

    def advance_clock(self, a: act.AdvanceClock) -> None:
        self.expect("status", 200, "CONTRACT", "the site's clock moves forward")

    # -- the customer, in the browser -------------------------------------------------------------

    def ask_for_login_link(self, a: act.AskForLoginLink) -> None:
        rule, why = self.login_mail_rule(a.customer)
        self.request_login_link(a.customer, device_key(a.customer, a.device), rule)
        self.show(a.customer, a.device, SENT, "LL-2", "the sign-in page gives everyone the same answer")
        self.mail_expectation(rule, why)

    def ask_for_login_link_from_another_site(self, a: act.AskForLoginLinkFromAnotherSite) -> None:
        """SEC-4: the form posted from another site is refused; nothing is sent, and nothing counts
        towards LL-8's limit (a request the portal refused was not made)."""
        self.show(a.customer, a.device, NOT_SENT, "SEC-4", "a form posted from another site is refused")
        self.mail_expectation("SEC-4", "a form posted from another site sends nothing")

    def ask_from_verify_page(self, a: act.AskFromVerifyPage) -> None:
        """MU-3, DEV-1: the verify page emails a login link to the customer's own address."""
        rule, why = self.login_mail_rule(a.customer)
        self.request_login_link(a.customer, device_key(a.customer, a.device), "MU-3" if rule == "LL-3" else rule)
        self.show(a.customer, a.device, SENT, "MU-3", "the verify page says a login link was emailed")
        self.mail_expectation("MU-3" if rule == "LL-3" else rule, why)

    def compare_login_link_answers(self, a: act.CompareLoginLinkAnswers) -> None:
        """LL-2, REV-2: a known, a revoked and an unknown address get the same answer."""
        rules = []
        for who in (a.first, a.second, UNKNOWN):
            rule, _ = self.login_mail_rule(who)
            rules.append(rule)
            self.request_login_link(who, "someone's laptop", rule)
        self.expect("alike", True, "LL-2", "the answers to a known, a revoked and an unknown address read the same")
        self.mail_expectation(next((rule for rule in rules if rule != "LL-3"), "LL-3"),
                              "only a customer with portal access gets a login link")

    def open_email_link(self, a: act.OpenEmailLink) -> None:
        """INV-4, INV-5, INV-6, LL-4..7, DEV-2, EV-3, REV-1, REV-3, SEC-5."""
        mail = self.s.mail_of(a.customer, a.link)
        chosen = mail[0] if a.which == "first" else mail[-1]
        link = next(link for link in self.s.links if link.id == chosen.action_link)
        name = "invitation" if link.kind == "invitation" else "login link"
        if a.damage:
            self.show(a.customer, a.device, PROBLEM, "SEC-5", f"a {name} {a.damage} grants nothing")
            return
        if a.tamper == "site":
            self.show(a.customer, a.device, NOT_ACCOUNT, "SEC-6", f"{'an' if name[0] in 'aeiou' else 'a'} {name} moved under another site's path grants nothing there")
            return
        if a.tamper:
            self.show(a.customer, a.device, NOT_ACCOUNT, "SEC-5", f"a {name} with its {a.tamper.replace(':', ' ')} changed grants nothing")
            return
        if link.revoked_by:
            rule = "REV-3" if link.revoked_by == "REV-1" and self.s.customers[a.customer].enabled else link.revoked_by
            self.show(a.customer, a.device, PROBLEM, rule,
                      f"this {name} was made invalid ({link.revoked_by})")
            return
        if link.used:
            rule = "LL-6" if link.kind == "login_link" else "INV-4"
            self.show(a.customer, a.device, PROBLEM, rule, f"this {name} was already used: it works once")
            return
        ttl_key = "invitation_ttl_s" if link.kind == "invitation" else "login_link_ttl_s"
        if self.now >= link.sent_at + self.s.policy[ttl_key]:
            rule = "INV-5" if link.kind == "invitation" else "LL-5"
            self.show(a.customer, a.device, PROBLEM, rule, f"the {name} expired {ttl_key}={self.s.policy[ttl_key]} s after it was sent")
            return
        link.used = True
        customer = self.s.customers[a.customer]
        customer.email_verified = True
        key = device_key(a.customer, a.device)
        opener = self.s.devices.setdefault(key, Device())
        opener.verified.add(a.customer)
        opener.revoked.discard(a.customer)
        opener.asked_to_verify = opener.passed_over = False
        for other_key, other in self.s.devices.items():  # EV-2: only the device that opened it is verified
            if other_key != key and other_key.startswith(f"{a.customer}'s ") and other.asked_to_verify:
                other.passed_over = True
        self.start_session(a.customer, a.device)
        if link.kind == "invitation" and self.s.policy["password_login_enabled"] and not customer.has_password:
            self.show(a.customer, a.device, CHOOSE_PASSWORD, "INV-8", "with password logins on, accepting the invitation asks for a password")
            return
        if link.kind == "invitation":
            rule = "INV-4"
        else:
            rule = "DEV-2" if link.asked_on and link.asked_on != key else "LL-4"
        self.show(a.customer, a.device, ACCOUNT, rule, f"a valid {name} signs her in on the device that opens it", account=a.customer)

    def keep_management_url(self, a: act.KeepManagementUrl) -> None:
        self.s.kept[a.customer] = self.s.mail_of(a.customer)[-1].management_link

    def open_management_url(self, a: act.OpenManagementUrl) -> None:
        """MU-2..5, MU-8, EV-1, EV-3, SES-3, DEV-1, REV-1."""
        ml_id = self.s.kept[a.customer] if a.source == "kept" else self.s.mail_of(a.customer)[-1].management_link
        if a.tamper == "site":  # SEC-6, tenant isolation (MU-8 before POLICY v1 had a rule for it)
            self.show(a.customer, a.device, NOT_ACCOUNT, "SEC-6", "a management URL moved under another site's path grants nothing there")
            return
        if a.tamper:
            self.show(a.customer, a.device, NOT_ACCOUNT, "MU-8", f"a management URL with its {a.tamper.replace(':', ' ')} changed grants nothing")
            return
        ml = next(ml for ml in self.s.management_links if ml.id == ml_id)
        customer = self.s.customers[a.customer]
        policy = self.s.policy
        if ml.revoked or not customer.enabled:
            self.show(a.customer, a.device, PROBLEM, "REV-1", "her portal access was revoked since this URL was made")
            return
        if self.now >= ml.created_at + policy["management_link_ttl_s"]:
            self.show(a.customer, a.device, PROBLEM, "MU-5", "the management URL expired management_link_ttl_s after it was made")
            return
        target = self.s.devices.setdefault(device_key(a.customer, a.device), Device())
        if not policy["email_verification_required"]:
            rule, why = "MU-4", "without verification the management URL signs her in on any device"
        elif not customer.email_verified:
            self.show(a.customer, a.device, VERIFY, "EV-1", "her email is not verified yet: no access by any route")
            return
        elif a.customer not in target.verified:
            if a.customer in target.revoked:
                self.show(a.customer, a.device, VERIFY, "REV-1", "revocation made this device's verification useless, a new invitation too")
            elif target.passed_over:
                self.show(a.customer, a.device, VERIFY, "EV-2", "a link opened on another device verified that device only: this one is still asked to verify")
            else:
                self.show(a.customer, a.device, VERIFY, "MU-3", "this device is not verified: it is asked to verify")
            return
        else:
            rule, why = "MU-2", "the management URL signs her in on a verified device"
        holds, _ = self.session_holds(a.customer, a.device)
        if holds and target.session is not None and target.session.customer == a.customer:
            target.session.last_seen = self.now  # ref: a live session of hers is kept (SES-2)
        else:
            self.start_session(a.customer, a.device, live_one_kept=True)
        self.show(a.customer, a.device, ACCOUNT, rule, why, account=a.customer)

    def visit_portal(self, a: act.VisitPortal) -> None:
        """SES-1, SES-2, SES-6: the portal's home page shows the account while the session holds."""
        holds, rule = self.session_holds(a.customer, a.device)
        target = self.s.devices.get(device_key(a.customer, a.device))
        if holds and target is not None and target.session is not None:
            target.session.last_seen = self.now
            self.show(a.customer, a.device, ACCOUNT, "SES-2", "the session holds, and this visit extends it",
                      account=target.session.customer)
        else:
            why = {"SES-1": "the session ended after session_idle_timeout_s without activity",
                   "SES-6": "this device has no session", "REV-1": "her access was revoked",
                   "SES-4": "she signed out on this device",
                   "EV-1": "her email is not verified, and verification is required"}[rule]
            self.show(a.customer, a.device, SIGNED_OUT, rule, why)

    # -- passwords (PW-1..6, EV-2, INV-8) -----------------------------------------------------------

    def set_password(self, a: act.SetPassword) -> None:
        if not self.s.policy["password_login_enabled"]:
            self.expect("status", 422, "CONTRACT", "setting a password with password logins off is refused")
            return
        self.s.customers[a.customer].has_password = True
        self.expect("status", 204, "CONTRACT", "the merchant sets her password")

    def choose_password(self, a: act.ChoosePassword) -> None:
        """INV-8: having chosen a password on the page her invitation led to, she sees her account."""
        holds, rule = self.session_holds(a.customer, a.device)
        target = self.s.devices.get(device_key(a.customer, a.device))
        if not holds or target is None or target.session is None:
            self.show(a.customer, a.device, NOT_ACCOUNT, rule, "her session ended before she chose a password")
            return
        if self.s.policy["password_login_enabled"]:
            self.s.customers[a.customer].has_password = True
        target.session.last_seen = self.now
        self.show(a.customer, a.device, ACCOUNT, "INV-8", "having chosen a password she sees her account", account=a.customer)

    def password_form(self, key: str) -> bool:
        """PW-1: the sign-in page offers a password form only with password logins on."""
        if self.s.policy["password_login_enabled"]:
            self.expect(f"password_form:{key}", True, "PW-2", "with password logins on the sign-in page offers a password form")
            return True
        self.expect(f"password_form:{key}", False, "PW-1", "with password logins off the sign-in page offers no password form")
        return False

    def password_attempt(self, who: str, *, right: bool) -> tuple[str, str]:
        """PW-2..6: (the rule deciding, why); "PW-2" with `right` alone signs in. Only a wrong
        password counts towards the lock; ref: a refused attempt while locked does not, and a
        sign-in clears the count."""
        failures = self.s.password_failures.setdefault(who, [])
        if locked_until(failures, self.now) is not None:
            return "PW-6", "5 wrong passwords within 15 minutes lock the address for 15 minutes"
        customer = self.s.customers.get(who)
        if customer is None or not right or not customer.has_password or not customer.enabled:
            failures.append(self.now)
            if customer is not None and right and customer.was_enabled and not customer.enabled:
                return "REV-1", "her access was revoked: her password grants nothing"
            return "PW-2", "she has no password" if customer is not None and right else "a wrong password signs nobody in"
        if self.s.policy["email_verification_required"] and not customer.email_verified:
            return "PW-4", "her email is not verified: a password sign-in gives no access"
        failures.clear()
        return "SIGN_IN", ""

    def sign_in_with_password(self, a: act.SignInWithPassword) -> None:
        """PW-1, PW-2, PW-4, PW-6, EV-2: her own password on her device."""
        key = device_key(a.customer, a.device)
        if not self.password_form(key):
            self.show(a.customer, a.device, NOT_ACCOUNT, "PW-1", "with password logins off a password sign-in is refused")
            return
        rule, why = self.password_attempt(a.customer, right=True)
        if rule != "SIGN_IN":
            self.show(a.customer, a.device, NOT_ACCOUNT, rule, why)
            return
        if self.s.policy["email_verification_required"]:
            self.s.devices.setdefault(key, Device()).verified.add(a.customer)  # EV-2
        self.start_session(a.customer, a.device)
        self.show(a.customer, a.device, ACCOUNT, "PW-2", "a customer with a password signs in with email and password", account=a.customer)

    def try_wrong_password(self, a: act.TryWrongPassword) -> None:
        """PW-6: someone's wrong password for her address counts towards the lock."""
        if not self.password_form(device_key("someone", "laptop")):
            return
        rule, why = self.password_attempt(a.customer, right=False)
        self.show("someone", "laptop", NOT_ACCOUNT, rule, why)

    def compare_sign_in_answers(self, a: act.CompareSignInAnswers) -> None:
        """PW-3: a wrong password and an unknown address get the same answer (both count, PW-6)."""
        if not self.password_form(device_key("someone", "laptop")):
            return
        locks = [locked_until(self.s.password_failures.get(who, []), self.now) is not None for who in (a.customer, UNKNOWN)]
        for who in (a.customer, UNKNOWN):
            self.password_attempt(who, right=False)
        if locks[0] == locks[1]:  # a locked address rightly answers otherwise than one that is not
            self.expect("alike", True, "PW-3", "a wrong password and an unknown address get the same answer")

    # -- what the portal must keep apart ------------------------------------------------------------

    def open_link_on_two_devices(self, a: act.OpenLinkOnTwoDevices) -> None:
        """SEC-2: two devices opening a single-use link at once: exactly one signs in (`a.winner`)."""
        winner = a.winner or act.DEVICES[0]
        loser = next(device for device in act.DEVICES if device != winner)
        link = self.s.links_of(a.customer, a.link)[-1]
        live = self.link_live(link)
        first = len(self.expects)
        for device in (winner, loser):
            self.open_email_link(act.OpenEmailLink(a.customer, device, a.link))
        if live:
            why = "two devices opened a single-use link at the same moment: exactly one signs in"
            self.expects[first:] = [dataclasses.replace(expect, rule="SEC-2", why=why) if expect.channel.startswith(("page:", "account:")) else expect
                                    for expect in self.expects[first:]]

    def link_live(self, link: EmailLink) -> bool:
        ttl = self.s.policy["invitation_ttl_s" if link.kind == "invitation" else "login_link_ttl_s"]
        return not link.used and not link.revoked_by and self.now < link.sent_at + ttl and self.s.customers[link.customer].enabled

    def carry_session_to_other_site(self, a: act.CarrySessionToOtherSite) -> None:
        """SEC-6: a session of one site grants nothing under another site's path."""
        self.show(a.customer, a.device, NOT_ACCOUNT, "SEC-6", "her session, carried to another site's pages, shows her signed out there")

    def open_other_sites_management_url(self, a: act.OpenOtherSitesManagementUrl) -> None:
        """SEC-6: verified in one site, a device is not verified in another, where she is a customer too."""
        self.s.customers[a.customer].elsewhere = True
        self.expect("mail", ((a.customer, "invitation"),), "INV-1", "the other site invites her too")
        self.show(a.customer, a.device, VERIFY, "SEC-6", "a device verified in one site is not verified in another merchant's site")
        self.s.devices[device_key(a.customer, a.device)].page = OTHER_SITE  # that verify page is the other site's, not hers
        # The device she accepted it on shows the other site's account page: nothing of hers either
        # (a verify page it showed before is gone, so there is nothing to ask a login link from).
        self.s.devices.setdefault(device_key(a.customer, a.other), Device()).page = OTHER_SITE

    def reuse_ended_session(self, a: act.ReuseEndedSession) -> None:
        """SES-4: a session she signed out of stays ended on the portal, even if its cookie comes back."""
        self.show(a.customer, a.device, NOT_ACCOUNT, "SES-4", "the session she signed out of stays ended, even with its cookie put back")

    def sign_out(self, a: act.SignOut) -> None:
        """SES-4 (ref): signing out ends the session and un-verifies that device."""
        holds, rule = self.session_holds(a.customer, a.device)
        target = self.s.devices.get(device_key(a.customer, a.device))
        if not holds or target is None or target.session is None:
            self.show(a.customer, a.device, SIGNED_OUT, rule, "there is no session to sign out of")
            return
        target.verified.discard(target.session.customer)
        target.session, target.ended_by = None, "SES-4"
        self.show(a.customer, a.device, SIGNED_OUT, "SES-4", "signing out ends the session")


def mail_channel(mails: Iterable[Mail]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((mail.to, mail.kind) for mail in mails))
