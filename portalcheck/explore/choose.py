"""The next action of a walk, chosen from what the model says exists, by a step's own random.

Each step of a walk draws one integer from Hypothesis and seeds a `random.Random` with it and
the walk's length so far: the draws of a walk are then the same whatever the portal answered
(Hypothesis replays a walk by its draws), while the choice can look at the state (only links she
was sent, only a verify page that shows). A step's action depends on its integer, its place and
the state alone, so a replayed walk takes the same actions; Hypothesis's shrinking by deleting
steps changes the steps after, which `replay.shorten` makes up for by deleting concrete actions.
"""

from __future__ import annotations

import math
import random
from typing import Callable

from . import actions as act
from . import model

# The values a policy change chooses among: the defaults and others around them, each one the
# suite's own policy steps can say (hours, minutes, days).
POLICY_CHOICES: dict[str, tuple[object, ...]] = {
    "auto_invite": (True, False),
    "email_verification_required": (True, False),
    "invitation_ttl_s": (3600, 86400, 172800),
    "login_link_ttl_s": (600, 1800, 3600),
    "management_link_ttl_s": (20 * 86400, 65 * 86400),
    "management_link_refresh_s": (5 * 86400, 15 * 86400),
    "session_idle_timeout_s": (600, 1800),
}
# Around a boundary: just before, at, just after (seconds).
AIMS = {-5: "just before", 0: "at", 5: "just after"}  # walk.SLACK_S and the clock's creep inside 5 s
PLAIN_ADVANCES = (60, 1799, 3600, 86400)
TAMPERS = ("segment:0", "segment:1", "segment:2", "segment:3", "query:0", "site")


def next_action(rng: random.Random, state: model.State, opened: dict[str, act.Action], clock: Callable[[], float]) -> act.Action:
    """One action that can be taken in `state`, weighted towards what most rules turn on:
    opening what she was just sent, asking for a login link, the management URL, time passing."""
    names = list(state.customers)
    who = rng.choice(names[:1] * 3 + names[1:])
    device = rng.choice(act.DEVICES)
    menu: list[tuple[int, Callable[[], act.Action]]] = [
        (6, lambda: _open_newest(state, who, device)),
        (2, lambda: _open_email_link(rng, state, who, device)),
        (4, lambda: _open_management_url(rng, state, who, device)),
        (4, lambda: act.AskForLoginLink(who, device)),
        (1, lambda: act.AskForLoginLinkFromAnotherSite(who, device)),
        (2, lambda: act.VisitPortal(who, device)),
        (2, lambda: act.SignOut(who, device)),
        (1, lambda: act.KeepManagementUrl(who)),
        (2, lambda: act.Invite(who)),
        (1, lambda: act.Revoke(who)),
        (1, lambda: act.Subscribe(who)),
        (1, lambda: act.SendAccountEmail(who)),
        (1, lambda: act.ReadManagementLink(who)),
        (2, lambda: _policy_change(rng)),
        (3, lambda: _advance_to_boundary(rng, state, clock)),
        (1, lambda: act.AdvanceClock(rng.choice(PLAIN_ADVANCES))),
    ]
    if who in opened:
        menu.append((5, lambda: _again(opened[who], device)))
    menu += _password_menu(rng, state, who, device)
    live = [kind for kind in ("invitation", "login_link") if _latest_live(state, who, kind)]
    if live:
        menu.append((1, lambda: act.OpenLinkOnTwoDevices(who, rng.choice(live))))
    if state.device(who, device).session is not None:
        menu.append((1, lambda: act.CarrySessionToOtherSite(who, device)))
    if possible(state, act.ReuseEndedSession(who, device)):
        menu.append((4, lambda: act.ReuseEndedSession(who, device)))
    menu.append((1, lambda: _moved(rng, state, who, device)))
    other = next(name for name in act.DEVICES if name != device)
    if possible(state, act.OpenOtherSitesManagementUrl(who, device, other)):
        menu.append((2, lambda: act.OpenOtherSitesManagementUrl(who, device, other)))
    verify_pages = [(name, on) for name in names for on in act.DEVICES if _shows_verify(state, name, on)]
    if verify_pages:
        menu.append((4, lambda: act.AskFromVerifyPage(*rng.choice(verify_pages))))
    if len(names) < len(act.NAMES):
        menu.append((1, lambda: act.AddCustomer(act.NAMES[len(names)])))
    else:
        menu.append((1, lambda: act.CompareLoginLinkAnswers(*act.NAMES[:2])))
    while True:
        make = rng.choices([item for _, item in menu], weights=[weight for weight, _ in menu])[0]
        action = make()
        if possible(state, action):
            return action


