"""A walk that contradicted the model, written as a scenario in the suite's own step language.

Every step below is one the suite's step modules define (see features/*.feature); where the suite
has no wording for what the walk did or saw, a `#` comment says so, so the scenario still parses
and a QA engineer knows what to add.
"""

from __future__ import annotations

from typing import Any, Sequence

from . import actions as act
from . import model
from .walk import Contradiction

# POLICY v1's levels for the rules that are not MUST (shared/POLICY.md).
SHOULD = {"LL-2", "LL-6", "LL-8", "MU-8", "PW-3", "PW-6", "SES-5", "REV-2", "SEC-1", "SEC-2", "SEC-3", "SEC-4", "SEC-5", "SEC-6"}
REF = {"INV-6", "LL-7", "SES-4"}
PRONOUNS = {"Ada": ("she", "her"), "Ben": ("he", "his")}
EMAIL_WORDS = {"invitation": "invitation", "login_link": "login link", "account": "account email"}
LINK_WORDS = {"invitation": "invitation link", "login_link": "login link"}
EXPIRY_RULES = {"INV-5", "LL-5", "MU-5"}
UNITS = (("days", 86400), ("hours", 3600), ("minutes", 60), ("seconds", 1))


def level(rule: str) -> str:
    return "should" if rule in SHOULD else "ref" if rule in REF else "must"


def feature(actions: Sequence[act.Action], found: Sequence[Contradiction], *, state: model.State | None = None,
            title: str = "", sent: Sequence[Sequence[tuple[str, str]]] = ()) -> str:
    """The finding as a feature file with one scenario, tagged with the rule it breaks.

    `sent[i]`: the emails the model said step i sends (to choose "asked for" over "asks for").
    """
    first = found[0]
    rule = first.rule if first.rule != "CONTRACT" else ""
    tags = f"@{rule} @{level(rule)} @explored" if rule else "@explored"
    name = title or f"Explored: {first.why}"
    lines = ["Feature: Found by portalcheck explore",
             "  A walk through the portal that contradicted POLICY v1, shrunk to its shortest.", "",
             f"  {tags}", f"  Scenario: {name[0].upper()}{name[1:]}"]
    body = _steps(actions, sent) + _outcome(actions[-1], found)
    keyword = ""
    for step_keyword, text in body:
        if step_keyword == "#":
            lines.append(f"    # {text}")
            continue
        shown = "And" if step_keyword == keyword else step_keyword
        keyword = step_keyword
        lines.append(f"    {shown} {text}")
    return "\n".join(lines) + "\n"


def _steps(actions: Sequence[act.Action], sent: Sequence[Sequence[tuple[str, str]]]) -> list[tuple[str, str]]:
    steps: list[tuple[str, str]] = []
    if any(_moves_to_other_site(action) for action in actions):
        steps.append(("Given", "another merchant has a site of their own"))
    invited: set[str] = set()
    in_when = False
    spotlight = ""
    index = 0
    while index < len(actions):
        action = actions[index]
        last = index == len(actions) - 1
        run = _run(actions, index, sent)
        if run > 1 and (not in_when or isinstance(action, act.TryWrongPassword)):  # the latter says a run in one When too
            steps += _collapsed(action, run, invited, spotlight, in_when=in_when)
            invited.add(getattr(action, "customer", ""))
            spotlight = getattr(action, "customer", spotlight)
            index += run
            continue
        mails = sent[index] if index < len(sent) else ()
        if isinstance(action, act.OpenOtherSitesManagementUrl):  # two of the suite's steps
            _, whose = PRONOUNS.get(action.customer, ("they", "their"))
            steps += [("Given", f"{action.customer} accepted the other merchant's invitation on {whose} {action.other}"),
                      ("When", f"{action.customer} opens {whose} management URL of the other site on {whose} {action.device}")]
            in_when, spotlight = True, action.customer
            index += 1
            continue
        given, when, who = _wordings(action, invited, mails)
        if given is None and when is None:
            steps.append(("#", _unworded(action)))
            spotlight = who or spotlight
            index += 1
            continue
        if who and who != spotlight and _needs_spotlight(action):
            steps.append(("Given", f"{who} is a customer"))  # names her, so that "her" in the next step is she
        use_when = when is not None and (last or in_when or given is None)
        if use_when:
            in_when = True
            assert when is not None
            steps.append(("When", when))
        else:
            steps.append(("Given", given or when or ""))
        if isinstance(action, act.AdvanceClock) and action.aim:
            steps.append(("#", f"({action.aim})"))
        spotlight = who or spotlight
        if isinstance(action, act.Invite):
            invited.add(action.customer)
        index += 1
    return steps


