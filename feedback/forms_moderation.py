"""Forms of the moderation pages. They parse input; feedback.services.moderation decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from engage.forms_base import Form
from feedback.enums import POINT_TEXT_MAX, THEME_NAME_MAX, WITHHELD_REASON_MAX, ModerationState
from feedback.selectors.moderation import FLAGGED, MERGED

STATE_CHOICES = [
    ("", _("All points")),
    (ModerationState.PENDING, _("Waiting for review")),
    (FLAGGED, _("Flagged personal data")),
    (ModerationState.APPROVED, _("Approved")),
    (ModerationState.WITHHELD, _("Withheld")),
    (MERGED, _("Merged into another point")),
]


class ModerationFilterForm(Form):
    """The list's filters. The question is chosen by its place in the meeting's list of
    distinct question texts (the same question put to every breakout is one choice)."""

    state = forms.ChoiceField(label=_("Show"), choices=STATE_CHOICES, required=False)
    question = forms.TypedChoiceField(label=_("Question"), coerce=int, required=False)
    theme = forms.ChoiceField(label=_("Theme"), required=False)

    def __init__(self, *args, question_texts: list[str], themes, **kwargs):
        super().__init__(*args, **kwargs)
        self.question_texts = question_texts
        self.fields["question"].choices = [("", _("All questions"))] + [
            (i, text if len(text) <= 90 else text[:89] + "…")
            for i, text in enumerate(question_texts, start=1)
        ]
        self.fields["theme"].choices = [("", _("All themes")), ("none", _("No theme yet"))] + [
            (str(t.pk), t.name) for t in themes
        ]

    def question_text(self) -> str:
        index = self.cleaned_data.get("question") if self.is_valid() else None
        return self.question_texts[index - 1] if index else ""


class PointEditForm(Form):
    text = forms.CharField(
        label=_("Point"), max_length=POINT_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    verbatim = forms.BooleanField(label=_("A verbatim quote"), required=False)
    weight = forms.IntegerField(
        label=_("How many said this"),
        min_value=1,
        help_text=_("1 for one person; merging duplicates adds their counts."),
    )


class WithholdForm(Form):
    reason = forms.CharField(
        label=_("Why is it withheld from publication?"),
        max_length=WITHHELD_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: offensive, off-topic, or identifies someone. Staff see this."),
        error_messages={"required": _("Enter why the point is withheld from publication.")},
    )


class BulkForm(Form):
    """An action on several points: approve, tag with a theme, or merge into one of them."""

    APPROVE, THEME, MERGE = "approve", "theme", "merge"

    action = forms.ChoiceField(
        choices=[(APPROVE, APPROVE), (THEME, THEME), (MERGE, MERGE)],
        error_messages={"required": _("Choose what to do with the points.")},
    )
    point = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={"required": _("Select at least one point.")},
    )
    theme = forms.CharField(label=_("Theme"), max_length=THEME_NAME_MAX, required=False)
    into = forms.TypedChoiceField(coerce=int, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The ids are checked by the services against the meeting; any whole number parses here.
        posted = self.data.getlist("point") if hasattr(self.data, "getlist") else []
        ids = [(v, v) for v in posted if str(v).isdigit()]
        self.fields["point"].choices = ids
        into = self.data.get("into", "") if self.data else ""
        self.fields["into"].choices = [(into, into)] if str(into).isdigit() else []
