"""Secrets on the wire: random link tokens (stored only as hashes) and signed values.

Link tokens carry 256 bits from `secrets` (SEC-1). The management URL and the "verify this
device" ticket are HMAC-signed with the site's secret and a timestamp, so they cannot be forged
or moved to another customer (MU-8); signatures are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 32
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def is_well_formed(token: str) -> bool:
    return _TOKEN_RE.fullmatch(token) is not None


def token_hash(token: str) -> str:
    """The form a token is stored and looked up in: a leaked database opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: bytes, *parts: object) -> str:
    message = "\x1f".join(str(part) for part in parts).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signature_matches(secret: bytes, signature: str, *parts: object) -> bool:
    # As bytes: compare_digest refuses str holding non-ASCII (a cookie may carry Latin-1).
    given = signature.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(sign(secret, *parts).encode(), given)
