"""Signals the courses app sends for apps built on it (payments listens; courses imports none)."""

from django.dispatch import Signal

# Staff turned an enrolment request into an account and an enrolment, inside the transaction
# that did it. Arguments: enrollment_request (EnrollmentRequest, with user and enrollment set).
enrollment_request_converted = Signal()
