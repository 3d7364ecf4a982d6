"""The next action of a walk, chosen from what the model says exists, by a step's own random.

Each step of a walk draws one integer from Hypothesis and seeds a `random.Random` with it: the
draws of a walk are then the same whatever the portal answered (Hypothesis replays a walk by its
draws), while the choice can look at the state (only links she was sent, only a verify page that
shows). A step's action depends on its integer and the state alone, so Hypothesis shrinks a walk
by deleting steps, and a replayed walk takes the same actions.
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
        (5, lambda: _open_newest(state, who, device)),
        (2, lambda: _open_email_link(rng, state, who, device)),
        (4, lambda: _open_management_url(rng, state, who, device)),
        (3, lambda: act.AskForLoginLink(who, device)),
        (2, lambda: act.VisitPortal(who, device)),
        (1, lambda: act.SignOut(who, device)),
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
        menu.append((3, lambda: _again(opened[who], device)))
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
    policy (INV-7: 5 invitations, LL-8: 5 login links, MU-7: 15 reads) and one past it."""
    if rng.random() < 0.04:
        who = rng.choice(list(state.customers))
        burst = rng.choice([
            [act.Invite(who)] * rng.choice((5, 6)),
            [act.AskForLoginLink(who, "laptop")] * rng.choice((5, 6)),
            [act.ReadManagementLink(who)] * rng.choice((15, 16)),
        ])
        return burst
    return [next_action(rng, state, opened, clock)]


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
    return True


def _shows_verify(state: model.State, customer: str, device: str) -> bool:
    shown = state.device(customer, device)
    return shown.page == model.VERIFY and state.now - shown.page_at < 3000  # ref: the page lasts an hour


def _open_newest(state: model.State, who: str, device: str) -> act.Action:
    """What a customer does most: open the link in the email she got last."""
    newest = [mail for mail in state.mail_of(who) if mail.action_link is not None]
    if newest:
        return act.OpenEmailLink(who, device, newest[-1].kind)
    return act.OpenManagementUrl(who, device)


def _open_email_link(rng: random.Random, state: model.State, who: str, device: str) -> act.Action:
    kinds = [kind for kind in ("invitation", "login_link") if state.mail_of(who, kind)] or ["invitation"]
    damage = rng.choice(("",) * 4 + ("garbled", "cut short"))
    return act.OpenEmailLink(who, device, rng.choice(kinds), rng.choice(("latest", "latest", "first")), damage)


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
