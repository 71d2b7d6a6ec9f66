"""Forms for the public meeting pages: guest email check, the registration form."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from engage.enums import PURPOSE_ACCESS_NEEDS, PURPOSE_ATTENDEE_LIST, PURPOSE_MEETING_INVITATIONS
from engage.forms_base import Form
from engage.models import ConsentPurpose
from engage.selectors import stakeholder_filter_choices
from events.services import RegistrationDetails

MAX_PANEL_QUESTIONS = 5


class EmailForm(Form):
    to_the_person = True

    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We will email you a six-digit code to check it is yours."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


class CodeForm(Form):
    to_the_person = True

    code = forms.CharField(
        label=_("The six-digit code we emailed you"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )

    def clean_code(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["code"] if ch.isdigit())
        if len(digits) != 6:
            raise forms.ValidationError(_("Enter the six digits from the email."))
        return digits


class RegistrationForm(Form):
    """What registration asks. Consent boxes carry the exact wording of their purpose."""

    to_the_person = True

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    area = forms.TypedChoiceField(
        label=_("Your area"),
        help_text=_("The borough you live or work in, or the City of London."),
        coerce=int,
        empty_value=None,
        required=False,
    )
    organisation_name = forms.CharField(
        label=_("Organisation or community you represent (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    breakout_preferences = forms.MultipleChoiceField(
        label=_("Breakout discussions you would like to join (optional)"),
        help_text=_("Tick one or more. We place you in the first one you ticked that has room."),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    access_requirements = forms.CharField(
        label=_("Access requirements (optional)"),
        help_text=_(
            "For example step-free access, a hearing loop, a British Sign Language interpreter, "
            "or large-print papers. Only the engagement team sees this, and we delete it after "
            "the meeting."
        ),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    access_consent = forms.BooleanField(required=False)
    panel_questions = forms.CharField(
        label=_("Questions for the panel (optional)"),
        help_text=_("Put each question on a line of its own. The panel sees them in advance."),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attendee_list_ok = forms.BooleanField(required=False)
    join_stakeholder_list = forms.BooleanField(required=False)

    def __init__(
        self,
        *args,
        breakouts,
        email: str,
        ask_to_join: bool = True,
        for_checking: bool = False,
        access_needs_retention_days: int | None = None,
        **kwargs,
    ):
        """`breakouts` is [(session, places_left or None)]; `email` is the checked address.

        `for_checking`: the form only checks a submission and is not shown, so the consent boxes'
        wording is not needed and which purposes are active comes from the cache.
        """
        super().__init__(*args, **kwargs)
        self.email = email
        if access_needs_retention_days is not None:
            # The promise says what the wipe task really does (the meeting's retention period).
            self.fields["access_requirements"].help_text = ngettext(
                "For example step-free access, a hearing loop, a British Sign Language "
                "interpreter, or large-print papers. Only the engagement team sees this, and we "
                "delete it %(days)d day after the meeting.",
                "For example step-free access, a hearing loop, a British Sign Language "
                "interpreter, or large-print papers. Only the engagement team sees this, and we "
                "delete it %(days)d days after the meeting.",
                access_needs_retention_days,
            ) % {"days": access_needs_retention_days}
        # The areas are reference data: from the cache, not a query on every submission.
        self.fields["area"].choices = [
            ("", _("Choose an area")),
            *sorted(stakeholder_filter_choices()["area_ids"], key=lambda area: area[1]),
        ]
        self.full_breakouts = {str(s.pk) for s, left in breakouts if left == 0}
        choices = []
        for session, left in breakouts:
            label = session.title
            if left == 0:
                label = _("%(title)s (full)") % {"title": session.title}
            choices.append((str(session.pk), label))
        if choices:
            self.fields["breakout_preferences"].choices = choices
        else:
            del self.fields["breakout_preferences"]
        asked = [PURPOSE_ACCESS_NEEDS, PURPOSE_ATTENDEE_LIST, PURPOSE_MEETING_INVITATIONS]
        if for_checking:
            active = {slug for _pk, slug, _name in stakeholder_filter_choices()["purposes"]}
            wordings = {slug: "" for slug in asked if slug in active}
        else:
            wordings = dict(
                ConsentPurpose.objects.filter(slug__in=asked, active=True).values_list(
                    "slug", "wording"
                )
            )
        consent_fields = {
            "access_consent": PURPOSE_ACCESS_NEEDS,
            "attendee_list_ok": PURPOSE_ATTENDEE_LIST,
            "join_stakeholder_list": PURPOSE_MEETING_INVITATIONS,
        }
        for name, slug in consent_fields.items():
            if slug not in wordings or (name == "join_stakeholder_list" and not ask_to_join):
                del self.fields[name]
            else:
                self.fields[name].label = wordings[slug]
        self.access_requirements_kept = "access_consent" in self.fields
        if not self.access_requirements_kept:
            del self.fields["access_requirements"]

    def clean_breakout_preferences(self) -> list[str]:
        chosen = self.cleaned_data["breakout_preferences"]
        if chosen and all(pk in self.full_breakouts for pk in chosen):
            raise forms.ValidationError(
                _("The breakouts you chose are full. Choose another, or leave them all unticked.")
            )
        return chosen

    def clean_panel_questions(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["panel_questions"].splitlines()]
        questions = [line for line in lines if line]
        if len(questions) > MAX_PANEL_QUESTIONS:
            raise forms.ValidationError(
                _("Please send at most %(n)d questions.") % {"n": MAX_PANEL_QUESTIONS}
            )
        return questions

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("access_requirements") and not cleaned.get("access_consent"):
            self.add_error(
                "access_consent",
                _(
                    "Tick this box so that we may keep your access requirements, or clear the "
                    "access requirements box."
                ),
            )
        return cleaned

    def details(self) -> RegistrationDetails:
        data = self.cleaned_data
        return RegistrationDetails(
            email=self.email,
            first_name=data["first_name"].strip(),
            last_name=data.get("last_name", "").strip(),
            area_id=data.get("area"),
            organisation_name=data.get("organisation_name", ""),
            breakout_preference_ids=tuple(int(pk) for pk in data.get("breakout_preferences", [])),
            access_requirements=data.get("access_requirements", ""),
            access_consent=bool(data.get("access_consent")),
            panel_questions=tuple(data.get("panel_questions", [])),
            attendee_list_ok=bool(data.get("attendee_list_ok")),
            join_stakeholder_list=bool(data.get("join_stakeholder_list")),
        )


class GuestRegistrationForm(RegistrationForm):
    """The whole registration on one page for a guest whose address is not yet checked: the
    address comes first, and the code emailed to it confirms the registration."""

    guest_email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_(
            "We will email you a six-digit code to check it is yours. Your registration is made "
            "when you enter it."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    field_order = ["guest_email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, email="", **kwargs)
        self.order_fields(["guest_email"])
