"""Forms for invitation campaigns (staff)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.enums import OrganisationType
from engage.forms_base import Form
from engage.models import Area, Segment
from events.enums import MeetingStatus
from events.models import Meeting


class CampaignForm(Form):
    meeting = forms.ModelChoiceField(
        label=_("Meeting"),
        queryset=Meeting.objects.none(),
        empty_label=_("Choose a meeting"),
    )
    subject = forms.CharField(label=_("Email subject"), max_length=200)
    message = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Shown under the greeting. Each email also carries the person's name and link."
        ),
    )
    segment = forms.ModelChoiceField(
        label=_("Saved segment"),
        queryset=Segment.objects.order_by("name"),
        required=False,
        empty_label=_("None: use the filters below"),
    )
    area = forms.ModelMultipleChoiceField(
        label=_("Areas"),
        queryset=Area.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    organisation_type = forms.MultipleChoiceField(
        label=_("Organisation types"),
        choices=OrganisationType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tag = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate several tags with commas.")
    )
    q = forms.CharField(label=_("Search text"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = Meeting.objects.filter(
            status=MeetingStatus.PUBLISHED, start__gt=timezone.now()
        ).order_by("start")

    def filters(self) -> dict:
        """The ad hoc filters in the stakeholder list's format (engage.selectors)."""
        data = self.cleaned_data
        filters = {
            "area": [a.slug for a in data["area"]],
            "organisation_type": list(data["organisation_type"]),
            "tag": [t.strip() for t in data["tag"].split(",") if t.strip()],
            "q": data["q"].strip(),
        }
        return {key: value for key, value in filters.items() if value}


class ScheduleForm(Form):
    scheduled_for = forms.DateTimeField(
        label=_("Send at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("London time."),
    )

    def clean_scheduled_for(self):
        value = self.cleaned_data["scheduled_for"]
        if value <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return value
