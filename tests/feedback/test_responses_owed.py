"""Responses owed: putting an item to an owner, the owner's signed-link page, the team's
approval, status changes and their history, and the staff pages for every role."""

import datetime as dt
import re

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from engage import links
from engage.enums import EmailStatus
from engage.models import OutboundEmail
from feedback import services
from feedback.enums import ReplyDecision, ReplyKind, ResponseAction, ResponseSource, ResponseStatus
from feedback.models import Owner, Response
from feedback.selectors import response_due_default
from tests.factories import (
    MeetingFactory,
    OwnerFactory,
    PanelQuestionFactory,
    ResponseFactory,
    SeriesFactory,
)

pytestmark = pytest.mark.django_db


def _meetings():
    series = SeriesFactory(slug="owed-series")
    start = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0)
    past = MeetingFactory(series=series, start=start, end=start + dt.timedelta(hours=2))
    following = MeetingFactory(
        series=series,
        start=start + dt.timedelta(days=60),
        end=start + dt.timedelta(days=60, hours=2),
    )
    return past, following


def _open_item(meeting=None, **kwargs):
    meeting = meeting or _meetings()[0]
    return ResponseFactory(
        **{"meeting": meeting, "status": ResponseStatus.OPEN, "we_did": "", "publish_at": None}
        | kwargs
    )


def _reply_url(email: OutboundEmail) -> str:
    return re.search(r"https?://\S+/respond/\S+", email.body_text).group(0)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_due_date_defaults_to_a_week_before_the_next_meeting():
    past, following = _meetings()
    lonely = MeetingFactory(series=None)

    assert response_due_default(meeting=past) == timezone.localdate(
        following.start - dt.timedelta(days=7)
    )
    assert response_due_default(meeting=lonely) == timezone.localdate(
        lonely.end + dt.timedelta(weeks=4)
    )


def test_raise_a_panel_question_uses_its_text_and_writes_history():
    past, _ = _meetings()
    question = PanelQuestionFactory(meeting=past, text="Why are stops of young people rising?")

    item = services.response_raise(
        meeting_id=past.pk,
        you_said="",
        source=ResponseSource.PANEL_QUESTION,
        panel_question_id=question.pk,
        actor=None,
    )

    assert (item.you_said, item.status, item.we_did) == (question.text, ResponseStatus.OPEN, "")
    assert [e.action for e in item.history.all()] == [ResponseAction.CREATED]


def test_assign_emails_the_owner_a_signed_link_and_defaults_the_due_date(
    django_capture_on_commit_callbacks, engagement_team
):
    past, following = _meetings()
    item = _open_item(past)
    owner = OwnerFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.response_assign(response_id=item.pk, owner_id=owner.pk, actor=engagement_team)

    item.refresh_from_db()
    email = OutboundEmail.objects.get(template="feedback/owner_asked")
    assert email.to_email == owner.contact_email
    assert item.status == ResponseStatus.IN_PROGRESS
    assert item.due_on == timezone.localdate(following.start - dt.timedelta(days=7))
    assert item.owner_email == email
    assert f"/respond/{item.pk}/" in _reply_url(email)
    history = list(item.history.all())
    assert history[-1].action == ResponseAction.ASSIGNED
    assert history[-1].by_user == engagement_team


def test_assign_refuses_an_owner_without_email_and_a_past_date():
    item = _open_item()
    no_email = OwnerFactory(contact_email="")
    owner = OwnerFactory()

    with pytest.raises(ValidationError) as missing:
        services.response_assign(response_id=item.pk, owner_id=no_email.pk, actor=None)
    with pytest.raises(ValidationError) as past:
        services.response_assign(
            response_id=item.pk,
            owner_id=owner.pk,
            due_on=timezone.localdate() - dt.timedelta(days=1),
            actor=None,
        )

    item.refresh_from_db()
    assert "no contact email" in str(missing.value)
    assert "today or in the future" in str(past.value)
    assert item.owner_id is None
    assert not OutboundEmail.objects.exists()


def _assigned(**kwargs):
    item = _open_item(**kwargs)
    owner = OwnerFactory()
    services.response_assign(response_id=item.pk, owner_id=owner.pk, actor=None)
    item.refresh_from_db()
    token = links.item_link_token(
        purpose=links.OWNER_REPLY, item=f"response:{item.pk}", sent_to=owner.contact_email
    )
    return item, token


