"""Document builders of the feedback app: a small document model (`model`) rendered as an
accessible PDF (`pdf`) and as DOCX (`word`); the summary report and the action plan's quarterly
update are both such documents.

Each builder is a pure function from plain data to bytes, like events/ical.py: no queries, no
request, no storage, so a view, a task or a bench can call it and a test can read its output
without a database. Views and tasks fetch the data, call the builder and decide where the bytes go.
"""

from feedback.documents.model import (
    BulletList,
    Document,
    Item,
    Paragraph,
    Quote,
    Section,
    document_from_data,
    document_to_data,
)
from feedback.documents.pdf import document_html, document_pdf
from feedback.documents.word import DOCX_TYPE, document_docx

__all__ = [
    "DOCX_TYPE",
    "BulletList",
    "Document",
    "Item",
    "Paragraph",
    "Quote",
    "Section",
    "document_docx",
    "document_from_data",
    "document_html",
    "document_pdf",
    "document_to_data",
]
