"""The React website's old paths (see views.py): mounted under /api/v1/ next to the documented API."""

from django.urls import path

from . import views

urlpatterns = [
    path("contacts/", views.WebsiteContactsView.as_view(), name="website-contacts"),
    path("enrollments/", views.WebsiteEnrollmentsView.as_view(), name="website-enrollments"),
]
