"""Forms for the staff meeting pages and the check-in page. They parse input; services decide."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from engage.enums import AreaKind, Role
from engage.forms_base import Form, ModelForm
from engage.models import Area, ConsentPurpose
from engage.roles import ROLE_GROUP_NAMES
from events.enums import MeetingStatus, PanelQuestionStatus, RegistrationStatus
from events.models import AreaReservation, DiscussionQuestion, Meeting, Session
from events.services import MEETING_FIELDS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def _datetime_field(**kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=DateTimeInput(),
        **kwargs,
    )


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its fields when the form has them."""
    if hasattr(error, "error_dict") and set(error.error_dict) <= set(form.fields):
        form.add_error(None, error)
    else:
        for message in error.messages:
            form.add_error(None, message)


class MeetingForm(ModelForm):
    start = _datetime_field(label=_("Starts (London time)"))
    end = _datetime_field(label=_("Ends (London time)"))
    registration_opens = _datetime_field(label=_("Registration opens"), required=False)
    registration_closes = _datetime_field(
        label=_("Registration closes"),
        required=False,
        help_text=_("Leave empty to close registration when the meeting starts."),
    )
    reminder_days = forms.CharField(
        label=_("Reminders (days before)"),
        required=False,
        help_text=_("Numbers separated by commas, for example 7, 1."),
    )

    class Meta:
        model = Meeting
        fields = list(MEETING_FIELDS)
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "venue_address": forms.Textarea(attrs={"rows": 3}),
            "access_information": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "online_url": _("Online joining link"),
            "access_needs_retention_days": _("Delete access requirements after (days)"),
            "waitlist_offer_hours": _("Waiting-list offers last (hours)"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["reminder_days"] = ", ".join(str(d) for d in self.instance.reminder_days)
        else:
            self.initial.setdefault("reminder_days", "7, 1")

    def clean_reminder_days(self) -> list[int]:
        raw = self.cleaned_data.get("reminder_days") or ""
        days = []
        for part in raw.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or not 0 < int(part) <= 90:
                raise ValidationError(_("Use whole numbers of days from 1 to 90, such as 7, 1."))
            days.append(int(part))
        return sorted(set(days), reverse=True)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The meeting must end after it starts."))
        return data

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MeetingCopyForm(Form):
    start = _datetime_field(
        label=_("The new meeting starts (London time)"),
        help_text=_("Every other date moves by the same amount."),
    )


class FacilitatorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.email


class SessionForm(ModelForm):
    start = _datetime_field(label=_("Starts"))
    end = _datetime_field(label=_("Ends"))
    facilitators = FacilitatorChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("People with the facilitator role."),
    )

    class Meta:
        model = Session
        fields = [
            "kind",
            "title",
            "description",
            "start",
            "end",
            "room",
            "online_room",
            "capacity",
            "order",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {"online_room": _("Online room link"), "order": _("Order on the agenda")}
        help_texts = {"capacity": _("Leave empty for no limit.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facilitators"].queryset = (
            get_user_model()
            .objects.filter(groups__name=ROLE_GROUP_NAMES[Role.FACILITATOR], is_active=True)
            .order_by("last_name", "first_name", "email")
            .distinct()
        )
        if self.instance.pk:
            self.initial["facilitators"] = list(self.instance.facilitators.all())

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class DiscussionQuestionForm(ModelForm):
    publish_at = _datetime_field(
        label=_("Publish from"),
        required=False,
        help_text=_("Leave empty to publish it with the agenda."),
    )

    class Meta:
        model = DiscussionQuestion
        fields = ["text", "publish_at", "order"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}
        labels = {"text": _("Discussion question"), "order": _("Order")}


class DocumentForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("PDF, Word, Excel, PowerPoint, OpenDocument or text; or give a link instead."),
    )
    url = forms.URLField(label=_("Or a link"), required=False, assume_scheme="https")
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    publish_at = _datetime_field(
        label=_("Publish from"), required=False, help_text=_("Leave empty to publish now.")
    )


class AreaReservationForm(ModelForm):
    release_at = _datetime_field(label=_("Release unused places to everyone on"))

    class Meta:
        model = AreaReservation
        fields = ["area", "places", "release_at"]
        labels = {"places": _("Places held")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(
            kind__in=[AreaKind.BOROUGH, AreaKind.CITY]
        ).order_by("name")

    def validate_unique(self):
        # A second hold for the same area replaces the first (area_reservation_set).
        pass


class RegistrationFilterForm(Form):
    q = forms.CharField(label=_("Search by name, email or organisation"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *RegistrationStatus.choices],
    )


class RegistrationMoveForm(Form):
    breakout = forms.ChoiceField(label=_("Breakout"), required=False)

    def __init__(self, *args, breakouts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["breakout"].choices = [("", _("No breakout"))] + [
            (str(s.pk), s.title) for s in breakouts
        ]

    def breakout_id(self) -> int | None:
        value = self.cleaned_data.get("breakout")
        return int(value) if value else None


class PanelQuestionForm(Form):
    status = forms.ChoiceField(label=_("Decision"), choices=PanelQuestionStatus.choices)
    group = forms.CharField(
        label=_("Group"),
        required=False,
        max_length=120,
        help_text=_("Questions with the same group are shown together."),
    )
    answer = forms.CharField(
        label=_("Answer"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AttendanceImportForm(Form):
    file = forms.FileField(
        label=_("Attendance file (CSV)"),
        help_text=_(
            "The attendance report exported by the meeting platform, with an email column."
        ),
    )


class MeetingListFilterForm(Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *MeetingStatus.choices]
    )


class _PurposeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        # The exact words the ledger stores, read out to the person at the door.
        return obj.wording


class WalkInForm(Form):
    """A walk-in at the check-in page: who they are, and the consents they give on the spot."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("If we already know this address, their record is used and kept as it is."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    area = forms.ModelChoiceField(
        label=_("Area (optional)"),
        queryset=Area.objects.all(),
        required=False,
        empty_label=_("Not given"),
    )
    purposes = _PurposeChoiceField(
        label=_("What they agree to"),
        queryset=ConsentPurpose.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Read each one out and tick only those they agree to. They can come without "
            "agreeing to any."
        ),
    )


class AgendaShiftForm(Form):
    """The offer after a meeting moved: move every session by the meeting's start delta."""

    minutes = forms.IntegerField(
        label=_("Minutes to move the agenda by"),
        min_value=-24 * 60,
        max_value=24 * 60,
        widget=forms.HiddenInput,
    )
