"""Invitation campaigns: audience, fan-out (exactly one invitation each), scheduling, pages."""

import collections
import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engage.enums import ConsentAction, EmailStatus, SuppressionReason
from engage.mail.reconcile import emails_reconcile
from engage.models import Membership, OutboundEmail, Segment, Suppression
from events import services
from events.enums import CampaignStatus, MeetingStatus
from events.models import Campaign, Invitation
from events.selectors import campaign_audience, campaign_status_counts
from tests.factories import (
    AreaFactory,
    CampaignFactory,
    ConsentRecordFactory,
    MeetingFactory,
    OrganisationFactory,
    RegistrationFactory,
    StakeholderFactory,
)


def consenting(**kwargs):
    stakeholder = StakeholderFactory(**kwargs)
    ConsentRecordFactory(stakeholder=stakeholder)
    return stakeholder


def audience_with_every_reason(meeting):
    """Two invitable people and one left out for each reason."""
    invited = [consenting(first_name="Amira"), consenting(first_name="Ben")]
    no_consent = StakeholderFactory(first_name="Cara")
    withdrawn = consenting(first_name="Dev")
    ConsentRecordFactory(stakeholder=withdrawn, action=ConsentAction.WITHDRAWN)
    suppressed = consenting(first_name="Eve")
    Suppression.objects.create(
        email_normalised=suppressed.email_normalised, reason=SuppressionReason.HARD_BOUNCE
    )
    registered = consenting(first_name="Femi")
    RegistrationFactory(meeting=meeting, stakeholder=registered)
    return invited, {
        "no_consent": [no_consent, withdrawn],
        "suppressed": [suppressed],
        "registered": [registered],
    }


@pytest.mark.django_db
def test_audience_counts_and_reasons_for_leaving_people_out():
    meeting = MeetingFactory()
    invited, left = audience_with_every_reason(meeting)

    audience = campaign_audience(meeting=meeting, filters={})
    reasons = {person.first_name: r for person, r in audience.left_out()}

    assert audience.counts() == {
        "members": 6,
        "eligible": 2,
        "no_consent": 2,
        "suppressed": 1,
        "registered": 1,
    }
    assert sorted(audience.eligible.values_list("first_name", flat=True)) == ["Amira", "Ben"]
    assert reasons == {
        "Cara": ["No consent to meeting invitations"],
        "Dev": ["No consent to meeting invitations"],
        "Eve": ["Address suppressed"],
        "Femi": ["Already registered"],
    }


@pytest.mark.django_db
def test_a_saved_segment_narrows_the_audience():
    meeting = MeetingFactory()
    camden = AreaFactory(name="Camden", slug="camden")
    in_camden = consenting(area=camden)
    consenting()
    segment = Segment.objects.create(name="Camden", filters={"area": ["camden"]})

    audience = campaign_audience(meeting=meeting, segment=segment)

    assert list(audience.eligible) == [in_camden]


def _send(campaign, django_capture_on_commit_callbacks, *, user=None):
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send_now(campaign_id=campaign.pk, actor=user)


@pytest.mark.django_db
def test_send_now_invites_each_eligible_person_once_with_a_personal_link(
    django_capture_on_commit_callbacks,
):
    meeting = MeetingFactory(title="Public review meeting: summer")
    invited, _left = audience_with_every_reason(meeting)
    organisation = OrganisationFactory(name="Brixton Youth Forum")
    # Of several organisations the invitation names the first by name.
    Membership.objects.create(
        stakeholder=invited[0], organisation=OrganisationFactory(name="Tulse Hill Residents")
    )
    Membership.objects.create(stakeholder=invited[0], organisation=organisation)
    campaign = CampaignFactory(meeting=meeting, subject="Join us in July")
    mail.outbox.clear()

    _send(campaign, django_capture_on_commit_callbacks)

    invitations = Invitation.objects.filter(campaign=campaign).select_related("email")
    assert sorted(i.stakeholder_id for i in invitations) == sorted(p.pk for p in invited)
    assert sorted(i.email.dedupe_key for i in invitations) == sorted(
        f"invite:{campaign.pk}:{p.pk}" for p in invited
    )
    assert {i.email.status for i in invitations} == {EmailStatus.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in invited)
    amira = next(m for m in mail.outbox if m.to[0] == invited[0].email)
    token = Invitation.objects.get(campaign=campaign, stakeholder=invited[0]).token
    assert amira.subject == "Join us in July"
    assert f"Dear {invited[0].first_name}," in amira.body
    assert "people at Brixton Youth Forum" in amira.body
    register = reverse("events:register", kwargs={"slug": meeting.slug})
    assert f"http://testserver{register}?invitation={token}" in amira.body
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT


