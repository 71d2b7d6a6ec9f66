"""The action plan: import in the seeds' shape with a dry run and per-row errors, rewording,
update rounds, publication, and the public plan and commitment pages."""

import datetime as dt
import importlib
import io

import openpyxl
import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from feedback.models import ActionPlan, Commitment, CommitmentUpdate, Rating
from feedback.services import plan as plan_services

pytestmark = pytest.mark.django_db

SEED_SHAPE = (
    "Chapter,Number,Commitment,Status update,Rating\n"
    "1,1.1,Review samples of vehicle stops under Section 163,The pilot is complete.,G\n"
    "1,1.2,Review the use of handcuffing,Policy launched in November.,G\n"
    "2,2.1,Publish stop and search data by borough,Monthly from May.,LG\n"
)


@pytest.fixture(autouse=True)
def ratings(db):
    importlib.import_module("feedback.migrations.0006_seed_rating_scale").seed(apps, None)
    return {r.code: r for r in Rating.objects.all()}


@pytest.fixture
def plan():
    action_plan = plan_services.plan_create(title="Mayor's Action Plan", slug="map", actor=None)
    plan_services.chapter_add(
        plan_id=action_plan.pk, number="1", title="Better use of police powers", actor=None
    )
    plan_services.chapter_add(plan_id=action_plan.pk, number="2", title="Transparency", actor=None)
    return action_plan


def _round(plan, title="2021/22 Q2", period_end=dt.date(2021, 9, 30)):
    return plan_services.round_open(plan_id=plan.pk, title=title, period_end=period_end, actor=None)


def _import(plan, text, *, round_=None, dry_run=False, name="plan.csv", data=None):
    return plan_services.plan_import(
        plan_id=plan.pk,
        data=data if data is not None else text.encode(),
        file_name=name,
        round_id=round_.pk if round_ else None,
        dry_run=dry_run,
        actor=None,
    )


def test_dry_run_reports_and_changes_nothing(plan):
    round_ = _round(plan)

    report = _import(plan, SEED_SHAPE, round_=round_, dry_run=True)

    assert report.ok and (report.rows, report.created, report.updates) == (3, 3, 3)
    assert not Commitment.objects.exists()


def test_import_in_the_seeds_shape_creates_commitments_and_draft_updates(plan):
    round_ = _round(plan)

    report = _import(plan, SEED_SHAPE, round_=round_)

    assert report.ok
    assert list(plan.commitments.values_list("number", flat=True)) == ["1.1", "1.2", "2.1"]
    ratings = dict(CommitmentUpdate.objects.values_list("commitment__number", "rating__code"))
    assert ratings == {"1.1": "G", "1.2": "G", "2.1": "LG"}


def test_bad_rows_are_each_reported_and_nothing_changes(plan):
    round_ = _round(plan)
    text = (
        "Chapter,Number,Commitment,Status update,Rating\n"
        "1,1.1,Review vehicle stops,Done.,G\n"
        "9,9.1,Unknown chapter,Done.,G\n"
        "1,1.2,Handcuffing,Going well.,Purple\n"
        "1,1.1,Duplicate,Done.,G\n"
    )

    report = _import(plan, text, round_=round_)

    assert not report.ok
    errors = dict(report.errors)
    assert "no chapter “9”" in errors[3]
    assert "“Purple” is not a rating" in errors[4]
    assert "Number 1.1 is also on line 2" in errors[5]
    assert not Commitment.objects.exists() and not CommitmentUpdate.objects.exists()


def test_xlsx_through_the_same_reader(plan):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in SEED_SHAPE.strip().splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)

    report = _import(plan, "", round_=_round(plan), name="plan.xlsx", data=buffer.getvalue())

    assert report.ok and plan.commitments.count() == 3


def test_a_file_that_is_not_a_table_is_refused(plan):
    report = _import(plan, "", name="plan.pdf", data=b"%PDF")

    assert report.file_error and not report.ok


def test_rewording_keeps_the_wording_of_each_update(plan, client):
    first = _round(plan)
    _import(plan, SEED_SHAPE, round_=first)
    plan_services.round_publish(round_id=first.pk, actor=None)
    commitment = plan.commitments.get(number="1.1")

    plan_services.commitment_reword(
        commitment_id=commitment.pk,
        text="Review vehicle stops and publish the findings",
        actor=None,
    )
    second = _round(plan, title="2021/22 Q3", period_end=dt.date(2021, 12, 31))
    plan_services.update_write(
        round_id=second.pk,
        commitment_id=commitment.pk,
        status_text="Findings published.",
        rating_code="G",
        actor=None,
    )
    plan_services.round_publish(round_id=second.pk, actor=None)

    wordings = list(
        commitment.updates.order_by("round__period_end").values_list("wording", flat=True)
    )
    assert wordings == [
        "Review samples of vehicle stops under Section 163",
        "Review vehicle stops and publish the findings",
    ]
    page = client.get(commitment.get_absolute_url())
    body = page.content.decode()
    assert "The commitment then read:" in body and "2021/22 Q3" in body
    assert "Complete" in body  # the rating's words, not only its colour


