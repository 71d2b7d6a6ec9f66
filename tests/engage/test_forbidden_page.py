"""The forbidden page says what happened and where to go, in the site's layout."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_a_representative_on_a_staff_page_is_told_why_and_where_to_go(client, representative):
    client.force_login(representative)

    response = client.get(reverse("events:campaign_list"))

    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="en-gb">' in html
    assert "<title>You cannot see this page – Engage</title>" in html
    assert f"You are signed in as {representative.email}" in html
    assert 'href="/"' in html and reverse("engage:dashboard") in html
    assert 'class="site-header"' in html  # the site's own layout


@pytest.mark.django_db
def test_a_form_refused_for_its_security_token_says_what_to_do():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("engage:join"), {"email": "a@example.org"})

    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="en-gb">' in html
    assert "Go back, reload the page and send the form again." in html