@pytest.mark.django_db
def test_running_the_fan_out_again_adds_only_what_is_missing(django_capture_on_commit_callbacks):
    campaign = CampaignFactory()
    first = [consenting() for _ in range(3)]
    # The first run's emails are queued but never handed over (the worker died after commit).
    with django_capture_on_commit_callbacks(execute=False):
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
        services.campaign_fanout(campaign_id=campaign.pk, chunk_size=2)
    later = [consenting() for _ in range(2)]
    mail.outbox.clear()

    # The task is redelivered: the campaign is still "sending" from its point of view.
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    with django_capture_on_commit_callbacks(execute=True):
        created = services.campaign_fanout(campaign_id=campaign.pk, chunk_size=2)
    with django_capture_on_commit_callbacks(execute=True):
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
        again = services.campaign_fanout(campaign_id=campaign.pk, chunk_size=2)

    everyone = sorted(p.email for p in first + later)
    assert created == 2
    assert again == 0
    assert Invitation.objects.filter(campaign=campaign).count() == 5
    assert (
        OutboundEmail.objects.filter(dedupe_key__startswith=f"invite:{campaign.pk}:").count() == 5
    )
    assert sorted(m.to[0] for m in mail.outbox) == everyone


@pytest.mark.django_db
def test_each_email_carries_its_persons_own_values_and_link(django_capture_on_commit_callbacks):
    # On PostgreSQL the fan-out works these values out in SQL; they must be what the preview
    # and the test send (campaign_recipient_values) show.
    amira = consenting(first_name="Amira", last_name="Khan")
    Membership.objects.create(stakeholder=amira, organisation=OrganisationFactory(name="Zed Club"))
    Membership.objects.create(
        stakeholder=amira, organisation=OrganisationFactory(name="O'Neill & Sons: 100% local")
    )
    surname_only = consenting(first_name="", last_name="Okafor")
    nameless = consenting(first_name="", last_name="")
    campaign = CampaignFactory()

    _send(campaign, django_capture_on_commit_callbacks)

    register = reverse("events:register", kwargs={"slug": campaign.meeting.slug})
    shared = services.campaign_email_context(campaign=campaign)
    for person in (amira, surname_only, nameless):
        invitation = Invitation.objects.select_related("email").get(
            campaign=campaign, stakeholder=person
        )
        recipient = services.campaign_recipient_values(
            stakeholder=person,
            invitation_url=f"http://testserver{register}?invitation={invitation.token}",
        )
        assert invitation.email.context == {**shared, "recipient": recipient}
        assert invitation.email.to_email == person.email
        assert invitation.token.version == 4
    tokens = Invitation.objects.filter(campaign=campaign).values_list("token", flat=True)
    assert len(set(tokens)) == 3
    values = services.campaign_recipient_values(stakeholder=amira, invitation_url="")
    assert values["organisation_line"] == (
        "We would particularly like to hear from people at O'Neill & Sons: 100% local."
    )
    assert [
        Invitation.objects.get(stakeholder=p).email.context["recipient"]["first_name"]
        for p in (surname_only, nameless)
    ] == ["Okafor", "colleague"]


