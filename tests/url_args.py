"""Arguments for every URL that needs them, for tests that visit every guarded page.

Add an entry when you add a page whose URL takes arguments; tests/test_access.py fails until you do.
Each builder receives nothing and creates what it needs with factories.
"""

from collections.abc import Callable

URL_KWARGS: dict[str, Callable[[], dict]] = {}


def url_kwargs_for(url_name: str) -> dict:
    from django.urls import NoReverseMatch, reverse

    builder = URL_KWARGS.get(url_name)
    if builder is not None:
        return builder()
    try:
        reverse(url_name)
    except NoReverseMatch:
        raise AssertionError(f"tests/url_args.py needs an entry for {url_name!r}") from None
    return {}


def _suppression() -> dict:
    from engage.enums import SuppressionReason
    from engage.models import Suppression

    row = Suppression.objects.create(
        email_normalised="never@example.org", reason=SuppressionReason.MANUAL
    )
    return {"pk": row.pk}


def _stakeholder() -> dict:
    from tests.factories import StakeholderFactory

    return {"pk": StakeholderFactory().pk}


URL_KWARGS["engage:suppression_remove"] = _suppression
URL_KWARGS["engage:stakeholder_subject_access"] = _stakeholder
URL_KWARGS["engage:stakeholder_erase"] = _stakeholder


def _campaign() -> dict:
    from tests.factories import CampaignFactory

    return {"pk": CampaignFactory().pk}


URL_KWARGS["events:campaign_detail"] = _campaign
URL_KWARGS["events:campaign_recipients"] = _campaign
URL_KWARGS["events:campaign_send"] = _campaign
URL_KWARGS["events:campaign_test"] = _campaign
URL_KWARGS["events:campaign_resend"] = _campaign


def _segment() -> dict:
    from tests.factories import SegmentFactory

    return {"pk": SegmentFactory().pk}


URL_KWARGS["engage:staff_stakeholder"] = _stakeholder
URL_KWARGS["engage:staff_stakeholder_edit"] = _stakeholder
URL_KWARGS["engage:staff_stakeholder_consent"] = _stakeholder
URL_KWARGS["engage:staff_segment"] = _segment
URL_KWARGS["engage:staff_segment_delete"] = _segment
URL_KWARGS["engage:staff_segment_edit"] = _segment
URL_KWARGS["engage:staff_segment_export"] = _segment


# --- Staff meeting pages and check-in (events/urls_staff.py) ---
def _staff_meeting() -> dict:
    from tests.factories import MeetingFactory

    return {"pk": MeetingFactory().pk}


def _checkin_meeting() -> dict:
    # Every facilitator facilitates a session here, so the facilitator role reaches the page.
    from engage.enums import Role
    from engage.models import User
    from engage.roles import ROLE_GROUP_NAMES
    from tests.factories import MeetingFactory, SessionFactory

    session = SessionFactory(meeting=MeetingFactory())
    session.facilitators.set(User.objects.filter(groups__name=ROLE_GROUP_NAMES[Role.FACILITATOR]))
    return {"pk": session.meeting_id}


def _staff_session() -> dict:
    from tests.factories import SessionFactory

    return {"pk": SessionFactory().pk}


def _staff_discussion_question() -> dict:
    from tests.factories import DiscussionQuestionFactory

    return {"pk": DiscussionQuestionFactory().pk}


def _staff_document() -> dict:
    from tests.factories import DocumentFactory

    return {"pk": DocumentFactory().pk}


def _staff_reservation() -> dict:
    from tests.factories import AreaReservationFactory

    return {"pk": AreaReservationFactory().pk}


def _staff_registration() -> dict:
    from tests.factories import RegistrationFactory

    return {"pk": RegistrationFactory().pk}


def _staff_panel_question() -> dict:
    from tests.factories import PanelQuestionFactory

    return {"pk": PanelQuestionFactory().pk}


