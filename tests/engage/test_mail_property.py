"""Property: consent withdrawn between queueing and sending means nothing is sent, whatever the
email (every template under templates/emails/), purpose, queueing path and sending path."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from engage.enums import ConsentMethod, EmailStatus
from engage.mail import sending
from engage.mail.services import BulkRecipient, email_queue, emails_queue_bulk
from engage.models import ConsentPurpose, OutboundEmail
from engage.services import consent_give, consent_withdraw
from tests.factories import StakeholderFactory

TEMPLATES = sorted(
    str(path.relative_to(Path(django_settings.BASE_DIR) / "templates" / "emails")).removesuffix(
        "_subject.txt"
    )
    for path in (Path(django_settings.BASE_DIR) / "templates" / "emails").rglob("*_subject.txt")
)
# Account mail has no purpose, so there is no consent to withdraw.
TEMPLATES = [name for name in TEMPLATES if not name.startswith("account/")]

words = st.text(
    alphabet=st.characters(categories=["L", "N", "Zs"], include_characters="&<>'\"-,."),
    max_size=30,
)
contexts = st.fixed_dictionaries(
    {
        "meeting_title": words,
        "first_name": words,
        "days": st.integers(min_value=1, max_value=14),
        "code": words,
        "recipient": st.fixed_dictionaries({"first_name": words, "invitation_url": words}),
        # The meeting record's emails (feedback/report_published, feedback/responses_published).
        "report_title": words,
        "responses": st.lists(
            st.fixed_dictionaries({"you_said": words, "we_did": words, "status": words}),
            max_size=3,
        ),
    }
)


def test_every_email_template_is_covered():
    assert "events/invitation" in TEMPLATES and len(TEMPLATES) >= 10
    assert {"feedback/report_published", "feedback/responses_published"} <= set(TEMPLATES)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    template=st.sampled_from(TEMPLATES),
    purpose_slug=st.sampled_from(["meeting-invitations", "action-plan-news"]),
    bulk=st.booleans(),
    esp_batch=st.booleans(),
    context=contexts,
)
def test_consent_withdrawn_before_sending_means_nothing_is_sent(
    ses,  # noqa: F811
    settings,
    template,
    purpose_slug,
    bulk,
    esp_batch,
    context,
):
    settings.ENGAGE_MAIL_ESP_BATCH = esp_batch
    purpose = ConsentPurpose.objects.get(slug=purpose_slug)
    keeps, withdraws = StakeholderFactory(), StakeholderFactory()
    for person in (keeps, withdraws):
        consent_give(stakeholder=person, purpose=purpose, method=ConsentMethod.WEB)
    if bulk:
        shared = {k: v for k, v in context.items() if k != "recipient"}
        ids = emails_queue_bulk(
            template=template,
            context=shared,
            recipients=[
                BulkRecipient(to_email=p.email, stakeholder_id=p.pk, values=context["recipient"])
                for p in (keeps, withdraws)
            ],
            purpose_slug=purpose_slug,
            send=False,
        )
    else:
        ids = [
            email_queue(
                to_email=p.email,
                template=template,
                context=context,
                stakeholder=p,
                purpose_slug=purpose_slug,
                send=False,
            ).pk
            for p in (keeps, withdraws)
        ]

    consent_withdraw(stakeholder=withdraws, purpose=purpose, method=ConsentMethod.WEB)
    sending.emails_send_batch(email_ids=ids)

    received = [message.to for message in ses.messages]
    assert withdraws.email not in received
    assert received.count(keeps.email) == 1
    statuses = dict(OutboundEmail.objects.filter(pk__in=ids).values_list("to_email", "status"))
    assert statuses == {keeps.email: EmailStatus.SENT, withdraws.email: EmailStatus.SUPPRESSED}
