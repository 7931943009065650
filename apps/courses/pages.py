"""The page a certificate's QR code and verification URL open: valid or revoked, nothing more."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import Certificate


@require_GET
def certificate_verify_page(request, code: str):
    certificate = Certificate.objects.filter(code=code).first() if len(code) <= 64 else None
    return render(
        request,
        "courses/certificate_verify.html",
        {"certificate": certificate},
        status=200 if certificate else 404,
    )
