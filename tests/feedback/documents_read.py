"""Reading PDF and DOCX files back for tests, with pikepdf and python-docx: what a reader's
software sees, not what our builders meant to write. (The PDF's words are glyph ids in font
subsets; tests read its structure and metadata, and the words through the DOCX and the page.)"""

import io
from dataclasses import dataclass

import docx
import pikepdf


@dataclass
class PdfFacts:
    lang: str
    title: str
    pdfua_part: str
    marked: bool
    display_title: bool
    # Structure types in reading order, e.g. ["/Document", "/H1", "/P", "/H2", "/L", "/LI", ...].
    elements: list[str]

    def count(self, kind: str) -> int:
        return self.elements.count(kind)


def _walk(node, out: list[str]) -> None:
    if isinstance(node, pikepdf.Dictionary):
        if "/S" in node:
            out.append(str(node.S))
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Array):
            for kid in kids:
                _walk(kid, out)
        elif isinstance(kids, pikepdf.Dictionary):
            _walk(kids, out)


def pdf_facts(data: bytes) -> PdfFacts:
    pdf = pikepdf.open(io.BytesIO(data))
    root = pdf.Root
    elements: list[str] = []
    _walk(root.StructTreeRoot, elements)
    metadata = pdf.open_metadata()
    return PdfFacts(
        lang=str(root.get("/Lang", "")),
        title=str(pdf.docinfo.get("/Title", "")),
        pdfua_part=str(metadata.get("pdfuaid:part", "")),
        marked=bool(root.get("/MarkInfo", {}).get("/Marked", False)),
        display_title=bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False)),
        elements=elements,
    )


@dataclass
class DocxFacts:
    title: str
    language: str
    # (style name, text) of every paragraph, in order.
    paragraphs: list[tuple[str, str]]
    italic: list[str]

    def styled(self, prefix: str) -> list[str]:
        return [text for style, text in self.paragraphs if style.startswith(prefix)]


def docx_facts(data: bytes) -> DocxFacts:
    document = docx.Document(io.BytesIO(data))
    return DocxFacts(
        title=document.core_properties.title,
        language=document.core_properties.language,
        paragraphs=[(p.style.name, p.text) for p in document.paragraphs],
        italic=[run.text for p in document.paragraphs for run in p.runs if run.italic],
    )
