from django.urls import path

from . import pages

urlpatterns = [
    path("verify-email/", pages.verify_email_page, name="account-verify-email"),
    path("reset-password/", pages.reset_password_page, name="account-reset-password"),
    path("unlock/", pages.unlock_account_page, name="account-unlock"),
]
