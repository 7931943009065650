from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from apps.core import personal_data
        from apps.core.emails import register_attachment
        from apps.courses.signals import enrollment_request_converted

        from .invoices import invoice_attachment
        from .personal_data import erase_stripe_event_copies, export_invoices, export_payments
        from .services import on_enrollment_request_converted

        register_attachment("invoice_pdf", invoice_attachment)
        personal_data.register("payments", export=export_payments)
        personal_data.register("invoices", export=export_invoices)
        enrollment_request_converted.connect(on_enrollment_request_converted, dispatch_uid="payments-legacy-link")
        personal_data.register("stripe_events", export=None, erase=erase_stripe_event_copies)
