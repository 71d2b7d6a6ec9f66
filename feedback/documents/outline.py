"""The plain-text form of a document's sections that the team edits in a text box: the shape the
team's reports are already written in.

    ## A heading                  a section (### for a subsection)
    A line of text                a paragraph (a blank line ends it)
    - A point                     a list item
      - A nested point            a nested item (indented by two spaces or more)
    - *"Words as said"*           an item in italics: a verbatim quote
    > A quotation                 a quotation set apart

Text is never markup beyond this: angle brackets and the rest stay text. `outline_parse` never
fails on odd input (a nested item with no item above it becomes an item; text before the first
heading goes before the first section); `outline_format` writes what `outline_parse` reads back.
"""

import re

from feedback.documents.model import Block, BulletList, Item, Paragraph, Quote, Section

_HEADING = re.compile(r"^(#{2,4})\s+(.*\S)\s*$")
_ITEM = re.compile(r"^(\s*)[-*•]\s+(.*\S)\s*$")
_QUOTE = re.compile(r"^>\s?(.*\S)\s*$")


def _italic(text: str) -> tuple[str, bool]:
    if len(text) > 2 and text.startswith("*") and text.endswith("*"):
        return text[1:-1].strip(), True
    return text, False


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


class _Builder:
    def __init__(self):
        self.opening: list[Block] = []
        self.sections: list[Section] = []
        self.heading: tuple[str, int] | None = None
        self.blocks: list[Block] = []
        self.items: list[Item] = []
        self.lines: list[str] = []

    def flush_paragraph(self):
        if self.lines:
            self.blocks.append(Paragraph(" ".join(self.lines)))
            self.lines = []

    def flush_list(self):
        if self.items:
            self.blocks.append(BulletList(tuple(self.items)))
            self.items = []

    def flush_section(self):
        self.flush_paragraph()
        self.flush_list()
        if self.heading is None:
            self.opening.extend(self.blocks)
        else:
            text, level = self.heading
            self.sections.append(Section(text, tuple(self.blocks), level=level))
        self.blocks = []

    def item(self, text: str, nested: bool):
        self.flush_paragraph()
        text, quote = _italic(text)
        if nested and self.items:
            parent = self.items[-1]
            self.items[-1] = Item(
                parent.text, quote=parent.quote, items=(*parent.items, Item(text, quote=quote))
            )
        else:
            self.items.append(Item(text, quote=quote))


def outline_parse(text: str) -> tuple[tuple[Block, ...], tuple[Section, ...]]:
    """The blocks before the first heading, and the sections."""
    builder = _Builder()
    for line in (text or "").splitlines():
        if not line.strip():
            builder.flush_paragraph()
            builder.flush_list()
        elif heading := _HEADING.match(line):
            builder.flush_section()
            builder.heading = (heading.group(2), len(heading.group(1)))
        elif item := _ITEM.match(line):
            builder.item(item.group(2), nested=len(item.group(1).expandtabs(2)) >= 2)
        elif quote := _QUOTE.match(line):
            builder.flush_paragraph()
            builder.flush_list()
            builder.blocks.append(Quote(quote.group(1)))
        else:
            builder.flush_list()
            builder.lines.append(line.strip())
    builder.flush_section()
    return tuple(builder.opening), tuple(builder.sections)


def _item_lines(item: Item, indent: str) -> list[str]:
    text = _one_line(item.text)
    lines = [f"{indent}- {'*' + text + '*' if item.quote else text}"]
    for child in item.items:
        lines.extend(_item_lines(child, indent + "  "))
    return lines


def _block_lines(block: Block) -> list[str]:
    if isinstance(block, Paragraph):
        return [_one_line(block.text)]
    if isinstance(block, BulletList):
        return [line for item in block.items for line in _item_lines(item, "")]
    if isinstance(block, Quote):
        return [f"> {_one_line(block.text)}"]
    raise TypeError(f"not a block: {type(block).__name__}")


def outline_format(sections: tuple[Section, ...]) -> str:
    """The sections as outline text."""
    chunks = []
    for section in sections:
        lines = ["#" * section.level + " " + _one_line(section.heading)]
        for block in section.blocks:
            lines.append("")
            lines.extend(_block_lines(block))
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks) + "\n" if chunks else ""
