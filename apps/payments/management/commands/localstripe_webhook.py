import json
import time
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Development only: wait for localstripe at STRIPE_API_BASE and register this app's webhook "
        "with it, signed with STRIPE_WEBHOOK_SECRET (what `make run` does)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", required=True, help="the app's webhook URL, e.g. http://127.0.0.1:8000/api/v1/payments/webhook/"
        )
        parser.add_argument("--timeout", type=float, default=30)

    def handle(self, *args, **options):
        base = settings.STRIPE_API_BASE
        if not base or "api.stripe.com" in base:
            raise CommandError("STRIPE_API_BASE must point at localstripe (it does by default in development).")
        deadline = time.monotonic() + options["timeout"]
        while True:
            try:
                urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=2).close()
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise CommandError(f"localstripe is not answering at {base}") from exc
                time.sleep(0.3)
        body = json.dumps({"url": options["url"], "secret": settings.STRIPE_WEBHOOK_SECRET}).encode()
        request = urllib.request.Request(
            f"{base}/_config/webhooks/titanobova", data=body, headers={"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=10).close()
        self.stdout.write(f"localstripe at {base} sends webhooks to {options['url']}")
