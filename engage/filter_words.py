"""Stakeholder-list filters (as segments store them) in words, for staff pages: "Area: Lambeth,
Southwark", never `{"area": ["lambeth", "southwark"]}`."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from engage.enums import OrganisationType
from engage.selectors import stakeholder_filter_choices

CONSENT_STATES = {
    "given": gettext_lazy("given"),
    "withdrawn": gettext_lazy("withdrawn or objected"),
    "none": gettext_lazy("never asked"),
}


def _names(values, known: dict) -> str:
    values = values if isinstance(values, list | tuple) else [values]
    # A value no longer known (an area renamed, a tag deleted) is shown as stored, not hidden.
    return ", ".join(str(known.get(str(v), v)) for v in values)


def filters_in_words(filters: dict | None) -> list[tuple[str, str]]:
    """(label, description) for each filter in `filters`, in the list page's order."""
    filters = filters or {}
    choices = stakeholder_filter_choices()
    rows = []
    if filters.get("q"):
        rows.append((_("Search"), f"“{filters['q']}”"))
    if filters.get("area"):
        rows.append((_("Area"), _names(filters["area"], dict(choices["areas"]))))
    if filters.get("organisation_type"):
        types = {value: str(label) for value, label in OrganisationType.choices}
        rows.append((_("Organisation type"), _names(filters["organisation_type"], types)))
    if filters.get("tag"):
        rows.append((_("Community or interest"), _names(filters["tag"], {})))
    attended = filters.get("attended")
    if attended == "any":
        rows.append((_("Meetings"), _("attended at least one meeting")))
    elif attended == "none":
        rows.append((_("Meetings"), _("never attended a meeting")))
    if filters.get("attended_min"):
        n = int(filters["attended_min"])
        rows.append(
            (
                _("Meetings"),
                ngettext("attended at least %(n)d meeting", "attended at least %(n)d meetings", n)
                % {"n": n},
            )
        )
    purposes = {slug: name for _pk, slug, name in choices["purposes"]}
    for slug, state in (filters.get("consent") or {}).items():
        rows.append(
            (
                _("Consent: %(purpose)s") % {"purpose": purposes.get(slug, slug)},
                str(CONSENT_STATES.get(state, state)),
            )
        )
    return rows
