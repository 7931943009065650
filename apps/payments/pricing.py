"""What a course costs a student, and how an amount splits into taxable value and GST. Paise only."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from apps.courses.models import Course

from .models import Coupon, CouponKind

# Stripe's smallest INR charge is ₹0.50.
MINIMUM_CHARGE_PAISE = 50


def round_paise(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def to_paise(rupees: Decimal) -> int:
    return round_paise(Decimal(rupees) * 100)


@dataclass(frozen=True)
class Quote:
    list_price: int
    discount: int
    amount: int  # what the student pays, GST included
    currency: str


def coupon_discount(coupon: Coupon | None, list_price: int) -> int:
    if coupon is None:
        return 0
    if coupon.kind == CouponKind.PERCENT:
        return min(list_price, round_paise(Decimal(list_price) * coupon.percent_off / 100))
    return min(list_price, coupon.amount_off_paise or 0)


def quote(course: Course, coupon: Coupon | None = None) -> Quote:
    list_price = to_paise(course.price)
    discount = coupon_discount(coupon, list_price)
    net = list_price - discount
    amount = net if settings.PRICES_INCLUDE_GST else net + round_paise(Decimal(net) * settings.GST_RATE_PERCENT / 100)
    return Quote(list_price=list_price, discount=discount, amount=amount, currency=course.currency)


@dataclass(frozen=True)
class TaxSplit:
    taxable_value: int
    cgst_rate: Decimal
    cgst: int
    sgst_rate: Decimal
    sgst: int
    igst_rate: Decimal
    igst: int

    @property
    def total(self) -> int:
        return self.taxable_value + self.cgst + self.sgst + self.igst


def is_intra_state(buyer_state: str) -> bool:
    """CGST + SGST when the place of supply is the seller's state, IGST otherwise. A buyer with no
    state on record is supplied at the seller's location (the GST rule for unregistered buyers)."""
    return not buyer_state or buyer_state.strip().casefold() == settings.SELLER_STATE.strip().casefold()


def tax_split(gross: int, *, buyer_state: str) -> TaxSplit:
    """Split an amount charged (GST included) into taxable value and tax, by place of supply."""
    rate = settings.GST_RATE_PERCENT
    taxable = round_paise(Decimal(gross) * 100 / (100 + rate))
    tax = gross - taxable
    zero = Decimal("0")
    if is_intra_state(buyer_state):
        cgst = round_paise(Decimal(tax) / 2)
        return TaxSplit(taxable, rate / 2, cgst, rate / 2, tax - cgst, zero, 0)
    return TaxSplit(taxable, zero, 0, zero, 0, rate, tax)
