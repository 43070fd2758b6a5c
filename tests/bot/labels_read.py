"""Reading a label PDF back as a scanner would: render the page, decode its barcodes."""
from __future__ import annotations

import pypdfium2
import zxingcpp


def page_size(pdf: bytes) -> tuple[float, float]:
    """The first page's size in points."""
    return tuple(pypdfium2.PdfDocument(pdf)[0].get_size())


def barcodes(pdf: bytes) -> dict[str, str]:
    """The barcodes on the first page by format name ('Code128', 'QRCode'), rendered at 216 dpi."""
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    return {found.format.name: found.text for found in zxingcpp.read_barcodes(image)}