def test_opening_a_round_twice_is_refused(plan):
    _round(plan)

    with pytest.raises(ValidationError) as refused:
        _round(plan, title="Another")

    assert "A round is open already" in str(refused.value)


def test_a_published_round_never_changes(plan):
    round_ = _round(plan)
    _import(plan, SEED_SHAPE, round_=round_)
    plan_services.round_publish(round_id=round_.pk, actor=None)
    commitment = plan.commitments.get(number="1.1")

    with pytest.raises(ValidationError):
        plan_services.update_write(
            round_id=round_.pk,
            commitment_id=commitment.pk,
            status_text="Changed",
            rating_code="R",
            actor=None,
        )
    again = _import(plan, SEED_SHAPE.replace("complete", "reversed"), round_=round_)
    with pytest.raises(ValidationError):
        plan_services.round_publish(round_id=round_.pk, actor=None)

    assert again.file_error
    assert commitment.updates.get().status_text == "The pilot is complete."


def test_public_plan_page_counts_by_rating(plan, client):
    round_ = _round(plan)
    _import(plan, SEED_SHAPE, round_=round_)
    before = client.get(reverse("feedback:plan", kwargs={"slug": plan.slug})).content.decode()
    plan_services.round_publish(round_id=round_.pk, actor=None)

    page = client.get(reverse("feedback:plan", kwargs={"slug": plan.slug}))

    body = page.content.decode()
    assert "not been published yet" in before
    assert "Complete</span>: <strong>2</strong>" in body
    assert "In progress and on track</span>: <strong>1</strong>" in body
    assert "Better use of police powers" in body


def test_staff_import_page_dry_run_then_import(client, engagement_team, plan):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(engagement_team)
    _round(plan)
    url = reverse("feedback:staff_plan_import", kwargs={"pk": plan.pk})

    dry = client.post(
        url, {"action": "dry_run", "file": SimpleUploadedFile("p.csv", SEED_SHAPE.encode())}
    )
    bad = client.post(
        url,
        {
            "action": "import",
            "file": SimpleUploadedFile("p.csv", b"Chapter,Number,Commitment\n7,7.1,x\n"),
        },
    )
    done = client.post(
        url, {"action": "import", "file": SimpleUploadedFile("p.csv", SEED_SHAPE.encode())}
    )

    assert "Dry run: nothing changed yet" in dry.content.decode()
    assert bad.status_code == 400 and "Line 2:" in bad.content.decode()
    assert "<title>Error:" in bad.content.decode()
    assert done.status_code == 302
    assert ActionPlan.objects.get(pk=plan.pk).commitments.count() == 3


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
def test_opening_a_round_by_role(client, role_users, role, allowed, plan):
    if role_users[role] is not None:
        client.force_login(role_users[role])

    client.post(
        reverse("feedback:staff_round_open", kwargs={"pk": plan.pk}),
        {"title": "2022/23 Q1", "period_end": "2022-06-30"},
    )

    assert plan.rounds.exists() is allowed


def _owned(plan):
    from tests.factories import OwnerFactory

    round_ = _round(plan)
    _import(plan, SEED_SHAPE.replace(",The pilot is complete.,G", ",,"), round_=round_)
    CommitmentUpdate.objects.filter(commitment__number="1.1").delete()
    owner = OwnerFactory()
    plan.commitments.filter(number="1.1").update(owner=owner)
    return round_, plan.commitments.get(number="1.1")


def test_owners_are_asked_once_and_write_through_their_link(plan, client):
    from engage.models import OutboundEmail

    round_, commitment = _owned(plan)

    first = plan_services.round_ask_owners(round_id=round_.pk, actor=None)
    plan_services.round_ask_owners(round_id=round_.pk, actor=None)
    email = OutboundEmail.objects.get(template="feedback/owner_update_asked")
    path = "/" + email.body_text.split("/respond/plan/")[1].split()[0]
    url = "/respond/plan" + path
    page = client.get(url)
    sent = client.post(url, {"status_text": "Pilot extended to six months.", "rating": "LG"})

    assert first == 1
    assert page.status_code == 200 and commitment.text in page.content.decode()
    assert sent.status_code == 200
    update = commitment.updates.get(round=round_)
    assert (update.status_text, update.rating.code, update.by_owner) == (
        "Pilot extended to six months.",
        "LG",
        commitment.owner,
    )


def test_an_update_link_for_another_commitment_is_refused(plan, client):
    from engage import links

    round_, commitment = _owned(plan)
    other = plan.commitments.get(number="1.2")
    token = links.item_link_token(
        purpose=links.OWNER_REPLY,
        item=f"update:{round_.pk}:{commitment.pk}",
        sent_to=commitment.owner.contact_email,
    )

    wrong = client.get(
        reverse(
            "feedback:owner_update",
            kwargs={"pk": round_.pk, "commitment_pk": other.pk, "token": token},
        )
    )

    assert wrong.status_code == 404