def next_actions(rng: random.Random, state: model.State, opened: dict[str, act.Action], clock: Callable[[], float]) -> list[act.Action]:
    """Mostly one action; now and then a burst of one action repeated up to a rate limit of the
    policy (INV-7: 5 invitations, LL-8: 5 login links, MU-7: 15 reads, PW-6: 5 wrong passwords)
    and one past it, or a short aim: two actions that only together reach a rule (REV-1: revoked
    while signed in, then the portal visited; MU-5: time moved just past a management URL's
    expiry, then the URL opened on a verified device)."""
    draw = rng.random()
    who = rng.choice(list(state.customers))
    if draw < 0.06:
        bursts = [
            [act.Invite(who)] * rng.choice((5, 6, 6)),
            [act.AskForLoginLink(who, "laptop")] * rng.choice((5, 6)),
            [act.ReadManagementLink(who)] * rng.choice((15, 16)),
        ]
        if state.policy["password_login_enabled"]:
            bursts.append([act.TryWrongPassword(who, capitals=rng.random() < 0.5)] * rng.choice((5, 6)))
        if state.policy["auto_invite"]:  # INV-7: automatic invitations count too
            bursts.append([act.Subscribe(who)] * 5 + [act.Invite(who)])
        return rng.choice(bursts)
    if draw < 0.22:
        device = rng.choice(act.DEVICES)
        aims = [(weight, aim) for weight, aim in (
            (4, _across_a_boundary(rng, state, who, clock)),
            (2, _revoked_while_signed_in(state, who)),
            (2, _invited_again_after_revocation(state, who)),
            (3, _management_url_past_expiry(rng, state, who, clock)),
            (1, _email_after_renewal(rng, state, who, clock)),
            (2, _locked_out(rng, state, who, device)),
            (2, _passwords_on(state, who)),
            (1, _no_password_compared(state, who)),
            (2, _other_customers_path(state, who)),
            (3, _signed_out_cookie_again(state, who, device)),
            (3, _login_link_beside_a_waiting_device(state, who)),
            (3, _verified_device_in_another_site(state, who, device)),
            (2, _login_link_twice(state, who, device)),
            (1, _answers_compared(state)),
            (2, _automatic_invitations_counted(state, who)),
        ) if aim]
        if aims:
            return rng.choices([aim for _, aim in aims], weights=[weight for weight, _ in aims])[0]
    return [next_action(rng, state, opened, clock)]


def _across_a_boundary(rng: random.Random, state: model.State, who: str, clock: Callable[[], float]) -> list[act.Action]:
    """INV-5, LL-5, SES-1: time moved to just before or just after the end of her latest live
    link of a kind, or of a session of hers, then what that end decides: the link opened, the
    portal visited on that device."""
    ends: list[tuple[float, str, act.Action]] = []
    for kind, rule in (("invitation", "INV-5"), ("login_link", "LL-5")):
        if _latest_live(state, who, kind):
            link = state.links_of(who, kind)[-1]
            ttl = state.policy["invitation_ttl_s" if kind == "invitation" else "login_link_ttl_s"]
            ends.append((link.sent_at + ttl, f"{rule}: {who}'s {kind.replace('_', ' ')} {link.id} expires",
                         act.OpenEmailLink(who, rng.choice(act.DEVICES), kind)))
    for device in act.DEVICES:
        session = state.device(who, device).session
        if session is not None:
            ends.append((session.last_seen + state.policy["session_idle_timeout_s"], f"SES-1: the session on {who}'s {device} ends",
                         act.VisitPortal(who, device)))
    if not ends:
        return []
    at, why, then = rng.choice(ends)
    offset = rng.choice((-5, 5))
    return [act.AdvanceClock(max(1, math.ceil(at - clock()) + offset), f"{AIMS[offset]} {why}"), then]


def _automatic_invitations_counted(state: model.State, who: str) -> list[act.Action]:
    """INV-7: five subscriptions with automatic invitations on, then the merchant's own invitation."""
    turn_on = [] if state.policy["auto_invite"] else [act.SetPolicy("auto_invite", True)]
    return [*turn_on, *[act.Subscribe(who)] * 5, act.Invite(who)]


def _accepted_on(state: model.State, who: str, device: str) -> list[act.Action] | None:
    """What signs her in and verifies `device` first: nothing if it is already, her latest
    invitation opened there if it is live; None when neither (the aim waits)."""
    if state.device(who, device).session is not None and who in state.device(who, device).verified:
        return []
    if _latest_live(state, who, "invitation"):
        return [act.OpenEmailLink(who, device, "invitation")]
    return None


