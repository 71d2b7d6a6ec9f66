"""Writes and side effects for meetings, sessions, registrations, attendance and campaigns.

Every write about events goes through a function of this package, one module per workflow:

- `meeting_places`: the meeting lock and the places counted under it (who may register, breakouts);
- `registration`: register, register again, cancel, take up an offer, wipe access requirements;
- `registration_codes`: the guest email code;
- `waitlist`: offers to the waiting list, their expiry, staff promotion;
- `meetings`: create, edit, publish, cancel, copy; area reservations; panel questions;
- `sessions`: the agenda, facilitators, discussion questions, moving people between breakouts;
- `documents`: pre-reading;
- `walk_ins`: adding and checking in someone who arrives without a place;
- `attendance`: check-in, the attendance import, the registrations export, missed areas;
- `campaigns`: invitation campaigns and their fan-out.

Callers import the package (`from events import services`; `services.registration_create`):
everything they use is named here. The emails themselves are built in events/notices/.
"""

from events.notices import NOTICES_WAKE_KEY, NOTICES_WAKE_SECONDS
from events.services.attendance import (
    EMAIL_HEADERS,
    AttendanceImportReport,
    attendance_import,
    registration_mark_attended,
    registrations_export_csv,
    segment_create_for_areas,
)
from events.services.campaigns import (
    CampaignError,
    campaign_create,
    campaign_email_context,
    campaign_fanout,
    campaign_recipient_values,
    campaign_resend_failed,
    campaign_schedule,
    campaign_send_now,
    campaign_test_send,
    campaign_unschedule,
    campaigns_start_due,
    invitation_link,
)
from events.services.documents import (
    DOCUMENT_TYPES,
    document_create,
    document_delete,
    document_validate_upload,
)
from events.services.meeting_places import RegistrationRefused, registration_refusal
from events.services.meetings import (
    MEETING_FIELDS,
    SIGNIFICANT_FIELDS,
    area_reservation_delete,
    area_reservation_set,
    meeting_cancel,
    meeting_copy,
    meeting_create,
    meeting_publish,
    meeting_update,
    panel_question_moderate,
)
from events.services.registration import (
    RegistrationDetails,
    RegistrationOutcome,
    registration_cancel,
    registration_cancel_by_staff,
    registration_create,
    registration_offer_accept,
    registration_repeat,
    registrations_wipe_access_requirements,
)
from events.services.registration_codes import (
    MAX_CODES_PER_ADDRESS,
    registration_email_code_check,
    registration_email_code_send,
)
from events.services.sessions import (
    SESSION_FIELDS,
    SESSION_NOTICE_FIELDS,
    discussion_question_create,
    discussion_question_delete,
    meeting_agenda_shift,
    registration_move,
    session_create,
    session_delete,
    session_facilitators_set,
    session_update,
)
from events.services.waitlist import registration_promote, registrations_expire_offers
from events.services.walk_ins import WalkIn, WalkInOutcome, registration_walk_in

__all__ = [
    "DOCUMENT_TYPES",
    "EMAIL_HEADERS",
    "MAX_CODES_PER_ADDRESS",
    "MEETING_FIELDS",
    "NOTICES_WAKE_KEY",
    "NOTICES_WAKE_SECONDS",
    "SESSION_FIELDS",
    "SESSION_NOTICE_FIELDS",
    "SIGNIFICANT_FIELDS",
    "AttendanceImportReport",
    "CampaignError",
    "RegistrationDetails",
    "RegistrationOutcome",
    "RegistrationRefused",
    "WalkIn",
    "WalkInOutcome",
    "area_reservation_delete",
    "area_reservation_set",
    "attendance_import",
    "campaign_create",
    "campaign_email_context",
    "campaign_fanout",
    "campaign_recipient_values",
    "campaign_resend_failed",
    "campaign_schedule",
    "campaign_send_now",
    "campaign_test_send",
    "campaign_unschedule",
    "campaigns_start_due",
    "discussion_question_create",
    "discussion_question_delete",
    "document_create",
    "document_delete",
    "document_validate_upload",
    "invitation_link",
    "meeting_agenda_shift",
    "meeting_cancel",
    "meeting_copy",
    "meeting_create",
    "meeting_publish",
    "meeting_update",
    "panel_question_moderate",
    "registration_cancel",
    "registration_cancel_by_staff",
    "registration_create",
    "registration_email_code_check",
    "registration_email_code_send",
    "registration_mark_attended",
    "registration_move",
    "registration_offer_accept",
    "registration_promote",
    "registration_refusal",
    "registration_repeat",
    "registration_walk_in",
    "registrations_expire_offers",
    "registrations_export_csv",
    "registrations_wipe_access_requirements",
    "segment_create_for_areas",
    "session_create",
    "session_delete",
    "session_facilitators_set",
    "session_update",
]