for _name in (
    "staff_meeting_detail",
    "staff_meeting_edit",
    "staff_meeting_publish",
    "staff_meeting_cancel",
    "staff_meeting_copy",
    "staff_agenda_shift",
    "staff_session_create",
    "staff_documents",
    "staff_reservations",
    "staff_registrations",
    "staff_registrations_export",
    "staff_attendance_import",
    "staff_panel_questions",
    "staff_representation",
    "staff_representation_segment",
):
    URL_KWARGS[f"events:{_name}"] = _staff_meeting
URL_KWARGS["events:checkin"] = _checkin_meeting
URL_KWARGS["events:checkin_walk_in"] = _checkin_meeting
URL_KWARGS["events:staff_session_edit"] = _staff_session
URL_KWARGS["events:staff_session_delete"] = _staff_session
URL_KWARGS["events:staff_question_create"] = _staff_session
URL_KWARGS["events:staff_question_delete"] = _staff_discussion_question
URL_KWARGS["events:staff_document_delete"] = _staff_document
URL_KWARGS["events:staff_reservation_delete"] = _staff_reservation
URL_KWARGS["events:staff_registration_move"] = _staff_registration
URL_KWARGS["events:staff_registration_promote"] = _staff_registration
URL_KWARGS["events:staff_registration_cancel"] = _staff_registration
URL_KWARGS["events:staff_panel_question_moderate"] = _staff_panel_question


# --- Meeting record staff pages (feedback/urls.py) ---
def _staff_response() -> dict:
    from tests.factories import ResponseFactory

    return {"pk": ResponseFactory().pk}


def _staff_report_preview() -> dict:
    from tests.factories import MeetingReportFactory

    return {"pk": MeetingReportFactory().meeting_id, "kind": "docx"}


URL_KWARGS["feedback:staff_report_preview"] = _staff_report_preview
for _name in (
    "staff_report",
    "staff_report_generate",
    "staff_report_publication",
    "staff_responses",
    "staff_responses_publication",
    "staff_prereading",
):
    URL_KWARGS[f"feedback:{_name}"] = _staff_meeting
for _name in ("staff_response_edit", "staff_response_publication", "staff_response_delete"):
    URL_KWARGS[f"feedback:{_name}"] = _staff_response


# --- Stakeholder import jobs (engage/urls.py) ---
def _import_job() -> dict:
    from engage.enums import ImportJobState, ImportJobStep
    from engage.models import ImportJob

    job = ImportJob.objects.create(
        file_name="people.csv",
        file_path="imports/missing.csv",
        step=ImportJobStep.HEADERS,
        state=ImportJobState.DONE,
        headers=["email"],
    )
    return {"pk": job.pk}


for _name in (
    "staff_import_job",
    "staff_import_mapping",
    "staff_import_report",
    "staff_import_invalid_csv",
    "staff_import_commit",
):
    URL_KWARGS[f"engage:{_name}"] = _import_job


# --- Breakout capture and questions (feedback/urls.py) ---
def _capture_session() -> dict:
    # Every facilitator facilitates this session, so the facilitator role reaches its pages.
    from engage.enums import Role
    from engage.models import User
    from engage.roles import ROLE_GROUP_NAMES
    from tests.factories import SessionFactory

    session = SessionFactory()
    session.facilitators.set(User.objects.filter(groups__name=ROLE_GROUP_NAMES[Role.FACILITATOR]))
    return {"pk": session.pk}


def _capture_meeting() -> dict:
    from events.models import Session

    return {"pk": Session.objects.get(pk=_capture_session()["pk"]).meeting_id}


def _point_key() -> dict:
    import uuid

    return {"key": uuid.uuid4()}


for _name in ("capture", "capture_points", "capture_point_add", "capture_state"):
    URL_KWARGS[f"feedback:{_name}"] = _capture_session
URL_KWARGS["feedback:report_back"] = _capture_meeting
URL_KWARGS["feedback:staff_meeting_questions"] = _staff_meeting
for _name in ("capture_point_edit", "capture_point_delete"):
    URL_KWARGS[f"feedback:{_name}"] = _point_key


# --- Moderation and themes (feedback/urls.py) ---
def _moderation_point() -> dict:
    from tests.factories import PointFactory

    point = PointFactory()
    return {"pk": point.session.meeting_id, "point_id": point.pk}