def _signed_out_cookie_again(state: model.State, who: str, device: str) -> list[act.Action]:
    """SES-4: she signs out, and the session cookie she held is put back (her invitation
    accepted on that device first, when it is not signed in)."""
    first: list[act.Action] | None = []
    if state.device(who, device).session is None:
        first = _accepted_on(state, who, device)
        if first is None:
            return []
    return [*first, act.SignOut(who, device), act.ReuseEndedSession(who, device)]


def _login_link_twice(state: model.State, who: str, device: str) -> list[act.Action]:
    """LL-6: a login link asked for, opened, then opened again on the other device."""
    if not state.customers[who].enabled:
        return []
    other = next(name for name in act.DEVICES if name != device)
    return [act.AskForLoginLink(who, device), act.OpenEmailLink(who, device, "login_link"), act.OpenEmailLink(who, other, "login_link")]


def _answers_compared(state: model.State) -> list[act.Action]:
    """LL-2: the sign-in page's answers to her address, the next customer's and an unknown one, compared."""
    first, second = act.NAMES[:2]
    added = [] if second in state.customers else [act.AddCustomer(second)]
    return [*added, act.CompareLoginLinkAnswers(first, second)]


def _verified_device_in_another_site(state: model.State, who: str, device: str) -> list[act.Action]:
    """SEC-6: a device verified in her site (her invitation accepted there first, if need be),
    then another site that took her on with the same address: its management URL opened there
    must ask to verify."""
    other = next(name for name in act.DEVICES if name != device)
    first = [] if who in state.device(who, device).verified else _accepted_on(state, who, device)
    if first is None or state.customers[who].elsewhere:
        return []
    return [*first, act.OpenOtherSitesManagementUrl(who, device, other)]


def _no_password_compared(state: model.State, who: str) -> list[act.Action]:
    """PW-3: with password logins on, a customer with no password against an unknown address."""
    if not state.passwords or state.customers[who].has_password:
        return []
    turn_on = [] if state.policy["password_login_enabled"] else [act.SetPolicy("password_login_enabled", True)]
    return [*turn_on, act.CompareSignInAnswers(who)]


def _login_link_beside_a_waiting_device(state: model.State, who: str) -> list[act.Action]:
    """EV-2: her phone is asked to verify; a login link opened on her laptop verifies the laptop
    alone (her invitation accepted on the laptop first, and verification turned on, if need be)."""
    laptop, phone = (state.device(who, device) for device in act.DEVICES)
    first = [] if who in laptop.verified else _accepted_on(state, who, "laptop")
    if first is None or who in phone.verified or not state.mail_of(who) or not state.customers[who].enabled:
        return []
    turn_on = [] if state.policy["email_verification_required"] else [act.SetPolicy("email_verification_required", True)]
    return [*turn_on, *first, act.OpenManagementUrl(who, "phone"), act.AskForLoginLink(who, "laptop"),
            act.OpenEmailLink(who, "laptop", "login_link"), act.OpenManagementUrl(who, "phone")]


def _email_after_renewal(rng: random.Random, state: model.State, who: str, clock: Callable[[], float]) -> list[act.Action]:
    """MU-1, MU-6: once her management URL is renewed, an email carries the new one."""
    mails = state.mail_of(who)
    if not mails or not state.customers[who].enabled:
        return []
    ml = next(ml for ml in state.management_links if ml.id == mails[-1].management_link)
    at = ml.created_at + state.policy["management_link_refresh_s"]
    if at <= state.now:
        return [act.SendAccountEmail(who)]
    return [act.AdvanceClock(max(1, math.ceil(at - clock()) + 5), f"just after MU-6: management link {ml.id} is renewed"),
            act.SendAccountEmail(who)]


def _locked_out(rng: random.Random, state: model.State, who: str, device: str) -> list[act.Action]:
    """PW-6: five wrong passwords, each with her address typed as is or in capitals (mostly a mix,
    which a count kept per address as typed splits), then her own; password logins turned on and
    her password set first, if need be."""
    if not state.passwords and not state.policy["password_login_enabled"]:
        return []
    first = ([] if state.policy["password_login_enabled"] else [act.SetPolicy("password_login_enabled", True)]) + (
        [] if state.customers[who].has_password else [act.SetPassword(who)])
    tries = [act.TryWrongPassword(who, capitals=rng.random() < 0.5) for _ in range(5)]
    return [*first, *tries, act.SignInWithPassword(who, device)]


def _passwords_on(state: model.State, who: str) -> list[act.Action]:
    """Password logins turned on and her password set: where the password rules begin."""
    if not state.passwords or state.policy["password_login_enabled"]:
        return []
    return [act.SetPolicy("password_login_enabled", True), act.SetPassword(who)]


