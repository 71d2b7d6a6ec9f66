"""List-Unsubscribe leaves every backend as `<https://...>`, never RFC 2047 encoded: read from the
raw bytes an SMTP server received (a local sink, the network edge) and from the requests the
stand-in SES received (Simple content, and raw MIME for mail with a calendar part)."""

import re
import socketserver
import threading

import pytest

from engage.mail import sending
from engage.models import OutboundEmail
from tests.engage.mail_support import consented, queue_invitation

UNSUBSCRIBE = re.compile(rb"^List-Unsubscribe: <(https?://[^>\s]+/unsubscribe/[^>\s]+)>\r?$", re.M)


class _SMTPSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to take messages; keeps each DATA section's bytes as received."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.received: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _SMTPHandler)


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 sink\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in {b"EHLO", b"HELO"}:
                self.wfile.write(b"250 sink\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in {b".\r\n", b""}:
                    data += chunk
                self.server.received.append(data)
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_sink(settings):
    sink = _SMTPSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    host, port = sink.server_address
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": host, "port": port, "timeout": 5},
        }
    }
    yield sink
    sink.shutdown()
    sink.server_close()


def _expected_url(email: OutboundEmail) -> bytes:
    # The footer's link up to its signing time (header and body are signed moments apart).
    url = re.search(r"(http\S+/unsubscribe/\S+)", email.body_text).group(1)
    return url.rsplit(":", 2)[0].encode()


@pytest.mark.django_db
def test_smtp_carries_list_unsubscribe_unencoded(smtp_sink):
    email = queue_invitation(consented(), send=False)

    sending.emails_send_batch(email_ids=[email.pk])

    [raw] = smtp_sink.received
    assert b"=?utf-8?" not in raw.split(b"\r\n\r\n", 1)[0]
    email.refresh_from_db()
    assert UNSUBSCRIBE.search(raw).group(1).startswith(_expected_url(email))
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


@pytest.mark.django_db
def test_ses_simple_content_carries_list_unsubscribe_unencoded(ses):
    email = queue_invitation(consented(), send=False)

    sending.emails_send_batch(email_ids=[email.pk])

    [accepted] = ses.messages
    email.refresh_from_db()
    header = accepted.headers["List-Unsubscribe"].encode()
    assert (
        UNSUBSCRIBE.search(b"List-Unsubscribe: " + header).group(1).startswith(_expected_url(email))
    )


@pytest.mark.django_db
def test_ses_raw_mime_carries_list_unsubscribe_unencoded(ses):
    calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"
    email = queue_invitation(consented(), send=False, calendar=calendar, calendar_method="REQUEST")

    sending.emails_send_batch(email_ids=[email.pk])

    [accepted] = ses.messages
    head = accepted.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    assert b"=?utf-8?q?=3Chttp" not in head
    email.refresh_from_db()
    assert UNSUBSCRIBE.search(accepted.raw).group(1).startswith(_expected_url(email))