@pytest.mark.django_db
def test_an_invitation_whose_email_was_deleted_gets_a_new_one_with_the_same_link(
    django_capture_on_commit_callbacks,
):
    kept, lost = consenting(), consenting()
    campaign = CampaignFactory()
    with django_capture_on_commit_callbacks(execute=False):
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
        services.campaign_fanout(campaign_id=campaign.pk)
    OutboundEmail.objects.filter(invitation__stakeholder=lost).delete()
    kept_email = OutboundEmail.objects.get(invitation__stakeholder=kept)
    OutboundEmail.objects.filter(pk=kept_email.pk).update(status=EmailStatus.SENT)
    mail.outbox.clear()

    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    with django_capture_on_commit_callbacks(execute=True):
        created = services.campaign_fanout(campaign_id=campaign.pk)

    invitation = Invitation.objects.select_related("email").get(stakeholder=lost)
    assert created == 0
    assert invitation.email.dedupe_key == f"invite:{campaign.pk}:{lost.pk}"
    assert invitation.email.context["recipient"]["invitation_url"].endswith(
        f"?invitation={invitation.token}"
    )
    assert Invitation.objects.get(stakeholder=kept).email_id == kept_email.pk
    assert [m.to[0] for m in mail.outbox] == [lost.email]


@pytest.mark.django_db
def test_a_chunk_takes_the_same_queries_for_3_people_or_30(django_capture_on_commit_callbacks):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes a row-by-row path")
    people, queries = [], {}
    for size in (3, 30):
        people += [consenting() for _ in range(size - len(people))]
        campaign = CampaignFactory()
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
        with (
            django_capture_on_commit_callbacks(execute=False) as callbacks,
            CaptureQueriesContext(connection) as captured,
        ):
            services.campaign_fanout(campaign_id=campaign.pk, chunk_size=100)
        queries[size] = len(captured)
        assert Invitation.objects.filter(campaign=campaign).count() == size
        assert len(callbacks) == 1  # the chunk's emails, handed over on its commit

    assert queries[30] == queries[3]


@pytest.mark.django_db(transaction=True)
def test_two_fan_outs_at_once_make_one_invitation_each():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    people = [consenting() for _ in range(40)]
    campaign = CampaignFactory()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            services.campaign_fanout(campaign_id=campaign.pk, chunk_size=7)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Invitation.objects.filter(campaign=campaign).count() == 40
    assert sorted(
        Invitation.objects.filter(campaign=campaign).values_list("stakeholder_id", flat=True)
    ) == sorted(p.pk for p in people)
    emails = OutboundEmail.objects.filter(invitation__campaign=campaign)
    assert emails.count() == 40
    assert set(emails.values_list("status", flat=True)) == {EmailStatus.SENT}


@pytest.mark.django_db
def test_consent_withdrawn_after_queueing_shows_as_suppressed(django_capture_on_commit_callbacks):
    person = consenting()
    campaign = CampaignFactory()
    with django_capture_on_commit_callbacks(execute=False):
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
        services.campaign_fanout(campaign_id=campaign.pk)
    ConsentRecordFactory(stakeholder=person, action=ConsentAction.WITHDRAWN)

    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_fanout(campaign_id=campaign.pk)

    counts = campaign_status_counts(campaign=campaign)
    assert counts["suppressed"] == 1
    assert counts["sent"] == 0


@pytest.mark.django_db
def test_scheduled_campaign_starts_once_when_due(django_capture_on_commit_callbacks):
    consenting()
    campaign = CampaignFactory()
    when = timezone.now() + dt.timedelta(hours=1)
    services.campaign_schedule(campaign_id=campaign.pk, scheduled_for=when, actor=None)

    with django_capture_on_commit_callbacks(execute=True):
        early = services.campaigns_start_due(now=when - dt.timedelta(minutes=1))
        started = services.campaigns_start_due(now=when)
        again = services.campaigns_start_due(now=when + dt.timedelta(minutes=1))

    assert early == []
    assert started == [campaign.pk]
    assert again == []
    assert Invitation.objects.filter(campaign=campaign).count() == 1


