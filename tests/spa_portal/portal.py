"""The policy the single-page app serves: the alternative portal's, under `/spa/<site>`, with faults."""

from __future__ import annotations

from typing import Any

from tests.alt_portal.model import Portal, Site


class SpaPortal(Portal):
    """`tests.alt_portal.model.Portal` with its pages at `/spa/<site>` and the model's faults on."""

    def __init__(self, base_url: str, faults: frozenset[str] = frozenset()) -> None:
        super().__init__(base_url)
        self.faults = faults

    def site_url(self, site: Site) -> str:
        return f"{self.base_url}/spa/{site.id}"

    def password_logins(self, site: Site) -> bool:
        return bool(site.policy["password_login_enabled"]) or "pw1_password_always" in self.faults

    def open_management_url(self, site: Site, query: dict[str, str], device_id: str, sid: str | None) -> tuple[str, Any]:
        outcome, detail = super().open_management_url(site, query, device_id, sid)
        if outcome == "verify" and "mu3_any_device" in self.faults:
            with self.lock:
                link = site.management_links[int(query["l"])]
                return "signed_in", self._start_session(site, site.customers[link.customer_id], device_id)
        return outcome, detail

    def password_sign_in(self, site: Site, address: str, password: str, device_id: str) -> tuple[str, str | None]:
        if "pw1_password_always" not in self.faults:
            return super().password_sign_in(site, address, password, device_id)
        with self.lock:  # the model checks the policy: let it see password logins on
            policy = site.policy
            site.policy = {**policy, "password_login_enabled": True}
            try:
                return super().password_sign_in(site, address, password, device_id)
            finally:
                site.policy = policy
