"""Forms for responses owed: owners, raising an item, putting it to an owner, the team's decision
and the owner's own page. They parse input; feedback.services.responses decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from engage.forms_base import Form
from feedback.enums import ReplyKind, ResponseSource, ResponseStatus


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class OwnerForm(Form):
    name = forms.CharField(label=_("Team or organisation"), max_length=200)
    contact_name = forms.CharField(label=_("Contact name"), max_length=200, required=False)
    contact_email = forms.EmailField(
        label=_("Contact email"),
        required=False,
        help_text=_("Items are emailed here with a link to respond. No account is needed."),
    )


class RaiseForm(Form):
    source = forms.ChoiceField(label=_("What it answers"), choices=ResponseSource.choices)
    theme = forms.TypedChoiceField(label=_("Theme"), coerce=int, required=False, empty_value=None)
    panel_question = forms.TypedChoiceField(
        label=_("Question for the panel"), coerce=int, required=False, empty_value=None
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=40,
        required=False,
        help_text=_("For example: Recommendation 3"),
    )
    you_said = forms.CharField(
        label=_("What people said"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Leave empty to use the theme's name or the question's text."),
    )

    def __init__(self, *args, themes=(), questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", _("None"))] + [(t.pk, t.name) for t in themes]
        self.fields["panel_question"].choices = [("", _("None"))] + [
            (q.pk, q.text[:80]) for q in questions
        ]


class AssignForm(Form):
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    due_on = forms.DateField(
        label=_("Due"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for a week before the next meeting in the series."),
    )
    note = forms.CharField(
        label=_("Note to the owner"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [
            (o.pk, f"{o.name}" + ("" if o.contact_email else f" ({_('no email')})")) for o in owners
        ]


class StatusForm(Form):
    status = forms.ChoiceField(label=_("Status"), choices=ResponseStatus.choices)
    reason = forms.CharField(
        label=_("Reason (needed to decline; it is published)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class ApproveForm(Form):
    text = forms.CharField(
        label=_("Text to publish"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("Edit if needed; leave as it is to publish the owner's words."),
    )


class ReturnForm(Form):
    note = forms.CharField(
        label=_("What should the owner change?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class OwnerReplyForm(Form):
    kind = forms.ChoiceField(
        label=_("What are you sending?"),
        choices=ReplyKind.choices,
        widget=forms.RadioSelect,
        initial=ReplyKind.RESPONSE,
    )
    text = forms.CharField(
        label=_("Your response, or your reason"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text=_(
            "Write for the public: this is published once the engagement team approves it."
        ),
    )
    proposed_due = forms.DateField(
        label=_("If you need more time: the date you can respond by"),
        required=False,
        widget=DateInput(),
    )