def test_owner_writes_a_response_the_team_approves_and_it_is_published(client, engagement_team):
    item, token = _assigned()
    url = reverse("feedback:owner_response", kwargs={"pk": item.pk, "token": token})

    page = client.get(url)
    sent = client.post(url, {"kind": "response", "text": "We now publish stop data monthly."})
    item.refresh_from_db()
    before_approval = (item.status, item.we_did, item.publish_at)
    reply = item.replies.get()
    services.owner_reply_approve(reply_id=reply.pk, actor=engagement_team)
    item.refresh_from_db()

    assert page.status_code == 200 and item.you_said in page.content.decode()
    assert sent.status_code == 200
    assert before_approval == (ResponseStatus.IN_PROGRESS, "", None)
    assert item.status == ResponseStatus.RESPONDED
    assert item.we_did == "We now publish stop data monthly."
    assert item.is_published() and item.responded_at is not None
    actions = [e.action for e in item.history.all()]
    assert actions[-2:] == [ResponseAction.OWNER_REPLIED, ResponseAction.APPROVED]
    assert item.history.get(action=ResponseAction.OWNER_REPLIED).by_owner == item.owner


def test_owner_asks_for_more_time_and_the_team_grants_it():
    item, token = _assigned()
    later = item.due_on + dt.timedelta(days=14)

    with pytest.raises(ValidationError):
        services.owner_reply_submit(
            response_id=item.pk, token=token, kind=ReplyKind.MORE_TIME, text="", proposed_due=later
        )
    with pytest.raises(ValidationError):
        services.owner_reply_submit(
            response_id=item.pk,
            token=token,
            kind=ReplyKind.MORE_TIME,
            text="Waiting for data",
            proposed_due=item.due_on,
        )
    reply = services.owner_reply_submit(
        response_id=item.pk,
        token=token,
        kind=ReplyKind.MORE_TIME,
        text="The data is published next month",
        proposed_due=later,
    )
    services.owner_reply_approve(reply_id=reply.pk, actor=None)
    item.refresh_from_db()

    assert item.due_on == later
    assert item.status == ResponseStatus.IN_PROGRESS
    assert item.history.filter(action=ResponseAction.MORE_TIME_GRANTED).exists()


def test_a_decline_needs_a_reason_and_publishes_it():
    item, token = _assigned()

    with pytest.raises(ValidationError):
        services.response_status_set(
            response_id=item.pk, status=ResponseStatus.DECLINED, reason=" ", actor=None
        )
    reply = services.owner_reply_submit(
        response_id=item.pk, token=token, kind=ReplyKind.DECLINE, text="Outside our powers."
    )
    services.owner_reply_approve(reply_id=reply.pk, actor=None)
    item.refresh_from_db()

    assert (item.status, item.declined_reason) == (ResponseStatus.DECLINED, "Outside our powers.")
    assert item.is_published()


def test_returning_a_reply_emails_the_owner_with_the_note(django_capture_on_commit_callbacks):
    item, token = _assigned()
    reply = services.owner_reply_submit(
        response_id=item.pk, token=token, kind=ReplyKind.RESPONSE, text="Noted."
    )

    services.owner_reply_return(
        reply_id=reply.pk, note="Say what will change, and when.", actor=None
    )

    reply.refresh_from_db()
    assert reply.decision == ReplyDecision.RETURNED
    latest = OutboundEmail.objects.filter(template="feedback/owner_asked").order_by("-pk").first()
    assert "Say what will change, and when." in latest.body_text
    with pytest.raises(ValidationError):
        services.owner_reply_approve(reply_id=reply.pk, actor=None)


@pytest.mark.parametrize("case", ["forged", "other_item", "other_purpose", "address_changed"])
def test_bad_links_are_refused(client, case):
    item, token = _assigned()
    other, other_token = _assigned()
    if case == "forged":
        token = token[:-4] + "abcd"
    elif case == "other_item":
        token = other_token
    elif case == "other_purpose":
        token = signing.dumps(
            {"i": f"response:{item.pk}", "a": "x"}, salt="engage.links.preferences"
        )
    elif case == "address_changed":
        owner = item.owner
        services.owner_update(
            owner_id=owner.pk, name=owner.name, contact_email="new@police.example.org", actor=None
        )
    url = reverse("feedback:owner_response", kwargs={"pk": item.pk, "token": token})

    got = client.get(url)
    posted = client.post(url, {"kind": "response", "text": "Sneaky"})

    assert got.status_code == posted.status_code == 404
    assert not item.replies.exists()