@pytest.mark.django_db
def test_scheduling_in_the_past_or_after_sending_is_refused(django_capture_on_commit_callbacks):
    consenting()
    campaign = CampaignFactory()

    with pytest.raises(services.CampaignError, match="future"):
        services.campaign_schedule(
            campaign_id=campaign.pk,
            scheduled_for=timezone.now() - dt.timedelta(minutes=5),
            actor=None,
        )
    _send(campaign, django_capture_on_commit_callbacks)
    with pytest.raises(services.CampaignError, match="already been sent"):
        services.campaign_schedule(
            campaign_id=campaign.pk, scheduled_for=timezone.now() + dt.timedelta(days=1), actor=None
        )


@pytest.mark.django_db
def test_a_campaign_needs_a_published_meeting():
    draft = MeetingFactory(status=MeetingStatus.DRAFT)

    with pytest.raises(services.CampaignError):
        services.campaign_create(meeting_id=draft.pk, subject="Hello", actor=None)


@pytest.mark.django_db
def test_invitation_link_opens_a_prefilled_registration(client, django_capture_on_commit_callbacks):
    person = consenting(first_name="Amira", last_name="Khan")
    campaign = CampaignFactory()
    _send(campaign, django_capture_on_commit_callbacks)
    token = Invitation.objects.get(campaign=campaign).token
    register = reverse("events:register", kwargs={"slug": campaign.meeting.slug})

    response = client.get(f"{register}?invitation={token}", follow=True)

    assert response.redirect_chain[0] == (register, 302)
    assert response.status_code == 200
    assert 'value="Amira"' in response.content.decode()
    assert 'value="Khan"' in response.content.decode()
    assert person.email in response.content.decode()


@pytest.mark.django_db
def test_a_bad_invitation_token_asks_for_an_email(client):
    meeting = MeetingFactory()
    register = reverse("events:register", kwargs={"slug": meeting.slug})

    response = client.get(f"{register}?invitation=not-a-token", follow=True)

    assert "That link is not valid any more" in response.content.decode()


# --- Pages -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_page_makes_a_draft_with_ad_hoc_filters(client, engagement_team):
    meeting = MeetingFactory()
    AreaFactory(name="Hackney", slug="hackney")
    client.force_login(engagement_team)

    response = client.post(
        reverse("events:campaign_create"),
        {
            "meeting": meeting.pk,
            "subject": "Come to the review",
            "area": ["hackney"],
            "tag": "Youth, Schools",
        },
    )

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("events:campaign_detail", kwargs={"pk": campaign.pk})
    assert campaign.filters == {"area": ["hackney"], "tag": ["Youth", "Schools"]}
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.created_by == engagement_team


@pytest.mark.django_db
def test_detail_page_shows_counts_reasons_and_a_preview_as_the_chosen_person(
    client, engagement_team
):
    meeting = MeetingFactory()
    invited, _left = audience_with_every_reason(meeting)
    campaign = CampaignFactory(meeting=meeting)
    client.force_login(engagement_team)

    response = client.get(
        reverse("events:campaign_detail", kwargs={"pk": campaign.pk}),
        {"preview": invited[1].pk},
    )
    page = response.content.decode()

    assert response.status_code == 200
    assert "2 people will be invited." in page
    assert "Left out, address suppressed: 1." in page
    assert "Already registered" in page
    assert response.context["preview"]["stakeholder"] == invited[1]
    assert f"Dear {invited[1].first_name}," in response.context["preview"]["text"]


@pytest.mark.django_db
def test_test_send_goes_to_the_staff_member_only(
    client, engagement_team, django_capture_on_commit_callbacks
):
    person = consenting(first_name="Amira")
    campaign = CampaignFactory(subject="Summer review")
    client.force_login(engagement_team)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("events:campaign_test", kwargs={"pk": campaign.pk}),
            {"stakeholder": person.pk},
        )

    assert response.status_code == 302
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([engagement_team.email], "[Test] Summer review")
    ]
    assert "Dear Amira," in mail.outbox[0].body
    assert Invitation.objects.count() == 0


