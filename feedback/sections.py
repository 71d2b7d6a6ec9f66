"""Feedback's sections of the meeting pages, registered into events.sections in
FeedbackConfig.ready (events never names feedback's URLs), and the survey link events' survey
email carries."""

from django.urls import reverse

from engage import links
from engage.mail.rendering import absolute_url
from events.sections import Section, register_meeting_section
from feedback.selectors import meeting_record_summary
from feedback.selectors.survey import attendee_survey_links


def _public_record(*, meeting, request=None) -> Section | None:
    summary = meeting_record_summary(meeting_id=meeting.pk)
    if not (summary["report_title"] or summary["responses"]):
        return None
    return Section("feedback/public/_record_link.html", {"meeting": meeting, **summary})


def _public_survey(*, meeting, request=None) -> Section | None:
    """The survey and session feedback links, for a signed-in person who was there."""
    if request is None or not request.user.is_authenticated:
        return None
    context = attendee_survey_links(meeting=meeting, user=request.user)
    if context is None:
        return None
    return Section("feedback/public/_survey_section.html", context)


def _staff_record(*, meeting, request=None) -> Section:
    sessions = list(meeting.sessions.all())
    return Section(
        "feedback/staff/_meeting_section.html", {"meeting": meeting, "sessions": sessions}
    )


def _staff_survey(*, meeting, request=None) -> Section:
    return Section("feedback/staff/_survey_section.html", {"meeting": meeting})


def survey_link(*, registration) -> str:
    """The survey link mailed to one registrant: a signed token naming the registration."""
    path = reverse("feedback:survey", args=[registration.meeting.slug])
    token = links.link_token(
        stakeholder=registration.stakeholder,
        purpose=links.SURVEY,
        path=path,
        ref=str(registration.pk),
    )
    return absolute_url(f"{path}?t={token}")


def register() -> None:
    register_meeting_section(page="public", name="feedback.record", provider=_public_record)
    register_meeting_section(page="public", name="feedback.survey", provider=_public_survey)
    register_meeting_section(page="staff", name="feedback.record", provider=_staff_record)
    register_meeting_section(page="staff", name="feedback.survey", provider=_staff_survey)