for _name in (
    "staff_moderation",
    "staff_moderation_check",
    "staff_moderation_bulk",
    "staff_themes",
):
    URL_KWARGS[f"feedback:{_name}"] = _staff_meeting
for _name in ("staff_point_review", "staff_point_action"):
    URL_KWARGS[f"feedback:{_name}"] = _moderation_point


def _chat_import() -> dict:
    from feedback.enums import PointSource
    from feedback.models import ChatImport
    from tests.factories import DiscussionQuestionFactory

    row = ChatImport.objects.create(
        question=DiscussionQuestionFactory(), source=PointSource.CHAT, file_name="chat.csv"
    )
    return {"pk": row.pk}


for _name in ("staff_survey", "staff_survey_results", "staff_chat_import"):
    URL_KWARGS[f"feedback:{_name}"] = _staff_meeting
URL_KWARGS["feedback:staff_chat_import_review"] = _chat_import


# --- Responses owed (feedback/urls.py) ---
def _owner() -> dict:
    from tests.factories import OwnerFactory

    return {"pk": OwnerFactory().pk}


def _owner_reply() -> dict:
    from feedback.models import OwnerReply
    from tests.factories import ResponseFactory

    reply = OwnerReply.objects.create(response=ResponseFactory(), kind="response", text="Noted.")
    return {"pk": reply.pk}


URL_KWARGS["feedback:staff_owner_edit"] = _owner
URL_KWARGS["feedback:staff_owed_raise"] = _staff_meeting
URL_KWARGS["feedback:staff_recommendations_import"] = _staff_meeting
for _name in ("staff_owed_item", "staff_owed_assign", "staff_owed_status"):
    URL_KWARGS[f"feedback:{_name}"] = _staff_response
for _name in ("staff_reply_approve", "staff_reply_return"):
    URL_KWARGS[f"feedback:{_name}"] = _owner_reply


# --- Action plan (feedback/urls.py) ---
def _plan() -> dict:
    from feedback.models import ActionPlan

    plan, _ = ActionPlan.objects.get_or_create(slug="url-args-plan", defaults={"title": "Plan"})
    return {"pk": plan.pk}


def _round() -> dict:
    import datetime as dt

    from feedback.models import UpdateRound

    round_ = UpdateRound.objects.create(
        plan_id=_plan()["pk"], title="Q1", period_end=dt.date(2026, 6, 30)
    )
    return {"pk": round_.pk}


def _round_commitment() -> dict:
    from feedback.models import Chapter, Commitment

    round_pk = _round()["pk"]
    chapter = Chapter.objects.create(plan_id=_plan()["pk"], number="1", title="Powers")
    commitment = Commitment.objects.create(
        plan_id=chapter.plan_id, chapter=chapter, number="1.1", text="Review stops"
    )
    return {"pk": round_pk, "commitment_pk": commitment.pk}


def _commitment() -> dict:
    from feedback.models import Commitment

    return {"pk": Commitment.objects.get(pk=_round_commitment()["commitment_pk"]).pk}


for _name in ("staff_plan", "staff_chapter_add", "staff_plan_import", "staff_round_open"):
    URL_KWARGS[f"feedback:{_name}"] = _plan
for _name in ("staff_round", "staff_round_publish", "staff_round_ask"):
    URL_KWARGS[f"feedback:{_name}"] = _round
URL_KWARGS["feedback:staff_update_write"] = _round_commitment
URL_KWARGS["feedback:staff_commitment"] = _commitment
URL_KWARGS["feedback:staff_commitment_links"] = _commitment


def _privacy_draft() -> dict:
    from engage.models import PrivacyNotice

    draft = PrivacyNotice.objects.create(
        version="2099-01", title="Privacy notice", lawful_basis="Public task.", published_at=None
    )
    return {"pk": draft.pk}


URL_KWARGS["engage:staff_privacy_notice_edit"] = _privacy_draft
URL_KWARGS["engage:staff_privacy_notice_publish"] = _privacy_draft