def _other_customers_path(state: model.State, who: str) -> list[act.Action]:
    """MU-8: her management URL with the customer its path names changed (to the next one's:
    Ben, added after her, with portal access), with verification off, so that his unverified
    email is no refusal."""
    if who != act.NAMES[0] or not state.mail_of(who):
        return []
    ben = state.customers.get(act.NAMES[1])
    others = ([] if ben is not None else [act.AddCustomer(act.NAMES[1])]) + ([] if ben is not None and ben.enabled else [act.Invite(act.NAMES[1])])
    unverified = [act.SetPolicy("email_verification_required", False)] if state.policy["email_verification_required"] else []
    return [*others, *unverified, act.OpenManagementUrl(who, "laptop", tamper="segment:1")]


def _revoked_while_signed_in(state: model.State, who: str) -> list[act.Action]:
    signed_in = [device for device in act.DEVICES if state.device(who, device).session is not None]
    if not signed_in or not state.customers[who].enabled:
        return []
    return [act.Revoke(who), act.VisitPortal(who, signed_in[0])]


def _invited_again_after_revocation(state: model.State, who: str) -> list[act.Action]:
    """REV-1, REV-3: revoked and invited again, the management URL on a device verified before."""
    verified = [device for device in act.DEVICES if who in state.device(who, device).verified]
    if not verified or not state.customers[who].enabled:
        return []
    return [act.Revoke(who), act.Invite(who), act.OpenManagementUrl(who, verified[0])]


def _management_url_past_expiry(rng: random.Random, state: model.State, who: str, clock: Callable[[], float]) -> list[act.Action]:
    mails = state.mail_of(who)
    verified = [device for device in act.DEVICES if who in state.device(who, device).verified]
    first: list[act.Action] = []
    if not verified and _latest_live(state, who, "invitation"):  # she accepts her invitation first
        verified, first = ["laptop"], [act.OpenEmailLink(who, "laptop", "invitation")]
    if not mails or not verified:
        return []
    ml = next(ml for ml in state.management_links if ml.id == mails[-1].management_link)
    at = ml.created_at + state.policy["management_link_ttl_s"]
    if at <= state.now:
        return []
    offset = rng.choice((5, 5, -5))
    return [*first, act.AdvanceClock(max(1, math.ceil(at - clock()) + offset), f"{AIMS[offset]} MU-5: management link {ml.id} expires"),
            act.OpenManagementUrl(who, rng.choice(verified))]


def possible(state: model.State, action: act.Action) -> bool:
    """Whether the walk can take `action` now: its customers exist, and what it opens was emailed."""
    if isinstance(action, act.AddCustomer):
        return action.customer not in state.customers
    if isinstance(action, act.CompareLoginLinkAnswers):
        return action.first in state.customers and action.second in state.customers
    customer = getattr(action, "customer", None)
    if customer is not None and customer not in state.customers:
        return False
    if isinstance(action, act.OpenEmailLink):
        return bool(state.mail_of(action.customer, action.link))
    if isinstance(action, act.KeepManagementUrl):
        return bool(state.mail_of(action.customer))
    if isinstance(action, act.OpenManagementUrl):
        return action.customer in state.kept if action.source == "kept" else bool(state.mail_of(action.customer))
    if isinstance(action, act.AskFromVerifyPage):
        return _shows_verify(state, action.customer, action.device)
    if isinstance(action, act.ChoosePassword):
        return _shows(state, action.customer, action.device, model.CHOOSE_PASSWORD)
    if isinstance(action, act.OpenLinkOnTwoDevices):
        return bool(state.mail_of(action.customer, action.link))
    if isinstance(action, act.OpenOtherSitesManagementUrl):
        customer = state.customers[action.customer]
        return (not customer.elsewhere and action.device != action.other
                and action.customer in state.device(action.customer, action.device).verified)
    if isinstance(action, act.ReuseEndedSession):
        shown = state.device(action.customer, action.device)
        return shown.ended_by == "SES-4" and shown.session is None
    if isinstance(action, act.CarrySessionToOtherSite):
        return state.device(action.customer, action.device).session is not None
    if isinstance(action, act.SetPolicy) and action.key == "password_login_enabled":
        return state.passwords
    return True


def _shows_verify(state: model.State, customer: str, device: str) -> bool:
    return _shows(state, customer, device, model.VERIFY)


def _shows(state: model.State, customer: str, device: str, page: str) -> bool:
    shown = state.device(customer, device)
    return shown.page == page and state.now - shown.page_at < 3000  # ref: the page lasts an hour


