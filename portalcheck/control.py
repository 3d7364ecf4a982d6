"""The suite's client for the control API (CONTRACT v1 §1). Every call is kept as evidence."""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any

import httpx


class TargetUnreachable(RuntimeError):
    """The control API did not answer: the suite could not do its part (an ERROR, not a FAIL)."""


class ControlError(AssertionError):
    """The control API answered with a status the step did not expect."""

    def __init__(self, call: Call, expected: tuple[int, ...]) -> None:
        super().__init__(
            f"control API {call.method} {call.path} answered {call.status}, expected"
            f" {' or '.join(map(str, expected))}: {call.response}"
        )
        self.call = call


@dataclasses.dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any
    status: int
    response: Any
    at: str


class ControlClient:
    """One target's control API. `calls` lists every call made through this client."""

    def __init__(self, base_url: str, token: str | None, *, timeout: float = 10.0, http: httpx.Client | None = None) -> None:
        """`http`: a client to share (its connections and TLS set-up); this one then does not close it.
        `token` None: calls without an Authorization header (only to see them refused)."""
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=timeout)
        self._base_url = base_url.rstrip("/")
        self._headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        self.calls: list[Call] = []

    def with_token(self, token: str | None) -> ControlClient:
        """The same control API, connections and log of calls, with another bearer token (None:
        none at all): calls as anyone may make them, kept in this client's evidence."""
        other = ControlClient(self._base_url, token, http=self._http)
        other.calls = self.calls
        return other

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def request(self, method: str, path: str, body: Any = None, *, expect: tuple[int, ...] = (200,)) -> Any:
        """Call the API; the decoded JSON answer (or None), or ControlError on another status."""
        try:
            response = self._http.request(method, self._base_url + path, json=body, headers=self._headers)
        except httpx.HTTPError as error:
            raise TargetUnreachable(f"control API {method} {path}: {error}") from error
        try:
            answer = response.json() if response.content else None
        except json.JSONDecodeError:
            answer = response.text[:500]
        call = Call(
            method, path, body, response.status_code, answer,
            datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
        )
        self.calls.append(call)
        if response.status_code not in expect:
            raise ControlError(call, expect)
        return answer

    def capabilities(self) -> dict[str, Any]:
        return self.request("GET", "/control/capabilities")

    def save_calls(self, path: Path) -> Path:
        path.write_text("".join(json.dumps(dataclasses.asdict(call)) + "\n" for call in self.calls))
        return path


class SiteControl:
    """The control API of one test site: everything a scenario sets up or inspects."""

    def __init__(self, client: ControlClient, site_id: str, portal_url: str) -> None:
        self.client = client
        self.id = site_id
        self.portal_url = portal_url.rstrip("/")
        self._base = f"/control/sites/{site_id}"

    @classmethod
    def create(cls, client: ControlClient) -> SiteControl:
        answer = client.request("POST", "/control/sites", expect=(201,))
        return cls(client, answer["id"], answer["portal_url"])

    def delete(self, *, expect: tuple[int, ...] = (204,)) -> None:
        self.client.request("DELETE", self._base, expect=expect)

    def call(self, method: str, path: str, body: Any = None, *, expect: tuple[int, ...] = (200,)) -> Any:
        return self.client.request(method, self._base + path, body, expect=expect)

    def policy(self) -> dict[str, Any]:
        return self.call("GET", "/policy")

    def set_policy(self, **changes: Any) -> dict[str, Any]:
        return self.call("PUT", "/policy", changes)

    def add_customer(self, email: str, first_name: str, last_name: str) -> dict[str, Any]:
        body = {"email": email, "first_name": first_name, "last_name": last_name}
        return self.call("POST", "/customers", body, expect=(201,))

    def customer(self, customer_id: int) -> dict[str, Any]:
        return self.call("GET", f"/customers/{customer_id}")

    def advance_clock(self, seconds: float) -> str:
        return self.call("POST", "/clock/advance", {"seconds": seconds})["now"]
