"""Reads for attendees' feedback: who may answer (by the emailed link or as a signed-in attendee),
the questions a form asks, a person's own earlier answers, and the results in aggregate."""

from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from engage import links
from engage.models import Area, Stakeholder
from events.enums import AnswerSource, MeetingStatus, RegistrationStatus
from events.models import DiscussionQuestion, Meeting, Registration, Session
from feedback import equality
from feedback.enums import SurveyQuestionKind
from feedback.models import EqualityAnswer, MeetingSurvey, SurveyAnswer, SurveyResponse


def respondent_key(*, registration_id: int) -> str:
    """The key that makes one response per registration: a keyed digest, so the database alone
    cannot say whose response it is."""
    return salted_hmac(
        "feedback.survey.respondent", str(registration_id), algorithm="sha256"
    ).hexdigest()


class SurveyRefused(Exception):
    """Why this visitor cannot answer; `reason` picks the page they see."""

    def __init__(self, reason: str, *, survey: MeetingSurvey | None = None):
        super().__init__(reason)
        self.reason = (
            reason  # invalid, expired, other_meeting, closed, not_open, sign_in, not_attended
        )
        self.survey = survey


@dataclass(frozen=True)
class SurveyAccess:
    registration: Registration
    by_token: bool

    @property
    def key(self) -> str:
        return respondent_key(registration_id=self.registration.pk)


def survey_access(*, meeting: Meeting, token: str, user) -> SurveyAccess:
    """Who is answering the meeting's survey: the registration an emailed link names (any
    confirmed registration: the email goes to everyone confirmed when nobody was checked in), or
    the signed-in person's own registration when they were checked in. Raises SurveyRefused."""
    if token:
        try:
            link = links.link_read(token=token, purpose=links.SURVEY)
        except links.LinkExpired:
            raise SurveyRefused("expired") from None
        except links.LinkInvalid:
            raise SurveyRefused("invalid") from None
        registration = (
            Registration.objects.filter(pk=int(link.ref) if link.ref.isdigit() else 0)
            .select_related("meeting")
            .first()
        )
        if registration is None or registration.stakeholder_id != link.stakeholder.pk:
            raise SurveyRefused("invalid")
        if registration.meeting_id != meeting.pk:
            raise SurveyRefused("other_meeting")
        if registration.status != RegistrationStatus.CONFIRMED:
            raise SurveyRefused("invalid")
        return SurveyAccess(registration=registration, by_token=True)
    if not getattr(user, "is_authenticated", False):
        raise SurveyRefused("sign_in")
    registration = Registration.objects.filter(
        meeting=meeting,
        stakeholder__in=Stakeholder.objects.filter(user=user, anonymised_at__isnull=True),
        status=RegistrationStatus.CONFIRMED,
        attended_at__isnull=False,
    ).first()
    if registration is None:
        raise SurveyRefused("not_attended")
    return SurveyAccess(registration=registration, by_token=False)


def survey_open_check(*, survey: MeetingSurvey, meeting: Meeting, now=None) -> None:
    now = now or timezone.now()
    if meeting.status == MeetingStatus.CANCELLED:
        raise SurveyRefused("closed", survey=survey)
    if now < meeting.start:
        raise SurveyRefused("not_open", survey=survey)
    if not survey.is_open(now=now, meeting=meeting):
        raise SurveyRefused("closed", survey=survey)


def survey_questions(*, survey: MeetingSurvey) -> list:
    return list(survey.questions.select_related("discussion_question"))


def feedback_sessions(*, meeting: Meeting) -> list[Session]:
    """The meeting's sessions that ask for session feedback, each with `feedback_questions`."""
    sessions = []
    for session in meeting.sessions.prefetch_related("questions").order_by("start", "order", "id"):
        session.feedback_questions = [
            q
            for q in session.questions.all()
            if AnswerSource.SESSION_FEEDBACK in (q.answer_sources or [])
        ]
        if session.feedback_questions:
            sessions.append(session)
    return sessions


def session_feedback_questions(*, session: Session) -> list[DiscussionQuestion]:
    return [
        q
        for q in session.questions.order_by("order", "id")
        if AnswerSource.SESSION_FEEDBACK in (q.answer_sources or [])
    ]


def response_own(*, survey: MeetingSurvey, access: SurveyAccess, session_id: int | None = None):
    """This registration's earlier response (with its answers), or None."""
    return (
        SurveyResponse.objects.filter(
            survey=survey, respondent_key=access.key, session_id=session_id
        )
        .prefetch_related("answers")
        .first()
    )


