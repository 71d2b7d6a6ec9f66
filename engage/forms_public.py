"""Forms for the public pages: joining the list, one's details, and the staff suppression list."""

from django import forms
from django.utils.translation import gettext_lazy as _

from engage.enums import TagKind
from engage.forms_base import Form
from engage.models import Area, ConsentPurpose, Tag


class PurposeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.wording


class JoinForm(Form):
    to_the_person = True

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We will email you a link to confirm that this address is yours."),
    )
    area = forms.ModelChoiceField(
        label=_("Your area"),
        queryset=Area.objects.all(),
        required=False,
        empty_label=_("Choose your borough (optional)"),
    )
    organisation = forms.CharField(
        label=_("Organisation or community you represent (optional)"),
        max_length=200,
        required=False,
    )
    interests = forms.ModelMultipleChoiceField(
        label=_("What are you interested in? (optional)"),
        queryset=Tag.objects.filter(kind=TagKind.INTEREST),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    purposes = PurposeChoiceField(
        label=_("What you agree to"),
        queryset=ConsentPurpose.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick each one you agree to. You can change your mind at any time."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.fields["interests"].queryset.exists():
            del self.fields["interests"]

    def clean_purposes(self):
        purposes = self.cleaned_data["purposes"]
        if not purposes:
            raise forms.ValidationError(
                _("Tick at least one box: we can only add you to the list for a purpose.")
            )
        return purposes


class DetailsForm(Form):
    """What a person may change about themselves without staff (the address is their identity)."""

    to_the_person = True

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    area = forms.ModelChoiceField(
        label=_("Your area"),
        queryset=Area.objects.all(),
        required=False,
        empty_label=_("Not given"),
    )


class SuppressionAddForm(Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    note = forms.CharField(
        label=_("Why (optional)"),
        max_length=300,
        required=False,
        help_text=_("For example: asked by phone on 3 March never to be emailed."),
    )


class PrivacyNoticeDraftForm(Form):
    """A new version of the privacy notice, as a draft until it is published."""

    version = forms.CharField(
        label=_("Version label"),
        max_length=40,
        help_text=_(
            "For example 2027-03. Consents cite it, so it cannot be changed once published."
        ),
    )
    title = forms.CharField(label=_("Title"), max_length=200, initial=_("Privacy notice"))
    lawful_basis = forms.CharField(
        label=_("Lawful basis"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Why we may hold the data at all, in the words the notice uses."),
    )
    text = forms.CharField(
        label=_("Text of the notice"),
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_(
            "Start each section with its heading on a line of its own beginning with ## and a "
            "space; leave a blank line between paragraphs."
        ),
    )
