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


def _item(docx, item: Item, *, style: str, nested_style: str) -> None:
    paragraph = docx.add_paragraph(style=style)
    run = paragraph.add_run(item.text)
    run.italic = item.quote or None
    for child in item.items:
        _item(docx, child, style=nested_style, nested_style=nested_style)


def _block(docx, block: Block) -> None:
    if isinstance(block, Paragraph):
        docx.add_paragraph(block.text)
    elif isinstance(block, BulletList):
        style = "List Number" if block.ordered else "List Bullet"
        nested = "List Number 2" if block.ordered else "List Bullet 2"
        for item in block.items:
            _item(docx, item, style=style, nested_style=nested)
    elif isinstance(block, Quote):
        docx.add_paragraph(block.text, style="Quote")
        if block.source:
            docx.add_paragraph(block.source)
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
    docx.add_heading(document.title, level=1)
    for block in document.opening:
        _block(docx, block)
    for section in document.sections:
        docx.add_heading(section.heading, level=section.level)
        for block in section.blocks:
            _block(docx, block)
    out = io.BytesIO()
    docx.save(out)
    return out.getvalue()
