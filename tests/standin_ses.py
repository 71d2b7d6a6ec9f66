"""A local stand-in for the Amazon SES v2 API, for tests, benches and offline development.

It answers the calls the backends make (SendEmail with raw MIME or Simple content, SendBulkEmail
with template content and per-recipient merge data), records every message it accepts, can add
latency and answer with errors on demand, and can report what it accepted as SES "Send" events
(SNS notifications) for the tracking webhook. Point the app at it with ENGAGE_MAIL_ESP_ENDPOINT_URL.

    with StandInSES() as esp:
        settings.ENGAGE_MAIL_ESP_ENDPOINT_URL = esp.url
        ...
        esp.messages  # [Accepted(to=..., email_id=..., subject=..., text=..., html=..., headers=...)]

Run standalone: `python -m tests.standin_ses --port 8025`.
"""

import base64
import email
import email.policy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_EMAIL_ID = re.compile(rb"^X-Engage-Email-Id: *(\d+)", re.MULTILINE | re.IGNORECASE)


@dataclass
class Accepted:
    to: str
    message_id: str
    email_id: str
    subject: str
    text: str
    html: str
    headers: dict = field(default_factory=dict)
    bulk: bool = False
    raw: bytes = b""


def _substitute(template: str, data: dict) -> str:
    return _PLACEHOLDER.sub(lambda m: str(data.get(m.group(1), "")), template or "")


