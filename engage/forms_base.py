"""Form bases that speak as GOV.UK's error messages do: say what to fix, in the field's words.

Every form in the project derives from `Form` or `ModelForm` here (or adds `ErrorMessagesMixin`),
so "This field is required." never reaches a page. A message a form sets itself is kept.
"""

from django import forms
from django.utils.translation import gettext as _


def _label_in_sentence(field: forms.Field, name: str) -> str:
    label = str(field.label or name.replace("_", " ").capitalize())
    for suffix in (_(" (optional)"), ":"):
        label = label.removesuffix(suffix)
    # "Email address" reads "email address" mid-sentence; "BSL interpreter" keeps its capitals.
    if len(label) > 1 and not label[:2].isupper():
        label = label[0].lower() + label[1:]
    return label


def _required(field: forms.Field, label: str) -> str:
    if isinstance(field, forms.FileField):
        return _("Select a file to upload")
    if isinstance(field, forms.BooleanField):
        return _("Tick the box to confirm: %(label)s") % {"label": label}
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return _("Select %(label)s") % {"label": label}
    return _("Enter %(label)s") % {"label": label}


def _invalid(field: forms.Field, label: str, *, to_the_person: bool) -> str | None:
    if isinstance(field, forms.EmailField):
        if to_the_person:
            return _("Enter your email address in the correct format, like name@example.com")
        return _("Enter an email address in the correct format, like name@example.com")
    if isinstance(field, forms.URLField):
        return _("Enter a web address in the correct format, like https://www.example.org")
    if isinstance(field, forms.IntegerField):
        return _("Enter %(label)s as a whole number, like 20") % {"label": label}
    if isinstance(field, forms.DecimalField | forms.FloatField):
        return _("Enter %(label)s as a number") % {"label": label}
    if isinstance(field, forms.DateTimeField):
        return _("Enter %(label)s as a real date and time") % {"label": label}
    if isinstance(field, forms.DateField):
        return _("Enter %(label)s as a real date") % {"label": label}
    return None


def _django_default(field: forms.Field, code: str) -> bool:
    """Whether `code`'s message is still the one Django ships (not one the form chose)."""
    message = field.error_messages.get(code)
    if message is None:
        return False
    for klass in type(field).__mro__:
        default = vars(klass).get("default_error_messages", {}).get(code)
        if default is not None:
            return str(default) == str(message)
    return False


def error_messages_set(field: forms.Field, name: str, *, to_the_person: bool = False) -> None:
    """Replace Django's generic messages on one field with ones that say what to fix."""
    label = _label_in_sentence(field, name)
    if _django_default(field, "required"):
        field.error_messages["required"] = _required(field, label)
    # EmailField's "invalid" comes from its validator; a message under the code replaces it.
    if "invalid" not in field.error_messages or _django_default(field, "invalid"):
        message = _invalid(field, label, to_the_person=to_the_person)
        if message:
            field.error_messages["invalid"] = message
    for code in ("invalid_choice", "invalid_pk_value", "invalid_list"):
        if _django_default(field, code):
            field.error_messages[code] = _("Select %(label)s from the list") % {"label": label}


class ErrorMessagesMixin:
    """Sets every field's messages just before cleaning, so fields added in `__init__` get them
    too. `to_the_person`: the form asks about the person filling it in ("your email address")."""

    to_the_person = False

    def full_clean(self):
        for name, field in self.fields.items():
            error_messages_set(field, name, to_the_person=self.to_the_person)
        super().full_clean()


class Form(ErrorMessagesMixin, forms.Form):
    pass


class ModelForm(ErrorMessagesMixin, forms.ModelForm):
    pass
