"""The OpenAPI 3.1 document of the control API (CONTRACT v1), served at /control/openapi.json.

Its limits are read from the modules that enforce them (`validation`, `policy`, `site_clock`), so
the document cannot promise what the server refuses, nor leave out what it refuses.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import site_clock, validation
from .middleware import MAX_BODY_BYTES
from .policy import DURATION_MAX_S, MANAGEMENT_LINK_TTL_MAX_S, Policy

# One line of text: no C0/C1 control character, no line or paragraph separator, not all blank.
_LINE_CHAR = rf"[^{validation.NOT_IN_A_LINE}]"
_NAME_PATTERN = rf"^{_LINE_CHAR}*[^\s{validation.NOT_IN_A_LINE}]{_LINE_CHAR}*$"
# The server's own pattern but for its lookahead (local part at most 64), which no generator of
# examples can follow: the description states that limit.
_EMAIL_PATTERN = rf"^{validation.EMAIL_ATOM}(?:\.{validation.EMAIL_ATOM})*@{validation.EMAIL_DOMAIN}$"

_TIME = {"type": "string", "format": "date-time", "description": "ISO 8601 UTC, on the site's clock"}
_MAYBE_TIME = {**_TIME, "type": ["string", "null"]}
_ID = {"type": ["integer", "string"], "description": "an id; the suite puts it in paths as it is"}


def _name(what: str) -> dict[str, Any]:
    return {
        "type": "string",
        "maxLength": validation.MAX_NAME,
        "pattern": _NAME_PATTERN,
        "description": f"{what}: one line of Unicode text, not blank (surrounding spaces are dropped)",
    }


def _duration(key: str) -> dict[str, Any]:
    most = MANAGEMENT_LINK_TTL_MAX_S if key.startswith("management_link_") else DURATION_MAX_S
    return {"type": "integer", "minimum": 1, "maximum": most, "description": "seconds, a whole number"}


def _policy_properties() -> dict[str, Any]:
    return {
        field.name: {"type": "boolean"} if field.type == "bool" else _duration(field.name)
        for field in dataclasses.fields(Policy)
    }


def _object(properties: dict[str, Any], *, required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    schema["required"] = list(properties) if required is None else required
    return schema


SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _object(
        {"error": {"type": "string", "minLength": 1}, "detail": {"type": "string", "minLength": 1}},
        description="every error the control API answers, 500 included",
    ),
    "Capabilities": _object(
        {"contract": {"const": "1"}, "password_login": {"type": "boolean"}, "clock": {"type": "boolean"}}
    ),
    "Site": _object({"id": {"type": "string", "minLength": 1}, "portal_url": {"type": "string", "format": "uri"}}),
    "Policy": _object(_policy_properties(), description="the whole policy (POLICY.md, Settings)"),
    "PolicyUpdate": _object(
        _policy_properties(),
        required=[],
        additionalProperties=False,
        description=(
            "any subset of the policy keys; the policy it makes must keep"
            " management_link_refresh_s at most management_link_ttl_s, else 422 and nothing changes"
        ),
    ),
    "NewCustomer": _object(
        {
            "email": {
                "type": "string",
                "maxLength": validation.MAX_EMAIL,
                "pattern": _EMAIL_PATTERN,
                "description": "an ASCII dot-atom address (RFC 5322), its local part at most 64 characters",
            },
            "first_name": _name("the first name"),
            "last_name": _name("the last name"),
        }
    ),
    "Customer": _object(
        {
            "id": _ID,
            "email": {"type": "string"},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "email_verified": {"type": "boolean"},
            "portal_enabled": {"type": "boolean"},
            "invite_last_sent_at": _MAYBE_TIME,
            "invite_last_accepted_at": _MAYBE_TIME,
        }
    ),
    "NewSubscription": _object({"product": _name("the product's name")}),
    "Created": _object({"id": _ID}),
    "PortalAccess": _object({"portal_enabled": {"type": "boolean"}}),
    "Queued": _object({"queued": {"const": True}}),
    "ManagementLink": _object(
        {
            "url": {"type": "string", "format": "uri"},
            "fetch_count": {"type": "integer", "minimum": 1, "description": "reads of this link, this one included"},
            "created_at": _TIME,
            "new_link_available_at": _TIME,
            "expires_at": _TIME,
            "last_invite_sent_at": _MAYBE_TIME,
        }
    ),
    "NewPassword": _object(
        {
            "password": {
                "type": "string",
                "minLength": validation.MIN_PASSWORD,
                "maxLength": validation.MAX_PASSWORD,
                "pattern": r"^[^\x00]*$",
                "description": "Unicode text without NUL",
            }
        }
    ),
    "Clock": _object({"now": _TIME}),
    "ClockAdvance": _object(
        {
            "seconds": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": site_clock.MAX_STEP_S,
                "description": (
                    f"at most 100 years at a time; an advance that would take the site's clock past"
                    f" {site_clock.LATEST_TEXT} is refused (422) and changes nothing"
                ),
            }
        }
    ),
}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(description: str, schema: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer["content"] = {"application/json": {"schema": _ref("schemas", schema)}}
    return answer


def _error(description: str) -> dict[str, Any]:
    return _json(description, "Error")


RESPONSES: dict[str, dict[str, Any]] = {
    "Unauthorized": {
        **_error("no bearer token, or the wrong one"),
        "headers": {"WWW-Authenticate": {"schema": {"const": "Bearer"}}},
    },
    "NotFound": _error("no such site (or no such customer in it)"),
    "Invalid": _error("the body is not a JSON object, or a value breaks a limit above; nothing changed"),
    "TooLarge": _error(f"the request body is over {MAX_BODY_BYTES} bytes; nothing changed"),
}

_SITE_PARAMETERS = [_ref("parameters", "site")]
_CUSTOMER_PARAMETERS = [_ref("parameters", "site"), _ref("parameters", "customer")]


def _operation(
    operation_id: str,
    summary: str,
    answers: dict[int, dict[str, Any]],
    *,
    under: str | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """One operation: its own answers, then the errors every operation of its kind can give."""
    responses: dict[str, Any] = {str(status): answer for status, answer in answers.items()}
    responses["401"] = _ref("responses", "Unauthorized")
    responses["413"] = _ref("responses", "TooLarge")
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary}
    if under is not None:
        responses["404"] = _ref("responses", "NotFound")
        operation["parameters"] = _CUSTOMER_PARAMETERS if under == "customer" else _SITE_PARAMETERS
    if body is not None:
        responses.setdefault("422", _ref("responses", "Invalid"))
        content = {"application/json": {"schema": _ref("schemas", body)}}
        operation["requestBody"] = {"required": True, "content": content}
    operation["responses"] = dict(sorted(responses.items()))
    return operation


_SITE = "/control/sites/{site}"
_CUSTOMER = _SITE + "/customers/{customer}"

PATHS: dict[str, dict[str, Any]] = {
    "/control/capabilities": {
        "get": _operation(
            "getCapabilities", "what this target can do", {200: _json("the capabilities", "Capabilities")}
        )
    },
    "/control/sites": {
        "post": _operation(
            "createSite", "a new test site: default policy, its clock at real time", {201: _json("the new site", "Site")}
        )
    },
    _SITE: {
        "delete": _operation(
            "deleteSite", "delete the site and everything in it", {204: {"description": "gone"}}, under="site"
        )
    },
    _SITE + "/policy": {
        "get": _operation("getPolicy", "the site's policy", {200: _json("the policy", "Policy")}, under="site"),
        "put": _operation(
            "updatePolicy",
            "change some policy keys",
            {200: _json("the whole policy", "Policy")},
            under="site",
            body="PolicyUpdate",
        ),
    },
    _SITE + "/customers": {
        "post": _operation(
            "createCustomer",
            "a new customer",
            {201: _json("the customer", "Customer"), 409: _error("the address is taken in this site")},
            under="site",
            body="NewCustomer",
        )
    },
    _CUSTOMER: {
        "get": _operation("getCustomer", "a customer", {200: _json("the customer", "Customer")}, under="customer")
    },
    _CUSTOMER + "/subscriptions": {
        "post": _operation(
            "createSubscription",
            "a new subscription; sends the invitation when auto_invite is on",
            {201: _json("the subscription", "Created")},
            under="customer",
            body="NewSubscription",
        )
    },
    _CUSTOMER + "/invitations": {
        "post": _operation(
            "sendInvitation",
            "enable portal access and send (or resend) the invitation",
            {202: _json("queued", "PortalAccess"), 422: _error("5 invitations were sent within 30 minutes")},
            under="customer",
        ),
        "delete": _operation(
            "revokeInvitation",
            "revoke portal access",
            {200: _json("revoked", "PortalAccess"), 422: _error("portal access is not enabled")},
            under="customer",
        ),
    },
    _CUSTOMER + "/management_link": {
        "get": _operation(
            "getManagementLink",
            "the current management link (each read counts)",
            {200: _json("the link", "ManagementLink"), 429: _error("the link was read 15 times")},
            under="customer",
        )
    },
    _CUSTOMER + "/management_link_emails": {
        "post": _operation(
            "sendManagementLinkEmail",
            "send an account email carrying the current management URL",
            {202: _json("queued", "Queued")},
            under="customer",
        )
    },
    _CUSTOMER + "/password": {
        "put": _operation(
            "setPassword",
            "set the customer's password, as if she had chosen it",
            {204: {"description": "set"}, 422: _error("the password breaks a limit, or password logins are off")},
            under="customer",
            body="NewPassword",
        )
    },
    _SITE + "/clock": {
        "get": _operation("getClock", "the site's clock", {200: _json("the site's time", "Clock")}, under="site")
    },
    _SITE + "/clock/advance": {
        "post": _operation(
            "advanceClock",
            "move the site's clock forward",
            {200: _json("the site's new time", "Clock")},
            under="site",
            body="ClockAdvance",
        )
    },
}


def _taking(parameter: str) -> list[str]:
    """The operationIds whose path has `{parameter}`."""
    wanted = _ref("parameters", parameter)
    return [
        operation["operationId"]
        for operations in PATHS.values()
        for operation in operations.values()
        if wanted in operation.get("parameters", [])
    ]


def _links(parameters: dict[str, str], targets: list[str]) -> dict[str, Any]:
    return {target: {"operationId": target, "parameters": parameters} for target in targets}


# What a new site or customer leads to: the links Schemathesis's stateful tests (and a reader) follow.
PATHS["/control/sites"]["post"]["responses"]["201"]["links"] = _links(
    {"site": "$response.body#/id"}, [target for target in _taking("site") if target not in _taking("customer")]
)
PATHS[_SITE + "/customers"]["post"]["responses"]["201"]["links"] = _links(
    {"site": "$request.path.site", "customer": "$response.body#/id"}, _taking("customer")
)

_DESCRIPTION = f"""\
The control API of the portalcheck target contract, version 1 (CONTRACT.md): how the suite sets up
test sites, customers, policy and time on a portal under test. Test mode only.

Every call needs `Authorization: Bearer <control token>`. Every error is a JSON object
`{{"error": "<code>", "detail": "<sentence>"}}`; an error changes nothing. A request body is at
most {MAX_BODY_BYTES // 1024} KiB. Text fields are Unicode: a JSON string holding a lone UTF-16 surrogate (`\\ud800`) is
refused with 422. A site's clock never goes back and never passes {site_clock.LATEST_TEXT}.
The reference simulator answers no request with a 5xx; should it fail all the same, the answer
is 500 with the same JSON error body.
"""

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "portalcheck control API", "version": "1", "description": _DESCRIPTION},
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "parameters": {
            "site": {
                "name": "site",
                "in": "path",
                "required": True,
                "description": "a test site's id, as `POST /control/sites` answered it",
                "schema": {"type": "string", "minLength": 1},
            },
            "customer": {
                "name": "customer",
                "in": "path",
                "required": True,
                "description": "a customer's id, as `POST …/customers` answered it",
                "schema": {"type": "string", "minLength": 1},
            },
        },
        "schemas": SCHEMAS,
        "responses": RESPONSES,
    },
}
