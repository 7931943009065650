from enum import StrEnum


class PaymentErrorCode(StrEnum):
    ALREADY_PAID = "already_paid"
    FREE_COURSE = "free_course"
    EMAIL_NOT_VERIFIED = "email_not_verified"
    AMOUNT_TOO_SMALL = "amount_too_small"
    PAYMENT_IN_PROGRESS = "payment_in_progress"
    PROVIDER_ERROR = "payment_provider_error"
    NOT_REFUNDABLE = "not_refundable"
    REFUND_EXCEEDS_PAID = "refund_exceeds_paid"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID_PAYLOAD = "invalid_payload"
    COUPON_INVALID = "coupon_invalid"
    COUPON_EXPIRED = "coupon_expired"
    COUPON_NOT_STARTED = "coupon_not_started"
    COUPON_NOT_FOR_COURSE = "coupon_not_for_course"
    COUPON_ALREADY_USED = "coupon_already_used"
    COUPON_EXHAUSTED = "coupon_exhausted"
