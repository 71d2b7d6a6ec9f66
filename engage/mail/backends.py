"""The last hop of the one mail path: the local outbox folder, or Amazon SES through anymail."""

import os
import re
import uuid
from pathlib import Path

from anymail.backends.amazon_ses import AmazonSESV2SendBulkEmailPayload
from anymail.backends.amazon_ses import EmailBackend as AnymailSESBackend
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

# Every message carries its OutboundEmail id, so a stale claim can be checked against what the
# last hop actually accepted (see engage.mail.sending.emails_reconcile).
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


_SES_CLIENTS: dict[str, object] = {}


class AmazonSESBackend(AnymailSESBackend):
    """anymail's Amazon SES (v2) backend, with three project choices:

    - ENGAGE_MAIL_ESP_ENDPOINT_URL points it at another API URL (a local stand-in ESP);
    - botocore's own retries are off unless configured, so engage.mail's policy (backoff with
      jitter, a bounded number of attempts, 4xx never retried) is the only one;
    - batches whose message has `engage_template_content` go out as one SendBulkEmail call with
      the content inline and per-recipient merge data and headers.
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
            from botocore.client import Config

            self.client_params["config"] = config.merge(
                Config(retries={"total_max_attempts": 1, "mode": "standard"})
            )
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
        return super().build_message_payload(message, defaults)
