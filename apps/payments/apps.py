from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from apps.core import personal_data
        from apps.core.emails import register_attachment

        from .invoices import invoice_attachment
        from .personal_data import erase_stripe_event_copies, export_invoices, export_payments

        register_attachment("invoice_pdf", invoice_attachment)
        personal_data.register("payments", export=export_payments)
        personal_data.register("invoices", export=export_invoices)
        personal_data.register("stripe_events", export=None, erase=erase_stripe_event_copies)
