"""Reads used by more than one view or service, one module per subject.

- `system`: database and broker health, the worker heartbeat, the audit log;
- `consent`: consent state from the ledger, the suppression list;
- `stakeholder_filters`: the stakeholder filter, its option lists, search, segment members;
- `stakeholder_list`: the list page (keyset pages) and the cached count;
- `stakeholder_detail`: one person: detail, timeline, the signed-in person"s own entry.

Callers import the package (`from engage import selectors`, `from engage.selectors import x`).
"""

from engage.selectors.consent import (
    ConsentState,
    consent_is_given,
    consent_latest_action,
    email_is_suppressed,
    stakeholder_consent_history,
    stakeholder_consents,
    stakeholders_annotate_consent,
    stakeholders_consenting,
    stakeholders_filter_consent,
    suppressions_list,
)
from engage.selectors.stakeholder_detail import (
    TimelineEntry,
    stakeholder_detail,
    stakeholder_for_user,
    stakeholder_timeline,
)
from engage.selectors.stakeholder_filters import (
    FILTER_CHOICES_CACHE_KEY,
    FILTER_CHOICES_SECONDS,
    STAKEHOLDER_FILTER_KEYS,
    segment_members,
    stakeholder_filter_choices,
    stakeholder_filter_choices_forget,
    stakeholders_filter,
    stakeholders_search,
)
from engage.selectors.stakeholder_list import (
    STAKEHOLDER_COUNT_CACHE_KEY,
    STAKEHOLDER_COUNT_SECONDS,
    STAKEHOLDER_ORDER,
    StakeholderPage,
    StakeholderRow,
    stakeholder_page,
    stakeholders_count_recent,
)
from engage.selectors.system import audit_log_list, system_health, worker_last_seen_seconds

__all__ = [
    "ConsentState",
    "FILTER_CHOICES_CACHE_KEY",
    "FILTER_CHOICES_SECONDS",
    "STAKEHOLDER_COUNT_CACHE_KEY",
    "STAKEHOLDER_COUNT_SECONDS",
    "STAKEHOLDER_FILTER_KEYS",
    "STAKEHOLDER_ORDER",
    "StakeholderPage",
    "StakeholderRow",
    "TimelineEntry",
    "audit_log_list",
    "consent_is_given",
    "consent_latest_action",
    "email_is_suppressed",
    "segment_members",
    "stakeholder_consent_history",
    "stakeholder_consents",
    "stakeholder_detail",
    "stakeholder_filter_choices",
    "stakeholder_filter_choices_forget",
    "stakeholder_for_user",
    "stakeholder_page",
    "stakeholder_timeline",
    "stakeholders_annotate_consent",
    "stakeholders_consenting",
    "stakeholders_count_recent",
    "stakeholders_filter",
    "stakeholders_filter_consent",
    "stakeholders_search",
    "suppressions_list",
    "system_health",
    "worker_last_seen_seconds",
]
