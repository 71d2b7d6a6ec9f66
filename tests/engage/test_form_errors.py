"""GOV.UK error pattern: messages that say what to fix, a summary linking to each field, and
the page title starting "Error:", on every form of the project."""

import importlib
import inspect
import pkgutil
import re

import pytest
from django import forms
from django.urls import reverse

import engage
import events
import feedback
from engage.forms_base import ErrorMessagesMixin
from engage.forms_public import JoinForm


def _project_forms():
    for package in (engage, events, feedback):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            if not info.name.split(".")[-1].startswith("forms"):
                continue
            module = importlib.import_module(info.name)
            for _name, klass in inspect.getmembers(module, inspect.isclass):
                if issubclass(klass, forms.BaseForm) and klass.__module__ == module.__name__:
                    yield klass


def test_every_project_form_speaks_govuk_messages():
    found = list(_project_forms())

    assert len(found) > 20
    assert [k.__name__ for k in found if not issubclass(k, ErrorMessagesMixin)] == []


def test_messages_say_what_to_fix(consent_purposes):
    form = JoinForm(data={"email": "nia.example.org"})

    assert not form.is_valid()
    assert form.errors["first_name"] == ["Enter first name"]
    assert form.errors["email"] == [
        "Enter your email address in the correct format, like name@example.com"
    ]
    # A message the form chose itself is kept.
    assert form.errors["purposes"][0].startswith("Tick at least one box")
    assert "This field is required." not in str(form.errors)


def test_join_errors_summary_links_to_each_field_and_title_says_error(client, consent_purposes):
    response = client.post(reverse("engage:join"), {"email": "nia.example.org"})

    html = response.content.decode()
    assert re.search(r"<title>Error: ", html)
    start = html.index('class="error-summary"')
    summary = html[start : html.index("</ul>", start)]
    links = re.findall(r'href="#([^"]+)"', summary)
    assert {"id_first_name", "id_last_name", "id_email", "id_purposes_0"} <= set(links)
    for anchor in links:
        assert f'id="{anchor}"' in html
    assert "autofocus" in summary
    # The consent group names its error, so a screen reader hears why.
    assert re.search(
        r'<fieldset id="id_purposes" aria-describedby="purposes-help id_purposes_error"', html
    )
    assert 'id="id_purposes_error"' in html


def test_a_page_without_errors_has_no_summary_and_a_plain_title(client, consent_purposes):
    html = client.get(reverse("engage:join")).content.decode()

    assert 'class="error-summary"' not in html
    assert "<title>Error:" not in html


@pytest.mark.django_db
def test_staff_form_errors_use_the_same_pattern(client, engagement_team):
    client.force_login(engagement_team)

    html = client.post(reverse("engage:suppression_add"), {"email": "x"}).content.decode()

    assert "<title>Error: " in html
    assert '<a href="#id_email">Enter an email address in the correct format' in html
