"""A site's policy: the settings of POLICY.md, their defaults and their validation."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

MANAGEMENT_LINK_TTL_MAX_S = 15_552_000  # 180 days: the vendor's documented ceiling
# The longest any duration may be: a time plus it stays a writable date (see `site_clock`).
DURATION_MAX_S = 100 * 365 * 86400


class PolicyError(ValueError):
    """A policy update names an unknown key or carries a bad value."""


@dataclasses.dataclass(frozen=True)
class Policy:
    auto_invite: bool = False
    email_verification_required: bool = True
    password_login_enabled: bool = False
    invitation_ttl_s: int = 172_800
    login_link_ttl_s: int = 3_600
    management_link_ttl_s: int = 5_616_000
    management_link_refresh_s: int = 1_296_000
    session_idle_timeout_s: int = 1_800

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def updated(self, changes: Mapping[str, Any]) -> Policy:
        """The policy with `changes` applied, or PolicyError naming the first bad key.

        Validation is whole before anything is applied, so a bad update changes nothing.
        """
        fields = {f.name: f for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise PolicyError(f"unknown policy key {_shown(unknown[0])}; known keys: {', '.join(fields)}")
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if fields[key].type == "bool":
                if not isinstance(value, bool):
                    raise PolicyError(f"{key} must be true or false, not {_shown(value)}")
                checked[key] = value
                continue
            # JSON (and JSON Schema's "integer") has one kind of number: 60.0 is 60 seconds.
            whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
            if isinstance(value, bool) or not whole or not 0 < value <= DURATION_MAX_S:
                raise PolicyError(
                    f"{key} must be a whole number of seconds from 1 to {DURATION_MAX_S} (100 years),"
                    f" not {_shown(value)}"
                )
            checked[key] = int(value)
        candidate = dataclasses.replace(self, **checked)
        if candidate.management_link_ttl_s > MANAGEMENT_LINK_TTL_MAX_S:
            raise PolicyError(
                f"management_link_ttl_s may be at most {MANAGEMENT_LINK_TTL_MAX_S} (180 days),"
                f" not {candidate.management_link_ttl_s}"
            )
        if candidate.management_link_refresh_s > candidate.management_link_ttl_s:
            raise PolicyError("management_link_refresh_s may not exceed management_link_ttl_s")
        return candidate

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        return cls().updated(data)


def _shown(value: Any) -> str:
    """A value as an error message quotes it: escaped (`repr`) and at most 80 characters."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's 4,300-digit limit for str()
        return f"a {type(value).__name__} too long to show"
    return text if len(text) <= 80 else text[:77] + "..."
