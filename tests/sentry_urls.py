"""The app's URLs plus one view that fails, for tests/test_sentry.py."""

from django.urls import path

from titanobova_project.urls import urlpatterns as app_urlpatterns


def fail(request):
    raise RuntimeError("sentry test failure")


urlpatterns = [path("sentry-test-failure/", fail), *app_urlpatterns]
