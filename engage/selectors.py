"""Reads used by more than one view or service."""

import base64
import binascii
import json
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.utils import Error as DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.enums import ConsentAction
from engage.models import (
    Area,
    AuditLog,
    ConsentPurpose,
    ConsentRecord,
    Membership,
    Stakeholder,
    Suppression,
    Tag,
    WorkerHeartbeat,
)
from engage.normalise import normalise_email


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

    return Subquery(
        ConsentRecord.objects.filter(stakeholder_id=OuterRef("pk"), purpose_id=purpose_id)
        .order_by("-at", "-id")
        .values("action")[:1]
    )


def stakeholders_annotate_consent(queryset, *, purpose_slugs=None):
    """`queryset` with `consent_<slug with underscores>` set to the latest action (or None).

    Only active purposes are annotated unless `purpose_slugs` names them.
    """

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


def stakeholders_filter_consent(
    queryset, *, purpose_slug: str, state: str, purpose_id: int | None = None
):
    """Stakeholders whose current state for the purpose is `state`.

    `state` is "given", "withdrawn" (withdrawn or objected) or "none" (never asked). Raises
    ConsentPurpose.DoesNotExist for an unknown slug. A caller that knows the purpose's id passes
    it as `purpose_id` and saves the query that looks it up.
    """

    if state not in ("given", "withdrawn", "none"):
        raise ValueError(f"unknown consent state {state!r}")
    if purpose_id is None:
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

    return (
        ConsentRecord.objects.filter(stakeholder=stakeholder)
        .select_related("purpose", "recorded_by", "import_batch")
        .order_by("-at", "-id")
    )


def suppressions_list(*, search: str = ""):
    """The suppression list, newest first, with the staff member who added each entry."""

    queryset = Suppression.objects.select_related("created_by").order_by("-created_at", "-id")
    if search:
        queryset = queryset.filter(email_normalised__contains=normalise_email(search))
    return queryset


def email_is_suppressed(email: str) -> bool:
    """Whether the address (in any letter case or Unicode form) is on the suppression list."""

    return Suppression.objects.filter(email_normalised=normalise_email(email)).exists()


def audit_log_list(*, action: str = ""):
    """Audit log rows, newest first, with their actor."""

    queryset = AuditLog.objects.select_related("actor").order_by("-at", "-id")
    if action:
        queryset = queryset.filter(action=action)
    return queryset


def worker_last_seen_seconds(*, name: str = "celery") -> int | None:
    """Seconds since a worker last ran the heartbeat task, or None if none ever has."""

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


# The filter form's option lists change rarely but were read (and their SQL paid for) on every
# list page. They are kept in the cache, shared by every process when REDIS_URL is set. Services
# that add tags forget them on commit; anything else (an area or purpose edited in the admin)
# shows within FILTER_CHOICES_SECONDS.
FILTER_CHOICES_CACHE_KEY = "engage:stakeholder-filter-choices:2"
FILTER_CHOICES_SECONDS = 60


def stakeholder_filter_choices() -> dict:
    """The list's filter options as plain data: `areas` [(slug, name)], `area_ids` [(id, name)],
    `tags` [name] and `purposes` [(id, slug, name)] of active purposes, in display order. Cached
    (see above); the registration form's area list uses `area_ids`."""

    choices = cache.get(FILTER_CHOICES_CACHE_KEY)
    if choices is None:
        choices = {
            "areas": list(Area.objects.values_list("slug", "name")),
            "area_ids": list(Area.objects.values_list("pk", "name")),
            "tags": list(Tag.objects.values_list("name", flat=True)),
            "purposes": list(
                ConsentPurpose.objects.filter(active=True).values_list("pk", "slug", "name")
            ),
        }
        cache.set(FILTER_CHOICES_CACHE_KEY, choices, FILTER_CHOICES_SECONDS)
    return choices


def stakeholder_filter_choices_forget() -> None:
    """Drop the cached filter options (after adding a tag, an area or a purpose)."""

    cache.delete(FILTER_CHOICES_CACHE_KEY)


def _as_list(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)]


class _PkInArray(Func):
    """`pk = ANY(ARRAY(subquery))` on PostgreSQL, `pk IN (subquery)` elsewhere.

    PostgreSQL runs ARRAY(...) once and can then combine `pk = ANY(...)` with other indexes in
    an OR (BitmapOr); `pk IN (subquery)` inside an OR made it read every row of the table.
    """

    output_field = BooleanField()

    def __init__(self, subquery):
        super().__init__(F("pk"), Subquery(subquery))

    def as_sql(self, compiler, connection, **extra_context):
        pk, pk_params = compiler.compile(self.source_expressions[0])
        rows, row_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "postgresql":
            return f"{pk} = ANY(ARRAY{rows})", (*pk_params, *row_params)
        return f"{pk} IN {rows}", (*pk_params, *row_params)


def stakeholders_search(queryset, *, q: str):
    """`queryset` narrowed to people matching every word of `q` (name, email or organisation).

    Text with an "@" is matched against the normalised email only (its trigram index, 0003).
    Otherwise each word must be in the person's `search_text` (names and address; one trigram
    index, 0006) or in the name of an organisation they belong to.
    """

    q = (q or "").strip()
    if not q:
        return queryset
    if "@" in q:
        return queryset.filter(email_normalised__icontains=normalise_email(q))
    for word in q.split()[:5]:
        members = Membership.objects.filter(organisation__name__icontains=word).values(
            "stakeholder_id"
        )
        matches = Q(search_text__icontains=word) | Q(_PkInArray(members))
        # The address part of search_text is normalised; a word typed in another Unicode form
        # (full-width letters, say) is looked for in that form too.
        if normalise_email(word) != word.lower():
            matches |= Q(search_text__icontains=normalise_email(word))
        queryset = queryset.filter(matches)
    return queryset


