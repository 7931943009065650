from django.core.management.base import BaseCommand

from apps.payments.services import payments_reconcile


class Command(BaseCommand):
    help = "Check payments still pending against Stripe and repair those whose webhook never arrived."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-minutes", type=int, default=None, help="default: PAYMENT_RECONCILE_AFTER_MINUTES"
        )

    def handle(self, *args, **options):
        outcomes = payments_reconcile(older_than_minutes=options["older_than_minutes"])
        summary = ", ".join(f"{key}: {value}" for key, value in sorted(outcomes.items())) or "nothing to reconcile"
        self.stdout.write(summary)