def _run(actions: Sequence[act.Action], index: int, sent: Sequence[Sequence[tuple[str, str]]]) -> int:
    """How many times the action at `index` repeats from there, when the suite says that run in
    one Given: invitations (up to 5), login links asked for on the laptop that all arrived (up to
    5), reads of the management link. The walk's last action is never part of a run."""
    action = actions[index]
    if not isinstance(action, (act.Invite, act.AskForLoginLink, act.ReadManagementLink, act.TryWrongPassword)):
        return 1
    if isinstance(action, act.AskForLoginLink) and action.device != "laptop":
        return 1
    run = 1
    while index + run < len(actions) - 1 and actions[index + run] == action:
        run += 1
    if isinstance(action, act.AskForLoginLink):
        arrived = [index + k < len(sent) and (action.customer, "login_link") in sent[index + k] for k in range(run)]
        run = next((k for k, came in enumerate(arrived) if not came), run)
    return min(run, 5) if not isinstance(action, (act.ReadManagementLink, act.TryWrongPassword)) else run


def _collapsed(action: act.Action, run: int, invited: set[str], spotlight: str, *, in_when: bool = False) -> list[tuple[str, str]]:
    who = getattr(action, "customer", "")
    _, whose = PRONOUNS.get(who, ("they", "their"))
    if isinstance(action, act.Invite):
        if who in invited:  # the suite's "was invited N times" starts from none
            return [("Given", f"the merchant invited {who} again")] * run
        return [("Given", f"{who} was invited {run} times")]
    if isinstance(action, act.AskForLoginLink):
        return [("Given", f"{who} asked for {run} login links within the hour")]
    if isinstance(action, act.TryWrongPassword):
        if in_when:
            return [("When", f"someone tries {run} wrong passwords for {who}" + (f", typing {whose} address in capitals" if action.capitals else ""))]
        return [("Given", _wrong_passwords(who, whose, run, action.capitals))]
    named = [("Given", f"{who} is a customer")] if who != spotlight else []
    return named + [("Given", f"the merchant read {whose} management URL {run} times")]


def _moves_to_other_site(action: act.Action) -> bool:
    return getattr(action, "tamper", "") == "site" or isinstance(action, (act.CarrySessionToOtherSite, act.OpenOtherSitesManagementUrl))


def _unworded(action: act.Action) -> str:
    """A comment for an action the suite has no step for yet."""
    return f"explore: {action.kind} {action.to_json()} (the suite has no wording for this yet)"


def _needs_spotlight(action: act.Action) -> bool:
    """Steps that say "her" without naming her: the customer last named must be the one meant."""
    return isinstance(action, act.ReadManagementLink)


