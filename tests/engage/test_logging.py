import logging

import pytest

from engage.logging import RedactEmailsFilter, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sent to jo.bloggs@example.org.", "sent to <email>."),
        ("Not Found: /join/?email=jo%40example.co.uk&x=1", "Not Found: /join/?email=<email>&x=1"),
        ("Jo Bloggs <jo+engage@mail.example.org>", "Jo Bloggs <<email>>"),
        ("Connected to redis://:**@127.0.0.1:6379/1", "Connected to redis://:**@127.0.0.1:6379/1"),
        ("stakeholder 42 imported", "stakeholder 42 imported"),
    ],
)
def test_redact_hides_addresses_and_keeps_the_rest(text, expected):
    assert redact(text) == expected


def test_the_filter_redacts_arguments_extras_and_tracebacks():
    try:
        raise ValueError("bad address jo@example.org")
    except ValueError:
        record = logging.LogRecord(
            "engage", logging.ERROR, __file__, 1, "mail to %s failed", ("jo@example.org",), None
        )
        import sys

        record.exc_info = sys.exc_info()
    record.to = "jo@example.org"
    record.stakeholder_id = 7

    assert RedactEmailsFilter().filter(record) is True

    formatted = logging.Formatter("%(message)s %(to)s %(stakeholder_id)s").format(record)
    assert "jo@example.org" not in formatted
    assert formatted.startswith("mail to <email> failed <email> 7\nTraceback")
    assert formatted.endswith("ValueError: bad address <email>")
