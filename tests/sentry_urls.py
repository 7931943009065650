"""The app's URLs plus one view that fails, for tests/test_sentry.py."""

from django.urls import path

from titanobova_project.urls import urlpatterns as app_urlpatterns


def fail(request):
    # What a real request does before failing: reads its session, counts a rate limit keyed by
    # the client's IP in the cache (Redis in CI), logs a line with an e-mail address in it.
    import logging

    from django.conf import settings
    from django.core.cache import cache

    # The values are built at run time: Sentry sends the source lines around a frame, not secrets.
    client_ip = ".".join(["198", "51", "100", str(70 + 7)])
    secret = "-".join(["hunter2", "in", "log"])
    if "cache" in settings.SESSION_ENGINE:  # Redis in CI; locally the session table may not exist
        request.session.get("anything")
    cache.set(f"ratelimit:login:ip:{client_ip}", 1, 60)
    logging.getLogger("apps.test").info("checking password=%s for someone", secret)
    raise RuntimeError("sentry test failure")


urlpatterns = [path("sentry-test-failure/", fail), *app_urlpatterns]
