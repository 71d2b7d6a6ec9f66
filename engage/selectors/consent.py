"""Consent state, derived from the append-only ledger, and the suppression list."""

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from engage.enums import ConsentAction
from engage.models import ConsentPurpose, ConsentRecord, Stakeholder, Suppression
from engage.normalise import normalise_email


def consent_is_given(*, stakeholder_id: int, purpose_id: int) -> bool:
    """Whether the latest ledger record for this stakeholder and purpose gives consent."""

    latest = (
        ConsentRecord.objects.filter(stakeholder_id=stakeholder_id, purpose_id=purpose_id)
        .order_by("-at", "-id")
        .values_list("action", flat=True)
        .first()
    )
    return latest == ConsentAction.GIVEN


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
