from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from engage.enums import ConsentMethod, OrganisationType
from engage.forms_base import Form
from engage.importers import (
    FIELDS,
    ImportFileError,
    check_size,
    check_xlsx_expanded_size,
    file_kind,
)
from engage.models import Area, ConsentPurpose

# --- Engagement team: stakeholder list, edit, consent by phone or paper, segments, import -------
CONSENT_STATE_CHOICES = [
    ("", _("Any")),
    ("given", _("Given")),
    ("withdrawn", _("Withdrawn or objected")),
    ("none", _("Never asked")),
]
ATTENDED_CHOICES = [
    ("", _("Any")),
    ("any", _("Attended at least one meeting")),
    ("none", _("Never attended")),
]


class StakeholderFilterForm(Form):
    """The list's filters; `filters()` gives the JSON-safe dict that segments store."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Name, email address or organisation"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    area = forms.MultipleChoiceField(label=_("Area"), required=False)
    organisation_type = forms.MultipleChoiceField(
        label=_("Organisation type"), required=False, choices=OrganisationType.choices
    )
    tag = forms.MultipleChoiceField(label=_("Community or interest"), required=False)
    attended = forms.ChoiceField(label=_("Meetings"), required=False, choices=ATTENDED_CHOICES)
    attended_min = forms.IntegerField(
        label=_("Attended at least this many meetings"), required=False, min_value=1, max_value=100
    )

    def __init__(self, *args, choices=None, **kwargs):
        """`choices` is engage.selectors.stakeholder_filter_choices()."""
        super().__init__(*args, **kwargs)
        choices = choices or {}
        self.fields["area"].choices = list(choices.get("areas", ()))
        self.fields["tag"].choices = [(name, name) for name in choices.get("tags", ())]
        self.purpose_fields = []
        # slug -> id of every purpose offered, so the list need not look each one up again.
        self.purpose_ids = {}
        for pk, slug, purpose_name in choices.get("purposes", ()):
            name = f"consent_{slug}"
            self.fields[name] = forms.ChoiceField(
                label=_("Consent: %(purpose)s") % {"purpose": purpose_name},
                required=False,
                choices=CONSENT_STATE_CHOICES,
            )
            self.purpose_fields.append((name, slug))
            self.purpose_ids[slug] = pk

    def select_fields(self) -> list[dict]:
        """The choice filters as plain data, their options as one HTML string each, so the list
        page renders them without a template node per option (Django's widget templates made the
        page several times slower, a template loop over the options still cost milliseconds)."""
        selected = mark_safe(" selected")
        result = []
        for name, field in self.fields.items():
            if not isinstance(field, forms.ChoiceField):
                continue
            bound = self[name]
            value = bound.value()
            chosen = (
                {str(v) for v in value} if isinstance(value, list | tuple) else {str(value or "")}
            )
            result.append(
                {
                    "name": bound.html_name,
                    "id": bound.auto_id,
                    "label": field.label,
                    "multiple": isinstance(field, forms.MultipleChoiceField),
                    "errors": bound.errors,
                    "options": format_html_join(
                        "",
                        '<option value="{}"{}>{}</option>',
                        (
                            (v, selected if str(v) in chosen else "", label)
                            for v, label in field.choices
                        ),
                    ),
                }
            )
        return result

    def filters(self) -> dict:
        data = self.cleaned_data
        filters = {
            key: data[key]
            for key in ("q", "area", "organisation_type", "tag", "attended", "attended_min")
            if data.get(key)
        }
        consent = {slug: data[name] for name, slug in self.purpose_fields if data.get(name)}
        if consent:
            filters["consent"] = consent
        return filters


def filters_querydict(filters: dict):
    """The GET parameters that reproduce `filters` on the list page."""
    query = QueryDict(mutable=True)
    for key, value in (filters or {}).items():
        if key == "consent":
            for slug, state in value.items():
                query[f"consent_{slug}"] = state
        elif isinstance(value, list):
            query.setlist(key, [str(v) for v in value])
        else:
            query[key] = str(value)
    return query


class StakeholderForm(Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email address"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    area = forms.ModelChoiceField(label=_("Area"), queryset=None, required=False)
    organisations = forms.CharField(
        label=_("Organisations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line, with the person's role after a bar: Brixton Youth Forum | Chair"
        ),
    )
    tags = forms.CharField(
        label=_("Communities and interests"),
        required=False,
        max_length=1000,
        help_text=_("Separate them with semicolons: young people; stop and search"),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        required=False,
        help_text=_("Where this person came from, such as a meeting or a referral"),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.all()

    def clean_organisations(self) -> list[tuple[str, str]]:
        result: dict[str, tuple[str, str]] = {}
        for line in self.cleaned_data["organisations"].splitlines():
            name, _bar, role = line.partition("|")
            name, role = " ".join(name.split()), role.strip()
            if not name:
                continue
            if len(name) > 200 or len(role) > 150:
                raise forms.ValidationError(
                    _("An organisation name is at most 200 characters and a role at most 150.")
                )
            result.setdefault(name.casefold(), (name, role))
        return list(result.values())

    def clean_tags(self) -> list[str]:
        tags: dict[str, str] = {}
        for tag in self.cleaned_data["tags"].split(";"):
            tag = " ".join(tag.split())
            if len(tag) > 80:
                raise forms.ValidationError(_("Each tag is at most 80 characters."))
            if tag:
                tags.setdefault(tag.casefold(), tag)
        return list(tags.values())

    @staticmethod
    def initial_for(stakeholder) -> dict:
        return {
            "first_name": stakeholder.first_name,
            "last_name": stakeholder.last_name,
            "email": stakeholder.email,
            "phone": stakeholder.phone,
            "area": stakeholder.area_id,
            "organisations": "\n".join(
                f"{m.organisation.name} | {m.role}" if m.role else m.organisation.name
                for m in stakeholder.memberships.all()
            ),
            "tags": "; ".join(t.name for t in stakeholder.tags.all()),
            "preferred_language": stakeholder.preferred_language,
            "source": stakeholder.source,
            "notes": stakeholder.notes,
        }


class StaffConsentForm(Form):
    """A consent given (or withdrawn) by phone or on paper, recorded by a staff member."""

    purpose = forms.ModelChoiceField(label=_("Purpose"), queryset=None)
    action = forms.ChoiceField(
        label=_("What the person said"),
        choices=[("given", _("They agree")), ("withdrawn", _("They withdraw or object"))],
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label=_("How"),
        choices=[(ConsentMethod.PHONE, _("By phone")), (ConsentMethod.PAPER, _("On paper"))],
        widget=forms.RadioSelect,
    )
    wording = forms.CharField(
        label=_("Wording read out or printed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty to store the purpose's current wording."),
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=200,
        help_text=_("Call date or paper form reference, kept as evidence"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = ConsentPurpose.objects.filter(active=True)


class SegmentForm(Form):
    name = forms.CharField(label=_("Segment name"), max_length=150)


class ImportUploadForm(Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "Headers recognised: email, first_name, last_name (or name), organisation, "
            "role, area, phone, tags, and consent_<purpose> columns."
        ),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        required=False,
        help_text=_(
            "Where these people came from, e.g. 'July public review meeting sign-in sheet'"
        ),
    )
    consent_wording = forms.CharField(
        label=_("Consent wording these people agreed to"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Needed when the file has consent columns; stored with every imported consent."
        ),
    )
    delimiter = forms.ChoiceField(
        label=_("CSV separator"),
        required=False,
        choices=[("", _("Detect")), (",", _("Comma")), (";", _("Semicolon")), ("\t", _("Tab"))],
    )
    encoding = forms.ChoiceField(
        label=_("CSV text encoding"),
        required=False,
        choices=[
            ("", _("Detect (UTF-8, then Windows-1252)")),
            ("utf-8", "UTF-8"),
            ("utf-16", "UTF-16"),
            ("cp1252", "Windows-1252"),
            ("iso-8859-1", "ISO-8859-1"),
        ],
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
            # The zip directory only: cheap, and refuses a bomb before any XML is parsed.
            if file_kind(upload.name) == "xlsx":
                upload.seek(0)
                check_xlsx_expanded_size(upload.read())
                upload.seek(0)
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


class ImportMappingForm(Form):
    """For each field, which of the file's columns holds it."""

    def __init__(self, *args, headers=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            "email": _("Email address"),
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "name": _("Full name (one column)"),
            "organisation": _("Organisation"),
            "role": _("Role in the organisation"),
            "area": _("Area"),
            "phone": _("Phone"),
            "tags": _("Tags (split on semicolons)"),
        }
        choices = [("", _("(not in this file)")), *((h, h) for h in headers if h)]
        for name in FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=labels[name], choices=choices, required=name == "email"
            )

    def mapping(self) -> dict[str, str]:
        return {name: header for name, header in self.cleaned_data.items() if header}
