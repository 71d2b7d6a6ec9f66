"""What events holds about a person, for subject access and erasure (registered in apps.py)."""

import uuid
from datetime import datetime

from django.db.models import Q

from engage.rights import SubjectDataProvider
from events.models import Invitation, PanelQuestion, Registration


def _collect(stakeholder) -> dict[str, list[dict]]:
    registrations = [
        {
            "meeting": r.meeting.title,
            "meeting_start": r.meeting.start,
            "status": r.status,
            "breakout": r.breakout.title if r.breakout_id else "",
            "access_requirements": r.access_requirements,
            "attendee_list_ok": r.attendee_list_ok,
            "organisation_name": r.organisation_name,
            "area": r.area.name if r.area_id else "",
            "registered_at": r.created_at,
            "cancelled_at": r.cancelled_at,
            "attended_at": r.attended_at,
            "added_at_the_door": r.walk_in,
            "breakouts_chosen": "; ".join(s.title for s in r.breakout_preferences.all()),
            "waiting_list_position": r.waitlist_position,
            "place_offered_at": r.offered_at,
            "offer_expires_at": r.offer_expires_at,
            "reminders_sent": "; ".join(str(m) for m in r.reminders_sent or []),
            "joining_instructions_sent_at": r.joining_instructions_sent_at,
            "survey_sent_at": r.survey_sent_at,
        }
        for r in Registration.objects.filter(stakeholder=stakeholder)
        .select_related("meeting", "breakout", "area")
        .prefetch_related("breakout_preferences")
        .order_by("created_at", "id")
    ]
    questions = [
        {
            "meeting": q.meeting.title,
            "question": q.text,
            "status": q.status,
            "answer": q.answer,
            "submitted_at": q.submitted_at,
        }
        for q in PanelQuestion.objects.filter(registration__stakeholder=stakeholder)
        .select_related("meeting")
        .order_by("submitted_at", "id")
    ]
    invitations = [
        {
            "meeting": i.campaign.meeting.title,
            "invited_at": i.created_at,
            "email_status": i.email.status if i.email_id else "",
        }
        for i in Invitation.objects.filter(stakeholder=stakeholder)
        .select_related("campaign__meeting", "email")
        .order_by("created_at", "id")
    ]
    return {
        "Meeting registrations": registrations,
        "Questions for the panel": questions,
        "Invitations": invitations,
    }


def _anonymise(stakeholder) -> dict[str, int]:
    removed = {"registration details": 0, "panel question links": 0, "invitation links": 0}
    # Status, area, breakout and attendance stay, so attendance and borough counts stay true.
    for registration in Registration.objects.filter(stakeholder=stakeholder):
        registration.access_requirements = ""
        registration.organisation_name = ""
        registration.attendee_list_ok = False
        registration.token = uuid.uuid4()  # personal registration links stop working
        registration.save(
            update_fields=["access_requirements", "organisation_name", "attendee_list_ok", "token"]
        )
        removed["registration details"] += 1
    # The question stays in the meeting's record; only the link to the person goes.
    removed["panel question links"] = PanelQuestion.objects.filter(
        registration__stakeholder=stakeholder
    ).update(registration=None)
    for invitation in Invitation.objects.filter(stakeholder=stakeholder):
        invitation.token = uuid.uuid4()
        invitation.save(update_fields=["token"])
        removed["invitation links"] += 1
    return removed


def _active_since(when: datetime) -> Q:
    return Q(registrations__created_at__gte=when) | Q(registrations__attended_at__gte=when)


PROVIDER = SubjectDataProvider(
    name="events", collect=_collect, anonymise=_anonymise, active_since=_active_since
)
