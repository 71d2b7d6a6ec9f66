"""The last hop of the one mail path: the local outbox folder, or Amazon SES through anymail."""

import os
import re
import uuid
from email.header import Header
from pathlib import Path

from anymail.backends.amazon_ses import (
    AmazonSESBasePayload,
    AmazonSESV2SendBulkEmailPayload,
    AmazonSESV2SendEmailPayload,
)
from anymail.backends.amazon_ses import EmailBackend as AnymailSESBackend
from anymail.backends.base import BasePayload
from botocore.client import Config
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

# Every message carries its OutboundEmail id, so a stale claim can be checked against what the
# last hop actually accepted (see engage.mail.reconcile.emails_reconcile).
EMAIL_ID_HEADER = "X-Engage-Email-Id"
_OUTBOX_NAME = re.compile(r"-e(\d+)\.eml$")


class OutboxBackend(BaseEmailBackend):
    """The embedded default: each message becomes one .eml file in EMAIL_OUTBOX_DIR."""

    def send_messages(self, email_messages) -> int:
        outbox = Path(settings.EMAIL_OUTBOX_DIR)
        outbox.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            email_id = str(message.extra_headers.get(EMAIL_ID_HEADER, ""))
            suffix = f"-e{email_id}" if email_id.isdigit() else ""
            path = outbox / f"{stamp}-{uuid.uuid4().hex[:8]}{suffix}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(message.message().as_bytes())
            tmp.rename(path)  # readers never see half a message
            sent += 1
        return sent

    def accepted_email_ids(self, email_ids: set[int]) -> set[int]:
        """Which of these emails are already in the outbox (evidence for a stale claim)."""
        outbox = Path(settings.EMAIL_OUTBOX_DIR)
        if not outbox.exists():
            return set()
        found = set()
        with os.scandir(outbox) as entries:
            for entry in entries:
                match = _OUTBOX_NAME.search(entry.name)
                if match and int(match.group(1)) in email_ids:
                    found.add(int(match.group(1)))
        return found


class _InlineTemplateBulkPayload(AmazonSESV2SendBulkEmailPayload):
    """SendBulkEmail with the template content in the request instead of a template stored at SES
    (SES then does simple `{{name}}` substitution), so our Django templates stay the only copy."""

    def set_template_id(self, template_id):
        pass  # the content travels inline (finalize_payload)

    def finalize_payload(self):
        super().finalize_payload()
        content = self.message.engage_template_content
        self.params["DefaultContent"] = {
            "Template": {
                "TemplateContent": {
                    "Subject": content["subject"],
                    "Text": content["text"],
                    **({"Html": content["html"]} if content.get("html") else {}),
                },
                "TemplateData": "{}",
            }
        }


class _SimpleContentPayload(AmazonSESV2SendEmailPayload):
    """SendEmail with Simple content: subject, text and HTML bodies and headers, from which SES
    builds the MIME message. Building it here with Python's email package cost more than
    rendering the templates; mail with calendar parts or attachments still goes as raw MIME."""

    def init_payload(self):
        AmazonSESBasePayload.init_payload(self)  # not the raw payload's: no MIME built here
        self.all_recipients = []
        self.simple = {"Subject": {"Data": "", "Charset": "UTF-8"}, "Body": {}}
        self.headers = []

    def set_from_email(self, email):
        self.params["FromEmailAddress"] = email.format(
            use_rfc2047=True, idna_encode=self.backend.idna_encode
        )

    def set_reply_to(self, emails):
        if emails:
            self.params["ReplyToAddresses"] = [
                email.format(use_rfc2047=True, idna_encode=self.backend.idna_encode)
                for email in emails
            ]

    def set_subject(self, subject):
        self.simple["Subject"]["Data"] = subject

    def set_text_body(self, body):
        self.simple["Body"]["Text"] = {"Data": body, "Charset": "UTF-8"}

    def set_html_body(self, body):
        self.simple["Body"]["Html"] = {"Data": body, "Charset": "UTF-8"}

    # The raw payload ignores these (its MIME already holds them); the base class's versions
    # hand each part to set_html_body / add_alternative / add_attachment.
    set_alternatives = BasePayload.set_alternatives
    set_attachments = BasePayload.set_attachments

    def add_alternative(self, content, mimetype):
        self.unsupported_feature(f"{mimetype} alternative in a simple message")

    def add_attachment(self, attachment):
        self.unsupported_feature("attachments in a simple message")

    def _add_header(self, name, value):
        value = str(value)
        if not value.isascii():  # header values travel as 7-bit text
            value = Header(value, "utf-8").encode()
        self.headers.append({"Name": name, "Value": value})

    def set_extra_headers(self, headers):
        for name, value in headers.items():
            self._add_header(name, value)

    def set_metadata(self, metadata):
        # The same header the raw payload carries: SES events echo it to the tracking webhook.
        self._add_header("X-Metadata", self.serialize_json(metadata))

    def set_tags(self, tags):
        for tag in tags:
            self._add_header("X-Tag", tag)

    def set_spoofed_to_header(self, header_to):
        self.unsupported_feature("a To header other than the recipients")

    def finalize_payload(self):
        content = dict(self.simple)
        if self.headers:
            content["Headers"] = self.headers
        self.params["Content"] = {"Simple": content}


