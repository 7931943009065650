"""Small HTML pages behind the links in e-mails, for when no FRONTEND_URL is configured.

A GET never changes anything (mail scanners follow links); the person confirms with a POST.
"""

from collections.abc import Callable

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from apps.core.errors import ApplicationError

from . import services


def _error_text(exc: ApplicationError) -> str:
    messages = [message for field_messages in (exc.fields or {}).values() for message in field_messages]
    return " ".join(messages) or exc.message


def _confirm_page(request, *, template: str, action: Callable[[str], object]):
    """A page with one button that performs `action(token)` on POST."""
    token = request.POST.get("token") or request.GET.get("token", "")
    context = {"token": token}
    if request.method == "POST":
        try:
            action(token)
            context["done"] = True
        except ApplicationError as exc:
            context["error"] = _error_text(exc)
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def verify_email_page(request):
    return _confirm_page(
        request, template="account/verify_email.html", action=lambda token: services.user_verify_email(token=token)
    )


@require_http_methods(["GET", "POST"])
def unlock_account_page(request):
    return _confirm_page(
        request,
        template="account/unlock_account.html",
        action=lambda token: services.user_unlock_with_token(token=token),
    )


@require_http_methods(["GET", "POST"])
def reset_password_page(request):
    token = request.POST.get("token") or request.GET.get("token", "")
    context = {"token": token, "valid": services.password_reset_token_is_valid(token=token)}
    if request.method == "POST" and context["valid"]:
        password = request.POST.get("new_password", "")
        if password != request.POST.get("new_password_again", ""):
            context["error"] = "The two passwords do not match."
        else:
            try:
                services.user_reset_password(token=token, new_password=password)
                context["done"] = True
            except ApplicationError as exc:
                context["error"] = _error_text(exc)
    return render(request, "account/reset_password.html", context)