class StandInSES:
    """A threaded HTTP server speaking enough of SES v2 for anymail's Amazon SES backend."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        keep_raw: bool = True,
        keep_bodies: bool = True,
    ):
        self.latency = latency
        self.keep_raw = keep_raw
        # A bench of 100,000 messages keeps only who got what, not every body.
        self.keep_bodies = keep_bodies
        self.messages: list[Accepted] = []
        self.calls = 0
        self._failures: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "StandInSES":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, status: int, *, times: int = 1, code: str = "") -> None:
        """Answer the next `times` send calls with HTTP `status` (429 throttling, 5xx, 4xx)."""
        code = code or {429: "TooManyRequestsException", 400: "BadRequestException"}.get(
            status, "InternalFailure"
        )
        with self._lock:
            self._failures += [(status, code)] * times

    def recipients(self) -> list[str]:
        return [message.to for message in self.messages]

    def sns_send_events(self) -> list[dict]:
        """An SES "Send" event per accepted message, as SNS would post it to the webhook."""
        notes = []
        for message in list(self.messages):
            ses_event = {
                "eventType": "Send",
                "mail": {
                    "messageId": message.message_id,
                    "destination": [message.to],
                    "headers": [
                        {"name": "X-Metadata", "value": json.dumps({"email_id": message.email_id})}
                    ],
                },
                "send": {},
            }
            notes.append(sns_notification(ses_event))
        return notes

    # --- the HTTP side ---------------------------------------------------------------------
    def _accept_simple(self, body: dict) -> dict:
        simple = body["Content"]["Simple"]
        headers = {h["Name"]: h["Value"] for h in simple.get("Headers", [])}
        metadata = json.loads(headers.get("X-Metadata", "{}") or "{}")
        email_id = str(metadata.get("email_id", headers.get("X-Engage-Email-Id", "")))
        message_id = f"standin-{uuid.uuid4().hex}"
        for address in body.get("Destination", {}).get("ToAddresses", []):
            if not self.keep_bodies:
                self.messages.append(Accepted(address, message_id, email_id, "", "", ""))
                continue
            self.messages.append(
                Accepted(
                    to=address,
                    message_id=message_id,
                    email_id=email_id,
                    subject=simple["Subject"]["Data"],
                    text=simple["Body"].get("Text", {}).get("Data", ""),
                    html=simple["Body"].get("Html", {}).get("Data", ""),
                    headers={"From": body.get("FromEmailAddress", ""), **headers},
                )
            )
        return {"MessageId": message_id}

    def _accept_raw(self, body: dict) -> dict:
        if "Simple" in body["Content"]:
            return self._accept_simple(body)
        raw = base64.b64decode(body["Content"]["Raw"]["Data"])
        if not self.keep_bodies:  # a bench: who got which email is all that is kept
            message_id = f"standin-{uuid.uuid4().hex}"
            found = _EMAIL_ID.search(raw)
            for address in body.get("Destination", {}).get("ToAddresses", []):
                email_id = found.group(1).decode() if found else ""
                self.messages.append(Accepted(address, message_id, email_id, "", "", ""))
            return {"MessageId": message_id}
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        text = html = ""
        for part in parsed.walk():
            if part.get_content_type() == "text/plain" and not text:
                text = part.get_content()
            elif part.get_content_type() == "text/html" and not html:
                html = part.get_content()
        metadata = json.loads(parsed.get("X-Metadata", "{}") or "{}")
        message_id = f"standin-{uuid.uuid4().hex}"
        to = body.get("Destination", {}).get("ToAddresses") or [parsed["To"]]
        for address in to:
            self.messages.append(
                Accepted(
                    to=address,
                    message_id=message_id,
                    email_id=str(metadata.get("email_id", parsed.get("X-Engage-Email-Id", ""))),
                    subject=str(parsed["Subject"]),
                    text=text if self.keep_bodies else "",
                    html=html if self.keep_bodies else "",
                    headers={k: str(v) for k, v in parsed.items()} if self.keep_bodies else {},
                    raw=raw if self.keep_raw else b"",
                )
            )
        return {"MessageId": message_id}

    def _accept_bulk(self, body: dict) -> dict:
        template = body["DefaultContent"]["Template"]
        content = template.get("TemplateContent") or {}
        defaults = json.loads(template.get("TemplateData") or "{}")
        results = []
        for entry in body["BulkEmailEntries"]:
            data = {
                **defaults,
                **json.loads(
                    entry.get("ReplacementEmailContent", {})
                    .get("ReplacementTemplate", {})
                    .get("ReplacementTemplateData", "{}")
                ),
            }
            headers = {h["Name"]: h["Value"] for h in entry.get("ReplacementHeaders", [])}
            metadata = json.loads(headers.get("X-Metadata", "{}"))
            message_id = f"standin-{uuid.uuid4().hex}"
            for address in entry["Destination"]["ToAddresses"]:
                self.messages.append(
                    Accepted(
                        to=address,
                        message_id=message_id,
                        email_id=str(
                            metadata.get("email_id", headers.get("X-Engage-Email-Id", ""))
                        ),
                        subject=_substitute(content.get("Subject", ""), data),
                        text=_substitute(content.get("Text", ""), data) if self.keep_bodies else "",
                        html=_substitute(content.get("Html", ""), data) if self.keep_bodies else "",
                        headers=headers,
                        bulk=True,
                    )
                )
            results.append({"Status": "SUCCESS", "MessageId": message_id})
        return {"BulkEmailEntryResults": results}

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as boto3 pools its connections
            disable_nagle_algorithm = True  # TCP_NODELAY: otherwise each reply waits ~40 ms

            def log_message(self, *args):
                pass

            def _reply(self, status: int, payload: dict, error_code: str = "") -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if error_code:
                    self.send_header("x-amzn-ErrorType", error_code)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if standin.latency:
                    time.sleep(standin.latency)
                with standin._lock:
                    standin.calls += 1
                    failure = standin._failures.pop(0) if standin._failures else None
                    if failure is None:
                        if self.path.endswith("/outbound-bulk-emails"):
                            answer = standin._accept_bulk(body)
                        elif self.path.endswith("/outbound-emails"):
                            answer = standin._accept_raw(body)
                        else:
                            failure = (404, "NotFoundException")
                if failure is not None:
                    status, code = failure
                    self._reply(status, {"message": f"stand-in {code}"}, code)
                    return
                self._reply(200, answer)

        return Handler


def sns_notification(ses_event: dict) -> dict:
    """Wrap an SES event as the SNS notification the tracking webhook receives."""
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": "arn:aws:sns:eu-west-2:000000000000:engage-ses-events",
        "Message": json.dumps(ses_event),
        "Timestamp": "2026-11-23T12:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "stand-in",
    }


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    with StandInSES(port=args.port, latency=args.latency) as esp:
        print(f"stand-in SES on {esp.url}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
