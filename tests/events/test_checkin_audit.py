"""Check-in changes are written to the audit log, on the person's record (so subject access
shows them), with ids only; checking in twice writes one row."""

import json

import pytest

from engage import rights
from engage.enums import AuditAction
from engage.models import AuditLog, Stakeholder
from events import services
from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db


def test_checking_in_and_undoing_it_are_audited_once_each(facilitator, consent_purposes):
    registration = RegistrationFactory(stakeholder__first_name="Ngozi")

    services.registration_mark_attended(registration_id=registration.pk, actor=facilitator)
    services.registration_mark_attended(registration_id=registration.pk, actor=facilitator)
    services.registration_mark_attended(
        registration_id=registration.pk, attended=False, actor=facilitator
    )

    rows = list(
        AuditLog.objects.filter(
            object_type=Stakeholder._meta.label_lower, object_id=str(registration.stakeholder_id)
        ).order_by("at", "id")
    )
    assert [(r.actor, r.action, r.detail["attended"]) for r in rows] == [
        (facilitator, AuditAction.EDIT, True),
        (facilitator, AuditAction.EDIT, False),
    ]
    assert rows[0].detail == {
        "kind": "check-in",
        "meeting_id": registration.meeting_id,
        "registration_id": registration.pk,
        "attended": True,
    }
    assert "Ngozi" not in json.dumps([r.detail for r in rows])
    sections = rights.subject_access_collect(stakeholder=registration.stakeholder)
    assert len(sections["Staff actions on your record"]) == 2