def _open_newest(state: model.State, who: str, device: str) -> act.Action:
    """What a customer does most: open the link in the email she got last."""
    newest = [mail for mail in state.mail_of(who) if mail.action_link is not None]
    if newest:
        return act.OpenEmailLink(who, device, newest[-1].kind)
    return act.OpenManagementUrl(who, device)


def _open_email_link(rng: random.Random, state: model.State, who: str, device: str) -> act.Action:
    kinds = [kind for kind in ("invitation", "login_link") if state.mail_of(who, kind)] or ["invitation"]
    spoiled = rng.choice(("",) * 8 + ("damage:garbled", "damage:cut short") + tuple(f"tamper:{tamper}" for tamper in TAMPERS))
    what, _, how = spoiled.partition(":")
    return act.OpenEmailLink(who, device, rng.choice(kinds), rng.choice(("latest", "latest", "first")),
                             damage=how if what == "damage" else "", tamper=how if what == "tamper" else "")


def _moved(rng: random.Random, state: model.State, who: str, device: str) -> act.Action:
    """One of the links she holds, moved under another site's path (SEC-6): a live one if she
    holds one, as only a link that works in her site can show it working in another (a
    management URL moved lands on a device the other site has not verified)."""
    held = [kind for kind in ("invitation", "login_link") if state.mail_of(who, kind)]
    live = [kind for kind in held if _latest_live(state, who, kind)]
    kind = rng.choice(live or [*held, "management URL"])
    if kind == "management URL":
        return act.OpenManagementUrl(who, device, tamper="site")
    return act.OpenEmailLink(who, device, kind, tamper="site")


def _latest_live(state: model.State, who: str, kind: str) -> bool:
    """Whether the model says her latest link of a kind would still sign her in (SEC-2 races only those)."""
    links = state.links_of(who, kind)
    if not links:
        return False
    link = links[-1]
    ttl = state.policy["invitation_ttl_s" if kind == "invitation" else "login_link_ttl_s"]
    return not link.used and not link.revoked_by and state.now < link.sent_at + ttl - 10 and state.customers[who].enabled


def _password_menu(rng: random.Random, state: model.State, who: str, device: str) -> list[tuple[int, Callable[[], act.Action]]]:
    """Password actions: where the target has password logins, turned on and off, set, chosen,
    used and mistyped; with them off, a password sign-in now and then (PW-1: no form, refused)."""
    on = state.policy["password_login_enabled"]
    menu: list[tuple[int, Callable[[], act.Action]]] = [(2 if not on else 3, lambda: act.SignInWithPassword(who, device))]
    if state.passwords:
        menu.append((1, lambda: act.SetPolicy("password_login_enabled", not on)))
    if on:
        menu += [
            (1, lambda: act.SetPassword(who)),
            (1, lambda: act.TryWrongPassword(who, capitals=rng.random() < 0.3)), (1, lambda: act.CompareSignInAnswers(who)),
        ]
    if _shows(state, who, device, model.CHOOSE_PASSWORD):
        menu.append((5, lambda: act.ChoosePassword(who, device)))
    return menu


def _open_management_url(rng: random.Random, state: model.State, who: str, device: str) -> act.Action:
    source = rng.choice(("latest", "latest", "kept")) if who in state.kept else "latest"
    tamper = rng.choice(("",) * 5 * len(TAMPERS) + TAMPERS)
    return act.OpenManagementUrl(who, device, source, tamper)


def _again(before: act.Action, device: str) -> act.Action:
    """The link she opened last, opened again (undamaged), on either device."""
    if isinstance(before, act.OpenEmailLink):
        return act.OpenEmailLink(before.customer, device, before.link, before.which)
    assert isinstance(before, act.OpenManagementUrl)
    return act.OpenManagementUrl(before.customer, device, before.source)


def _policy_change(rng: random.Random) -> act.Action:
    key = rng.choice(sorted(POLICY_CHOICES))
    return act.SetPolicy(key, rng.choice(POLICY_CHOICES[key]))


def _advance_to_boundary(rng: random.Random, state: model.State, clock: Callable[[], float]) -> act.Action:
    """Time moved to just before, at or just after a moment where a prediction changes."""
    ahead = [(at, why) for at, why in state.boundaries() if at > state.now]
    if not ahead:
        return act.AdvanceClock(rng.choice(PLAIN_ADVANCES))
    at, why = rng.choice(ahead)
    offset = rng.choice(sorted(AIMS))
    return act.AdvanceClock(max(1, math.ceil(at - clock()) + offset), f"{AIMS[offset]} {why}")
