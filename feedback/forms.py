"""Forms for the staff pages of the meeting record. They parse input; feedback.services decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from engage.forms_base import Form
from events.forms_staff import DATETIME_FORMAT, DateTimeInput
from feedback.enums import ResponseStatus


class MeetingReportForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "What the meeting was and who spoke, in your words. Plain text. Leave a blank line "
            "between paragraphs."
        ),
    )
    draft = forms.CharField(
        label=_("Report"),
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "true"}),
        help_text=_(
            "Start a heading with ##. Start a point with -, and a point under it with two spaces "
            "and -. Put a verbatim quote between asterisks (*like this*)."
        ),
    )


class ResponseForm(Form):
    you_said = forms.CharField(
        label=_("You said"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The point people raised, in their words where you can."),
    )
    we_did = forms.CharField(
        label=_("We did"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What has been done, or will be, and by when."),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=ResponseStatus.choices, initial=ResponseStatus.OPEN
    )
    order = forms.IntegerField(
        label=_("Order"), min_value=0, required=False, help_text=_("Leave empty to add it last.")
    )


class PublicationForm(Form):
    """Publish now, at a later moment, or take off the public page; the button pressed says which."""

    NOW, SCHEDULE, UNPUBLISH = "now", "schedule", "unpublish"

    action = forms.ChoiceField(
        choices=[(NOW, NOW), (SCHEDULE, SCHEDULE), (UNPUBLISH, UNPUBLISH)],
        widget=forms.HiddenInput,
    )
    publish_at = forms.DateTimeField(
        label=_("Publish on (London time)"),
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=DateTimeInput(),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == self.SCHEDULE and not data.get("publish_at"):
            self.add_error("publish_at", _("Choose when to publish."))
        return data