def _wordings(action: act.Action, invited: set[str], mails: Sequence[tuple[str, str]]) -> tuple[str | None, str | None, str]:
    """(Given wording or None, When wording or None, the customer it names)."""
    who = getattr(action, "customer", "")
    subject, whose = PRONOUNS.get(who, ("they", "their"))
    device = getattr(action, "device", "")
    on = f"on {whose} {device}"
    if isinstance(action, act.AddCustomer):
        return f"{who} is a customer", None, who
    if isinstance(action, act.Invite):
        if who not in invited:
            return f"{who} was invited", f"the merchant invites {who}", who
        return f"the merchant invited {who} again", f"the merchant invites {who} again", who
    if isinstance(action, act.Revoke):
        return f"the merchant revoked {who}'s portal access", f"the merchant revokes {who}'s portal access", who
    if isinstance(action, act.Subscribe):
        return None, f"a subscription is created for {who}", who
    if isinstance(action, act.SendAccountEmail):
        return None, f"the merchant sends {who} an account email", who
    if isinstance(action, act.ReadManagementLink):
        return None, f"the merchant reads {whose} management URL again", who
    if isinstance(action, act.SetPolicy):
        return _policy_wording(action), ("password logins are turned " + ("on" if action.value else "off")
                                         if action.key == "password_login_enabled" else None), ""
    if isinstance(action, act.AdvanceClock):
        amount, unit = _amount(action.seconds)
        return f"{amount} {unit} passed", f"{amount} {unit} pass", ""
    if isinstance(action, act.AskForLoginLink):
        arrives = (who, "login_link") in mails
        return (f"{who} asked for a login link {on}" if arrives else None), f"{who} asks for a login link {on}", who
    if isinstance(action, act.AskForLoginLinkFromAnotherSite):
        return None, f"a page on another site makes {whose} {device} ask for a login link for {who}", who
    if isinstance(action, act.AskFromVerifyPage):
        return f"{who} asked for a login link from the verify page {on}", f"{who} asks for a login link from the verify page {on}", who
    if isinstance(action, act.CompareLoginLinkAnswers):
        return None, f"someone asks for login links for {action.first}, {action.second} and an unknown address", action.first
    if isinstance(action, act.SetPassword):
        return f"{who} has a password", None, who
    if isinstance(action, act.ChoosePassword):
        return None, f"{who} chooses a password {on}", who
    if isinstance(action, act.ReuseEndedSession):
        return None, f"{who} visits the portal {on} with the session cookie {subject} signed out of", who
    if isinstance(action, act.SignInWithPassword):
        return f"{who} signed in with {whose} password {on}", f"{who} signs in with {whose} password {on}", who
    if isinstance(action, act.TryWrongPassword):
        return (_wrong_passwords(who, whose, 1, action.capitals),
                "someone tries a wrong password for " + who + (f", typing {whose} address in capitals" if action.capitals else ""), who)
    if isinstance(action, act.CompareSignInAnswers):
        return None, f"someone signs in as {who} with a wrong password and as an unknown address", who
    if isinstance(action, act.OpenLinkOnTwoDevices):
        return None, f"{who} opens {whose} {LINK_WORDS[action.link]} on {whose} laptop and {whose} phone at the same moment", who
    if isinstance(action, act.CarrySessionToOtherSite):
        return None, f"{who} visits the other site {on} with {whose} session", who
    if isinstance(action, act.OpenEmailLink) and action.tamper == "site":
        return None, f"{who} opens {whose} {EMAIL_WORDS[action.link]}{' link' if action.link == 'invitation' else ''} under the other site {on}", who
    if isinstance(action, act.OpenEmailLink) and action.tamper:
        return None, f"{who} opens {whose} {LINK_WORDS[action.link]} with its {_tampered_part(action.tamper)} changed {on}", who
    if isinstance(action, act.OpenEmailLink):
        if action.damage:
            damage = "with a garbled token" if action.damage == "garbled" else "cut short"
            text = f"{who} opens {whose} {LINK_WORDS[action.link]} {damage} {on}"
        elif action.link == "invitation":
            text = f"{who} opens {whose} first invitation {on}" if action.which == "first" else f"{who} accepts {whose} invitation {on}"
        else:
            text = f"{who} opens {whose} {'first ' if action.which == 'first' else ''}login link {on}"
        return None, text, who
    if isinstance(action, act.KeepManagementUrl):
        return f"{who} kept {whose} management URL", None, who
    if isinstance(action, act.OpenManagementUrl):
        if action.tamper == "site":
            return None, f"{who} opens {whose} management URL under the other site {on}", who
        if action.tamper:
            return None, f"{who} opens {whose} management URL with its {_tampered_part(action.tamper)} changed {on}", who
        if action.source == "kept":
            return None, f"{who} opens the management URL {subject} kept {on}", who
        return f"{who} opened {whose} management URL {on}", f"{who} opens {whose} management URL {on}", who
    if isinstance(action, act.VisitPortal):
        return None, f"{who} visits the portal {on}", who
    if isinstance(action, act.SignOut):
        return None, f"{who} signs out {on}", who
    raise ValueError(f"no wording for {action!r}")


def _tampered_part(tamper: str) -> str:
    """The walk's "segment:<k>" or "query:<k>" (k from 0) as the step says it, counted from 1."""
    what, _, number = tamper.partition(":")
    return f"{'query value' if what == 'query' else 'path segment'} {int(number or 0) + 1}"


def _wrong_passwords(who: str, whose: str, times: int, capitals: bool) -> str:
    tried = "a wrong password" if times == 1 else f"{times} wrong passwords"
    return f"someone tried {tried} for {who}" + (f", typing {whose} address in capitals" if capitals else "")


def _policy_wording(action: act.SetPolicy) -> str:
    value = action.value
    if action.key == "auto_invite":
        return f"automatic invitations are {'on' if value else 'off'}"
    if action.key == "email_verification_required":
        return "email verification is required" if value else "email verification is not required"
    if action.key == "password_login_enabled":
        return f"password logins are {'on' if value else 'off'}"
    if action.key == "session_idle_timeout_s":
        return f"sessions end after {value // 60} minutes of inactivity"
    if action.key == "management_link_refresh_s":
        return f"management URLs are renewed every {value // 86400} days"
    what, unit, size = {
        "invitation_ttl_s": ("invitations expire", "hours", 3600),
        "login_link_ttl_s": ("login links expire", "minutes", 60),
        "management_link_ttl_s": ("management URLs expire", "days", 86400),
    }[action.key]
    return f"{what} after {value // size} {unit}"


def _amount(seconds: int) -> tuple[int, str]:
    for unit, size in UNITS:
        if seconds % size == 0:
            return seconds // size, unit
    return seconds, "seconds"


def _outcome(action: act.Action, found: Sequence[Contradiction]) -> list[tuple[str, str]]:
    """Then-steps for what the portal should have shown, from the first contradiction of each channel."""
    who = getattr(action, "customer", getattr(action, "first", ""))
    _, whose = PRONOUNS.get(who, ("they", "their"))
    steps: list[tuple[str, str]] = []
    for item in found:
        steps += _then(item, who, whose)
    unique: list[tuple[str, str]] = []
    for step in steps:
        if step not in unique:
            unique.append(step)
    return unique


