"""Reads used by more than one view or service."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.utils import Error as DatabaseError


def system_health() -> dict[str, str]:
    """Whether the database and the broker answer: "ok", "error" or "not configured"."""
    result = {"database": "ok", "broker": "not configured"}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        result["database"] = "error"
    if settings.CELERY_BROKER_URL:
        from kombu import Connection

        try:
            with Connection(
                settings.CELERY_BROKER_URL,
                connect_timeout=2,
                transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            ) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            result["broker"] = "ok"
        except Exception:  # any transport error means the broker does not answer
            result["broker"] = "error"
    return result


def consent_is_given(*, stakeholder_id: int, purpose_id: int) -> bool:
    """Whether the latest ledger record for this stakeholder and purpose gives consent."""
    from engage.enums import ConsentAction
    from engage.models import ConsentRecord

    latest = (
        ConsentRecord.objects.filter(stakeholder_id=stakeholder_id, purpose_id=purpose_id)
        .order_by("-at", "-id")
        .values_list("action", flat=True)
        .first()
    )
    return latest == ConsentAction.GIVEN


# --- Consent state, derived from the append-only ledger ---------------------------------------


def consent_latest_action(*, purpose_id: int):
    """A Subquery giving, per stakeholder row, the action of its latest record for the purpose.

    Uses the `consent_latest` index (stakeholder, purpose, -at, -id): one index probe per row,
    so filtering and paging 100,000 people stays fast. Null when there is no record at all.
    """
    from django.db.models import OuterRef, Subquery

    from engage.models import ConsentRecord

    return Subquery(
        ConsentRecord.objects.filter(stakeholder_id=OuterRef("pk"), purpose_id=purpose_id)
        .order_by("-at", "-id")
        .values("action")[:1]
    )


def stakeholders_annotate_consent(queryset, *, purpose_slugs=None):
    """`queryset` with `consent_<slug with underscores>` set to the latest action (or None).

    Only active purposes are annotated unless `purpose_slugs` names them.
    """
    from engage.models import ConsentPurpose

    purposes = ConsentPurpose.objects.all()
    purposes = (
        purposes.filter(slug__in=purpose_slugs) if purpose_slugs else purposes.filter(active=True)
    )
    return queryset.annotate(
        **{
            f"consent_{slug.replace('-', '_')}": consent_latest_action(purpose_id=pk)
            for pk, slug in purposes.values_list("pk", "slug")
        }
    )


def stakeholders_filter_consent(queryset, *, purpose_slug: str, state: str):
    """Stakeholders whose current state for the purpose is `state`.

    `state` is "given", "withdrawn" (withdrawn or objected) or "none" (never asked). Raises
    ConsentPurpose.DoesNotExist for an unknown slug.
    """
    from engage.enums import ConsentAction
    from engage.models import ConsentPurpose

    if state not in ("given", "withdrawn", "none"):
        raise ValueError(f"unknown consent state {state!r}")
    purpose_id = ConsentPurpose.objects.values_list("pk", flat=True).get(slug=purpose_slug)
    # alias(), not annotate(): filtered on, never selected; one alias per purpose so several
    # consent filters can be chained.
    name = f"_consent_state_{purpose_id}"
    aliased = queryset.alias(**{name: consent_latest_action(purpose_id=purpose_id)})
    if state == "given":
        return aliased.filter(**{name: ConsentAction.GIVEN})
    if state == "withdrawn":
        return aliased.filter(**{f"{name}__in": [ConsentAction.WITHDRAWN, ConsentAction.OBJECTED]})
    return aliased.filter(**{f"{name}__isnull": True})


def stakeholders_consenting(purpose_slug: str, queryset=None):
    """Live (not anonymised) stakeholders whose latest record for the purpose gives consent."""
    from engage.models import Stakeholder

    if queryset is None:
        queryset = Stakeholder.objects.all()
    return stakeholders_filter_consent(
        queryset.filter(anonymised_at__isnull=True), purpose_slug=purpose_slug, state="given"
    )


@dataclass(frozen=True)
class ConsentState:
    """One purpose as it stands for one person: the latest record decides."""

    purpose: object
    latest: object | None

    @property
    def given(self) -> bool:
        from engage.enums import ConsentAction

        return self.latest is not None and self.latest.action == ConsentAction.GIVEN

    @property
    def state(self) -> str:
        if self.latest is None:
            return "none"
        return "given" if self.given else "withdrawn"


def stakeholder_consents(stakeholder, *, include_inactive: bool = False) -> list[ConsentState]:
    """The current state of every (active) purpose for one stakeholder, in purpose order.

    Two queries: the purposes, and the person's ledger (a person has few records).
    """
    from engage.models import ConsentPurpose, ConsentRecord

    purposes = list(
        ConsentPurpose.objects.all()
        if include_inactive
        else ConsentPurpose.objects.filter(active=True)
    )
    latest: dict[int, object] = {}
    records = ConsentRecord.objects.filter(stakeholder=stakeholder).order_by("-at", "-id")
    for record in records:
        latest.setdefault(record.purpose_id, record)
    return [ConsentState(purpose=p, latest=latest.get(p.pk)) for p in purposes]


def stakeholder_consent_history(stakeholder):
    """Every ledger record for one person, newest first, with purpose and recorder loaded."""
    from engage.models import ConsentRecord

    return (
        ConsentRecord.objects.filter(stakeholder=stakeholder)
        .select_related("purpose", "recorded_by", "import_batch")
        .order_by("-at", "-id")
    )


def suppressions_list(*, search: str = ""):
    """The suppression list, newest first, with the staff member who added each entry."""
    from engage.models import Suppression
    from engage.normalise import normalise_email

    queryset = Suppression.objects.select_related("created_by").order_by("-created_at", "-id")
    if search:
        queryset = queryset.filter(email_normalised__contains=normalise_email(search))
    return queryset


def email_is_suppressed(email: str) -> bool:
    """Whether the address (in any letter case or Unicode form) is on the suppression list."""
    from engage.models import Suppression
    from engage.normalise import normalise_email

    return Suppression.objects.filter(email_normalised=normalise_email(email)).exists()


def audit_log_list(*, action: str = ""):
    """Audit log rows, newest first, with their actor."""
    from engage.models import AuditLog

    queryset = AuditLog.objects.select_related("actor").order_by("-at", "-id")
    if action:
        queryset = queryset.filter(action=action)
    return queryset


def worker_last_seen_seconds(*, name: str = "celery") -> int | None:
    """Seconds since a worker last ran the heartbeat task, or None if none ever has."""
    from django.utils import timezone

    from engage.models import WorkerHeartbeat

    last_seen = (
        WorkerHeartbeat.objects.filter(name=name).values_list("last_seen_at", flat=True).first()
    )
    if last_seen is None:
        return None
    return max(0, int((timezone.now() - last_seen).total_seconds()))


# --- Stakeholder list, segments and detail (the engagement team's tools) ------------------------
# Filters are a plain dict (JSON-safe, so a Segment can store them):
#   q                  search text: name words, an email (or part of one), or an organisation name
#   area               list of area slugs (any of)
#   organisation_type  list of OrganisationType values (any of)
#   tag                list of tag names (any of)
#   consent            {purpose_slug: "given" | "withdrawn" | "none"}
#   attended           "any" (attended at least one meeting) | "none" (never attended)
#   attended_min       attended at least this many meetings
# Unknown keys are ignored, so an old segment keeps working after a filter is retired.
# Attendance lives in the events app; it is reached through the reverse relation name
# `registrations` as strings, so engage never imports events.

STAKEHOLDER_FILTER_KEYS = (
    "q",
    "area",
    "organisation_type",
    "tag",
    "consent",
    "attended",
    "attended_min",
)


def _as_list(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)]


def stakeholders_search(queryset, *, q: str):
    """`queryset` narrowed to people matching every word of `q` (name, email or organisation).

    Text with an "@" is matched against the normalised email only. On PostgreSQL the trigram
    indexes of migration 0003 (stakeholder_search_indexes) serve these LIKE patterns.
    """
    from django.db.models import Q

    from engage.models import Membership
    from engage.normalise import normalise_email

    q = (q or "").strip()
    if not q:
        return queryset
    if "@" in q:
        return queryset.filter(email_normalised__icontains=normalise_email(q))
    for word in q.split()[:5]:
        members = Membership.objects.filter(organisation__name__icontains=word).values(
            "stakeholder_id"
        )
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email_normalised__icontains=normalise_email(word))
            | Q(pk__in=members)
        )
    return queryset


def stakeholders_filter(filters: dict | None = None):
    """Live (not anonymised) stakeholders matching `filters` (the dict described above).

    Returns an unordered-by-choice Stakeholder queryset (model ordering: last name, first name,
    id). Raises ConsentPurpose.DoesNotExist for a consent filter naming an unknown purpose.
    Runs one small query per consent filter (to find the purpose); the rest is one SQL query.
    """
    from django.db.models import Count, Q

    from engage.models import Membership, Stakeholder

    filters = filters or {}
    queryset = Stakeholder.objects.filter(anonymised_at__isnull=True)
    queryset = stakeholders_search(queryset, q=str(filters.get("q") or ""))
    if areas := _as_list(filters.get("area")):
        queryset = queryset.filter(area__slug__in=areas)
    if types := _as_list(filters.get("organisation_type")):
        queryset = queryset.filter(
            pk__in=Membership.objects.filter(organisation__type__in=types).values("stakeholder_id")
        )
    if tags := _as_list(filters.get("tag")):
        queryset = queryset.filter(
            pk__in=Stakeholder.tags.through.objects.filter(tag__name__in=tags).values(
                "stakeholder_id"
            )
        )
    for slug, state in sorted((filters.get("consent") or {}).items()):
        if state:
            queryset = stakeholders_filter_consent(queryset, purpose_slug=slug, state=state)
    attended = Stakeholder.objects.filter(registrations__attended_at__isnull=False).values("pk")
    if filters.get("attended") == "any":
        queryset = queryset.filter(pk__in=attended)
    elif filters.get("attended") == "none":
        queryset = queryset.exclude(pk__in=attended)
    try:
        attended_min = int(filters.get("attended_min") or 0)
    except (TypeError, ValueError):
        attended_min = 0
    if attended_min > 0:
        queryset = queryset.filter(
            pk__in=Stakeholder.objects.values("pk")
            .annotate(
                _attended=Count("registrations", filter=Q(registrations__attended_at__isnull=False))
            )
            .filter(_attended__gte=attended_min)
            .values("pk")
        )
    return queryset


def segment_members(segment_or_filters):
    """The Stakeholder queryset a Segment (or a bare filters dict) stands for, computed live.

    Ordered by id so that a campaign walking it in batches sees a stable order.
    """
    filters = getattr(segment_or_filters, "filters", segment_or_filters)
    return stakeholders_filter(filters or {}).order_by("pk")


STAKEHOLDER_ORDER = ("last_name", "first_name", "id")


@dataclass
class StakeholderPage:
    """One page of the list, walked by keyset (no OFFSET, so a late page costs what the first does)."""

    rows: list
    next_cursor: str | None
    previous_cursor: str | None
    total: int | None


def _cursor_encode(row) -> str:
    import base64
    import json

    raw = json.dumps([row.last_name, row.first_name, row.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[str, str, int] | None:
    import base64
    import binascii
    import json

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        last, first, pk = json.loads(raw)
        return str(last), str(first), int(pk)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None


def stakeholder_page(
    filters: dict | None = None,
    *,
    after: str = "",
    before: str = "",
    last: bool = False,
    start: str = "",
    size: int = 25,
    count: bool = True,
) -> StakeholderPage:
    """A page of the filtered list in name order, with area, organisations and tags loaded.

    `after`/`before` are cursors from a previous page; `last` jumps to the end; `start` jumps to
    the first surname at or after that text. At most 4 queries (page, organisations, tags,
    count) plus one per consent filter, whatever `size` is.
    """
    from django.db.models import F, Prefetch
    from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan

    from engage.models import Membership

    base = stakeholders_filter(filters)
    key = Tuple(*(F(name) for name in STAKEHOLDER_ORDER))
    queryset = base.select_related("area").prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("organisation")),
        "tags",
    )
    backwards = False
    after_key = _cursor_decode(after) if after else None
    before_key = _cursor_decode(before) if before else None
    if after_key:
        queryset = queryset.filter(TupleGreaterThan(key, after_key))
    elif before_key:
        queryset = queryset.filter(TupleLessThan(key, before_key))
        backwards = True
    elif last:
        backwards = True
    elif start:
        queryset = queryset.filter(last_name__gte=start)
    order = [f"-{name}" for name in STAKEHOLDER_ORDER] if backwards else list(STAKEHOLDER_ORDER)
    rows = list(queryset.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_previous, has_next = more, bool(before_key)
    else:
        has_previous, has_next = bool(after_key or start), more
    return StakeholderPage(
        rows=rows,
        next_cursor=_cursor_encode(rows[-1]) if rows and has_next else None,
        previous_cursor=_cursor_encode(rows[0]) if rows and has_previous else None,
        total=base.count() if count else None,
    )


def stakeholder_detail(*, pk: int):
    """One live stakeholder with area, organisations (with role) and tags loaded; 404-able Get."""
    from django.db.models import Prefetch

    from engage.models import Membership, Stakeholder

    return (
        Stakeholder.objects.filter(anonymised_at__isnull=True)
        .select_related("area")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("organisation")),
            "tags",
        )
        .get(pk=pk)
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: object
    kind: str  # "registration", "attended", "cancelled", "email", "consent", "created"
    text: str
    detail: str = ""


def stakeholder_timeline(stakeholder, *, limit: int = 100) -> list[TimelineEntry]:
    """What happened to one person, newest first: registrations, mails and consent changes.

    Registrations come through the reverse relation `registrations` by name (engage never
    imports events). Three queries.
    """
    from django.utils.translation import gettext as _

    from engage.models import ConsentRecord

    entries = [
        TimelineEntry(at=stakeholder.created_at, kind="created", text=_("Added to the list"))
    ]
    registrations = stakeholder.registrations.values(
        "status", "created_at", "attended_at", "cancelled_at", "meeting__title"
    ).order_by("-created_at")[:limit]
    for reg in registrations:
        title = reg["meeting__title"]
        entries.append(
            TimelineEntry(
                at=reg["created_at"],
                kind="registration",
                text=_("Registered for %(meeting)s") % {"meeting": title},
                detail=reg["status"],
            )
        )
        if reg["attended_at"]:
            entries.append(
                TimelineEntry(
                    at=reg["attended_at"],
                    kind="attended",
                    text=_("Attended %(meeting)s") % {"meeting": title},
                )
            )
        if reg["cancelled_at"]:
            entries.append(
                TimelineEntry(
                    at=reg["cancelled_at"],
                    kind="cancelled",
                    text=_("Cancelled for %(meeting)s") % {"meeting": title},
                )
            )
    for mail in stakeholder.emails.values("subject", "template", "status", "queued_at").order_by(
        "-queued_at"
    )[:limit]:
        entries.append(
            TimelineEntry(
                at=mail["queued_at"],
                kind="email",
                text=_("Email: %(subject)s") % {"subject": mail["subject"] or mail["template"]},
                detail=mail["status"],
            )
        )
    records = (
        ConsentRecord.objects.filter(stakeholder=stakeholder)
        .values("action", "method", "at", "purpose__name")
        .order_by("-at", "-id")[:limit]
    )
    for record in records:
        entries.append(
            TimelineEntry(
                at=record["at"],
                kind="consent",
                text=_("Consent %(action)s: %(purpose)s")
                % {"action": record["action"], "purpose": record["purpose__name"]},
                detail=record["method"],
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def stakeholder_for_user(user):
    """The signed-in person's own entry: linked to the account, or else the entry whose address
    the account has verified. None when there is neither."""
    from allauth.account.models import EmailAddress

    from engage.models import Stakeholder
    from engage.normalise import normalise_email

    if not user.is_authenticated:
        return None
    live = Stakeholder.objects.filter(anonymised_at__isnull=True).select_related("area")
    linked = live.filter(user=user).first()
    if linked is not None:
        return linked
    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    addresses = [normalise_email(address) for address in verified]
    return live.filter(email_normalised__in=addresses).first() if addresses else None
