"""Logging guards: log lines carry ids, never names or addresses.

Code logs ids by convention (`extra={"stakeholder_id": ...}`); this filter is the safety net for
what convention misses (a framework message quoting a URL, an exception text quoting an address).
"""

import logging
import re

# The domain must end in a letter label, so "user:**@127.0.0.1" (a redacted broker URL) is kept.
EMAIL_PATTERN = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@(?:[\w-]+\.)+[A-Za-z][\w-]*")
# Percent-encoded "@" as it appears in a logged URL.
ENCODED_EMAIL_PATTERN = re.compile(r"[\w.%+-]+%40(?:[\w-]+\.)+[A-Za-z][\w-]*", re.IGNORECASE)
REDACTED = "<email>"
# Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


def redact(text: str) -> str:
    return ENCODED_EMAIL_PATTERN.sub(REDACTED, EMAIL_PATTERN.sub(REDACTED, text))


class RedactEmailsFilter(logging.Filter):
    """Replace email addresses in the message, its arguments and string extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call still gets logged, as logging itself would
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        for key, value in list(vars(record).items()):
            if key in _STANDARD_ATTRS or value is None or isinstance(value, bool | int | float):
                continue
            # Objects such as Django's `request` would be written out as their repr (with the
            # URL); keep only a redacted string of them.
            setattr(record, key, redact(value if isinstance(value, str) else str(value)))
        if record.exc_info:
            # Formatters print exc_text when exc_info is gone; the traceback keeps its lines.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
