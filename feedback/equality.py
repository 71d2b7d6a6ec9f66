"""The equality monitoring questions: fixed wording and options, as the team's published
monitoring forms ask them (broad categories, so that small counts stay rare), each with
"Prefer not to say". Data, not rows: staff choose whether a survey asks them, not what they say.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PREFER_NOT = "prefer_not"


@dataclass(frozen=True)
class EqualityQuestion:
    slug: str
    text: str
    options: tuple[tuple[str, str], ...]


def _with_prefer_not(*options: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (*options, (PREFER_NOT, _("Prefer not to say")))


QUESTIONS: tuple[EqualityQuestion, ...] = (
    EqualityQuestion(
        "age",
        _("What is your age?"),
        _with_prefer_not(
            ("under_18", _("Under 18")),
            ("18_24", _("18 to 24")),
            ("25_34", _("25 to 34")),
            ("35_49", _("35 to 49")),
            ("50_64", _("50 to 64")),
            ("65_plus", _("65 or over")),
        ),
    ),
    EqualityQuestion(
        "sex",
        _("What is your sex?"),
        _with_prefer_not(("female", _("Female")), ("male", _("Male"))),
    ),
    EqualityQuestion(
        "ethnic_group",
        _("What is your ethnic group?"),
        _with_prefer_not(
            ("asian", _("Asian or Asian British")),
            ("black", _("Black, Black British, Caribbean or African")),
            ("mixed", _("Mixed or multiple ethnic groups")),
            ("white", _("White")),
            ("other", _("Another ethnic group")),
        ),
    ),
    EqualityQuestion(
        "disability",
        _("Do you consider yourself to be disabled?"),
        _with_prefer_not(("yes", _("Yes")), ("no", _("No"))),
    ),
    EqualityQuestion(
        "religion",
        _("What is your religion or belief?"),
        _with_prefer_not(
            ("none", _("No religion")),
            ("buddhist", _("Buddhist")),
            ("christian", _("Christian")),
            ("hindu", _("Hindu")),
            ("jewish", _("Jewish")),
            ("muslim", _("Muslim")),
            ("sikh", _("Sikh")),
            ("other", _("Another religion or belief")),
        ),
    ),
)

BY_SLUG = {question.slug: question for question in QUESTIONS}
