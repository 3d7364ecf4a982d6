"""Control API v1 (CONTRACT.md §1): the fixed endpoints, their statuses and JSON errors."""

from __future__ import annotations

import datetime
import hmac
import re
from typing import Any

from .mail import Outbox
from .model import Customer, Portal, Refused, Site, checked_policy
from .web import Request, Response

ADDRESS = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
MAX_ADVANCE_S = 10 * 365 * 86400


def iso(at: float | None) -> str | None:
    if at is None:
        return None
    stamp = datetime.datetime.fromtimestamp(at, datetime.timezone.utc)
    return stamp.isoformat(timespec="seconds").replace("+00:00", "Z")


def valid_address(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 254 and ADDRESS.fullmatch(value) is not None


def error(status: int, code: str, detail: str) -> Response:
    return Response.json(status, {"error": code, "detail": detail})


class ControlApi:
    def __init__(self, portal: Portal, outbox: Outbox, token: str) -> None:
        self.portal, self.outbox, self.token = portal, outbox, token

    def __call__(self, request: Request) -> Response:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
            return error(401, "unauthorized", "send Authorization: Bearer <control token>")
        try:
            body = request.json()
        except ValueError:
            return error(400, "bad_json", "the body is not JSON")
        try:
            return self.route(request.method, request.path.rstrip("/").split("/")[2:], body)
        except Refused as refused:
            return error(refused.status, refused.code, refused.detail)

    def route(self, method: str, parts: list[str], body: Any) -> Response:
        if parts == ["capabilities"] and method == "GET":
            return Response.json(200, {"contract": "1", "password_login": True, "clock": True})
        if parts == ["sites"] and method == "POST":
            site = self.portal.new_site()
            return Response.json(201, {"id": site.id, "portal_url": self.portal.site_url(site)})
        if len(parts) < 2 or parts[0] != "sites":
            raise Refused(404, "not_found", "no such control endpoint")
        site = self.portal.sites.get(parts[1])
        if site is None:
            raise Refused(404, "unknown_site", f"no site {parts[1]!r}")
        rest = parts[2:]
        if not rest and method == "DELETE":
            with self.portal.lock:
                self.portal.sites.pop(site.id, None)
            return Response.json(204)
        if rest == ["policy"]:
            return self.policy(site, method, body)
        if rest == ["clock"] and method == "GET":
            return Response.json(200, {"now": iso(site.now())})
        if rest == ["clock", "advance"] and method == "POST":
            return self.advance(site, body)
        if rest == ["customers"] and method == "POST":
            return self.add_customer(site, body)
        if len(rest) >= 2 and rest[0] == "customers":
            return self.customer_call(site, method, rest[1], rest[2:], body)
        raise Refused(404, "not_found", "no such control endpoint")

    def policy(self, site: Site, method: str, body: Any) -> Response:
        if method == "PUT":
            with self.portal.lock:
                site.policy = checked_policy(site.policy, body)
        elif method != "GET":
            raise Refused(405, "method_not_allowed", "GET or PUT the policy")
        return Response.json(200, site.policy)

    def advance(self, site: Site, body: Any) -> Response:
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= MAX_ADVANCE_S:
            raise Refused(422, "invalid_seconds", "seconds must be a number above 0 (a clock never goes back)")
        with self.portal.lock:
            site.offset += seconds
        return Response.json(200, {"now": iso(site.now())})

    def add_customer(self, site: Site, body: Any) -> Response:
        body = body if isinstance(body, dict) else {}
        if not valid_address(body.get("email")):
            raise Refused(422, "invalid_email", "email must be a valid address")
        names = [body.get(key, "") for key in ("first_name", "last_name")]
        if not all(isinstance(n, str) and len(n) <= 200 and not re.search(r"[\x00-\x1f]", n) for n in names):
            raise Refused(422, "invalid_name", "first_name and last_name must be short single-line text")
        customer = self.portal.add_customer(site, body["email"], *names)
        return Response.json(201, self.record(customer))

    def customer_call(self, site: Site, method: str, raw_id: str, rest: list[str], body: Any) -> Response:
        customer = site.customers.get(int(raw_id)) if raw_id.isdigit() and len(raw_id) < 12 else None
        if customer is None:
            raise Refused(404, "unknown_customer", f"no customer {raw_id!r} in this site")
        call = (method, "/".join(rest))
        if call == ("GET", ""):
            return Response.json(200, self.record(customer))
        if call == ("POST", "subscriptions"):
            product = body.get("product") if isinstance(body, dict) else None
            if not isinstance(product, str) or not product.strip() or len(product) > 200:
                raise Refused(422, "invalid_product", "product must be a short name")
            if site.policy["auto_invite"]:
                self.outbox.send(self.portal.invite(site, customer, quiet_limit=True))
            with self.portal.lock:
                return Response.json(201, {"id": site.next_id(), "product": product})
        if call == ("POST", "invitations"):
            self.outbox.send(self.portal.invite(site, customer))
            return Response.json(202, {"status": "sent"})
        if call == ("DELETE", "invitations"):
            self.portal.revoke(site, customer)
            return Response.json(200, self.record(customer))
        if call == ("GET", "management_link"):
            read = self.portal.read_management_link(site, customer)
            return Response.json(200, {k: iso(v) if k.endswith("_at") else v for k, v in read.items()})
        if call == ("POST", "management_link_emails"):
            self.outbox.send(self.portal.account_mail(site, customer))
            return Response.json(202, {"status": "sent"})
        if call == ("PUT", "password"):
            password = body.get("password") if isinstance(body, dict) else None
            if not isinstance(password, str) or not 1 <= len(password) <= 256:
                raise Refused(422, "invalid_password", "password must be text of 1 to 256 characters")
            self.portal.set_password(site, customer, password)
            return Response.json(204)
        raise Refused(404, "not_found", "no such customer endpoint")

    def record(self, customer: Customer) -> dict[str, Any]:
        return {
            "id": customer.id,
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email_verified": customer.email_verified,
            "portal_enabled": customer.portal_enabled,
            "invite_last_sent_at": iso(customer.invites_sent[-1] if customer.invites_sent else None),
            "invite_last_accepted_at": iso(customer.invite_accepted_at),
        }
