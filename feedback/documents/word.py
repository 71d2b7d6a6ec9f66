"""The document as DOCX (python-docx), built on Word's own styles so that assistive technology
and the navigation pane see its structure: the title is "Heading 1" (as the PDF's H1), sections
"Heading 2"–"Heading 4", lists "List Bullet" / "List Number" (a nested item "List Bullet 2"),
quotes "Quote". The language is set in the core properties and as the default language of every
run (w:lang in the style defaults), which is what Word and screen readers read.

Text goes in as text runs, so markup typed by a person is shown, never interpreted.
"""

import io

from docx import Document as new_docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from feedback.documents.model import Block, BulletList, Document, Item, Paragraph, Quote
from feedback.documents.text import document_clean

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _default_language(docx, language: str) -> None:
    defaults = docx.styles.element.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), language)
    lang.set(qn("w:eastAsia"), language)
    lang.set(qn("w:bidi"), language)


_STYLES = (
    "Heading 1",
    "Heading 2",
    "Heading 3",
    "Heading 4",
    "List Bullet",
    "List Bullet 2",
    "List Number",
    "List Number 2",
    "Quote",
)


class _Writer:
    """Adds paragraphs in a named style, in linear time. python-docx's add_paragraph resolves a
    style name by walking every style, and finds the body's end by scanning every paragraph, so
    a few thousand list items took many seconds: here the style ids are looked up once and
    written to the paragraph's pStyle, and each paragraph goes before an end marker paragraph
    (removed when done)."""

    def __init__(self, docx):
        self.ids = {name: docx.styles[name].style_id for name in _STYLES}
        self.end = docx.add_paragraph()

    def finish(self) -> None:
        marker = self.end._p
        marker.getparent().remove(marker)

    def heading(self, text: str, *, level: int) -> None:
        self.paragraph(text, style=f"Heading {level}")

    def paragraph(self, text: str, *, style: str | None = None, italic: bool = False) -> None:
        paragraph = self.end.insert_paragraph_before()
        if style is not None:
            paragraph._p.style = self.ids[style]
        run = paragraph.add_run(text)
        if italic:
            run.italic = True

    def item(self, item: Item, *, style: str, nested_style: str) -> None:
        self.paragraph(item.text, style=style, italic=item.quote)
        for child in item.items:
            self.item(child, style=nested_style, nested_style=nested_style)

    def block(self, block: Block) -> None:
        if isinstance(block, Paragraph):
            self.paragraph(block.text)
        elif isinstance(block, BulletList):
            style = "List Number" if block.ordered else "List Bullet"
            nested = "List Number 2" if block.ordered else "List Bullet 2"
            for item in block.items:
                self.item(item, style=style, nested_style=nested)
        elif isinstance(block, Quote):
            self.paragraph(block.text, style="Quote")
            if block.source:
                self.paragraph(block.source)
        else:
            raise TypeError(f"not a block: {type(block).__name__}")


def document_docx(document: Document) -> bytes:
    """The document as DOCX bytes."""
    document = document_clean(document)
    docx = new_docx()
    properties = docx.core_properties
    properties.title = document.title
    properties.language = document.language
    properties.subject = document.subject
    properties.author = document.author
    _default_language(docx, document.language)
    writer = _Writer(docx)
    writer.heading(document.title, level=1)
    for block in document.opening:
        writer.block(block)
    for section in document.sections:
        writer.heading(section.heading, level=section.level)
        for block in section.blocks:
            writer.block(block)
    writer.finish()
    out = io.BytesIO()
    docx.save(out)
    return out.getvalue()
