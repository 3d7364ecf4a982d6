"""One part of a URL changed, as the suite's steps and the explorer's walks both change it."""

from portalcheck.tampering import changed_part, tampered

URL = "http://portal.test/s/abc/manage/42/sig?exp=1700&v=xyz"


def test_a_number_goes_up_by_one_and_text_changes_its_middle_character() -> None:
    assert changed_part("41") == "42"
    assert changed_part("abcde") == "abAde" and changed_part("abAde") == "abBde"
    assert changed_part("") == "x"


def test_a_path_segment_under_the_site_counted_from_nought_and_wrapping() -> None:
    assert tampered(URL, "/s/abc", "segment", 1) == "http://portal.test/s/abc/manage/43/sig?exp=1700&v=xyz"
    assert tampered(URL, "/s/abc", "segment", 4) == tampered(URL, "/s/abc", "segment", 1)


def test_a_query_value_or_a_segment_when_there_is_no_query() -> None:
    assert tampered(URL, "/s/abc", "query", 0) == "http://portal.test/s/abc/manage/42/sig?exp=1701&v=xyz"
    assert tampered("http://p.test/s/a/x/9", "/s/a", "query", 1) == "http://p.test/s/a/x/10"
