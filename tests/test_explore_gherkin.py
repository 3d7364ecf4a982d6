"""A finding written out: Gherkin in the suite's own wordings, JSON that loads back, and the
command's exit status for a run problem. No browser and no portal here."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from portalcheck.explore import actions as act
from portalcheck.explore import finding as findings
from portalcheck.explore import gherkin, model
from portalcheck.explore.command import explore
from portalcheck.explore.walk import Contradiction
from portalcheck.gherkin_check import check_gherkin

ROOT = Path(__file__).parents[1]
# The three placeholders of the suite's step patterns (steps/phrases.py), as it defines them.
PLACEHOLDERS = {"WHO": r"(?P<who>[A-Z][a-z]+|she|he|they)", "WHOSE": r"(?:her|his|their)",
                "DEVICE": r"(?P<device>laptop|phone|tablet)", "WHO2": r"(?:she|he|they)"}


def suite_step_patterns() -> list[re.Pattern[str]]:
    """Every step wording the suite defines, read from its step modules wherever they live now."""
    sources = [*ROOT.glob("steps/*.py"), *ROOT.glob("portalcheck/steps/*.py")]
    patterns = []
    for source in sources:
        for raw in re.findall(r'phrase\(r"((?:[^"\\]|\\.)*)"', source.read_text(encoding="utf-8")):
            text = raw
            for name, value in PLACEHOLDERS.items():
                text = text.replace("{" + name + "}", value)
            text = re.sub(r"\(\?P<(\w+)>", lambda found, seen=set(): "(?:" if found.group(1) in seen or seen.add(found.group(1)) else found.group(0), text)
            patterns.append(re.compile(text))
    assert len(patterns) > 40, f"the suite's step modules were not found under {ROOT}"
    return patterns


def contradiction(action: act.Action, rule: str, channel: str, expected: object, observed: object) -> Contradiction:
    return Contradiction(3, action, rule, channel, expected, observed, "why it must")


WALK = [act.AddCustomer("Ada"), act.Invite("Ada"), act.OpenEmailLink("Ada", "phone", "invitation"),
        act.SetPolicy("login_link_ttl_s", 600), act.AdvanceClock(3597, "just before LL-5: Ada's login link 3 expires"),
        act.KeepManagementUrl("Ada"), act.AskForLoginLink("Ada", "laptop"), act.AddCustomer("Ben"),
        act.ReadManagementLink("Ada"), act.OpenManagementUrl("Ada", "laptop")]
LAST = {
    "MU-3": contradiction(act.OpenManagementUrl("Ada", "laptop"), "MU-3", "page:Ada's laptop", model.VERIFY, model.ACCOUNT),
    "LL-6": contradiction(act.OpenEmailLink("Ada", "phone", "login_link"), "LL-6", "page:Ada's phone", model.PROBLEM, model.ACCOUNT),
    "LL-5": contradiction(act.OpenEmailLink("Ada", "phone", "login_link"), "LL-5", "page:Ada's phone", model.PROBLEM, model.ACCOUNT),
    "INV-2": contradiction(act.Subscribe("Ada"), "INV-2", "mail", (), (("Ada", "invitation"),)),
    "LL-2": contradiction(act.CompareLoginLinkAnswers("Ada", "Ben"), "LL-2", "alike", True, False),
    "SES-5": contradiction(act.OpenEmailLink("Ada", "laptop", "invitation"), "SES-5", "cookies:Ada's laptop", "HttpOnly; SameSite=Lax", "HttpOnly"),
    "MU-7": contradiction(act.ReadManagementLink("Ada"), "MU-7", "status", 429, 200),
    "REV-1": contradiction(act.VisitPortal("Ada", "phone"), "REV-1", "page:Ada's phone", model.SIGNED_OUT, model.ACCOUNT),
    "PW-1": contradiction(act.SignInWithPassword("Ada", "phone"), "PW-1", "password_form:Ada's phone", False, True),
    "PW-6": contradiction(act.SignInWithPassword("Ada", "phone"), "PW-6", "page:Ada's phone", model.NOT_ACCOUNT, model.ACCOUNT),
    "PW-3": contradiction(act.CompareSignInAnswers("Ada"), "PW-3", "alike", True, False),
    "SEC-2": contradiction(act.OpenLinkOnTwoDevices("Ada"), "SEC-2", "page:Ada's phone", model.PROBLEM, model.ACCOUNT),
    "SEC-6": contradiction(act.OpenEmailLink("Ada", "laptop", "invitation", tamper="site"), "SEC-6", "page:Ada's laptop",
                           model.NOT_ACCOUNT, model.ACCOUNT),
    "SEC-3": contradiction(act.OpenEmailLink("Ada", "laptop", "login_link"), "SEC-3", "referrer-policy:Ada's laptop", "no-referrer", None),
    "SES-5 new session": contradiction(act.OpenEmailLink("Ada", "laptop", "login_link"), "SES-5", "new_session:Ada's laptop", True, False),
    "SES-4": contradiction(act.ReuseEndedSession("Ada", "laptop"), "SES-4", "page:Ada's laptop", model.NOT_ACCOUNT, model.ACCOUNT),
    "SEC-6 device": contradiction(act.OpenOtherSitesManagementUrl("Ada", "laptop", "phone"), "SEC-6", "page:Ada's laptop", model.VERIFY, model.ACCOUNT),
    "MU-1": contradiction(act.SendAccountEmail("Ada"), "MU-1", "management URL", "a new URL", "http://portal/manage/1/2/old"),
    "INV-8": contradiction(act.OpenEmailLink("Ada", "laptop", "invitation"), "INV-8", "page:Ada's laptop", model.CHOOSE_PASSWORD, model.ACCOUNT),
    "MU-6 email": contradiction(act.SendAccountEmail("Ada"), "MU-6", "management URL", "http://portal/manage/1/2/old", "http://portal/manage/1/3/new"),
    "PW-2": contradiction(act.SignInWithPassword("Ada", "phone"), "PW-2", "password_form:Ada's phone", True, False),
    "MU-6": contradiction(act.ReadManagementLink("Ada"), "MU-6", "management URL", "http://portal/manage/1/2/old", "http://portal/manage/1/2/new"),
    "SEC-4 url": contradiction(act.OpenEmailLink("Ada", "laptop", "login_link"), "SEC-4", "url:Ada's laptop", "no token", "a token"),
    "SEC-4": contradiction(act.AskForLoginLinkFromAnotherSite("Ada", "laptop"), "SEC-4", "page:Ada's laptop", model.NOT_SENT, model.SENT),
    "INV-4 tampered": contradiction(act.OpenEmailLink("Ada", "laptop", "invitation", tamper="query:1"), "INV-4", "page:Ada's laptop",
                                    model.PROBLEM, model.ACCOUNT),
    "MU-2 tampered": contradiction(act.OpenManagementUrl("Ada", "laptop", tamper="segment:0"), "MU-2", "page:Ada's laptop",
                                   model.PROBLEM, model.ACCOUNT),
    "SEC-1 damaged": contradiction(act.OpenEmailLink("Ada", "laptop", "invitation", damage="garbled"), "SEC-1", "page:Ada's laptop",
                                   model.PROBLEM, model.ACCOUNT),
    "SEC-2 invitation": contradiction(act.OpenLinkOnTwoDevices("Ada", "invitation"), "SEC-2", "page:Ada's phone", model.PROBLEM, model.ACCOUNT),
    "PW-6 one more": contradiction(act.TryWrongPassword("Ada", capitals=True), "PW-6", "status", 429, 200),
    "PW-1 choose": contradiction(act.ChoosePassword("Ada", "laptop"), "INV-8", "page:Ada's laptop", model.ACCOUNT, model.CHOOSE_PASSWORD),
}


@pytest.mark.parametrize("rule", sorted(LAST))
def test_a_finding_is_a_scenario_of_the_suites_own_steps_tagged_with_its_rule(rule: str, tmp_path: Path) -> None:
    found = LAST[rule]
    text = gherkin.feature([*WALK, found.action], [found], sent=[(), (("Ada", "invitation"),)] + [()] * 5 + [(("Ada", "login_link"),)])
    path = tmp_path / "finding.feature"
    path.write_text(text)
    assert check_gherkin(path) == []
    assert f"  @{found.rule} @{gherkin.level(found.rule)} @explored\n" in text
    patterns = suite_step_patterns()
    steps = [re.sub(r"^(Given|When|Then|And) ", "", line.strip()) for line in text.splitlines()
             if re.match(r"\s+(Given|When|Then|And) ", line)]
    assert any(line.strip().startswith("Then ") for line in text.splitlines()), text
    unknown = [step for step in steps if not any(pattern.fullmatch(step) for pattern in patterns)]
    assert unknown == [], f"steps the suite does not define: {unknown}\n{text}"


def test_the_scenario_reads_as_the_walk_went() -> None:
    found = LAST["MU-3"]
    text = gherkin.feature(WALK, [found], sent=[(), (("Ada", "invitation"),)] + [()] * 5 + [(("Ada", "login_link"),)])
    assert "    Given Ada is a customer\n    And Ada was invited\n    When Ada accepts her invitation on her phone\n" in text
    assert "login links expire after 10 minutes" in text
    assert "3597 seconds pass" in text and "# (just before LL-5" in text
    assert "Ada asks for a login link on her laptop" in text  # after a When, the walk goes on in When-steps
    assert "Then her laptop is asked to verify this device\n    And her laptop does not show her account\n" in text


@pytest.mark.parametrize(("mails", "wording"), [
    ((("Ada", "login_link"),), "    And Ada asked for a login link on her laptop\n"),  # the Given that waits for it
    ((), "    When Ada asks for a login link on her laptop\n"),  # none came: the Given would wait in vain
])
def test_a_login_link_asked_for_is_a_given_only_when_one_arrived(mails: tuple[tuple[str, str], ...], wording: str) -> None:
    walk = [act.AddCustomer("Ada"), act.Invite("Ada"), act.AskForLoginLink("Ada", "laptop")]
    text = gherkin.feature([*walk, LAST["LL-6"].action], [LAST["LL-6"]], sent=[(), (("Ada", "invitation"),), mails])
    assert wording in text, text


def test_an_expired_link_is_offered_a_new_login_link_and_a_reused_one_is_told_it_is_not_valid() -> None:
    assert "is offered a new login link" in gherkin.feature(WALK[:3], [LAST["LL-5"]])
    assert "is told the link is not valid" in gherkin.feature(WALK[:3], [LAST["LL-6"]])


def test_a_finding_saves_and_loads_back(tmp_path: Path) -> None:
    found = LAST["LL-6"]
    saved = findings.Finding(7, "reference.toml", ("ll6_reusable",), (*WALK, found.action), (found.to_json(),), "Feature: x\n")
    json_path, feature_path = saved.save(tmp_path)
    assert json_path.name == "LL-6-seed7.json" and feature_path.read_text() == "Feature: x\n"
    loaded = findings.load(json_path)
    assert loaded.actions == saved.actions and loaded.rule == "LL-6" and loaded.faults == ("ll6_reusable",)


@pytest.mark.parametrize("content", ["not json", json.dumps({"format": "other"}),
                                     json.dumps({"format": findings.FORMAT, "seed": 1, "profile": "p", "actions": [{"action": "fly"}]})])
def test_a_file_that_is_not_a_finding_is_a_run_problem(content: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = CliRunner().invoke(explore, ["--replay", str(path)])
    assert result.exit_code == 2, result.output
    assert "explore:" in result.output


def test_a_bad_profile_is_a_run_problem(tmp_path: Path) -> None:
    profile = tmp_path / "theirs.toml"
    profile.write_text("[target]\nname = 1\n")
    result = CliRunner().invoke(explore, ["--profile", str(profile)])
    assert result.exit_code == 2 and "profile" in result.output


def test_actions_round_trip_through_json_and_an_unknown_one_is_refused() -> None:
    for action in WALK:
        assert act.from_json(json.loads(json.dumps(action.to_json()))) == action
    with pytest.raises(ValueError, match="unknown action"):
        act.from_json({"action": "teleport"})
    with pytest.raises(ValueError, match="invite"):
        act.from_json({"action": "invite", "who": "Ada"})


def test_a_burst_up_to_a_rate_limit_is_said_in_one_given() -> None:
    walk = [act.AddCustomer("Ada"), *[act.Invite("Ada")] * 5, *[act.ReadManagementLink("Ada")] * 16]
    found = contradiction(act.ReadManagementLink("Ada"), "MU-7", "status", 429, 200)
    text = gherkin.feature(walk, [found], sent=[()] + [(("Ada", "invitation"),)] * 5 + [()] * 16)
    assert ("    Given Ada is a customer\n    And Ada was invited 5 times\n"
            "    And the merchant read her management URL 15 times\n"
            "    When the merchant reads her management URL again\n"
            "    Then the merchant is told it was read too often\n") in text, text
    patterns = suite_step_patterns()
    steps = [re.sub(r"^(Given|When|Then|And) ", "", line.strip()) for line in text.splitlines() if re.match(r"\s+(Given|When|Then|And) ", line)]
    assert all(any(pattern.fullmatch(step) for pattern in patterns) for step in steps), steps


def test_a_walk_through_passwords_and_another_site_is_said_in_the_suites_wordings() -> None:
    walk = [act.AddCustomer("Ada"), act.SetPolicy("password_login_enabled", True), act.Invite("Ada"), act.SetPassword("Ada"),
            act.OpenEmailLink("Ada", "laptop", "invitation"), *[act.TryWrongPassword("Ada", capitals=True)] * 5,
            act.CarrySessionToOtherSite("Ada", "laptop"), act.ChoosePassword("Ada", "laptop")]
    found = LAST["PW-6"]
    text = gherkin.feature([*walk, found.action], [found], sent=[(), (), (("Ada", "invitation"),)])
    assert text.index("Given another merchant has a site of their own") < text.index("Ada is a customer"), text
    assert " someone tries 5 wrong passwords for Ada, typing her address in capitals\n" in text, text  # after a When: a When
    assert "    And Ada chooses a password on her laptop\n" in text and "visits the other site on her laptop with her session" in text
    assert "Ada signs in with her password on her phone\n    Then her phone does not show her account\n" in text, text
    patterns = suite_step_patterns()
    steps = [re.sub(r"^(Given|When|Then|And) ", "", line.strip()) for line in text.splitlines() if re.match(r"\s+(Given|When|Then|And) ", line)]
    assert [step for step in steps if not any(pattern.fullmatch(step) for pattern in patterns)] == [], text


def test_a_finding_saves_the_screenshot_of_its_device_beside_it_and_names_it(tmp_path: Path) -> None:
    found = LAST["LL-6"]
    saved = findings.Finding(7, "reference.toml", (), (*WALK, found.action), (found.to_json(),), "Feature: x\n")
    json_path, _ = saved.save(tmp_path, screenshot=b"\x89PNG\r\n\x1a\n")
    data = json.loads(json_path.read_text())
    assert data["screenshot"] == "LL-6-seed7.png" and (tmp_path / "LL-6-seed7.png").read_bytes().startswith(b"\x89PNG")
    assert findings.load(json_path).screenshot == "LL-6-seed7.png"
    saved.save(tmp_path / "mail")  # a contradiction on mail or the control API: no screenshot, no key
    assert "screenshot" not in json.loads((tmp_path / "mail" / "LL-6-seed7.json").read_text())


def test_findings_in_a_run_folder_are_in_its_report(tmp_path: Path) -> None:
    from portalcheck import report

    found = LAST["LL-6"]
    gherkin_text = gherkin.feature([*WALK, found.action], [found])
    findings.Finding(7, "reference.toml", ("ll6_reusable",), (*WALK, found.action), (found.to_json(),), gherkin_text).save(
        tmp_path / "explore", screenshot=b"\x89PNG\r\n\x1a\n")
    report.build(tmp_path)  # an explore-only folder: no results.json
    assert "LL-6" in (tmp_path / "index.html").read_text()


def test_out_and_run_dir_together_are_a_run_problem(tmp_path: Path) -> None:
    result = CliRunner().invoke(explore, ["--out", str(tmp_path / "a"), "--run-dir", str(tmp_path / "b")])
    assert result.exit_code == 2 and "give one" in result.output


def test_every_action_has_a_wording_or_a_comment() -> None:
    fields = {"customer": "Ada", "device": "laptop", "link": "login_link", "key": "auto_invite", "value": True,
              "seconds": 60, "first": "Ada", "second": "Ben", "other": "phone"}
    for kind, cls in act.KINDS.items():
        action = cls(**{field.name: fields[field.name] for field in dataclasses.fields(cls) if field.name in fields})
        text = gherkin.feature([act.AddCustomer("Ada"), act.Invite("Ada"), action], [contradiction(action, "LL-6", "page:Ada's laptop", model.PROBLEM, model.ACCOUNT)])
        assert "Scenario:" in text, kind


@pytest.mark.parametrize(("action", "wording"), [
    (act.ReuseEndedSession("Ada", "laptop"), "When Ada visits the portal on her laptop with the session cookie she signed out of\n"),
    (act.ChoosePassword("Ada", "laptop"), "When Ada chooses a password on her laptop\n"),
    (act.OpenEmailLink("Ada", "phone", "login_link", tamper="segment:2"), "When Ada opens her login link with its path segment 3 changed on her phone\n"),
    (act.OpenEmailLink("Ada", "phone", "invitation", tamper="query:0"), "When Ada opens her invitation link with its query value 1 changed on her phone\n"),
    (act.OpenManagementUrl("Ada", "phone", tamper="query:1"), "When Ada opens her management URL with its query value 2 changed on her phone\n"),
    (act.OpenEmailLink("Ada", "phone", "invitation", damage="cut short"), "When Ada opens her invitation link cut short on her phone\n"),
    (act.OpenLinkOnTwoDevices("Ada", "invitation"), "When Ada opens her invitation link on her laptop and her phone at the same moment\n"),
    (act.TryWrongPassword("Ada"), "When someone tries a wrong password for Ada\n"),
    (act.AskForLoginLinkFromAnotherSite("Ada", "laptop"), "When a page on another site makes her laptop ask for a login link for Ada\n"),
])
def test_what_had_no_wording_is_now_a_step_of_the_suite(action: act.Action, wording: str) -> None:
    text = gherkin.feature([act.AddCustomer("Ada"), act.Invite("Ada"), action],
                           [contradiction(action, "LL-6", "page:Ada's laptop", model.PROBLEM, model.ACCOUNT)], sent=[(), (("Ada", "invitation"),)])
    assert "    " + wording in text and "#" not in text, text
    patterns = suite_step_patterns()
    assert any(pattern.fullmatch(wording.strip()[len("When "):]) for pattern in patterns), wording


def test_wrong_passwords_after_a_when_are_said_in_one_when() -> None:
    walk = [act.AddCustomer("Ada"), act.Invite("Ada"), act.OpenEmailLink("Ada", "laptop", "invitation"), *[act.TryWrongPassword("Ada")] * 4]
    found = LAST["PW-6"]
    text = gherkin.feature([*walk, found.action], [found], sent=[(), (("Ada", "invitation"),)])
    assert "    When Ada accepts her invitation on her laptop\n    And someone tries 4 wrong passwords for Ada\n" in text, text
    patterns = suite_step_patterns()
    assert any(pattern.fullmatch("someone tries 4 wrong passwords for Ada") for pattern in patterns)


def test_wrong_passwords_typed_both_ways_are_said_run_by_run_in_the_suites_steps() -> None:
    mixed = [act.TryWrongPassword("Ada", capitals=capitals) for capitals in (True, True, False, True, False)]
    walk = [act.AddCustomer("Ada"), act.SetPolicy("password_login_enabled", True), act.Invite("Ada"), act.SetPassword("Ada"), *mixed]
    found = LAST["PW-6"]
    text = gherkin.feature([*walk, found.action], [found], sent=[(), (), (("Ada", "invitation"),)])
    assert ("    And someone tried 2 wrong passwords for Ada, typing her address in capitals\n"
            "    And someone tried a wrong password for Ada\n") in text, text
    patterns = suite_step_patterns()
    steps = [re.sub(r"^(Given|When|Then|And) ", "", line.strip()) for line in text.splitlines() if re.match(r"\s+(Given|When|Then|And) ", line)]
    assert [step for step in steps if not any(pattern.fullmatch(step) for pattern in patterns)] == [], text


def test_a_misspelt_fault_is_a_run_problem_that_names_the_known_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(explore, ["--fault", "sec4_token_only_if_snt", "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "explore: unknown fault 'sec4_token_only_if_snt'; known faults: inv2_always_invite" in result.output
    assert list(tmp_path.iterdir()) == []
