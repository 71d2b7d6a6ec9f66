"""One row as a message: its links, its bodies rendered here when it was queued in bulk, the
headers (List-Unsubscribe written whole), calendar parts. Used by the hand-over (engage.mail.esp)."""

from email import headerregistry
from email import policy as email_policy

from django.core.mail import EmailMultiAlternatives

from engage.mail.backends import EMAIL_ID_HEADER
from engage.mail.rendering import (
    email_render,
    footer_context,
    stakeholder_links,
    unsubscribe_headers,
)
from engage.models import OutboundEmail


def row_links(row: OutboundEmail) -> dict[str, str]:
    # Kept on the row: rendering and the unsubscribe headers both need them (signing costs).
    links = getattr(row, "_engage_links", None)
    if links is None:
        links = {}
        if row.stakeholder is not None:
            links = stakeholder_links(
                stakeholder=row.stakeholder,
                purpose_slug=row.purpose.slug if row.purpose else "",
                sent_to=row.to_email,
            )
        row._engage_links = links
    return links


def row_render(row: OutboundEmail) -> bool:
    """Rows queued in bulk carry a template and merge data; render them now, once."""
    if row.body_text:
        return False
    links = row_links(row)
    context = {**row.context}
    context["recipient"] = {**context.get("recipient", {}), **links}
    footer = (
        footer_context(purpose_name=row.purpose.name if row.purpose else "", links=links)
        if links
        else None
    )
    row.subject, row.body_text, row.body_html = email_render(
        template=row.template, context=context, footer=footer
    )
    return True


class _HeaderRegistry(headerregistry.HeaderRegistry):
    """The standard registry builds a new class for every header of every message (type() on
    each lookup; about 6% of the CPU of sending a rendered message as raw MIME). The classes hold
    no state, so one per header name does."""

    def __init__(self):
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name):
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


class _URLListHeader(headerregistry.UnstructuredHeader):
    """List-Unsubscribe is `<https://...>`: ASCII with no spaces to fold at. The default policy
    then RFC 2047-encodes it to keep lines under 78 characters, and mailbox providers do not
    decode that header. Written whole instead (a line may have 998 characters)."""

    def fold(self, *, policy):
        return f"{self.name}: {self}{policy.linesep}"


_REGISTRY = _HeaderRegistry()
_REGISTRY.map_to_type("list-unsubscribe", _URLListHeader)
_POLICY = email_policy.default.clone(header_factory=_REGISTRY)


class _EmailMessage(EmailMultiAlternatives):
    def message(self, *, policy=_POLICY):
        # The SMTP backend asks for email.policy.SMTP (CRLF line ends): keep our headers there too.
        if policy.header_factory is not _REGISTRY:
            policy = policy.clone(header_factory=_REGISTRY)
        return super().message(policy=policy)


def email_build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    """The message for one row: text and HTML bodies, calendar parts, the unsubscribe headers."""
    headers = {**email.headers, EMAIL_ID_HEADER: str(email.pk)}
    if email.purpose_id and email.stakeholder_id:
        headers.update(unsubscribe_headers(row_links(email).get("unsubscribe_url", "")))
    message = _EmailMessage(
        subject=email.subject, body=email.body_text, to=[email.to_email], headers=headers
    )
    # anymail: travels as a header at SES and comes back in webhook events (reconciliation).
    message.metadata = {"email_id": str(email.pk)}
    # Without calendar parts SES can assemble the MIME itself (engage.mail.backends).
    message.engage_simple_content = not email.calendar
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    if email.calendar:
        method = email.calendar_method or "PUBLISH"
        message.attach_alternative(email.calendar, f"text/calendar; method={method}")
        message.attach("invite.ics", email.calendar, f"application/ics; method={method}")
    return message


def esp_message_id(message) -> str:
    status = getattr(message, "anymail_status", None)
    return (status.message_id or "") if status is not None else ""
