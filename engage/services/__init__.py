"""Writes and side effects for the stakeholder database, one module per workflow.

- `areas`: the areas list and their population figures;
- `audit`: the audit log of staff actions on personal data, the worker heartbeat;
- `stakeholders`: adding and editing a person, their organisations and tags;
- `consent`: the consent ledger and the suppression list;
- `signup`: joining the list by double opt-in;
- `segments`: saved stakeholder filters;
- `privacy`: drafting and publishing versions of the privacy notice;
- `links`: mailing a fresh signed link for an expired one.

Callers import the package (`from engage import services`, `from engage.services import audit_log`):
everything they use is named here.
"""

from engage.services.areas import AREAS_FILE, area_population_load, areas_load
from engage.services.audit import audit_log, worker_heartbeat_record
from engage.services.consent import (
    consent_give,
    consent_set,
    consent_unsubscribe,
    consent_withdraw,
    suppression_add,
    suppression_remove,
)
from engage.services.links import link_renew
from engage.services.privacy import (
    privacy_notice_draft_save,
    privacy_notice_publish,
    privacy_notice_sections,
    privacy_notice_text,
)
from engage.services.segments import segment_create, segment_delete, segment_update
from engage.services.signup import (
    SIGNUP_REQUESTS_PER_ADDRESS_PER_DAY,
    SignupLinkInvalid,
    signup_confirm,
    signup_pending,
    signup_request,
    signups_purge,
)
from engage.services.stakeholders import (
    stakeholder_create,
    stakeholder_link_user,
    stakeholder_memberships_set,
    stakeholder_tags_set,
    stakeholder_update,
)

__all__ = [
    "privacy_notice_draft_save",
    "privacy_notice_publish",
    "privacy_notice_sections",
    "privacy_notice_text",
    "link_renew",
    "AREAS_FILE",
    "SIGNUP_REQUESTS_PER_ADDRESS_PER_DAY",
    "SignupLinkInvalid",
    "area_population_load",
    "areas_load",
    "audit_log",
    "consent_give",
    "consent_set",
    "consent_unsubscribe",
    "consent_withdraw",
    "segment_create",
    "segment_delete",
    "segment_update",
    "signup_confirm",
    "signup_pending",
    "signup_request",
    "signups_purge",
    "stakeholder_create",
    "stakeholder_link_user",
    "stakeholder_memberships_set",
    "stakeholder_tags_set",
    "stakeholder_update",
    "suppression_add",
    "suppression_remove",
    "worker_heartbeat_record",
]