def test_an_expired_link_says_so(client, settings, time_machine):
    item, token = _assigned()
    time_machine.move_to(
        timezone.now() + dt.timedelta(days=settings.ENGAGE_LINK_OWNER_REPLY_DAYS + 1)
    )

    got = client.get(reverse("feedback:owner_response", kwargs={"pk": item.pk, "token": token}))

    assert got.status_code == 410
    assert "expired" in got.content.decode()


def test_the_owner_page_shows_errors_in_a_summary(client):
    item, token = _assigned()
    url = reverse("feedback:owner_response", kwargs={"pk": item.pk, "token": token})

    page = client.post(url, {"kind": "more_time", "text": ""})

    body = page.content.decode()
    assert page.status_code == 400
    assert "<title>Error:" in body
    assert 'href="#id_text"' in body and "Enter why more time is needed." in body


def test_the_public_notice_waits_for_an_answer():
    from feedback.notifications import responses_published_notify_due

    item = _open_item(publish_at=timezone.now() - dt.timedelta(minutes=1))

    responses_published_notify_due()

    item.refresh_from_db()
    assert item.notified_at is None


# --- Staff pages ---------------------------------------------------------------------------


STAFF_PAGES = ["staff_owed", "staff_owners", "staff_owed_item", "staff_owed_raise", "owner_edit"]


@pytest.mark.parametrize("page", STAFF_PAGES)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302),
        ("representative", 403),
        ("facilitator", 403),
        ("engagement_team", 200),
        ("administrator", 200),
    ],
)
def test_staff_pages_by_role(client, role_users, page, role, expected):
    item = _open_item()
    owner = OwnerFactory()
    urls = {
        "staff_owed": reverse("feedback:staff_owed"),
        "staff_owners": reverse("feedback:staff_owners"),
        "staff_owed_item": reverse("feedback:staff_owed_item", kwargs={"pk": item.pk}),
        "staff_owed_raise": reverse("feedback:staff_owed_raise", kwargs={"pk": item.meeting_id}),
        "owner_edit": reverse("feedback:staff_owner_edit", kwargs={"pk": owner.pk}),
    }
    if role_users[role] is not None:
        client.force_login(role_users[role])

    got = client.get(urls[page])

    assert got.status_code == expected


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("anonymous", False),
        ("representative", False),
        ("facilitator", False),
        ("engagement_team", True),
        ("administrator", True),
    ],
)
def test_assigning_through_the_page_by_role(client, role_users, role, allowed):
    item = _open_item()
    owner = OwnerFactory()
    if role_users[role] is not None:
        client.force_login(role_users[role])

    client.post(reverse("feedback:staff_owed_assign", kwargs={"pk": item.pk}), {"owner": owner.pk})

    item.refresh_from_db()
    assert (item.owner_id == owner.pk) is allowed


def test_staff_add_owner_raise_assign_and_approve_through_pages(client, engagement_team):
    client.force_login(engagement_team)
    past, _ = _meetings()

    client.post(
        reverse("feedback:staff_owners"),
        {"name": "Youth services", "contact_name": "Ali", "contact_email": "ali@council.example"},
    )
    client.post(
        reverse("feedback:staff_owed_raise", kwargs={"pk": past.pk}),
        {
            "source": "recommendation",
            "reference": "Recommendation 2",
            "you_said": "An independent body",
        },
    )
    item = Response.objects.get(meeting=past)

    owner = Owner.objects.get(name="Youth services")
    client.post(reverse("feedback:staff_owed_assign", kwargs={"pk": item.pk}), {"owner": owner.pk})
    token = links.item_link_token(
        purpose=links.OWNER_REPLY, item=f"response:{item.pk}", sent_to=owner.contact_email
    )
    reply = services.owner_reply_submit(
        response_id=item.pk, token=token, kind=ReplyKind.RESPONSE, text="Commissioned in May."
    )
    detail = client.get(reverse("feedback:staff_owed_item", kwargs={"pk": item.pk}))
    client.post(reverse("feedback:staff_reply_approve", kwargs={"pk": reply.pk}), {"text": ""})
    item.refresh_from_db()

    assert "Commissioned in May." in detail.content.decode()
    assert (item.status, item.we_did, item.reference) == (
        ResponseStatus.RESPONDED,
        "Commissioned in May.",
        "Recommendation 2",
    )


def test_a_bounced_owner_email_is_shown_to_the_team(client, engagement_team):
    item, _token = _assigned()
    OutboundEmail.objects.filter(pk=item.owner_email_id).update(status=EmailStatus.BOUNCED)
    client.force_login(engagement_team)

    page = client.get(reverse("feedback:staff_owed"))

    assert "Email not delivered" in page.content.decode()
