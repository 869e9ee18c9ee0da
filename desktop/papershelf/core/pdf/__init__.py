"""PDFs: reading untrusted files in a sandboxed worker process (``sandbox``), and what is read (``reader``).

The app reads a PDF only through :func:`extract` / :func:`identify`, which run
``reader.read`` in a separate process with time and memory limits.
"""

from .reader import Annotation, PdfContent
from .sandbox import PdfError, extract, identify, is_pdf

__all__ = ["Annotation", "PdfContent", "PdfError", "extract", "identify", "is_pdf"]