def attendee_survey_links(*, meeting: Meeting, user) -> dict | None:
    """For the meeting page: the survey and session feedback links a signed-in attendee may use
    now, or None."""
    try:
        survey_access(meeting=meeting, token="", user=user)
    except SurveyRefused:
        return None
    survey = MeetingSurvey.objects.filter(meeting=meeting).first()
    now = timezone.now()
    if now < meeting.start or meeting.status == MeetingStatus.CANCELLED:
        return None
    if survey is not None and not survey.is_open(now=now, meeting=meeting):
        return None
    return {"meeting": meeting, "sessions": feedback_sessions(meeting=meeting)}


# --- Results, in aggregate ---------------------------------------------------------------------


def survey_open_days() -> int:
    return settings.FEEDBACK_SURVEY_OPEN_DAYS


def small_number_threshold() -> int:
    return settings.ENGAGE_SMALL_NUMBER_THRESHOLD


def suppressed(count: int) -> str:
    """A count for an equality table: the number, or "fewer than N" under the threshold."""
    threshold = small_number_threshold()
    if 0 < count < threshold:
        return _("fewer than %(n)s") % {"n": threshold}
    return f"{count:,}"


def _ratings(answers) -> dict:
    stats = answers.filter(rating__isnull=False).aggregate(count=Count("id"), average=Avg("rating"))
    spread = Counter(answers.filter(rating__isnull=False).values_list("rating", flat=True))
    return {
        "count": stats["count"],
        "average": round(stats["average"], 1) if stats["average"] is not None else None,
        "spread": [(n, spread.get(n, 0)) for n in range(1, 6)],
    }


def survey_results(*, survey: MeetingSurvey) -> dict:
    """Counts, average ratings and the free-text answers, for the staff results page. Nothing
    here says who answered; equality answers are counted separately and suppressed."""
    responses = SurveyResponse.objects.filter(survey=survey)
    questions = []
    area_names = dict(Area.objects.values_list("pk", "name"))
    for question in survey.questions.all():
        answers = SurveyAnswer.objects.filter(question=question)
        row = {"question": question, "answered": answers.count()}
        if question.kind == SurveyQuestionKind.RATING:
            row["ratings"] = _ratings(answers)
        elif question.kind == SurveyQuestionKind.CHOICE:
            counts = Counter(answers.exclude(choice="").values_list("choice", flat=True))
            row["counts"] = [(choice, counts.get(choice, 0)) for choice in question.choices] + [
                (choice, n) for choice, n in counts.items() if choice not in question.choices
            ]
        elif question.kind == SurveyQuestionKind.AREA:
            counts = Counter(answers.filter(area__isnull=False).values_list("area_id", flat=True))
            row["counts"] = sorted(
                ((area_names.get(pk, "?"), n) for pk, n in counts.items()),
                key=lambda c: (-c[1], c[0]),
            )
        else:
            row["texts"] = list(answers.exclude(text="").values_list("text", flat=True))
        questions.append(row)
    sessions = []
    for session in feedback_sessions(meeting=survey.meeting):
        rows = []
        for question in session.feedback_questions:
            answers = SurveyAnswer.objects.filter(
                discussion_question=question, response__survey=survey, response__session=session
            )
            rows.append(
                {
                    "question": question,
                    "ratings": _ratings(answers),
                    "texts": list(answers.exclude(text="").values_list("text", flat=True)),
                }
            )
        sessions.append(
            {
                "session": session,
                "responses": responses.filter(session=session).count(),
                "questions": rows,
            }
        )
    return {
        "responses": responses.filter(session__isnull=True).count(),
        "identified": responses.filter(session__isnull=True, stakeholder__isnull=False).count(),
        "questions": questions,
        "sessions": sessions,
        "equality": equality_results(survey=survey),
    }


def equality_results(*, survey: MeetingSurvey) -> list[dict]:
    """Each equality question's answers counted, every count under the threshold shown as
    "fewer than N". No total is shown beside them: a total minus the shown counts would give a
    suppressed one away."""
    counts = Counter(EqualityAnswer.objects.filter(survey=survey).values_list("question", "value"))
    return [
        {
            "question": question,
            "rows": [
                (label, suppressed(counts.get((question.slug, value), 0)))
                for value, label in question.options
            ],
        }
        for question in equality.QUESTIONS
    ]
