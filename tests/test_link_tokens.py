"""Which part of a portal link is its secret: the profile's `token` group, else a guess."""

from __future__ import annotations

import re

from portalcheck.steps.screenplay.questions import link_token

URL = "https://portal.example/accounts/customer-with-a-long-identifier/link/Qx7-aB9_k"


def test_the_token_group_names_the_secret() -> None:
    assert link_token(URL, re.compile(r"/link/(?P<token>[\w-]+)")) == "Qx7-aB9_k"


def test_without_a_token_group_the_longest_component_is_taken() -> None:
    # The guess this group exists for: here it picks the identifier, not the token.
    assert link_token(URL, re.compile("/link/")) == "customer-with-a-long-identifier"
    assert link_token(URL, None) == "customer-with-a-long-identifier"


def test_query_values_count_as_components() -> None:
    assert link_token("https://portal.example/p/accept?t=0123456789abcdef&x=1", None) == "0123456789abcdef"
