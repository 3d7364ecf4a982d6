"""Profiles: the reference one loads; a broken one gets a line for each problem, naming its key."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from portalcheck.profile import REFERENCE, ProfileError, load


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = REFERENCE.read_text()
    assert old in text, f"the reference profile no longer holds {old!r}"
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_the_reference_profile_loads() -> None:
    profile = load()
    assert profile.is_reference
    assert profile.has("password_login") and profile.has("clock")
    assert profile.emails["invitation"].subject.search("You're invited to your billing portal")
    assert profile.management_url.search("http://x/s/abc/manage/1/2/sig")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such file"):
        load(tmp_path / "nope.toml")


def test_bad_toml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[target\nname = 1")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load(path)


@pytest.mark.parametrize(
    ("old", "new", "names"),
    [
        ('signed_in = "role=heading[name=\'Your billing portal\']"\n', "", "selectors.signed_in"),
        ('subject = "(?i)invited"', 'subject = "(?i)invited("', "emails.invitation.subject"),
        ('sign_out = "role=button[name=\'Sign out\']"', 'sign_out = "role=button[name=\'Sign out\'"', "selectors.sign_out"),
        ('sign_out = "role=button[name=\'Sign out\']"', 'sign_out = "rolle=button"', "selectors.sign_out"),
        ('control_url = ""', 'control_url = "ftp://nowhere"', "target.control_url"),
        ("port = 0", "port = 70000", "sink.port"),
        ("port = 0", 'port = "0"', "sink.port"),
        ("password_login = true", 'password_login = "yes"', "capabilities.password_login"),
        ('sign_in = "/login"', 'sign_in = "login"', "pages.sign_in"),
        ("mail_timeout_s = 10.0", "mail_timeout_s = false", "timing.mail_timeout_s"),
        ("mail_quiet_s = 0.75", "mail_quite_s = 0.75", "timing.mail_quite_s"),
        ("[sink]", "[sinks]", "sink."),  # missing, reported before the unknown "sinks"
        ("[capabilities]", "[capabilities]\nsms_login = true", "capabilities.sms_login"),
    ],
)
def test_a_bad_key_gets_a_line_that_names_it(tmp_path: Path, old: str, new: str, names: str) -> None:
    with pytest.raises(ProfileError) as error:
        load(broken(tmp_path, old, new))
    lines = str(error.value).splitlines()
    assert any(names in line for line in lines), lines
    assert all(line.startswith("profile ") for line in lines), lines


def test_every_problem_is_listed_at_once_and_a_typo_gets_a_suggestion(tmp_path: Path) -> None:
    path = broken(tmp_path, "mail_quiet_s = 0.75", "mail_quite_s = 0.75")
    path.write_text(path.read_text().replace('sign_in = "/login"', 'sign_in = "login"').replace("port = 0", "port = 70000"))
    with pytest.raises(ProfileError) as error:
        load(path)
    lines = str(error.value).splitlines()
    assert len(lines) == 3, lines
    assert any("'pages.sign_in'" in line for line in lines) and any("'sink.port'" in line for line in lines)
    assert any("'timing.mail_quite_s'" in line and "did you mean 'timing.mail_quiet_s'" in line for line in lines)


def test_a_vendor_profile_must_say_where_its_portal_sends_mail(tmp_path: Path) -> None:
    vendor = broken(tmp_path, 'control_url = ""', 'control_url = "http://127.0.0.1:9"')
    with pytest.raises(ProfileError, match="'sink.port' is 0"):
        load(vendor)
    vendor.write_text(vendor.read_text().replace("port = 0", "port = 2525"))
    assert load(vendor).sink_port == 2525
    vendor.write_text(vendor.read_text().replace("port = 2525", 'port = 0\napi = "http://127.0.0.1:8025"'))
    assert load(vendor).sink_api == "http://127.0.0.1:8025"


def test_expected_deviations_need_a_rule_id_and_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "deviating.toml"
    path.write_text(REFERENCE.read_text() + '\n[expected_deviations]\n"LL-6" = ""\n')
    with pytest.raises(ProfileError, match=re.escape("expected_deviations.LL-6")):
        load(path)
    path.write_text(REFERENCE.read_text() + '\n[expected_deviations]\n"LL-6" = "links are reusable for 5 minutes by design"\n')
    assert load(path).expected_deviations == {"LL-6": "links are reusable for 5 minutes by design"}


def test_an_expected_deviation_must_name_a_rule_of_the_policy(tmp_path: Path) -> None:
    path = tmp_path / "deviating.toml"
    path.write_text(REFERENCE.read_text() + '\n[expected_deviations]\n"LL-66" = "no such rule"\n')
    with pytest.raises(ProfileError, match=re.escape("'expected_deviations.LL-66': POLICY v1 has no rule LL-66")):
        load(path)


def test_an_unreachable_target_is_one_line_naming_the_key(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    profile = broken(tmp_path, 'control_url = ""', f'control_url = "http://127.0.0.1:{port}"')
    profile.write_text(profile.read_text().replace("port = 0", "port = 2525"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "--profile", str(profile), "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, env={**os.environ, "PORTALCHECK_CONTROL_TOKEN": "t"},
        cwd=Path(__file__).resolve().parent.parent, timeout=120,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "'target.control_url'" in done.stderr and "is unreachable" in done.stderr, done.stderr
