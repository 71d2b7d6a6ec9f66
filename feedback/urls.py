"""Public record pages, the staff pages that write them, breakout capture and question templates."""

from django.urls import path

from feedback import (
    views,
    views_capture,
    views_chat_import,
    views_moderation,
    views_plan,
    views_prereading,
    views_questions,
    views_responses,
    views_staff,
    views_survey,
    views_survey_staff,
)

app_name = "feedback"

urlpatterns = [
    path("meetings/<slug:slug>/record/", views.meeting_record, name="meeting_record"),
    path("meetings/<slug:slug>/pre-reading/", views_prereading.prereading, name="prereading"),
    path(
        "meetings/<slug:slug>/pre-reading/<str:kind>/",
        views_prereading.prereading_file,
        name="prereading_file",
    ),
    path(
        "staff/meetings/<int:pk>/pre-reading/",
        views_prereading.staff_prereading,
        name="staff_prereading",
    ),
    path(
        "meetings/<slug:slug>/record/report.<str:kind>",
        views.report_file,
        name="meeting_report_file",
    ),
    path(
        "meetings/<slug:slug>/record/points.csv",
        views.report_points_csv,
        name="meeting_report_points",
    ),
    path("staff/meetings/<int:pk>/report/", views_staff.report, name="staff_report"),
    path(
        "staff/meetings/<int:pk>/report/draft/",
        views_staff.report_generate,
        name="staff_report_generate",
    ),
    path(
        "staff/meetings/<int:pk>/report/preview.<str:kind>",
        views_staff.report_preview,
        name="staff_report_preview",
    ),
    path(
        "staff/meetings/<int:pk>/report/publication/",
        views_staff.report_publication,
        name="staff_report_publication",
    ),
    path("staff/meetings/<int:pk>/responses/", views_staff.responses, name="staff_responses"),
    path(
        "staff/meetings/<int:pk>/responses/publication/",
        views_staff.responses_publication,
        name="staff_responses_publication",
    ),
    path("staff/responses/<int:pk>/", views_staff.response_edit, name="staff_response_edit"),
    path(
        "staff/responses/<int:pk>/publication/",
        views_staff.response_publication,
        name="staff_response_publication",
    ),
    path(
        "staff/responses/<int:pk>/delete/",
        views_staff.response_delete,
        name="staff_response_delete",
    ),
    # Moderation and themes
    path(
        "staff/meetings/<int:pk>/moderation/",
        views_moderation.moderation,
        name="staff_moderation",
    ),
    path(
        "staff/meetings/<int:pk>/moderation/check/",
        views_moderation.moderation_check,
        name="staff_moderation_check",
    ),
    path(
        "staff/meetings/<int:pk>/moderation/bulk/",
        views_moderation.moderation_bulk,
        name="staff_moderation_bulk",
    ),
    path(
        "staff/meetings/<int:pk>/moderation/points/<int:point_id>/",
        views_moderation.point_review,
        name="staff_point_review",
    ),
    path(
        "staff/meetings/<int:pk>/moderation/points/<int:point_id>/action/",
        views_moderation.point_action,
        name="staff_point_action",
    ),
    path("staff/meetings/<int:pk>/themes/", views_moderation.themes, name="staff_themes"),
    # Responses owed
    path("staff/owners/", views_responses.owners, name="staff_owners"),
    path("staff/owners/<int:pk>/", views_responses.owner_edit, name="staff_owner_edit"),
    path("staff/owed/", views_responses.owed, name="staff_owed"),
    path("staff/meetings/<int:pk>/owed/add/", views_responses.raise_item, name="staff_owed_raise"),
    path(
        "staff/meetings/<int:pk>/recommendations/",
        views_responses.recommendations_import,
        name="staff_recommendations_import",
    ),
    path("staff/owed/<int:pk>/", views_responses.owed_item, name="staff_owed_item"),
    path("staff/owed/<int:pk>/assign/", views_responses.owed_assign, name="staff_owed_assign"),
    path("staff/owed/<int:pk>/status/", views_responses.owed_status, name="staff_owed_status"),
    path(
        "staff/owner-replies/<int:pk>/approve/",
        views_responses.reply_approve,
        name="staff_reply_approve",
    ),
    path(
        "staff/owner-replies/<int:pk>/return/",
        views_responses.reply_return,
        name="staff_reply_return",
    ),
    path("respond/<int:pk>/<str:token>/", views_responses.owner_response, name="owner_response"),
    path(
        "meetings/<slug:slug>/you-said-we-did/",
        views_responses.meeting_you_said,
        name="meeting_you_said",
    ),
    path(
        "series/<slug:slug>/you-said-we-did/",
        views_responses.series_you_said,
        name="series_you_said",
    ),
    # Action plan
    path("staff/plans/", views_plan.plans, name="staff_plans"),
    path("staff/plans/<int:pk>/", views_plan.plan_detail, name="staff_plan"),
    path("staff/plans/<int:pk>/chapters/", views_plan.chapter_add, name="staff_chapter_add"),
    path("staff/plans/<int:pk>/import/", views_plan.plan_import, name="staff_plan_import"),
    path("staff/plans/<int:pk>/rounds/", views_plan.round_open, name="staff_round_open"),
    path("staff/rounds/<int:pk>/", views_plan.round_detail, name="staff_round"),
    path(
        "staff/rounds/<int:pk>/commitments/<int:commitment_pk>/",
        views_plan.update_write,
        name="staff_update_write",
    ),
    path("staff/rounds/<int:pk>/publish/", views_plan.round_publish, name="staff_round_publish"),
    path("staff/rounds/<int:pk>/ask/", views_plan.round_ask, name="staff_round_ask"),
    path(
        "respond/plan/<int:pk>/<int:commitment_pk>/<str:token>/",
        views_plan.owner_update,
        name="owner_update",
    ),
    path("staff/commitments/<int:pk>/", views_plan.commitment_edit, name="staff_commitment"),
    path(
        "staff/commitments/<int:pk>/links/",
        views_plan.commitment_links,
        name="staff_commitment_links",
    ),
    path("plans/<slug:slug>/", views_plan.plan, name="plan"),
    path(
        "plans/<slug:slug>/updates/<int:pk>/<str:kind>/",
        views_plan.plan_round_file,
        name="plan_round_file",
    ),
    path("plans/<slug:slug>/<str:number>/", views_plan.commitment, name="commitment"),
    # Questions
    path("staff/question-templates/", views_questions.templates, name="staff_question_templates"),
    path(
        "staff/meetings/<int:pk>/discussion-questions/",
        views_questions.meeting_questions,
        name="staff_meeting_questions",
    ),
    # Attendees' feedback: the survey and session feedback, and their staff pages
    path("meetings/<slug:slug>/survey/", views_survey.survey, name="survey"),
    path("meetings/<slug:slug>/survey/thanks/", views_survey.survey_thanks, name="survey_thanks"),
    path(
        "meetings/<slug:slug>/sessions/<int:session_pk>/feedback/",
        views_survey.session_feedback,
        name="session_feedback",
    ),
    path("staff/meetings/<int:pk>/survey/", views_survey_staff.survey_edit, name="staff_survey"),
    path(
        "staff/meetings/<int:pk>/survey/results/",
        views_survey_staff.survey_results,
        name="staff_survey_results",
    ),
    path(
        "staff/meetings/<int:pk>/chat-import/",
        views_chat_import.upload,
        name="staff_chat_import",
    ),
    path(
        "staff/chat-imports/<int:pk>/",
        views_chat_import.review,
        name="staff_chat_import_review",
    ),
    # Breakout capture
    path("facilitate/capture-sw.js", views_capture.service_worker, name="capture_sw"),
    path("facilitate/sessions/<int:pk>/capture/", views_capture.capture, name="capture"),
    path(
        "facilitate/sessions/<int:pk>/points/",
        views_capture.session_points,
        name="capture_points",
    ),
    path(
        "facilitate/sessions/<int:pk>/points/add/",
        views_capture.point_add,
        name="capture_point_add",
    ),
    path("facilitate/points/<uuid:key>/edit/", views_capture.point_edit, name="capture_point_edit"),
    path(
        "facilitate/points/<uuid:key>/delete/",
        views_capture.point_delete,
        name="capture_point_delete",
    ),
    path(
        "facilitate/sessions/<int:pk>/capture/state/",
        views_capture.capture_state,
        name="capture_state",
    ),
    path(
        "facilitate/meetings/<int:pk>/report-back/",
        views_capture.report_back,
        name="report_back",
    ),
]
