"""The page behind the newsletter confirmation link, for when no FRONTEND_URL is configured."""

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from apps.core.errors import ApplicationError

from . import services


@require_http_methods(["GET", "POST"])
def newsletter_confirm_page(request):
    token = request.POST.get("token") or request.GET.get("token", "")
    context = {"token": token}
    if request.method == "POST":
        try:
            services.newsletter_confirm(token=token)
            context["done"] = True
        except ApplicationError as exc:
            context["error"] = exc.message
    return render(request, "account/newsletter_confirm.html", context)
