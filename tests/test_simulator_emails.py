"""The portal's emails (`simulator.emails`): each kind carries the management URL (MU-1), on the wire."""

from __future__ import annotations

import email
import email.policy

import pytest

from simulator.app import mask_email, template_environment
from simulator.emails import SUBJECTS, compose
from simulator.records import Customer

ADA = Customer(id=1, site_id="s", email="ada@example.com", first_name="Ada", last_name="O'Brien, Jr.")
LINKS = {
    "management": "http://portal.test/s/site/manage/1/1767225600/" + "S" * 43,
    "action": "http://portal.test/s/site/link/" + "T" * 43,
    "sign_in": "http://portal.test/s/site/login",
}


@pytest.mark.parametrize("kind", list(SUBJECTS))
def test_MU1_every_kind_carries_the_management_url_in_text_and_html(kind: str) -> None:
    message = compose(template_environment(), kind, sender="Portal <p@billing.invalid>", customer=ADA, sent_at=1767225600, links=LINKS)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == SUBJECTS[kind] and parsed["X-Portal-Email-Kind"] == kind
    assert parsed["To"].addresses[0].addr_spec == "ada@example.com"
    assert parsed["To"].addresses[0].display_name == "Ada O'Brien, Jr."
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert LINKS["management"] in text and LINKS["management"] in html
    if kind != "account":  # INV-3, LL-3: the invitation or login link as well
        assert LINKS["action"] in text and LINKS["action"] in html


@pytest.mark.parametrize("kind", list(SUBJECTS))
def test_message_bytes_use_crlf_line_ends_for_smtp(kind: str) -> None:
    raw = compose(template_environment(), kind, sender="p@billing.invalid", customer=ADA, sent_at=0, links=LINKS).as_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_verify_page_masks_the_address() -> None:
    assert mask_email("ada@example.com") == "a•••@example.com"


@pytest.mark.parametrize(
    ("first", "last"),
    [("Zoë", "Ünïcödé"), ("李", "小龙"), ("A" * 100, "B" * 100), ("ä" * 100, "Ö" * 100), ('Eve "the"', "<admin>, x")],
    ids=["accents", "cjk", "long-ascii", "long-non-ascii", "specials"],
)
def test_any_valid_name_goes_into_the_to_header_intact(first: str, last: str) -> None:
    customer = Customer(id=1, site_id="s", email="zoe@example.com", first_name=first, last_name=last)
    raw = compose(template_environment(), "invitation", sender="p@billing.invalid", customer=customer, sent_at=0, links=LINKS).as_bytes()
    raw.decode("ascii")  # headers encoded for a relay without SMTPUTF8
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    [address] = parsed["To"].addresses
    assert (address.display_name, address.addr_spec) == (f"{first} {last}", "zoe@example.com")
