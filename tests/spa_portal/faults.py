"""Fault switches of the single-page app: some of the simulator's kinds of fault, ported.

Each breaks one rule the way a single-page app could, on the channels such an app answers on
(a fetch's JSON, its status, its Set-Cookie), so the suite is seen to catch a fault there too.
The first three are the simulator's (`simulator/faults.py`, same names); the last is an API's
own: a refusal on the API channel that is a 5xx, where the page itself was a 200.
"""

from __future__ import annotations

FAULTS = {
    "mu3_any_device": ("MU-3", "the management URL signs in on a device that is not verified"),
    "pw1_password_always": ("PW-1", "the password form shows and password sign-in works with password logins off"),
    "ses5_no_samesite": ("SES-5", "the API sets its cookies with no SameSite attribute"),
    "sec5_server_error": ("SEC-5", "a malformed token or address makes the API answer 500"),
}