@pytest.mark.django_db
def test_send_and_schedule_buttons(client, engagement_team, django_capture_on_commit_callbacks):
    consenting()
    scheduled = CampaignFactory()
    now_campaign = CampaignFactory()
    client.force_login(engagement_team)
    when = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    client.post(
        reverse("events:campaign_send", kwargs={"pk": scheduled.pk}),
        {"action": "schedule", "scheduled_for": when},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("events:campaign_send", kwargs={"pk": now_campaign.pk}),
            {"action": "now", "confirmed": "yes"},
        )

    scheduled.refresh_from_db()
    assert scheduled.status == CampaignStatus.SCHEDULED
    assert timezone.localtime(scheduled.scheduled_for).strftime("%Y-%m-%dT%H:%M") == when
    assert Campaign.objects.get(pk=now_campaign.pk).status == CampaignStatus.SENT
    assert Invitation.objects.filter(campaign=now_campaign).count() == 1


@pytest.mark.django_db
def test_recipients_page_counts_statuses_and_resends_the_failed(
    client, engagement_team, django_capture_on_commit_callbacks
):
    people = [consenting() for _ in range(3)]
    campaign = CampaignFactory()
    _send(campaign, django_capture_on_commit_callbacks)
    failed = Invitation.objects.get(campaign=campaign, stakeholder=people[0]).email
    OutboundEmail.objects.filter(pk=failed.pk).update(status=EmailStatus.FAILED, error="550")
    delivered = Invitation.objects.get(campaign=campaign, stakeholder=people[1]).email
    OutboundEmail.objects.filter(pk=delivered.pk).update(status=EmailStatus.DELIVERED)
    client.force_login(engagement_team)
    url = reverse("events:campaign_recipients", kwargs={"pk": campaign.pk})

    before = client.get(url)
    only_failed = client.get(url, {"status": "failed"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("events:campaign_resend", kwargs={"pk": campaign.pk}))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("events:campaign_resend", kwargs={"pk": campaign.pk}))

    assert before.context["status_counts"]["failed"] == 1
    assert before.context["status_counts"]["delivered"] == 1
    assert before.context["status_counts"]["sent"] == 1
    assert [i.stakeholder for i in only_failed.context["page"].object_list] == [people[0]]
    assert [m.to for m in mail.outbox] == [[people[0].email]]
    assert OutboundEmail.objects.get(pk=failed.pk).status == EmailStatus.SENT
    assert Invitation.objects.filter(campaign=campaign).count() == 3


@pytest.mark.django_db
def test_list_and_recipient_pages_use_a_fixed_number_of_queries(
    client, engagement_team, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    for _ in range(3):
        consenting()
    campaigns = [CampaignFactory() for _ in range(5)]
    _send(campaigns[0], django_capture_on_commit_callbacks)
    client.force_login(engagement_team)

    with django_assert_max_num_queries(12):
        listing = client.get(reverse("events:campaign_list"))
    with django_assert_max_num_queries(14):
        recipients = client.get(
            reverse("events:campaign_recipients", kwargs={"pk": campaigns[0].pk})
        )

    assert len(listing.context["page"].object_list) == 5
    assert len(recipients.context["page"].object_list) == 3


# --- A real worker, killed mid-run -------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_campaign_leaves_exactly_one_invitation_each(
    worker, settings, monkeypatch
):
    # Small chunks and a slow send rate, so the kill lands in the middle of the run.
    monkeypatch.setenv("ENGAGE_CAMPAIGN_CHUNK_SIZE", "5")
    monkeypatch.setenv("ENGAGE_MAIL_RATE_PER_SECOND", "60")
    monkeypatch.setenv("ENGAGE_MAIL_BATCH_SIZE", "10")
    worker.stop()
    worker.start()
    settings.MAILERS = {"default": {"BACKEND": "engage.mail.backends.OutboxBackend"}}
    settings.EMAIL_OUTBOX_DIR = worker.outbox_dir
    eligible = [consenting() for _ in range(150)]
    no_consent = [StakeholderFactory() for _ in range(5)]
    campaign = CampaignFactory()

    services.campaign_send_now(campaign_id=campaign.pk, actor=None)
    worker.wait_until(
        lambda: Invitation.objects.filter(campaign=campaign).count() >= 20, timeout=60
    )
    worker.kill()
    killed_at = timezone.now()
    # The fan-out task itself died half-way; it is redelivered to the next worker.
    invited_at_kill = Invitation.objects.filter(campaign=campaign).count()
    assert invited_at_kill < len(eligible)

    worker.start(visibility_timeout=2)
    # The sweep runs once the redelivered fan-out has resumed, as the beat's would while the next
    # worker works through it. Nothing else writes invitations, so every run that can pass gets
    # here, and the deadline fails the test (with the worker's log) rather than hanging it.
    worker.wait_until(
        lambda: Invitation.objects.filter(campaign=campaign).count() > invited_at_kill,
        timeout=60,
    )
    emails_reconcile(stale_after=timezone.now() - killed_at + dt.timedelta(milliseconds=1))

    def settled():
        return (
            Invitation.objects.filter(campaign=campaign).count() == len(eligible)
            and not OutboundEmail.objects.filter(
                invitation__campaign=campaign,
                status__in=[EmailStatus.QUEUED, EmailStatus.SENDING],
            ).exists()
        )

    worker.wait_until(settled, timeout=120)
    invited = collections.Counter(
        Invitation.objects.filter(campaign=campaign).values_list("stakeholder_id", flat=True)
    )
    received = collections.Counter(str(message["To"]) for message in worker.outbox())
    assert invited == collections.Counter(p.pk for p in eligible)
    assert received == collections.Counter(p.email for p in eligible)
    assert not set(received) & {p.email for p in no_consent}
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT


