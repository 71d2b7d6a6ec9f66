from django.urls import path

from events import urls_staff, views_calendar, views_campaigns, views_public

app_name = "events"

urlpatterns = [
    # Public meeting pages and registration
    path("meetings/", views_public.meeting_list, name="meeting_list"),
    path("meetings/<slug:slug>/", views_public.meeting_detail, name="meeting_detail"),
    path("meetings/<slug:slug>/register/", views_public.register, name="register"),
    path(
        "meetings/<slug:slug>/register/email/", views_public.register_email, name="register_email"
    ),
    path("meetings/<slug:slug>/register/code/", views_public.register_code, name="register_code"),
    path(
        "meetings/<slug:slug>/register/again/", views_public.register_repeat, name="register_repeat"
    ),
    path("series/<slug:slug>/", views_public.series_detail, name="series_detail"),
    path(
        "registrations/<uuid:token>/",
        views_public.registration_detail,
        name="registration_detail",
    ),
    path(
        "registrations/<uuid:token>/cancel/",
        views_public.registration_cancel,
        name="registration_cancel",
    ),
    path(
        "registrations/<uuid:token>/accept/",
        views_public.registration_accept,
        name="registration_accept",
    ),
]

# Staff meeting pages and the facilitators' check-in (events/urls_staff.py).
urlpatterns += urls_staff.urlpatterns

# Calendar files (events.ical) and invitation campaigns (staff).

urlpatterns += [
    path("events/calendar.ics", views_calendar.calendar_feed, name="calendar_feed"),
    path(
        "registrations/<uuid:token>/calendar.ics",
        views_calendar.registration_calendar,
        name="registration_calendar",
    ),
    path("staff/campaigns/", views_campaigns.campaign_list, name="campaign_list"),
    path("staff/campaigns/new/", views_campaigns.campaign_create, name="campaign_create"),
    path("staff/campaigns/<int:pk>/", views_campaigns.campaign_detail, name="campaign_detail"),
    path(
        "staff/campaigns/<int:pk>/recipients/",
        views_campaigns.campaign_recipients,
        name="campaign_recipients",
    ),
    path("staff/campaigns/<int:pk>/send/", views_campaigns.campaign_send, name="campaign_send"),
    path("staff/campaigns/<int:pk>/test/", views_campaigns.campaign_test, name="campaign_test"),
    path(
        "staff/campaigns/<int:pk>/resend/", views_campaigns.campaign_resend, name="campaign_resend"
    ),
]
