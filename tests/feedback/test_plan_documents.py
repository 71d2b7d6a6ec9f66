"""The quarterly update as a document, in the seeds' shape, read back with pikepdf and
python-docx; and its downloads from the public plan page, one per published round."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from feedback.documents import document_docx, document_pdf
from feedback.documents.plan import PlanChapter, PlanRating, PlanUpdate, plan_update_document
from feedback.models import Rating
from feedback.services import plan as plan_services
from tests.feedback.documents_read import docx_facts, pdf_facts

INJECTED = '<h2>Injected</h2><script>alert("x")</script>'
G = PlanRating("G", "Complete", "Dark green: the action is complete")
LG = PlanRating("LG", "In progress and on track")
A = PlanRating("A", "Some delay")

SEED_SHAPE = (
    "Chapter,Number,Commitment,Status update,Rating\n"
    "1,1.1,Review samples of vehicle stops under Section 163,The pilot is complete.,G\n"
    "1,1.2,Review the use of handcuffing,Policy launched in November.,G\n"
    "2,2.1,Publish stop and search data by borough,Monthly from May.,LG\n"
)


def _document(**overrides):
    values = {
        "plan_title": "Mayor's Action Plan",
        "round_title": "2021/22 Q4",
        "published_on": "21 April 2022",
        "chapters": (
            PlanChapter(
                "1",
                "Better use of police powers",
                (
                    PlanUpdate("1", "Pilot a review of vehicle stops", "The report is shared.", G),
                    PlanUpdate(
                        "2",
                        "Review handcuffing",
                        "A new policy was launched.\n\nIts impact is reviewed.",
                        G,
                    ),
                ),
            ),
            PlanChapter("2", "Transparency", (PlanUpdate("4", "Safer Schools", "Draft.", LG),)),
            PlanChapter("3", "Nothing this quarter"),
        ),
        "ratings": (G, LG, A),
        "language": "en-GB",
    }
    values.update(overrides)
    return plan_update_document(**values)


def test_the_document_follows_the_seeds_shape():
    document = _document()

    assert document.title == "Mayor's Action Plan: progress update 2021/22 Q4"
    assert [(s.heading, s.level) for s in document.sections] == [
        ("1 Better use of police powers", 2),
        ("Commitment 1", 3),
        ("Commitment 2", 3),
        ("2 Transparency", 2),
        ("Commitment 4", 3),
        ("The rating scale", 2),
    ]
    second = [block.text for block in document.sections[2].blocks]
    assert second == [
        "Commitment: Review handcuffing",
        "Status update: A new policy was launched.",
        "Its impact is reviewed.",
        "Rating: G, Complete (Dark green: the action is complete)",
    ]
    lead, counts = document.opening[1:]
    assert lead.text == "Of the 3 commitments in this update:"
    # The scale's order, in words; a rating nobody has is left out.
    assert [item.text for item in counts.items] == [
        "2 are rated G, Complete",
        "1 is rated LG, In progress and on track",
    ]


def test_the_pdf_is_tagged_pdf_ua_with_headings_and_the_summary_as_a_list():
    facts = pdf_facts(document_pdf(_document()))

    assert facts.lang == "en-GB"
    assert facts.title == "Mayor's Action Plan: progress update 2021/22 Q4"
    assert facts.pdfua_part == "1"
    assert facts.marked and facts.display_title
    assert facts.count("/H1") == 1
    assert facts.count("/H2") == 3
    assert facts.count("/H3") == 3
    assert facts.count("/L") == 2  # the counts by rating, and the scale
    assert facts.count("/LI") == 5
    assert facts.elements.index("/H1") < facts.elements.index("/L") < facts.elements.index("/H2")


def test_the_docx_has_real_headings_and_ratings_in_words():
    facts = docx_facts(document_docx(_document()))

    assert facts.title == "Mayor's Action Plan: progress update 2021/22 Q4"
    assert facts.language == "en-GB"
    assert facts.styled("Heading 1") == ["Mayor's Action Plan: progress update 2021/22 Q4"]
    assert facts.styled("Heading 2") == [
        "1 Better use of police powers",
        "2 Transparency",
        "The rating scale",
    ]
    assert facts.styled("Heading 3") == ["Commitment 1", "Commitment 2", "Commitment 4"]
    assert facts.styled("List Bullet")[:2] == [
        "2 are rated G, Complete",
        "1 is rated LG, In progress and on track",
    ]
    texts = [text for _style, text in facts.paragraphs]
    assert "Rating: LG, In progress and on track" in texts


def test_markup_in_the_plan_is_text_in_both_files():
    chapters = (PlanChapter("1", INJECTED, (PlanUpdate("1", INJECTED, INJECTED, G),)),)
    document = _document(plan_title=INJECTED, chapters=chapters)

    pdf = pdf_facts(document_pdf(document))
    word = docx_facts(document_docx(document))

    # Interpreted, the text would have added headings of its own.
    assert pdf.count("/H2") == 2
    assert word.styled("Heading 2") == [f"1 {INJECTED}", "The rating scale"]
    assert f"Status update: {INJECTED}" in [text for _style, text in word.paragraphs]


# --- Downloads from the public plan page ---------------------------------------------------


@pytest.fixture
def published_plan(db):
    importlib.import_module("feedback.migrations.0006_seed_rating_scale").seed(apps, None)
    assert Rating.objects.filter(code="LG").exists()
    plan = plan_services.plan_create(title="Mayor's Action Plan", slug="map", actor=None)
    plan_services.chapter_add(plan_id=plan.pk, number="1", title="Powers", actor=None)
    plan_services.chapter_add(plan_id=plan.pk, number="2", title="Transparency", actor=None)
    round_ = plan_services.round_open(
        plan_id=plan.pk, title="2021/22 Q2", period_end=dt.date(2021, 9, 30), actor=None
    )
    plan_services.plan_import(
        plan_id=plan.pk,
        data=SEED_SHAPE.encode(),
        file_name="plan.csv",
        round_id=round_.pk,
        dry_run=False,
        actor=None,
    )
    plan_services.round_publish(round_id=round_.pk, actor=None)
    return plan, round_


def _url(plan, round_, kind):
    return reverse(
        "feedback:plan_round_file", kwargs={"slug": plan.slug, "pk": round_.pk, "kind": kind}
    )


def test_the_plan_page_links_each_published_rounds_files(client, published_plan):
    plan, round_ = published_plan
    draft = plan_services.round_open(
        plan_id=plan.pk, title="2021/22 Q3", period_end=dt.date(2021, 12, 31), actor=None
    )

    body = client.get(reverse("feedback:plan", kwargs={"slug": plan.slug})).content.decode()

    assert _url(plan, round_, "pdf") in body
    assert _url(plan, round_, "docx") in body
    assert _url(plan, draft, "pdf") not in body


def test_a_published_round_downloads_as_docx_with_its_updates(client, published_plan):
    plan, round_ = published_plan

    response = client.get(_url(plan, round_, "docx"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="map-update-{round_.pk}.docx"'
    facts = docx_facts(response.content)
    assert facts.styled("Heading 2") == ["1 Powers", "2 Transparency", "The rating scale"]
    assert facts.styled("Heading 3") == ["Commitment 1.1", "Commitment 1.2", "Commitment 2.1"]
    texts = [text for _style, text in facts.paragraphs]
    assert "Status update: Monthly from May." in texts
    assert "Of the 3 commitments in this update:" in texts


def test_a_published_round_downloads_as_tagged_pdf(client, published_plan):
    plan, round_ = published_plan

    response = client.get(_url(plan, round_, "pdf"))

    assert response["Content-Type"] == "application/pdf"
    facts = pdf_facts(response.content)
    assert facts.pdfua_part == "1"
    assert facts.title == "Mayor's Action Plan: progress update 2021/22 Q2"
    assert facts.count("/H3") == 3


def test_a_round_not_published_or_another_kind_is_not_found(client, published_plan):
    plan, round_ = published_plan
    draft = plan_services.round_open(
        plan_id=plan.pk, title="2021/22 Q3", period_end=dt.date(2021, 12, 31), actor=None
    )

    assert client.get(_url(plan, draft, "pdf")).status_code == 404
    assert client.get(_url(plan, round_, "html")).status_code == 404
    other = plan_services.plan_create(title="Other", slug="other", actor=None)
    assert client.get(_url(other, round_, "pdf")).status_code == 404
