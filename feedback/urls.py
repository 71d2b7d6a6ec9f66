"""Public record pages and the staff pages that write them. Breakout capture, surveys and themes
come in later issues; they will hang off events.Session and events.Meeting."""

from django.urls import path

from feedback import views, views_staff

app_name = "feedback"

urlpatterns = [
    path("meetings/<slug:slug>/record/", views.meeting_record, name="meeting_record"),
    path("staff/meetings/<int:pk>/report/", views_staff.report, name="staff_report"),
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
]
