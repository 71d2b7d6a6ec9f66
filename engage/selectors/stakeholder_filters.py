"""The stakeholder filter: the filter keys, their option lists, search, and the segment a filter stands for."""

from django.core.cache import cache
from django.db.models import BooleanField, Count, F, Func, Q, Subquery

from engage.models import Area, ConsentPurpose, Membership, Stakeholder, Tag
from engage.normalise import normalise_email
from engage.selectors.consent import stakeholders_filter_consent

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
