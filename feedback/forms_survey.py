"""The attendee's forms: the post-meeting survey and one session's feedback, built from the
questions staff chose. Every question is optional. Long text is refused with its count, not
cut short by the browser (no maxlength), so nothing typed is lost."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engage.forms_base import Form
from engage.models import Area
from feedback import equality
from feedback.enums import SURVEY_ANSWER_TEXT_MAX, SurveyQuestionKind
from feedback.services.survey import Answer, Submission

RATING_CHOICES = [
    ("1", gettext_lazy("1 – very poor")),
    ("2", gettext_lazy("2 – poor")),
    ("3", gettext_lazy("3 – neither good nor poor")),
    ("4", gettext_lazy("4 – good")),
    ("5", gettext_lazy("5 – very good")),
]


class _Radios(forms.RadioSelect):
    use_fieldset = True


def _text_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional. Up to %(max)s characters.") % {"max": f"{SURVEY_ANSWER_TEXT_MAX:,}"},
    )


def _rating_field(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=RATING_CHOICES,
        widget=_Radios,
        help_text=_("Optional."),
    )


class _FeedbackForm(Form):
    identify = forms.BooleanField(
        label=gettext_lazy("Link my answers to my name and email address"),
        required=False,
        help_text=gettext_lazy(
            "Leave this unticked to answer anonymously: your answers are then kept with nothing "
            "that says who gave them. Tick it if you would like us to be able to follow up with you."
        ),
    )

    text_fields: list[str]

    def clean(self):
        data = super().clean()
        for name in self.text_fields:
            text = data.get(name) or ""
            if len(text) > SURVEY_ANSWER_TEXT_MAX:
                self.add_error(
                    name,
                    _(
                        "Your answer must be %(max)s characters or fewer. It is %(count)s "
                        "characters now."
                    )
                    % {"max": f"{SURVEY_ANSWER_TEXT_MAX:,}", "count": f"{len(text):,}"},
                )
        return data

    def first_field_anchor(self) -> str:
        first = next(iter(self.fields))
        field = self[first]
        return field.auto_id + ("_0" if isinstance(field.field.widget, forms.RadioSelect) else "")


class SurveyForm(_FeedbackForm):
    equality_consent = forms.BooleanField(
        label=gettext_lazy("I agree to answer the equality monitoring questions"),
        required=False,
        help_text=gettext_lazy(
            "These questions are optional and separate from your other answers. They help us see "
            "whether our meetings reach all of London's communities. Your equality answers are "
            "stored apart from your other answers and from your name, cannot be changed once sent, "
            "and are only ever reported as totals, with small numbers hidden."
        ),
    )

    def __init__(self, *args, questions, ask_equality: bool, equality_done: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.text_fields = []
        self.equality_fields = []
        fields = {}
        for question in questions:
            name = f"q{question.pk}"
            if question.kind == SurveyQuestionKind.RATING:
                fields[name] = _rating_field(question.text)
            elif question.kind == SurveyQuestionKind.CHOICE:
                fields[name] = forms.ChoiceField(
                    label=question.text,
                    required=False,
                    choices=[(c, c) for c in question.choices],
                    widget=_Radios,
                    help_text=_("Optional."),
                )
            elif question.kind == SurveyQuestionKind.AREA:
                fields[name] = forms.ModelChoiceField(
                    label=question.text,
                    required=False,
                    queryset=Area.objects.order_by("name"),
                    empty_label=_("Choose an area (optional)"),
                )
            else:
                fields[name] = _text_field(question.text)
                self.text_fields.append(name)
        identify = self.fields.pop("identify")
        consent = self.fields.pop("equality_consent")
        self.fields.update(fields)
        self.fields["identify"] = identify
        self.asks_equality = ask_equality and not equality_done
        if self.asks_equality:
            self.fields["equality_consent"] = consent
            for question in equality.QUESTIONS:
                name = f"e_{question.slug}"
                self.fields[name] = forms.ChoiceField(
                    label=question.text, required=False, choices=question.options, widget=_Radios
                )
                self.equality_fields.append(name)

    def clean(self):
        data = super().clean()
        given = [name for name in self.equality_fields if data.get(name)]
        if given and not data.get("equality_consent"):
            self.add_error(
                "equality_consent",
                _(
                    "Tick the box to agree to answer the equality monitoring questions, or leave "
                    "those questions blank."
                ),
            )
        answered = any(data.get(f"q{q.pk}") not in (None, "") for q in self.questions) or (
            given and data.get("equality_consent")
        )
        if not self.errors and not answered:
            raise forms.ValidationError(
                _("Answer at least one question before you send your answers.")
            )
        return data

    def submission(self) -> Submission:
        data = self.cleaned_data
        answers = []
        for question in self.questions:
            value = data.get(f"q{question.pk}")
            answer = Answer(question_id=question.pk)
            if question.kind == SurveyQuestionKind.RATING:
                answer.rating = int(value) if value else None
            elif question.kind == SurveyQuestionKind.CHOICE:
                answer.choice = value or ""
            elif question.kind == SurveyQuestionKind.AREA:
                answer.area_id = value.pk if value else None
            else:
                answer.text = value or ""
            answers.append(answer)
        equality_answers = {}
        if self.asks_equality and data.get("equality_consent"):
            equality_answers = {
                name.removeprefix("e_"): data[name]
                for name in self.equality_fields
                if data.get(name)
            }
        return Submission(
            answers=answers, identify=bool(data.get("identify")), equality=equality_answers
        )

    @staticmethod
    def initial_from(response, questions) -> dict:
        if response is None:
            return {}
        by_question = {a.question_id: a for a in response.answers.all()}
        initial = {"identify": response.stakeholder_id is not None}
        for question in questions:
            answer = by_question.get(question.pk)
            if answer is None:
                continue
            initial[f"q{question.pk}"] = {
                SurveyQuestionKind.RATING: str(answer.rating or ""),
                SurveyQuestionKind.CHOICE: answer.choice,
                SurveyQuestionKind.AREA: answer.area_id,
            }.get(question.kind, answer.text)
        return initial


class SessionFeedbackForm(_FeedbackForm):
    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.text_fields = []
        identify = self.fields.pop("identify")
        for question in questions:
            self.fields[f"r{question.pk}"] = _rating_field(
                _("How would you rate the discussion of: %(question)s")
                % {"question": question.text}
            )
            self.fields[f"t{question.pk}"] = _text_field(
                _("Your comments on: %(question)s") % {"question": question.text}
            )
            self.text_fields.append(f"t{question.pk}")
        self.fields["identify"] = identify

    def clean(self):
        data = super().clean()
        answered = any(data.get(f"r{q.pk}") or data.get(f"t{q.pk}") for q in self.questions)
        if not self.errors and not answered:
            raise forms.ValidationError(
                _("Answer at least one question before you send your answers.")
            )
        return data

    def submission(self) -> Submission:
        data = self.cleaned_data
        answers = [
            Answer(
                discussion_question_id=q.pk,
                rating=int(data[f"r{q.pk}"]) if data.get(f"r{q.pk}") else None,
                text=data.get(f"t{q.pk}") or "",
            )
            for q in self.questions
        ]
        return Submission(answers=answers, identify=bool(data.get("identify")))

    @staticmethod
    def initial_from(response) -> dict:
        if response is None:
            return {}
        initial = {"identify": response.stakeholder_id is not None}
        for answer in response.answers.all():
            initial[f"r{answer.discussion_question_id}"] = str(answer.rating or "")
            initial[f"t{answer.discussion_question_id}"] = answer.text
        return initial
