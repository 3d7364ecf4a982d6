"""Hypothesis drives the walks: a `RuleBasedStateMachine` whose rules draw the next action from
what the model says exists (customers, emails, a verify page shown), and whose every step is
judged by `Walk.step`. A walk that contradicts the model fails; Hypothesis then shrinks it to the
shortest walk that still does, replaying each candidate in a test site of its own.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from typing import Any, Callable

import hypothesis
from hypothesis import HealthCheck, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from . import actions as act
from . import model
from .target import Target
from .walk import Contradiction, Walk

# The values a policy change chooses among: the defaults and others around them, each one the
# suite's own policy steps can say (hours, minutes, days).
POLICY_CHOICES: dict[str, tuple[Any, ...]] = {
    "auto_invite": (True, False),
    "email_verification_required": (True, False),
    "invitation_ttl_s": (3600, 86400, 172800),
    "login_link_ttl_s": (600, 1800, 3600),
    "management_link_ttl_s": (20 * 86400, 65 * 86400),
    "management_link_refresh_s": (5 * 86400, 15 * 86400),
    "session_idle_timeout_s": (600, 1800),
}
# Around a boundary: just before, at, just after (seconds); SLACK_S decides what is "at".
AIMS = {-3: "just before", 0: "at", 3: "just after"}
PLAIN_ADVANCES = (60, 1799, 3600, 86400)
# Weighted by repetition: what is drawn most is what most rules turn on.
MERCHANT_ACTIONS = ("invite", "invite", "revoke", "subscribe", "send_account_email", "read_management_link",
                    "set_policy", "set_policy", "add_customer")
# Hypothesis draws the first of a list most often, and shrinks towards it: the commonest first.
CUSTOMER_ACTIONS = ("ask_for_login_link", "open_newest", "open_management_url", "reopen") * 2 + (
    "open_newest", "open_newest", "open_email_link", "open_email_link", "open_management_url", "ask_from_verify_page",
    "ask_from_verify_page", "visit_portal", "visit_portal", "sign_out", "keep_management_url", "compare_login_link_answers")
TAMPERS = ("segment:0", "segment:1", "segment:2", "segment:3", "query:0", "site")


class WalkContradicts(AssertionError):
    def __init__(self, found: list[Contradiction]) -> None:
        super().__init__("; ".join(item.describe() for item in found))
        self.found = found


@dataclasses.dataclass
class Run:
    """What a run of walks leaves: counts for the progress line, and the shortest walk that
    contradicted the model (Hypothesis replays its shrunk walk last, so it is here)."""

    deadline: float
    walks: int = 0
    steps: int = 0
    started: float = dataclasses.field(default_factory=time.monotonic)
    failing: tuple[list[act.Action], list[Contradiction]] | None = None
    shrink_budget_s: float = 60.0
    shrink_deadline: float | None = None
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr)

    def out_of_time(self) -> bool:
        now = time.monotonic()
        return now > (self.shrink_deadline if self.shrink_deadline is not None else self.deadline)

    def failed(self, taken: list[act.Action], found: list[Contradiction]) -> None:
        if self.failing is None:
            # Shrinking replays walks: it has a budget of its own, from the first contradiction.
            self.shrink_deadline = time.monotonic() + self.shrink_budget_s
        if self.failing is None or len(taken) <= len(self.failing[0]):
            self.failing = (list(taken), found)

    def walk_done(self, taken: int) -> None:
        self.walks += 1
        self.steps += taken
        elapsed = time.monotonic() - self.started
        state = "shrinking" if self.failing else "exploring"
        self.progress(f"explore: {self.walks} walks, {self.steps} steps, {elapsed:.0f} s, {state}"
                      + (f" (shortest contradicting walk: {len(self.failing[0])} steps)" if self.failing else ""))


def machine_for(target: Target, run: Run) -> type[RuleBasedStateMachine]:
    """A state machine class bound to one target and run (Hypothesis makes one per walk)."""

    class ExploreWalk(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.walk = Walk(target)
            self.opened: dict[str, act.OpenEmailLink | act.OpenManagementUrl] = {}

        def teardown(self) -> None:
            if self.walk.taken:
                run.walk_done(len(self.walk.taken))
            self.walk.close()

        # -- what the model says exists -----------------------------------------------------------

        @property
        def m(self) -> model.State:
            return self.walk.state if self.walk.state is not None else model.initial(0.0)

        def do(self, action: act.Action) -> None:
            """Take `action` if the model says it can be taken now, else let the step pass.

            What a walk draws never depends on what the portal answered: Hypothesis replays a
            walk by its draws, and the site's clock creeps on between two replays. So every
            rule draws all it may need, and an action with nothing to act on is skipped here.
            """
            if run.out_of_time() or not possible(self.m, action):
                return
            found = self.walk.step(action)
            if found:
                run.failed(self.walk.taken, found)
                raise WalkContradicts(found)

        def customer(self, data: st.DataObject) -> str:
            """Mostly the first customer: most rules need a history, and she has the longest."""
            return data.draw(st.sampled_from(act.NAMES[:1] * 3 + act.NAMES[1:]), label="customer")

        def device(self, data: st.DataObject) -> str:
            return data.draw(st.sampled_from(act.DEVICES), label="device")

        @initialize()
        def invited_customer(self) -> None:
            """Every walk starts where most of the policy begins: a customer who was invited."""
            self.do(act.AddCustomer(act.NAMES[0]))
            self.do(act.Invite(act.NAMES[0]))

        @rule(data=st.data())
        def merchant_acts(self, data: st.DataObject) -> None:
            """Through the control API: customers, invitations, revocations, subscriptions, the
            policy changed between steps, account emails, the management link read."""
            kind = data.draw(st.sampled_from(MERCHANT_ACTIONS), label="merchant action")
            if kind == "set_policy":
                key = data.draw(st.sampled_from(sorted(POLICY_CHOICES)), label="setting")
                self.do(act.SetPolicy(key, data.draw(st.sampled_from(POLICY_CHOICES[key]), label="value")))
            elif kind == "add_customer":
                self.do(act.AddCustomer(act.NAMES[1]))
            else:
                self.do(act.KINDS[kind](self.customer(data)))  # type: ignore[call-arg]

        @rule(data=st.data())
        def customer_acts(self, data: st.DataObject) -> None:
            self.customer_action(data)

        @rule(data=st.data())
        def customer_acts_again(self, data: st.DataObject) -> None:
            """A second rule for the same draw: customers act twice as often as the merchant."""
            self.customer_action(data)

        def customer_action(self, data: st.DataObject) -> None:
            """In the browser: links asked for on one device and opened on another, every link
            she holds opened again (current, replaced, expired, tampered), visits, sign-outs."""
            kind = data.draw(st.sampled_from(CUSTOMER_ACTIONS), label="customer action")
            customer, device = self.customer(data), self.device(data)
            if kind == "open_newest":  # what a customer does most: click the link she just got
                newest = [mail for mail in self.m.mail_of(customer) if mail.action_link is not None]
                if newest:
                    self.open(act.OpenEmailLink(customer, device, newest[-1].kind))
                else:
                    self.open(act.OpenManagementUrl(customer, device))
            elif kind == "reopen":  # the same link again, on either device
                before = self.opened.get(customer)
                if before is not None:
                    self.open(dataclasses.replace(before, device=device))
            elif kind == "open_email_link":
                link = data.draw(st.sampled_from(("invitation", "login_link")), label="link")
                if not self.m.mail_of(customer, link):  # the kind she has, if she has only one
                    link = "login_link" if link == "invitation" else "invitation"
                which = data.draw(st.sampled_from(("latest", "latest", "first")), label="which")
                damage = data.draw(st.sampled_from(("",) * 4 + ("garbled", "cut short")), label="damage")
                self.open(act.OpenEmailLink(customer, device, link, which, damage))
            elif kind == "open_management_url":
                source = data.draw(st.sampled_from(("latest", "latest", "kept")), label="source")
                if customer not in self.m.kept:
                    source = "latest"
                tamper = data.draw(st.sampled_from(("",) * 5 * len(TAMPERS) + TAMPERS), label="tamper")
                self.open(act.OpenManagementUrl(customer, device, source, tamper))
            elif kind == "compare_login_link_answers":
                self.do(act.CompareLoginLinkAnswers(*act.NAMES[:2]))
            elif kind == "keep_management_url":
                self.do(act.KeepManagementUrl(customer))
            else:
                self.do(act.KINDS[kind](customer, device))  # type: ignore[call-arg]

        def open(self, action: act.OpenEmailLink | act.OpenManagementUrl) -> None:
            """Open a link she holds; "reopen" takes the same one again later (undamaged)."""
            if isinstance(action, act.OpenEmailLink):
                again = dataclasses.replace(action, damage="", which="first" if action.which == "first" else "latest")
            else:
                again = dataclasses.replace(action, tamper="")
            self.opened[action.customer] = again
            self.do(action)

        @rule(data=st.data())
        def time_passes(self, data: st.DataObject) -> None:
            """Around a boundary of the policy (just before, at, just after it), or a plain amount."""
            around = data.draw(st.sampled_from((True, True, False)), label="around a boundary")
            which = data.draw(st.integers(0, 63), label="boundary")
            offset = data.draw(st.sampled_from(sorted(AIMS)), label="offset")
            plain = data.draw(st.sampled_from(PLAIN_ADVANCES), label="seconds")
            boundaries = self.m.boundaries()
            if around and boundaries and self.walk.state is not None and not run.out_of_time():
                at, why = boundaries[which % len(boundaries)]
                seconds = max(1, math.ceil(at - self.walk.clock()) + offset)
                self.do(act.AdvanceClock(seconds, f"{AIMS[offset]} {why}"))
            else:
                self.do(act.AdvanceClock(plain))

    return ExploreWalk


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
        shown = state.device(action.customer, action.device)
        return shown.page == model.VERIFY and state.now - shown.page_at < 3000  # ref: the page lasts an hour
    return True


def explore(target: Target, *, seed: int, walks: int, steps: int, time_budget_s: float,
            shrink_budget_s: float | None = None, progress: Callable[[str], None] | None = None) -> Run:
    """Walk `walks` times, up to `steps` actions each, within the budget; `Run.failing` holds
    the shrunk walk that contradicted the model, if one did. Shrinking replays walks, for at
    most `shrink_budget_s` after the first contradiction (default: as long as the budget)."""
    run = Run(deadline=time.monotonic() + time_budget_s,
              shrink_budget_s=time_budget_s if shrink_budget_s is None else shrink_budget_s)
    if progress is not None:
        run.progress = progress
    machine = hypothesis.seed(seed)(machine_for(target, run))
    options = settings(
        max_examples=walks, stateful_step_count=steps, deadline=None, database=None,
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False,
        report_multiple_bugs=False,
    )
    try:
        run_state_machine_as_test(machine, settings=options)
    except WalkContradicts:
        pass  # the shrunk walk is in run.failing
    except HypothesisException:
        if run.failing is None:  # Flaky and the like without a walk to show: the run's problem
            raise
    return run
