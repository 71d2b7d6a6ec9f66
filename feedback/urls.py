"""Public record pages, the staff pages that write them, breakout capture and question templates."""

from django.urls import path

from feedback import views, views_capture, views_moderation, views_questions, views_staff

app_name = "feedback"

urlpatterns = [
    path("meetings/<slug:slug>/record/", views.meeting_record, name="meeting_record"),
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
    # Questions
    path("staff/question-templates/", views_questions.templates, name="staff_question_templates"),
    path(
        "staff/meetings/<int:pk>/discussion-questions/",
        views_questions.meeting_questions,
        name="staff_meeting_questions",
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
