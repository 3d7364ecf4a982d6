"""The OpenAPI document of the control API (CONTRACT v1), served at /control/openapi.json."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
}
_POLICY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "auto_invite": {"type": "boolean"},
        "email_verification_required": {"type": "boolean"},
        "password_login_enabled": {"type": "boolean"},
        "invitation_ttl_s": {"type": "integer", "minimum": 1},
        "login_link_ttl_s": {"type": "integer", "minimum": 1},
        "management_link_ttl_s": {"type": "integer", "minimum": 1, "maximum": 15552000},
        "management_link_refresh_s": {"type": "integer", "minimum": 1},
        "session_idle_timeout_s": {"type": "integer", "minimum": 1},
    },
}
_CUSTOMER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "email_verified": {"type": "boolean"},
        "portal_enabled": {"type": "boolean"},
        "invite_last_sent_at": {"type": ["string", "null"], "format": "date-time"},
        "invite_last_accepted_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
_NEW_CUSTOMER = {
    "type": "object",
    "required": ["email", "first_name", "last_name"],
    "properties": {
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "first_name": {"type": "string", "maxLength": 100},
        "last_name": {"type": "string", "maxLength": 100},
    },
}
_MANAGEMENT_LINK = {
    "type": "object",
    "properties": {
        "url": {"type": "string"},
        "fetch_count": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "new_link_available_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": "string", "format": "date-time"},
        "last_invite_sent_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
_NOW = {"type": "object", "properties": {"now": {"type": "string", "format": "date-time"}}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _operation(summary: str, answers: dict[int, dict[str, Any] | None], body: dict[str, Any] | None = None) -> dict[str, Any]:
    responses: dict[str, Any] = {"401": {"description": "no or wrong bearer token", **_json(_ERROR)}}
    for status, schema in answers.items():
        description = "error" if status >= 400 else "success"
        responses[str(status)] = {"description": description, **(_json(schema) if schema else {})}
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, **_json(body)}
    return operation


_SITE = "/control/sites/{site}"
_CUSTOMER_PATH = _SITE + "/customers/{customer}"

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "portalcheck control API", "version": "1"},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],
    "paths": {
        "/control/capabilities": {"get": _operation("what this target can do", {200: {"type": "object"}})},
        "/control/sites": {"post": _operation("a new test site", {201: {"type": "object"}})},
        _SITE: {"delete": _operation("delete a site and all in it", {204: None, 404: _ERROR})},
        _SITE + "/policy": {
            "get": _operation("the site's policy", {200: _POLICY, 404: _ERROR}),
            "put": _operation("change some policy keys", {200: _POLICY, 404: _ERROR, 422: _ERROR}, _POLICY),
        },
        _SITE + "/customers": {
            "post": _operation("a new customer", {201: _CUSTOMER, 409: _ERROR, 422: _ERROR}, _NEW_CUSTOMER)
        },
        _CUSTOMER_PATH: {"get": _operation("a customer", {200: _CUSTOMER, 404: _ERROR})},
        _CUSTOMER_PATH + "/subscriptions": {
            "post": _operation(
                "a new subscription (sends the invitation when auto_invite is on)",
                {201: {"type": "object"}, 404: _ERROR, 422: _ERROR},
                {"type": "object", "required": ["product"], "properties": {"product": {"type": "string"}}},
            )
        },
        _CUSTOMER_PATH + "/invitations": {
            "post": _operation("enable access and send the invitation", {202: None, 404: _ERROR, 422: _ERROR}),
            "delete": _operation("revoke portal access", {200: None, 404: _ERROR, 422: _ERROR}),
        },
        _CUSTOMER_PATH + "/management_link": {
            "get": _operation("the current management link", {200: _MANAGEMENT_LINK, 404: _ERROR, 429: _ERROR})
        },
        _CUSTOMER_PATH + "/management_link_emails": {
            "post": _operation("send an account email with the management URL", {202: None, 404: _ERROR})
        },
        _CUSTOMER_PATH + "/password": {
            "put": _operation(
                "set the customer's password",
                {204: None, 404: _ERROR, 422: _ERROR},
                {"type": "object", "required": ["password"], "properties": {"password": {"type": "string"}}},
            )
        },
        _SITE + "/clock": {"get": _operation("the site's clock", {200: _NOW, 404: _ERROR})},
        _SITE + "/clock/advance": {
            "post": _operation(
                "move the site's clock forward",
                {200: _NOW, 404: _ERROR, 422: _ERROR},
                {"type": "object", "required": ["seconds"], "properties": {"seconds": {"type": "number", "exclusiveMinimum": 0}}},
            )
        },
    },
}
