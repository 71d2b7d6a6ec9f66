"""The one outbound-mail path. Every email the system sends is queued here and sent by a task."""

import logging

from django.db import transaction
from django.template.loader import render_to_string

from engage.models import ConsentPurpose, OutboundEmail

logger = logging.getLogger(__name__)


def email_render(*, template: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML bodies from templates/emails/<template>_{subject.txt,message.txt,message.html}."""
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}_message.txt", context)
    try:
        html = render_to_string(f"emails/{template}_message.html", context)
    except Exception:  # TemplateDoesNotExist: a text-only mail
        html = ""
    return subject, text, html


def email_queue(
    *,
    to_email: str,
    template: str,
    context: dict,
    stakeholder=None,
    purpose_slug: str | None = None,
    dedupe_key: str | None = None,
    calendar: str = "",
    calendar_method: str = "",
    headers: dict | None = None,
) -> OutboundEmail:
    """Persist one email and send it after commit.

    Side effects: creates an OutboundEmail row (or returns the existing one for `dedupe_key`) and
    queues `engage.mail.send` on commit. Mail with a purpose is sent only if the stakeholder's
    consent for it still stands at send time.
    """
    if dedupe_key:
        existing = OutboundEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    purpose = ConsentPurpose.objects.get(slug=purpose_slug) if purpose_slug else None
    subject, text, html = email_render(template=template, context=context)
    email = OutboundEmail.objects.create(
        stakeholder=stakeholder,
        to_email=to_email,
        purpose=purpose,
        template=template,
        subject=subject,
        body_text=text,
        body_html=html,
        calendar=calendar,
        calendar_method=calendar_method,
        headers=headers or {},
        dedupe_key=dedupe_key,
    )
    from engage.mail.tasks import email_send_task

    transaction.on_commit(lambda: email_send_task.delay(email.pk))
    logger.info("email queued", extra={"email_id": email.pk, "template": template})
    return email
