"""URLs of the staff meeting pages and the facilitators' check-in, included in events/urls.py."""

from django.urls import path

from events import views_agenda, views_facilitator, views_staff

urlpatterns = [
    path("facilitate/", views_facilitator.facilitator_home, name="facilitator_home"),
    path("facilitate/meetings/<int:pk>/check-in/", views_facilitator.checkin, name="checkin"),
    path(
        "facilitate/meetings/<int:pk>/check-in/walk-in/",
        views_facilitator.walk_in,
        name="checkin_walk_in",
    ),
    path("staff/meetings/", views_staff.meeting_list, name="staff_meeting_list"),
    path("staff/meetings/new/", views_staff.meeting_create, name="staff_meeting_create"),
    path("staff/meetings/<int:pk>/", views_staff.meeting_detail, name="staff_meeting_detail"),
    path("staff/meetings/<int:pk>/edit/", views_staff.meeting_edit, name="staff_meeting_edit"),
    path(
        "staff/meetings/<int:pk>/publish/",
        views_staff.meeting_publish,
        name="staff_meeting_publish",
    ),
    path(
        "staff/meetings/<int:pk>/cancel/", views_staff.meeting_cancel, name="staff_meeting_cancel"
    ),
    path(
        "staff/meetings/<int:pk>/agenda/shift/",
        views_agenda.agenda_shift,
        name="staff_agenda_shift",
    ),
    path("staff/meetings/<int:pk>/copy/", views_staff.meeting_copy, name="staff_meeting_copy"),
    path(
        "staff/meetings/<int:pk>/sessions/new/",
        views_staff.session_create,
        name="staff_session_create",
    ),
    path("staff/sessions/<int:pk>/", views_staff.session_edit, name="staff_session_edit"),
    path(
        "staff/sessions/<int:pk>/delete/", views_staff.session_delete, name="staff_session_delete"
    ),
    path(
        "staff/sessions/<int:pk>/questions/",
        views_staff.question_create,
        name="staff_question_create",
    ),
    path(
        "staff/questions/<int:pk>/delete/",
        views_staff.question_delete,
        name="staff_question_delete",
    ),
    path("staff/meetings/<int:pk>/documents/", views_staff.documents, name="staff_documents"),
    path(
        "staff/documents/<int:pk>/delete/",
        views_staff.document_delete,
        name="staff_document_delete",
    ),
    path(
        "staff/meetings/<int:pk>/reservations/",
        views_staff.reservations,
        name="staff_reservations",
    ),
    path(
        "staff/reservations/<int:pk>/delete/",
        views_staff.reservation_delete,
        name="staff_reservation_delete",
    ),
    path(
        "staff/meetings/<int:pk>/registrations/",
        views_staff.registrations,
        name="staff_registrations",
    ),
    path(
        "staff/meetings/<int:pk>/registrations.csv",
        views_staff.registrations_export,
        name="staff_registrations_export",
    ),
    path(
        "staff/registrations/<int:pk>/move/",
        views_staff.registration_move,
        name="staff_registration_move",
    ),
    path(
        "staff/registrations/<int:pk>/cancel/",
        views_staff.registration_cancel,
        name="staff_registration_cancel",
    ),
    path(
        "staff/registrations/<int:pk>/promote/",
        views_staff.registration_promote,
        name="staff_registration_promote",
    ),
    path(
        "staff/meetings/<int:pk>/attendance/import/",
        views_staff.attendance_import,
        name="staff_attendance_import",
    ),
    path(
        "staff/meetings/<int:pk>/questions/",
        views_staff.panel_questions,
        name="staff_panel_questions",
    ),
    path(
        "staff/panel-questions/<int:pk>/",
        views_staff.panel_question_moderate,
        name="staff_panel_question_moderate",
    ),
    path(
        "staff/meetings/<int:pk>/representation/",
        views_staff.representation,
        name="staff_representation",
    ),
    path(
        "staff/meetings/<int:pk>/representation/segment/",
        views_staff.representation_segment,
        name="staff_representation_segment",
    ),
]
