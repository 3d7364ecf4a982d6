"""Secrets on the wire (`simulator.tokens`): SEC-1 randomness, hashing and signatures."""

from __future__ import annotations

import base64

from simulator import tokens


def test_SEC1_link_tokens_carry_256_random_bits_and_are_well_formed() -> None:
    made = {tokens.new_token() for _ in range(1000)}
    assert len(made) == 1000
    for token in made:
        assert tokens.is_well_formed(token)
        assert len(base64.urlsafe_b64decode(token + "=")) == 32


def test_SEC1_malformed_tokens_are_recognised() -> None:
    good = tokens.new_token()
    for bad in ("", good[:-1], good + "A", good[:-1] + "=", good[:-1] + "/", "é" * 43, good[:-1] + "\n"):
        assert not tokens.is_well_formed(bad), bad


def test_tokens_are_stored_as_a_hash_that_opens_nothing() -> None:
    token = tokens.new_token()
    digest = tokens.token_hash(token)
    assert len(digest) == 64 and token not in digest
    assert tokens.token_hash(token) == digest != tokens.token_hash(tokens.new_token())


def test_MU8_signature_depends_on_secret_and_every_part() -> None:
    secret, other = tokens.new_secret(), tokens.new_secret()
    signature = tokens.sign(secret, "manage", "site", 1, 1767225600, "nonce")
    assert tokens.signature_matches(secret, signature, "manage", "site", 1, 1767225600, "nonce")
    for parts in (
        ("manage", "site", 2, 1767225600, "nonce"),
        ("manage", "site", 1, 1767225601, "nonce"),
        ("manage", "other", 1, 1767225600, "nonce"),
        ("verify", "site", 1, 1767225600, "nonce"),
        ("manage", "site", 1, 1767225600, "nonce2"),
    ):
        assert not tokens.signature_matches(secret, signature, *parts)
    assert not tokens.signature_matches(other, signature, "manage", "site", 1, 1767225600, "nonce")
    assert not tokens.signature_matches(secret, signature[:-1], "manage", "site", 1, 1767225600, "nonce")
