"""Reads about meetings, sessions and registrations, one module per workflow, re-exported here
(`from events import selectors`).

- `public`: the public pages and registration.
- `staff`: meeting management by staff and check-in.
- `campaigns`: invitation campaigns.
"""

from events.selectors.campaigns import (
    CAMPAIGN_RECIPIENT_STATUSES,
    CampaignAudience,
    campaign_audience,
    campaign_recipients,
    campaign_status_counts,
    campaigns_list,
    invitation_stakeholder,
)
from events.selectors.public import (
    ListedAttendee,
    breakouts_for_choice,
    breakouts_with_room,
    meeting_attendee_list,
    meeting_places,
    meeting_public_get,
    meetings_public_past,
    meetings_public_upcoming,
    meetings_to_register_again,
    meetings_upcoming,
    registration_by_token,
    registration_for_stakeholder,
    registration_previous_attended,
    registrations_of_stakeholder,
    series_public_get,
    series_public_meetings,
    sessions_for_facilitator,
    sessions_outside_meeting,
)
from events.selectors.staff import (
    breakouts_for_meeting,
    checkin_list,
    meeting_for_staff,
    meetings_for_checkin,
    meetings_for_staff,
    panel_questions_for_staff,
    panel_questions_published,
    registrations_for_staff,
    series_last_meeting,
    user_can_check_in,
)

__all__ = [
    "CAMPAIGN_RECIPIENT_STATUSES",
    "CampaignAudience",
    "ListedAttendee",
    "breakouts_for_choice",
    "breakouts_for_meeting",
    "breakouts_with_room",
    "campaign_audience",
    "campaign_recipients",
    "campaign_status_counts",
    "campaigns_list",
    "checkin_list",
    "invitation_stakeholder",
    "meeting_attendee_list",
    "meeting_for_staff",
    "meeting_places",
    "meeting_public_get",
    "meetings_for_checkin",
    "meetings_for_staff",
    "meetings_public_past",
    "meetings_public_upcoming",
    "meetings_to_register_again",
    "meetings_upcoming",
    "panel_questions_for_staff",
    "panel_questions_published",
    "registration_by_token",
    "registration_for_stakeholder",
    "registration_previous_attended",
    "registrations_for_staff",
    "registrations_of_stakeholder",
    "series_last_meeting",
    "series_public_get",
    "series_public_meetings",
    "sessions_for_facilitator",
    "sessions_outside_meeting",
    "user_can_check_in",
]
