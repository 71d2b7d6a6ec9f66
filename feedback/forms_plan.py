"""Forms for the action plan's staff pages. They parse input; feedback.services.plan decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from engage.forms_base import Form
from feedback.forms_responses import DateInput


class PlanForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(label=_("Web address"), max_length=100)


class ChapterForm(Form):
    number = forms.CharField(label=_("Chapter number"), max_length=10)
    title = forms.CharField(label=_("Chapter title"), max_length=200)


class ImportForm(Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "Columns: chapter, number, commitment; optionally lead organisation, owner email, "
            "update and rating (updates go into the open round)."
        ),
    )


class RoundForm(Form):
    title = forms.CharField(
        label=_("Title"), max_length=100, help_text=_("For example: 2021/22 Q2")
    )
    period_end = forms.DateField(label=_("Quarter ends"), widget=DateInput())
    due_on = forms.DateField(label=_("Updates due"), required=False, widget=DateInput())


class UpdateForm(Form):
    status_text = forms.CharField(
        label=_("Status update"), widget=forms.Textarea(attrs={"rows": 4})
    )
    rating = forms.ChoiceField(label=_("Rating"))

    def __init__(self, *args, ratings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].choices = [(r.code, f"{r.code}: {r.label}") for r in ratings]


class RewordForm(Form):
    text = forms.CharField(label=_("Commitment"), widget=forms.Textarea(attrs={"rows": 4}))


class CommitmentLinksForm(Form):
    """Choices are the themes and responses of the plan's series (commitment_link_choices)."""

    themes = forms.TypedMultipleChoiceField(
        label=_("Themes people raised"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    responses = forms.TypedMultipleChoiceField(
        label=_("Responses to what people said"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, themes=(), responses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = [(theme.pk, theme.name) for theme in themes]
        self.fields["responses"].choices = [
            (response.pk, f"{response.meeting.title}: {response.you_said[:160]}")
            for response in responses
        ]
