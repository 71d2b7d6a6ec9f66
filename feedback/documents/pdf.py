"""The document as a tagged, accessible PDF (PDF/UA-1): WeasyPrint lays out the HTML rendering.

The HTML comes from a Django template with autoescaping, so text that looks like markup is
printed as text. WeasyPrint's "pdf/ua-1" variant writes the structure tree (headings, lists,
paragraphs), marks the file as tagged, and identifies it as PDF/UA in its XMP metadata; the
document language comes from <html lang> and the title from <title>, shown instead of the file
name (DisplayDocTitle).
"""

from django.template.loader import render_to_string

from feedback.documents.model import Document
from feedback.documents.text import document_clean

TEMPLATE = "feedback/documents/document.html"


def document_html(document: Document) -> str:
    """The whole document as one HTML page (what the PDF is laid out from)."""
    return render_to_string(TEMPLATE, {"document": document_clean(document)})


def _no_fetching():
    """A URL fetcher that fetches nothing: the document has no images or stylesheets outside
    it, and text a person typed must never make the builder open a URL. Made without the default
    fetcher's handlers, whose HTTPS context costs a noticeable part of a small document's build."""
    # Imported on first use, as in document_pdf below: importing WeasyPrint loads Pango.
    from urllib.request import OpenerDirector

    # WeasyPrint itself, late for the same reason.
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def __init__(self):
            OpenerDirector.__init__(self)

        def fetch(self, url, headers=None):
            raise ValueError("the document fetches no external resources")

    return NoFetching()


def document_pdf(document: Document) -> bytes:
    """The document as PDF/UA-1 bytes. A few seconds of CPU for a report of thirty pages: build
    it in a task (feedback.services.report_files), not in a request."""
    # Imported on first use: WeasyPrint loads Pango and parses its stylesheets at import, which
    # every web and worker process would otherwise pay for a download few of them serve.
    from weasyprint import HTML

    return HTML(string=document_html(document), url_fetcher=_no_fetching()).write_pdf(
        pdf_variant="pdf/ua-1"
    )