@pytest.mark.django_db
def test_deleting_the_segment_later_keeps_the_audience_it_had():
    meeting = MeetingFactory()
    camden = AreaFactory(name="Camden", slug="camden")
    in_camden = consenting(area=camden)
    consenting()
    segment = Segment.objects.create(name="Camden", filters={"area": ["camden"]})
    campaign = services.campaign_create(
        meeting_id=meeting.pk, subject="Hello", segment_id=segment.pk, actor=None
    )

    segment.delete()
    campaign.refresh_from_db()
    audience = campaign_audience(
        meeting=meeting, segment=campaign.segment, filters=campaign.filters
    )

    assert list(audience.eligible) == [in_camden]


@pytest.mark.django_db
def test_a_campaign_that_would_reach_nobody_cannot_be_sent_or_scheduled(client, engagement_team):
    StakeholderFactory()  # in the audience, but never agreed to invitations
    campaign = CampaignFactory()
    client.force_login(engagement_team)

    with pytest.raises(services.CampaignError, match="Nobody in this audience"):
        services.campaign_send_now(campaign_id=campaign.pk, actor=engagement_team)
    with pytest.raises(services.CampaignError, match="Nobody in this audience"):
        services.campaign_schedule(
            campaign_id=campaign.pk, scheduled_for=timezone.now() + dt.timedelta(days=1), actor=None
        )
    page = client.get(reverse("events:campaign_detail", kwargs={"pk": campaign.pk}))
    response = client.post(
        reverse("events:campaign_send", kwargs={"pk": campaign.pk}),
        {"action": "now", "confirmed": "yes"},
        follow=True,
    )

    assert "Send now to" not in page.content.decode()
    assert "cannot be sent" in page.content.decode()
    assert "cannot be sent" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
    assert Invitation.objects.count() == 0


@pytest.mark.django_db
def test_send_now_asks_once_more_with_the_number_of_people(client, engagement_team):
    consenting()
    consenting()
    campaign = CampaignFactory()
    client.force_login(engagement_team)

    response = client.post(
        reverse("events:campaign_send", kwargs={"pk": campaign.pk}), {"action": "now"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Send this invitation to 2 people now?" in html
    assert 'name="confirmed" value="yes"' in html
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["representative", "facilitator"])
def test_only_the_team_reach_the_send_confirmation(client, role_users, role):
    consenting()
    campaign = CampaignFactory()
    client.force_login(role_users[role])

    response = client.post(
        reverse("events:campaign_send", kwargs={"pk": campaign.pk}), {"action": "now"}
    )

    assert response.status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
