"""The document builders, read back with pikepdf and python-docx."""

from feedback.documents import (
    BulletList,
    Document,
    Item,
    Paragraph,
    Quote,
    Section,
    document_docx,
    document_from_data,
    document_pdf,
    document_to_data,
)
from tests.feedback.documents_read import docx_facts, pdf_facts

INJECTED = '<h2>Injected</h2><script>alert("x")</script> =1+1'


def _document(**overrides) -> Document:
    values = {
        "title": "What we heard in July",
        "language": "en-GB",
        "subject": "Public review meeting, 7 July",
        "author": "Community engagement team",
        "opening": (Paragraph("Over 80 people came."),),
        "sections": (
            Section(
                "How could communities help?",
                (
                    BulletList(
                        (
                            Item("Share information within community groups."),
                            Item(
                                "Several comments mentioned racism:",
                                items=(Item("“To build trust is to acknowledge it”", quote=True),),
                            ),
                        )
                    ),
                ),
            ),
            Section("Next steps", (Quote("Too much detail, not enough dialogue."),), level=3),
        ),
    }
    values.update(overrides)
    return Document(**values)


def test_the_pdf_is_tagged_pdf_ua_with_language_title_headings_and_lists():
    facts = pdf_facts(document_pdf(_document()))

    assert facts.lang == "en-GB"
    assert facts.title == "What we heard in July"
    assert facts.pdfua_part == "1"
    assert facts.marked and facts.display_title
    assert facts.count("/H1") == 1
    assert facts.count("/H2") == 1
    assert facts.count("/H3") == 1
    assert facts.count("/L") == 2  # the list and its nested list
    assert facts.count("/LI") == 3
    assert facts.elements.index("/H1") < facts.elements.index("/H2") < facts.elements.index("/L")


def test_markup_in_text_is_text_in_the_pdf():
    document = _document(
        title=INJECTED,
        sections=(Section(INJECTED, (BulletList((Item(INJECTED),)), Paragraph(INJECTED))),),
    )

    facts = pdf_facts(document_pdf(document))

    # Interpreted, the text would have added headings of its own.
    assert facts.count("/H1") == 1
    assert facts.count("/H2") == 1
    assert facts.title == INJECTED


def test_the_docx_has_real_headings_lists_quotes_and_properties():
    facts = docx_facts(document_docx(_document()))

    assert facts.title == "What we heard in July"
    assert facts.language == "en-GB"
    assert facts.styled("Heading") == [
        "What we heard in July",
        "How could communities help?",
        "Next steps",
    ]
    assert [style for style, text in facts.paragraphs if text == "Next steps"] == ["Heading 3"]
    assert facts.styled("List Bullet") == [
        "Share information within community groups.",
        "Several comments mentioned racism:",
        "“To build trust is to acknowledge it”",
    ]
    assert [s for s, t in facts.paragraphs if t.startswith("“To build")] == ["List Bullet 2"]
    assert facts.italic == ["“To build trust is to acknowledge it”"]
    assert facts.styled("Quote") == ["Too much detail, not enough dialogue."]


def test_markup_and_control_characters_in_text_are_text_in_the_docx():
    document = _document(
        title=INJECTED + "\x00\x0b",
        sections=(Section(INJECTED, (BulletList((Item(INJECTED + "\x07"),)),)),),
    )

    facts = docx_facts(document_docx(document))

    assert facts.title == INJECTED
    assert facts.styled("Heading") == [INJECTED, INJECTED]
    assert facts.styled("List Bullet") == [INJECTED]


def test_a_document_round_trips_through_plain_data():
    document = _document()

    assert document_from_data(document_to_data(document)) == document
