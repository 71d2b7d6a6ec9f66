"""Helpers shared by the mail tests: consenting people, queued invitations, a bulk queue."""

from engage.enums import ConsentAction, ConsentMethod
from engage.mail.services import BulkRecipient, email_queue, emails_queue_bulk
from tests.factories import ConsentPurposeFactory, ConsentRecordFactory, StakeholderFactory

PURPOSE = "meeting-invitations"


def consented(**kwargs):
    stakeholder = StakeholderFactory(**kwargs)
    ConsentRecordFactory(stakeholder=stakeholder, purpose=ConsentPurposeFactory(slug=PURPOSE))
    return stakeholder


def withdraw(stakeholder):
    ConsentRecordFactory(
        stakeholder=stakeholder,
        purpose=ConsentPurposeFactory(slug=PURPOSE),
        action=ConsentAction.WITHDRAWN,
        method=ConsentMethod.WEB,
    )


def queue_invitation(stakeholder, **kwargs):
    return email_queue(
        to_email=stakeholder.email,
        template="events/meeting_cancelled",
        context={
            "meeting_title": "Public review meeting",
            "recipient": {"first_name": stakeholder.first_name},
        },
        stakeholder=stakeholder,
        purpose_slug=PURPOSE,
        **kwargs,
    )


def bulk_invitations(recipients, **kwargs):
    return emails_queue_bulk(
        template="events/invitation",
        context={
            "meeting_title": "Public review meeting",
            "meeting_when": "Thursday 25 February 2027, 6pm",
            "subject": "Invitation: public review meeting",
            "meeting_format": "in_person",
        },
        recipients=[
            BulkRecipient(
                to_email=s.email,
                stakeholder_id=s.pk,
                values={
                    "first_name": s.first_name,
                    "invitation_url": f"http://testserver/register/{s.pk}/",
                    "organisation_line": "",
                },
                dedupe_key=f"test-bulk:{s.pk}",
            )
            for s in recipients
        ],
        purpose_slug=PURPOSE,
        **kwargs,
    )
