"""A real localstripe server (the Stripe-compatible server from PyPI) for tests, and helpers to
pay at it and to sign webhook events the way Stripe does."""

import contextlib
import hashlib
import hmac
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.processes import free_port

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def localstripe_server(log_dir: Path) -> Iterator[str]:
    port = free_port()
    log = open(log_dir / f"localstripe-{port}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        cwd=log_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=2).close()
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"localstripe did not start; see {log.name}") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def register_webhook(base_url: str, *, url: str, secret: str, name: str = "app") -> None:
    body = json.dumps({"url": url, "secret": secret}).encode()
    request = urllib.request.Request(
        f"{base_url}/_config/webhooks/{name}", data=body, headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=10).close()


def pay(intent_id: str, *, card: str = "4242424242424242") -> dict:
    """What Stripe.js does in the browser: attach a card to the intent and confirm it."""
    from apps.payments import gateway

    client = gateway.client()
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    return gateway.as_dict(client.v1.payment_intents.confirm(intent_id))


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(event_type: str, obj: dict, *, event_id: str | None = None) -> bytes:
    event = {
        "id": event_id
        or f"evt_{hashlib.sha1(json.dumps(obj, sort_keys=True).encode() + event_type.encode()).hexdigest()[:20]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2024-06-20",
        "data": {"object": obj},
    }
    return json.dumps(event).encode()


WEBHOOK = "/api/v1/payments/webhook/"
SECRET = "whsec_test_secret"


def post_event(client, event_type: str, obj: dict, *, event_id: str | None = None, secret: str = SECRET):
    """POST a Stripe event signed with `secret`, as Stripe would (localstripe sends no refund events)."""
    body = event_body(event_type, obj, event_id=event_id)
    return client.post(WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body, secret))
