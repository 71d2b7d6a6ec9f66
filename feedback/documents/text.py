"""Text as every builder may write it: characters XML 1.0 cannot hold (control characters other
than tab and line breaks) are dropped, since lxml refuses them in a DOCX and a PDF shows them as
nothing. Everything else, markup included, stays as the text it is: escaping is the renderer's.
"""

import re
from dataclasses import replace

from feedback.documents.model import Block, BulletList, Document, Item, Paragraph, Quote

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("", text or "")


def _item(item: Item) -> Item:
    return replace(item, text=clean(item.text), items=tuple(_item(child) for child in item.items))


def _block(block: Block) -> Block:
    if isinstance(block, Paragraph):
        return replace(block, text=clean(block.text))
    if isinstance(block, BulletList):
        return replace(block, items=tuple(_item(item) for item in block.items))
    if isinstance(block, Quote):
        return replace(block, text=clean(block.text), source=clean(block.source))
    raise TypeError(f"not a block: {type(block).__name__}")


def document_clean(document: Document) -> Document:
    """The same document with every text cleaned."""
    return replace(
        document,
        title=clean(document.title),
        subject=clean(document.subject),
        author=clean(document.author),
        opening=tuple(_block(block) for block in document.opening),
        sections=tuple(
            replace(
                section,
                heading=clean(section.heading),
                blocks=tuple(_block(block) for block in section.blocks),
            )
            for section in document.sections
        ),
    )