_SES_CLIENTS: dict[str, object] = {}


class AmazonSESBackend(AnymailSESBackend):
    """anymail's Amazon SES (v2) backend, with three project choices:

    - ENGAGE_MAIL_ESP_ENDPOINT_URL points it at another API URL (a local stand-in ESP);
    - botocore's own retries are off unless configured, so engage.mail's policy (backoff with
      jitter, a bounded number of attempts, 4xx never retried) is the only one; so is its
      client-side parameter validation;
    - batches whose message has `engage_template_content` go out as one SendBulkEmail call with
      the content inline and per-recipient merge data and headers;
    - a message marked `engage_simple_content` (text, HTML, headers; no calendar part) goes as
      SendEmail with Simple content, so SES rather than this process assembles the MIME.
    """

    supports_inline_batch = True
    # SES accepts at most 50 destinations per SendBulkEmail call.
    max_batch_size = 50

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        endpoint = getattr(settings, "ENGAGE_MAIL_ESP_ENDPOINT_URL", "")
        if endpoint:
            self.client_params.setdefault("endpoint_url", endpoint)
        config = self.client_params["config"]
        if not config.retries:
            config = config.merge(Config(retries={"total_max_attempts": 1, "mode": "standard"}))
        # Checking every request against the API model client-side cost more CPU than building
        # it (a 50-recipient batch is a deep structure); SES validates what it receives anyway.
        options = getattr(config, "_user_provided_options", {})
        if "parameter_validation" not in options:
            config = config.merge(Config(parameter_validation=False))
        self.client_params["config"] = config
        self.client_params.setdefault("region_name", "eu-west-2")

    def open(self):
        # Creating a boto3 client costs ~100 ms; one per process is reused by every send (boto3
        # clients are thread-safe; their connection pool keeps the ESP connection warm).
        if self.client:
            return False
        params = {k: v for k, v in self.client_params.items() if k != "config"}
        config = getattr(self.client_params.get("config"), "_user_provided_options", {})
        key = repr((self.session_params, params, sorted(config.items())))
        client = _SES_CLIENTS.get(key)
        if client is None:
            opened = super().open()
            if self.client is None:
                return opened
            _SES_CLIENTS[key] = self.client
            return opened
        self.client = client
        return True

    def close(self):
        self.client = None  # shared, see open()

    def build_message_payload(self, message, defaults):
        if getattr(message, "engage_template_content", None):
            return _InlineTemplateBulkPayload(message, defaults, self)
        if getattr(message, "engage_simple_content", False) and _is_simple(message):
            return _SimpleContentPayload(message, defaults, self)
        return super().build_message_payload(message, defaults)


def _is_simple(message) -> bool:
    """Plain text, at most one HTML alternative, no attachments."""
    alternatives = getattr(message, "alternatives", [])
    return (
        message.content_subtype == "plain"
        and not message.attachments
        and len(alternatives) <= 1
        and all(alternative[1] == "text/html" for alternative in alternatives)
    )