def stakeholders_filter(filters: dict | None = None, *, purpose_ids: dict | None = None):
    """Live (not anonymised) stakeholders matching `filters` (the dict described above).

    Returns an unordered-by-choice Stakeholder queryset (model ordering: last name, first name,
    id). Raises ConsentPurpose.DoesNotExist for a consent filter naming an unknown purpose.
    Runs one small query per consent filter to find the purpose, unless `purpose_ids` (slug ->
    id) names it; the rest is one SQL query.
    """

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
            queryset = stakeholders_filter_consent(
                queryset,
                purpose_slug=slug,
                state=state,
                purpose_id=(purpose_ids or {}).get(slug),
            )
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


@dataclass(slots=True)
class StakeholderRow:
    """One line of the list: what the page shows, without loading whole model rows."""

    pk: int
    first_name: str
    last_name: str
    email: str
    area_name: str | None
    organisation_roles: list = field(default_factory=list)  # [(organisation name, role)]
    tag_names: list = field(default_factory=list)


@dataclass
class StakeholderPage:
    """One page of the list, walked by keyset (no OFFSET, so a late page costs what the first does)."""

    rows: list
    next_cursor: str | None
    previous_cursor: str | None
    total: int | None


def _cursor_encode(row) -> str:

    raw = json.dumps([row.last_name, row.first_name, row.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[str, str, int] | None:

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
    purpose_ids: dict | None = None,
) -> StakeholderPage:
    """A page of the filtered list in name order: StakeholderRow records, with area name,
    organisations (with role) and tags, both sorted.

    `after`/`before` are cursors from a previous page; `last` jumps to the end; `start` jumps to
    the first surname at or after that text. At most 3 queries (page, organisations and tags,
    count) plus one per consent filter not named in `purpose_ids`, whatever `size` is.
    """

    base = stakeholders_filter(filters, purpose_ids=purpose_ids)
    key = Tuple(*(F(name) for name in STAKEHOLDER_ORDER))
    queryset = base
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
    columns = ("pk", "first_name", "last_name", "email", "area__name")
    rows = [
        StakeholderRow(*values)
        for values in queryset.order_by(*order).values_list(*columns)[: size + 1]
    ]
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_previous, has_next = more, bool(before_key)
    else:
        has_previous, has_next = bool(after_key or start), more
    _attach_organisations_and_tags(rows)
    return StakeholderPage(
        rows=rows,
        next_cursor=_cursor_encode(rows[-1]) if rows and has_next else None,
        previous_cursor=_cursor_encode(rows[0]) if rows and has_previous else None,
        total=base.count() if count else None,
    )


def _attach_organisations_and_tags(rows: list[StakeholderRow]) -> None:
    """Fill `organisation_roles` and `tag_names` of each row from one query (a UNION ALL of the
    memberships and the tags of these people) instead of two prefetches of full model rows."""

    by_id = {row.pk: row for row in rows}
    if not by_id:
        return
    organisations = Membership.objects.filter(stakeholder_id__in=by_id).values_list(
        "stakeholder_id", "organisation__name", "role", Value("o", output_field=CharField())
    )
    tags = Stakeholder.tags.through.objects.filter(stakeholder_id__in=by_id).values_list(
        "stakeholder_id",
        "tag__name",
        Value("", output_field=CharField()),
        Value("t", output_field=CharField()),
    )
    for stakeholder_id, name, role, kind in organisations.union(tags, all=True):
        row = by_id[stakeholder_id]
        if kind == "o":
            row.organisation_roles.append((name, role))
        else:
            row.tag_names.append(name)
    for row in rows:
        row.organisation_roles.sort(key=lambda pair: pair[0].casefold())
        row.tag_names.sort(key=str.casefold)


STAKEHOLDER_COUNT_CACHE_KEY = "engage:stakeholder-count:1"
STAKEHOLDER_COUNT_SECONDS = 60


def stakeholders_count_recent() -> int:
    """How many live people are on the list, counted at most STAKEHOLDER_COUNT_SECONDS ago.

    Counting 100,000 rows cost more than the rest of the unfiltered list page; the page says
    the figure may be up to a minute old. Filtered lists are counted exactly.
    """

    total = cache.get(STAKEHOLDER_COUNT_CACHE_KEY)
    if total is None:
        total = Stakeholder.objects.filter(anonymised_at__isnull=True).count()
        cache.set(STAKEHOLDER_COUNT_CACHE_KEY, total, STAKEHOLDER_COUNT_SECONDS)
    return total


def stakeholder_detail(*, pk: int):
    """One live stakeholder with area, organisations (with role) and tags loaded; 404-able Get."""

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

    if not user.is_authenticated:
        return None
    live = Stakeholder.objects.filter(anonymised_at__isnull=True).select_related("area")
    linked = live.filter(user=user).first()
    if linked is not None:
        return linked
    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    addresses = [normalise_email(address) for address in verified]
    return live.filter(email_normalised__in=addresses).first() if addresses else None
