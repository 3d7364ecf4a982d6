"""The suite claims every MUST and SHOULD rule and every contract check: each has a scenario, and every tag names one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pytest_bdd.feature import get_features

from portalcheck import rules

FEATURES = Path(__file__).resolve().parent.parent / "features"
LEVELS = {"must": "MUST", "should": "SHOULD", "ref": "REF"}
CAPABILITIES = {"password", "clock"}
SPEC = {rule.id: rule for rule in rules.load()}
CONTRACT = {check.id: check for check in rules.contract_checks()}


def scenarios() -> list[tuple[str, set[str]]]:
    found = []
    for feature in get_features([str(FEATURES)]):
        for scenario in feature.scenarios.values():
            found.append((f"{Path(feature.filename).name}: {scenario.name}", set(feature.tags) | set(scenario.tags)))
    return found


def test_the_spec_copy_has_every_rule_of_policy_v1() -> None:
    assert len(SPEC) == 50
    assert {rule.level for rule in SPEC.values()} == {"MUST", "SHOULD", "REF"}


def test_the_contract_checks_are_apart_from_the_rules() -> None:
    assert list(CONTRACT) == ["contract-1", "contract-2", "contract-3", "contract-4"]
    assert not set(CONTRACT) & set(SPEC)


def test_docs_policy_states_every_rule_with_its_level() -> None:
    stated = rules.read_in_docs()
    assert stated == {rule_id: rule.level for rule_id, rule in SPEC.items()}


@pytest.mark.parametrize("check_id", list(CONTRACT))
def test_every_contract_check_has_a_scenario(check_id: str) -> None:
    assert [name for name, tags in scenarios() if check_id in tags], f"{check_id} has no scenario tagged @{check_id}"


@pytest.mark.parametrize("rule_id", [r.id for r in SPEC.values() if r.level in ("MUST", "SHOULD")])
def test_every_must_and_should_rule_has_a_scenario(rule_id: str) -> None:
    tagged = [name for name, tags in scenarios() if rule_id in tags]
    assert tagged, f"{rule_id} ({SPEC[rule_id].level}) has no scenario tagged @{rule_id}"


def test_every_tag_names_a_rule_a_level_or_a_capability() -> None:
    for name, tags in scenarios():
        unknown = tags - set(SPEC) - set(CONTRACT) - set(LEVELS) - CAPABILITIES
        assert not unknown, f"{name} has tags that name nothing: {sorted(unknown)}"


def test_every_scenario_checks_a_rule_at_the_level_it_claims() -> None:
    for name, tags in scenarios():
        rule_ids = tags & set(SPEC)
        levels = {LEVELS[tag] for tag in tags & set(LEVELS)}
        if tags & set(CONTRACT):  # a contract check: no rule of the policy, so no level either
            assert not rule_ids and not levels, f"{name} checks the contract: it should name no rule and no level"
            continue
        assert rule_ids, f"{name} checks no rule"
        assert len(levels) == 1, f"{name} should carry exactly one level tag, has {sorted(levels)}"
        assert levels <= {SPEC[rule_id].level for rule_id in rule_ids}, f"{name}: level {levels} matches none of {sorted(rule_ids)}"


def test_scenarios_about_passwords_say_they_need_the_capability() -> None:
    for feature in get_features([str(FEATURES)]):
        for scenario in feature.scenarios.values():
            tags = set(feature.tags) | set(scenario.tags)
            if any("password" in step.name for step in scenario.steps):
                assert "password" in tags, f"{scenario.name} uses passwords but is not tagged @password"


# Time moved without @clock: the linter finds it from the steps themselves (those of
# portalcheck.steps.time), and tests/test_lint.py asks it of the bundled features.
