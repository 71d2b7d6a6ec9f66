"""Forms for the next meeting's pre-reading. They parse input; feedback.services.prereading
decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from engage.forms_base import Form
from events.forms_staff import DATETIME_FORMAT, DateTimeInput


class PreReadingForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    introduction = forms.CharField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Plain text. Leave a blank line between paragraphs."),
    )
    outline = forms.CharField(
        label=_("Pre-reading"),
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "true"}),
        help_text=_(
            "Start a heading with ## (### for a subsection). Start a point with -, and a point "
            "under it with two spaces and -."
        ),
    )


class PreReadingPublishForm(Form):
    publish_at = forms.DateTimeField(
        label=_("Publish on (London time)"),
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=DateTimeInput(),
        help_text=_(
            "Leave empty to publish two weeks before the meeting (or now, if that is sooner), "
            "so delegates have time to prepare. Registrants are emailed when it is published."
        ),
    )
