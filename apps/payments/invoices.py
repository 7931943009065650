"""GST tax invoices and credit notes: gap-free numbers per Indian financial year, and the PDF."""

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Invoice, InvoiceKind, InvoiceSequence, Payment, Refund
from .pricing import is_intra_state, tax_split

INDIA = ZoneInfo("Asia/Kolkata")


def financial_year(moment: datetime) -> str:
    """India's financial year runs April to March: 2026-04-01 .. 2027-03-31 is "2026-27"."""
    local = timezone.localtime(moment, INDIA)
    start = local.year if local.month >= 4 else local.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _next_number(kind: str, year: str) -> int:
    """The next number of the sequence, under its row lock: the caller's transaction holds it until
    commit, so two documents never share a number, and a rolled-back issue leaves no gap."""
    InvoiceSequence.objects.bulk_create([InvoiceSequence(kind=kind, financial_year=year)], ignore_conflicts=True)
    sequence = InvoiceSequence.objects.select_for_update().get(kind=kind, financial_year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _document(kind: str, *, payment: Payment, gross: int, description: str, **extra) -> Invoice:
    issued_at = timezone.now()
    year = financial_year(issued_at)
    number = _next_number(kind, year)
    prefix = settings.INVOICE_PREFIX if kind == InvoiceKind.INVOICE else settings.CREDIT_NOTE_PREFIX
    split = tax_split(gross, buyer_state=payment.billing_state)
    user = payment.user
    return Invoice.objects.create(
        kind=kind,
        number=f"{prefix}/{year}/{number:06d}",
        financial_year=year,
        sequence=number,
        payment=payment,
        user=user,
        issued_at=issued_at,
        seller_name=settings.SELLER_NAME,
        seller_address=settings.SELLER_ADDRESS,
        seller_gstin=settings.SELLER_GSTIN,
        seller_state=settings.SELLER_STATE,
        buyer_name=payment.billing_name or user.get_full_name(),
        buyer_email=user.email,
        buyer_gstin=payment.billing_gstin,
        buyer_state=payment.billing_state,
        place_of_supply=settings.SELLER_STATE if is_intra_state(payment.billing_state) else payment.billing_state,
        sac_code=settings.GST_SAC_CODE,
        currency=payment.currency,
        line_items=[
            {
                "description": description,
                "sac_code": settings.GST_SAC_CODE,
                "quantity": 1,
                "list_price": payment.list_price if kind == InvoiceKind.INVOICE else gross,
                "discount": payment.discount if kind == InvoiceKind.INVOICE else 0,
                "coupon": payment.coupon.code if payment.coupon_id and kind == InvoiceKind.INVOICE else "",
                "taxable_value": split.taxable_value,
            }
        ],
        taxable_value=split.taxable_value,
        cgst_rate=split.cgst_rate,
        cgst_amount=split.cgst,
        sgst_rate=split.sgst_rate,
        sgst_amount=split.sgst,
        igst_rate=split.igst_rate,
        igst_amount=split.igst,
        total=split.total,
        **extra,
    )


def invoice_issue(*, payment: Payment) -> Invoice:
    """The tax invoice of a successful payment (once; call inside the payment's transaction)."""
    existing = Invoice.objects.filter(payment=payment, kind=InvoiceKind.INVOICE).first()
    if existing is not None:
        return existing
    course = payment.enrollment.course
    return _document(InvoiceKind.INVOICE, payment=payment, gross=payment.amount, description=f"Course: {course.title}")


def credit_note_issue(*, refund: Refund) -> Invoice:
    """The credit note of a successful refund, referring to the payment's invoice (once)."""
    existing = Invoice.objects.filter(refund=refund).first()
    if existing is not None:
        return existing
    payment = refund.payment
    original = invoice_issue(payment=payment)
    return _document(
        InvoiceKind.CREDIT_NOTE,
        payment=payment,
        gross=refund.amount,
        description=f"Refund against invoice {original.number}: {refund.reason}"[:300],
        refund=refund,
        original_invoice=original,
    )


def _money(paise: int, currency: str) -> str:
    return f"{currency} {paise / 100:,.2f}"


def invoice_pdf(invoice: Invoice) -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, title=invoice.number)
    styles = getSampleStyleSheet()
    title = "Tax Invoice" if invoice.kind == InvoiceKind.INVOICE else "Credit Note"
    money = lambda paise: _money(paise, invoice.currency)  # noqa: E731
    parties = Table(
        [
            [Paragraph("<b>Seller</b>", styles["Normal"]), Paragraph("<b>Buyer</b>", styles["Normal"])],
            [invoice.seller_name, invoice.buyer_name],
            [Paragraph(invoice.seller_address, styles["Normal"]), invoice.buyer_email],
            [f"GSTIN: {invoice.seller_gstin}", f"GSTIN: {invoice.buyer_gstin or 'unregistered'}"],
            [f"State: {invoice.seller_state}", f"State: {invoice.buyer_state or invoice.seller_state}"],
        ],
        colWidths=[87 * mm, 87 * mm],
    )
    lines = [["Description", "SAC", "Price", "Discount", "Taxable value"]]
    for item in invoice.line_items:
        lines.append(
            [
                Paragraph(item["description"], styles["Normal"]),
                item["sac_code"],
                money(item["list_price"]),
                money(item["discount"]),
                money(item["taxable_value"]),
            ]
        )
    taxes = [["Taxable value", money(invoice.taxable_value)]]
    if invoice.igst_amount:
        taxes.append([f"IGST @ {invoice.igst_rate}%", money(invoice.igst_amount)])
    else:
        taxes.append([f"CGST @ {invoice.cgst_rate}%", money(invoice.cgst_amount)])
        taxes.append([f"SGST @ {invoice.sgst_rate}%", money(invoice.sgst_amount)])
    taxes.append(["Total", money(invoice.total)])
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    story = [
        Paragraph(f"{title} {invoice.number}", styles["Title"]),
        Paragraph(f"Date: {timezone.localtime(invoice.issued_at, INDIA):%d %B %Y}", styles["Normal"]),
        Paragraph(f"Place of supply: {invoice.place_of_supply}", styles["Normal"]),
    ]
    if invoice.original_invoice_id:
        story.append(Paragraph(f"Against invoice {invoice.original_invoice.number}", styles["Normal"]))
    story += [
        Spacer(1, 6 * mm),
        parties,
        Spacer(1, 6 * mm),
        Table(lines, colWidths=[70 * mm, 18 * mm, 30 * mm, 26 * mm, 30 * mm], style=grid),
        Spacer(1, 6 * mm),
        Table(taxes, colWidths=[60 * mm, 40 * mm], style=grid, hAlign="RIGHT"),
        Spacer(1, 8 * mm),
        Paragraph(f"Payment reference: {invoice.payment.stripe_payment_intent_id}", styles["Normal"]),
    ]
    document.build(story)
    return buffer.getvalue()


def invoice_attachment(invoice_id: str) -> tuple[str, bytes, str]:
    """E-mail attachment builder (registered in AppConfig.ready)."""
    invoice = Invoice.objects.select_related("payment", "original_invoice").get(pk=invoice_id)
    return f"{invoice.number.replace('/', '-')}.pdf", invoice_pdf(invoice), "application/pdf"
