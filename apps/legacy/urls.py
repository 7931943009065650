"""The React website's old paths (see views.py): mounted under /api/v1/ next to the documented API.

The Node.js backend ran on Express, whose routing ignores a trailing slash, so the site may send
`/api/v1/contacts` as well as `/api/v1/contacts/`. Django would answer the first with a redirect
(which turns a POST into a GET) or, in DEBUG, an error; so each of the site's paths also
answers without its slash, at the same view.
"""

from django.urls import path, re_path

from apps.courses.views import EnrollmentRequestViewSet
from apps.users.views import TokenObtainView

from . import views


def twin(view_class, **initkwargs):
    """The same view at a slash-less path, left out of the OpenAPI schema (one entry per endpoint)."""
    return type(f"SlashlessTwin{view_class.__name__}", (view_class,), {"schema": None}).as_view(**initkwargs)


urlpatterns = [
    path("contacts/", views.WebsiteContactsView.as_view(), name="website-contacts"),
    path("enrollments/", views.WebsiteEnrollmentsView.as_view(), name="website-enrollments"),
    re_path(r"^contacts$", twin(views.WebsiteContactsView)),
    re_path(r"^enrollments$", twin(views.WebsiteEnrollmentsView)),
    re_path(r"^auth/token$", twin(TokenObtainView)),
    re_path(
        r"^courses/enrollment-requests$", twin(EnrollmentRequestViewSet, actions={"get": "list", "post": "create"})
    ),
]
