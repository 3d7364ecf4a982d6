"""The control API of CONTRACT v1: JSON over HTTP, bearer-token protected, test mode only."""

from __future__ import annotations

import hmac
from typing import Any, Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import openapi
from .isotime import iso8601
from .policy import PolicyError
from .records import Customer
from .service import NotFound, Portal, RateLimited, Refused
from .store import AddressTaken, Site
from .validation import InvalidInput, record_id

Handler = Callable[[Request], Awaitable[Response]]


def error(status: int, code: str, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


def _portal(request: Request) -> Portal:
    return request.state.portal


def _site(request: Request) -> Site:
    return _portal(request).site(request.path_params["site"])


def _customer(request: Request, site: Site) -> Customer:
    raw = request.path_params["customer"]
    customer_id = record_id(raw)
    if customer_id is None:
        raise NotFound(f"no customer {raw[:40]!r} in site {site.id}")
    return _portal(request).customer(site, customer_id)


async def _json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    body = await request.body()
    if not body and not required:
        return {}
    try:
        data = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nesting too deep for `json`
        raise InvalidInput("invalid_json", "the request body must be a JSON object") from None
    if not isinstance(data, dict):
        raise InvalidInput("invalid_json", "the request body must be a JSON object")
    return data


def protected(handler: Handler) -> Handler:
    """Bearer token first, then map the service's refusals to CONTRACT v1's statuses."""

    async def endpoint(request: Request) -> Response:
        expected = request.state.control_token
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            return error(
                401, "unauthorized", "send Authorization: Bearer <control token>", {"WWW-Authenticate": "Bearer"}
            )
        try:
            return await handler(request)
        except NotFound as exc:
            return error(404, "not_found", str(exc))
        except (InvalidInput, PolicyError) as exc:
            code = getattr(exc, "code", "invalid_policy")
            return error(422, code, str(exc))
        except AddressTaken as exc:
            return error(409, "address_taken", f"a customer with address {exc} exists in this site")
        except Refused as exc:
            return error(422, "refused", str(exc))

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def customer_json(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email_verified": customer.email_verified,
        "portal_enabled": customer.portal_enabled,
        "invite_last_sent_at": iso8601(customer.invite_last_sent_at),
        "invite_last_accepted_at": iso8601(customer.invite_last_accepted_at),
    }


@protected
async def capabilities(request: Request) -> Response:
    return JSONResponse({"contract": "1", "password_login": True, "clock": True})


@protected
async def create_site(request: Request) -> Response:
    site = _portal(request).create_site()
    return JSONResponse({"id": site.id, "portal_url": _portal(request).portal_url(site.id)}, 201)


@protected
async def delete_site(request: Request) -> Response:
    site = _site(request)
    _portal(request).store.delete_site(site.id)
    return Response(status_code=204)


@protected
async def policy(request: Request) -> Response:
    site = _site(request)
    if request.method == "GET":
        return JSONResponse(site.policy.to_dict())
    changes = await _json_object(request)
    return JSONResponse(_portal(request).update_policy(site, changes).to_dict())


@protected
async def create_customer(request: Request) -> Response:
    site = _site(request)
    body = await _json_object(request)
    customer = _portal(request).create_customer(
        site, body.get("email"), body.get("first_name"), body.get("last_name")
    )
    return JSONResponse(customer_json(customer), 201)


@protected
async def customer(request: Request) -> Response:
    site = _site(request)
    return JSONResponse(customer_json(_customer(request, site)))


@protected
async def create_subscription(request: Request) -> Response:
    site = _site(request)
    found = _customer(request, site)
    body = await _json_object(request)
    try:
        subscription_id = _portal(request).create_subscription(site, found, body.get("product"))
    except RateLimited as exc:
        return error(422, "too_many_invitations", str(exc))
    return JSONResponse({"id": subscription_id}, 201)


@protected
async def invitations(request: Request) -> Response:
    site = _site(request)
    found = _customer(request, site)
    if request.method == "DELETE":
        _portal(request).revoke(site, found)
        return JSONResponse({"portal_enabled": False})
    try:
        _portal(request).invite(site, found)
    except RateLimited as exc:
        return error(422, "too_many_invitations", str(exc))
    return JSONResponse({"portal_enabled": True}, 202)


@protected
async def management_link(request: Request) -> Response:
    site = _site(request)
    found = _customer(request, site)
    try:
        view = _portal(request).management_link(site, found)
    except RateLimited as exc:
        return error(429, "too_many_reads", str(exc))
    return JSONResponse(
        {
            "url": view.url,
            "fetch_count": view.fetch_count,
            "created_at": iso8601(view.created_at),
            "new_link_available_at": iso8601(view.new_link_available_at),
            "expires_at": iso8601(view.expires_at),
            "last_invite_sent_at": iso8601(view.last_invite_sent_at),
        }
    )


@protected
async def management_link_emails(request: Request) -> Response:
    site = _site(request)
    _portal(request).send_account_email(site, _customer(request, site))
    return JSONResponse({"queued": True}, 202)


@protected
async def password(request: Request) -> Response:
    site = _site(request)
    found = _customer(request, site)
    body = await _json_object(request)
    _portal(request).set_password(site, found, body.get("password"))
    return Response(status_code=204)


@protected
async def clock(request: Request) -> Response:
    site = _site(request)
    return JSONResponse({"now": iso8601(_portal(request).now(site))})


@protected
async def advance_clock(request: Request) -> Response:
    site = _site(request)
    body = await _json_object(request)
    return JSONResponse({"now": iso8601(_portal(request).advance_clock(site, body.get("seconds")))})


async def openapi_document(request: Request) -> Response:
    return JSONResponse(openapi.DOCUMENT)


def http_error(exc: HTTPException) -> Response:
    """The router's 404 and 405 as the contract's JSON errors; a 405 keeps its Allow header."""
    code = {404: "not_found", 405: "bad_method"}.get(exc.status_code, "bad_request")
    return error(exc.status_code, code, exc.detail, exc.headers)


SITE = "/control/sites/{site}"
CUSTOMER = SITE + "/customers/{customer}"

routes = [
    Route("/control/openapi.json", openapi_document),
    Route("/control/capabilities", capabilities),
    Route("/control/sites", create_site, methods=["POST"]),
    Route(SITE, delete_site, methods=["DELETE"]),
    Route(SITE + "/policy", policy, methods=["GET", "PUT"]),
    Route(SITE + "/customers", create_customer, methods=["POST"]),
    Route(CUSTOMER, customer),
    Route(CUSTOMER + "/subscriptions", create_subscription, methods=["POST"]),
    Route(CUSTOMER + "/invitations", invitations, methods=["POST", "DELETE"]),
    Route(CUSTOMER + "/management_link", management_link),
    Route(CUSTOMER + "/management_link_emails", management_link_emails, methods=["POST"]),
    Route(CUSTOMER + "/password", password, methods=["PUT"]),
    Route(SITE + "/clock", clock),
    Route(SITE + "/clock/advance", advance_clock, methods=["POST"]),
]