def _then(item: Contradiction, who: str, whose: str) -> list[tuple[str, str]]:
    channel, expected, observed = item.channel, item.expected, item.observed
    device = channel.split("'s ", 1)[1] if "'s " in channel else ""
    if item.rule == "SEC-2" and channel.startswith(("page:", "account:")):
        return [("Then", f"exactly one of {whose} laptop and {whose} phone shows {whose} account")]
    if channel.startswith("page:"):
        text = {
            model.ACCOUNT: f"{whose} {device} shows {whose} account",
            model.SIGNED_OUT: f"{whose} {device} shows {whose} signed out",
            model.VERIFY: f"{whose} {device} is asked to verify this device",
            model.SENT: f"{whose} {device} gets the usual answer",
            model.CHOOSE_PASSWORD: f"{whose} {device} asks {whose.replace('his', 'him')} to choose a password",
            model.NOT_ACCOUNT: f"{whose} {device} does not show {whose} account",
            model.NOT_SENT: f"{whose} {device} does not get the usual answer",
            model.PROBLEM: (f"{whose} {device} is offered a new login link" if item.rule in EXPIRY_RULES
                            else f"{whose} {device} is told the link is not valid"),
        }.get(expected)
        steps = [("Then", text)] if text else [("#", f"Then: {item.why} (expected {expected}, saw {observed})")]
        if observed == model.ACCOUNT and expected != model.NOT_ACCOUNT:
            steps.append(("Then", f"{whose} {device} does not show {whose} account"))
        return steps
    if channel.startswith("account:"):
        if expected is None and observed == who:
            return [("Then", f"{whose} {device} does not show {whose} account")]
        if expected is None and observed:
            return [("Then", f"{whose} {device} does not show {observed}'s account")]
        return [("Then", f"{whose} {device} shows {whose} account")]
    if channel == "mail":
        steps = []
        for to, kind in expected:
            if (to, kind) not in observed and to != model.UNKNOWN:
                steps.append(("Then", f"{to} receives a new {EMAIL_WORDS[kind]}"))
        for to, kind in observed:
            if (to, kind) not in expected and kind in EMAIL_WORDS and to != model.UNKNOWN:
                steps.append(("Then", f"{to} receives no new {EMAIL_WORDS[kind]}"))
        return steps or [("#", f"Then: {item.why} (expected {expected}, received {observed})")]
    if channel == "status" and expected == 422 and item.rule == "INV-7":
        return [("Then", "the merchant is told there were too many invitations")]
    if channel == "status" and expected == 429:
        return [("Then", "the merchant is told it was read too often")]
    if channel == "status" and expected == 202 and observed == 422:
        return [("Then", f"{who} receives a new invitation")]
    if channel == "alike":
        return [("Then", "both answers read the same" if item.rule == "PW-3" else "all three answers read the same")]
    if channel.startswith("cookies:"):
        return [("Then", f"the session cookies on {whose} {device} are HttpOnly and SameSite=Lax")]
    if channel.startswith("new_session:") and expected is True:
        return [("Then", f"the session cookie on {whose} {device} has changed")]
    if channel.startswith("referrer-policy:"):
        return [("Then", f"every page {whose} {device} was shown on the way asked for no referrer")]
    if channel.startswith("url:") and isinstance(item.action, (act.OpenEmailLink, act.OpenLinkOnTwoDevices)):
        return [("Then", f"{whose} {device}'s address bar holds no token from {whose} {EMAIL_WORDS[item.action.link]}")]
    if channel.startswith("password_form:") and not device.startswith("someone"):
        return [("Then", f"{whose} {device} offers {'a' if expected else 'no'} password form")]
    if channel == "management URL" and (item.rule == "MU-1" or not isinstance(item.action, act.ReadManagementLink)):
        # An email's URL not the one handed out before (MU-6) is not her current one either: the merchant's read tells.
        email = ("account email" if isinstance(item.action, act.SendAccountEmail) else
                 "invitation" if isinstance(item.action, (act.Invite, act.Subscribe)) else "login link email")
        return [("Then", f"{whose} {email} holds {whose} management URL")]
    if channel == "management URL" and expected == "a new URL" and isinstance(item.action, act.ReadManagementLink):
        return [("Then", "the merchant is answered with a new management URL")]
    if channel == "management URL" and item.rule == "MU-6" and isinstance(item.action, act.ReadManagementLink):
        return [("Then", "the merchant is answered with the same management URL")]

    return [("#", f"Then: {item.why} ({item.rule}; on {channel} expected {_short(expected)}, saw {_short(observed)})")]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."
