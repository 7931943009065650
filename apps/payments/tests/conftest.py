# The Stripe fixtures (localstripe_url, stripe_settings, paid_course) live in the root conftest.py,
# shared with the end-to-end and concurrency tests under tests/.
from tests.localstripe import SECRET, WEBHOOK, post_event  # noqa: F401 - re-exported for the tests here
