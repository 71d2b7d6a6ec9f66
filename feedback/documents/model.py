"""The small document model both builders render: a title, a language, an opening, and sections of
headings, paragraphs, lists (one level of nesting) and quotes.

Kept apart from any feature so that the summary report and the action plan's quarterly update
are the same kind of object. Text is plain text everywhere: the builders escape it (HTML) or
write it as text runs (DOCX), so markup typed by a person is shown, never run. A document
round-trips through plain JSON-safe data (`document_to_data` / `document_from_data`), which is how
a published version is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Item:
    """A list item. `quote` marks verbatim words (shown in italics); `items` is a nested list."""

    text: str
    quote: bool = False
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Paragraph:
    text: str
    # Templates cannot ask isinstance(); they read the kind.
    kind: ClassVar[str] = "paragraph"


@dataclass(frozen=True)
class BulletList:
    items: tuple[Item, ...]
    ordered: bool = False
    kind: ClassVar[str] = "list"


@dataclass(frozen=True)
class Quote:
    """A quotation set apart from the text, with an optional attribution."""

    text: str
    source: str = ""
    kind: ClassVar[str] = "quote"


Block = Paragraph | BulletList | Quote


@dataclass(frozen=True)
class Section:
    """A heading (level 2 under the title, 3 for a subsection) and what follows it."""

    heading: str
    blocks: tuple[Block, ...] = ()
    level: int = 2

    def __post_init__(self):
        if self.level not in (2, 3, 4):
            raise ValueError("A section heading is level 2, 3 or 4 (the title is level 1).")


@dataclass(frozen=True)
class Document:
    """`language` is a BCP 47 tag ("en-GB"); `opening` comes between the title and the first
    section; `subject` and `author` go into the file's metadata."""

    title: str
    language: str
    sections: tuple[Section, ...] = ()
    opening: tuple[Block, ...] = ()
    subject: str = ""
    author: str = ""


# --- Plain data -------------------------------------------------------------------------------


def _item_to_data(item: Item) -> dict:
    data: dict = {"text": item.text}
    if item.quote:
        data["quote"] = True
    if item.items:
        data["items"] = [_item_to_data(child) for child in item.items]
    return data


def _item_from_data(data: dict) -> Item:
    return Item(
        text=str(data.get("text", "")),
        quote=bool(data.get("quote", False)),
        items=tuple(_item_from_data(child) for child in data.get("items", ())),
    )


def _block_to_data(block: Block) -> dict:
    if isinstance(block, Paragraph):
        return {"type": "paragraph", "text": block.text}
    if isinstance(block, BulletList):
        return {
            "type": "list",
            "ordered": block.ordered,
            "items": [_item_to_data(item) for item in block.items],
        }
    if isinstance(block, Quote):
        return {"type": "quote", "text": block.text, "source": block.source}
    raise TypeError(f"not a block: {type(block).__name__}")


def _block_from_data(data: dict) -> Block:
    kind = data.get("type")
    if kind == "paragraph":
        return Paragraph(text=str(data.get("text", "")))
    if kind == "list":
        return BulletList(
            items=tuple(_item_from_data(item) for item in data.get("items", ())),
            ordered=bool(data.get("ordered", False)),
        )
    if kind == "quote":
        return Quote(text=str(data.get("text", "")), source=str(data.get("source", "")))
    raise ValueError(f"unknown block type: {kind!r}")


def document_to_data(document: Document) -> dict:
    return {
        "title": document.title,
        "language": document.language,
        "subject": document.subject,
        "author": document.author,
        "opening": [_block_to_data(block) for block in document.opening],
        "sections": [
            {
                "heading": section.heading,
                "level": section.level,
                "blocks": [_block_to_data(block) for block in section.blocks],
            }
            for section in document.sections
        ],
    }


def document_from_data(data: dict) -> Document:
    return Document(
        title=str(data.get("title", "")),
        language=str(data.get("language", "en-GB")),
        subject=str(data.get("subject", "")),
        author=str(data.get("author", "")),
        opening=tuple(_block_from_data(block) for block in data.get("opening", ())),
        sections=tuple(
            Section(
                heading=str(section.get("heading", "")),
                level=int(section.get("level", 2)),
                blocks=tuple(_block_from_data(block) for block in section.get("blocks", ())),
            )
            for section in data.get("sections", ())
        ),
    )
