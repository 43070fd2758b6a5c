"""The default label provider: a 4x6 in PDF drawn with reportlab (return address, RMA, Code 128 barcode, QR code)."""
from __future__ import annotations

import io
import json

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from . import Label, LabelRequest

PAGE = (4 * inch, 6 * inch)  # thermal label printers' 4x6 in stock
MARGIN = 0.2 * inch
BAR_HEIGHT = 0.8 * inch
QR_SIZE = 1.3 * inch
MAX_ADDRESS_LINES = 6


def qr_payload(request: LabelRequest) -> str:
    """What the QR code holds: the RMA and the order, as compact JSON a scanner app can read."""
    return json.dumps({"rma": request.rma, "order": request.order_id}, separators=(",", ":"))


class LocalPdfLabels:
    """Draws labels locally; deterministic output for the same request."""

    def label(self, request: LabelRequest) -> Label:
        """The label as a one-page 4x6 in PDF."""
        buffer = io.BytesIO()
        pdf = canvas.Canvas(buffer, pagesize=PAGE, invariant=1, pageCompression=1)
        pdf.setTitle(f"Return label {request.rma}")
        width, height = PAGE
        y = height - MARGIN

        pdf.setFont("Helvetica-Bold", 16)
        y -= 16
        pdf.drawString(MARGIN, y, "PREPAID RETURN")
        pdf.setFont("Helvetica", 8)
        pdf.drawRightString(width - MARGIN, y, request.requested_at.strftime("%Y-%m-%d"))
        y -= 8
        pdf.line(MARGIN, y, width - MARGIN, y)

        y -= 14
        pdf.setFont("Helvetica", 8)
        pdf.drawString(MARGIN, y, f"FROM: {request.sender_name}"[:70])
        y -= 18
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(MARGIN, y, "RETURN TO:")
        pdf.setFont("Helvetica-Bold", 13)
        for line in [part.strip() for part in request.return_address.splitlines() if part.strip()][:MAX_ADDRESS_LINES]:
            y -= 16
            pdf.drawString(MARGIN + 8, y, line[:40])
        y -= 12
        pdf.line(MARGIN, y, width - MARGIN, y)

        y -= 18
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(MARGIN, y, f"RMA {request.rma}")
        barcode = code128.Code128(request.rma, barHeight=BAR_HEIGHT, barWidth=1.1, humanReadable=False, quiet=True)
        y -= BAR_HEIGHT + 10
        barcode.drawOn(pdf, (width - barcode.width) / 2, y)

        code = qr.QrCodeWidget(qr_payload(request), barLevel="M")
        x0, y0, x1, y1 = code.getBounds()
        drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
        drawing.add(code)
        renderPDF.draw(drawing, pdf, width - MARGIN - QR_SIZE, MARGIN)

        pdf.setFont("Helvetica", 8)
        details = [f"Order {request.order_id}", f"{request.product_name}"[:38], f"Quantity {request.quantity}",
                   f"Seller {request.seller_name}"[:38], "", "Pack the item, stick this label on",
                   "the parcel, and drop it off within", "14 days."]
        text_y = MARGIN + QR_SIZE - 8
        for line in details:
            pdf.drawString(MARGIN, text_y, line)
            text_y -= 10
        pdf.showPage()
        pdf.save()
        return Label(filename=f"return-label-{request.rma}.pdf", content=buffer.getvalue())
