from django.urls import path

from engage import views, views_privacy, views_public, views_rights, views_staff

app_name = "engage"

urlpatterns = [
    path("me/", views.dashboard, name="dashboard"),
    path("staff/", views.staff_home, name="staff_home"),
    # Joining the list, preferences and unsubscribe (public; signed links, no sign-in needed).
    path("join/", views_public.join, name="join"),
    path("join/sent/", views_public.join_sent, name="join_sent"),
    path("join/confirm/<str:token>/", views_public.join_confirm, name="join_confirm"),
    path("me/preferences/", views_public.my_preferences, name="my_preferences"),
    path("preferences/<str:token>/", views_public.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views_public.unsubscribe, name="unsubscribe"),
    path("links/renew/", views_public.link_renew, name="link_renew"),
    path("privacy/", views_public.privacy_notice, name="privacy"),
    path("privacy/<str:version>/", views_public.privacy_notice, name="privacy_version"),
    # Suppression list, audit log, subject access and erasure (staff).
    path("staff/suppressions/", views_rights.suppression_list, name="suppression_list"),
    path("staff/suppressions/add/", views_rights.suppression_add, name="suppression_add"),
    path(
        "staff/suppressions/<int:pk>/remove/",
        views_rights.suppression_remove,
        name="suppression_remove",
    ),
    path("staff/audit/", views_rights.audit_log, name="audit_log"),
    # Privacy notice versions (administrators).
    path("staff/privacy/", views_privacy.privacy_notice_list, name="staff_privacy_notices"),
    path("staff/privacy/new/", views_privacy.privacy_notice_draft, name="staff_privacy_notice_new"),
    path(
        "staff/privacy/<int:pk>/edit/",
        views_privacy.privacy_notice_draft,
        name="staff_privacy_notice_edit",
    ),
    path(
        "staff/privacy/<int:pk>/publish/",
        views_privacy.privacy_notice_publish,
        name="staff_privacy_notice_publish",
    ),
    path(
        "staff/stakeholders/<int:pk>/subject-access/",
        views_rights.stakeholder_subject_access,
        name="stakeholder_subject_access",
    ),
    path(
        "staff/stakeholders/<int:pk>/erase/",
        views_rights.stakeholder_erase,
        name="stakeholder_erase",
    ),
    # Stakeholder list, detail, edit, segments, export and import (engagement team).
    path("staff/stakeholders/", views_staff.stakeholder_list, name="staff_stakeholders"),
    path("staff/stakeholders/add/", views_staff.stakeholder_add, name="staff_stakeholder_add"),
    path(
        "staff/stakeholders/export/",
        views_staff.stakeholder_export,
        name="staff_stakeholders_export",
    ),
    path("staff/stakeholders/<int:pk>/", views_staff.stakeholder_view, name="staff_stakeholder"),
    path(
        "staff/stakeholders/<int:pk>/edit/",
        views_staff.stakeholder_edit,
        name="staff_stakeholder_edit",
    ),
    path(
        "staff/stakeholders/<int:pk>/consent/",
        views_staff.stakeholder_consent,
        name="staff_stakeholder_consent",
    ),
    path("staff/segments/", views_staff.segment_list, name="staff_segments"),
    path("staff/segments/add/", views_staff.segment_add, name="staff_segment_add"),
    path("staff/segments/<int:pk>/", views_staff.segment_view, name="staff_segment"),
    path("staff/segments/<int:pk>/edit/", views_staff.segment_edit, name="staff_segment_edit"),
    path(
        "staff/segments/<int:pk>/delete/",
        views_staff.segment_remove,
        name="staff_segment_delete",
    ),
    path(
        "staff/segments/<int:pk>/export/",
        views_staff.segment_export,
        name="staff_segment_export",
    ),
    path("staff/import/", views_staff.import_upload, name="staff_import"),
    path("staff/import/<int:pk>/", views_staff.import_job, name="staff_import_job"),
    path("staff/import/<int:pk>/mapping/", views_staff.import_mapping, name="staff_import_mapping"),
    path("staff/import/<int:pk>/report/", views_staff.import_report, name="staff_import_report"),
    path(
        "staff/import/<int:pk>/report/invalid.csv",
        views_staff.import_invalid_csv,
        name="staff_import_invalid_csv",
    ),
    path("staff/import/<int:pk>/commit/", views_staff.import_commit, name="staff_import_commit"),
]
