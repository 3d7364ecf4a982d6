"""The step catalogue is made from the registered steps, and docs/steps.md is never stale."""

from __future__ import annotations

from pathlib import Path

from portalcheck import catalogue

ROOT = Path(__file__).resolve().parent.parent


def test_placeholders_and_groups_read_as_words() -> None:
    assert catalogue.humanise(r"{WHO} opens {WHOSE} (?P<which>first )?login link") == "{WHO} opens {WHOSE} [first ]login link"
    assert catalogue.humanise(r"(?P<amount>\d+) (?P<unit>seconds|minutes) pass") == "<amount> {seconds|minutes} pass"
    assert catalogue.humanise(r"{WHO} asked for (?:a|another) login link") == "{WHO} asked for {a|another} login link"


def test_a_second_device_in_one_step_is_its_own_argument() -> None:
    from portalcheck.steps.phrases import phrase

    copied = phrase(r"{WHOSE} session was copied from {WHOSE} {DEVICE} to {WHOSE} {DEVICE}")
    assert copied.parse_arguments("her session was copied from her laptop to her tablet") == {"device": "laptop", "device_2": "tablet"}
    assert copied.template.count("{DEVICE}") == 2


def test_every_step_has_a_keyword_and_an_example_from_the_bundled_features() -> None:
    steps = catalogue.load_steps()
    assert len(steps) > 80
    assert {step.keyword for step in steps} <= {"Given", "When", "Then", "Given/When/Then"}
    without = [step.wording for step in steps if not step.example]
    assert len(without) <= 1, without  # a step kept for QA's own features may have none


def test_docs_steps_md_is_what_the_catalogue_makes_now() -> None:
    made = catalogue.as_markdown(catalogue.load_steps())
    assert (ROOT / "docs" / "steps.md").read_text(encoding="utf-8") == made, (
        "docs/steps.md is stale: run `portalcheck steps --format md --out docs/steps.md`"
    )
