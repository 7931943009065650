"""The certificate as a one-page landscape A4 PDF (ReportLab), with a QR code of its verification URL."""

from io import BytesIO

from django.utils import timezone
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from .models import Certificate

BRAND = colors.HexColor("#0b6e4f")


def _qr(url: str, size: float) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def certificate_pdf_name(certificate_id) -> str:
    """Where the rendered PDF is kept in the private storage (apps.core.private_files)."""
    return f"certificates/{certificate_id}.pdf"


def certificate_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    buffer = BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(f"Certificate {certificate.code}")
    pdf.setAuthor("Titanobova")
    pdf.setSubject(f"{certificate.student_name}: {certificate.course_title}")

    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)

    centre = width / 2
    pdf.setFillColor(BRAND)
    pdf.setFont("Helvetica-Bold", 30)
    pdf.drawCentredString(centre, height - 45 * mm, "Certificate of Completion")
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(centre, height - 62 * mm, "This certifies that")
    pdf.setFont("Helvetica-Bold", 26)
    pdf.drawCentredString(centre, height - 80 * mm, certificate.student_name)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(centre, height - 95 * mm, "has completed the course")
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawCentredString(centre, height - 110 * mm, certificate.course_title)
    pdf.setFont("Helvetica", 13)
    completed = timezone.localtime(certificate.completed_at).strftime("%d %B %Y")
    pdf.drawCentredString(
        centre, height - 124 * mm, f"taught by {certificate.instructor_name}, completed on {completed}"
    )

    pdf.setFont("Helvetica", 10)
    pdf.drawString(22 * mm, 34 * mm, f"Certificate code: {certificate.code}")
    pdf.drawString(22 * mm, 28 * mm, f"Verify at: {verify_url}")
    pdf.drawString(22 * mm, 22 * mm, "Titanobova")
    qr_size = 38 * mm
    renderPDF.draw(_qr(verify_url, qr_size), pdf, width - 22 * mm - qr_size, 18 * mm)

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
