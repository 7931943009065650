"""Demo coupon for local development (`python manage.py seed_demo`)."""

from .models import Coupon, CouponKind


def seed_demo_coupons() -> list[Coupon]:
    coupon, _ = Coupon.objects.get_or_create(
        code="WELCOME10", defaults={"kind": CouponKind.PERCENT, "percent_off": 10, "max_redemptions": 100}
    )
    return [coupon]
