"""Private files (invoice and certificate PDFs): stored once in the "private" storage, handed out
only by views that have checked the caller's permission.

On S3 the view answers with a redirect to a signed URL that expires after
PRIVATE_URL_EXPIRE_SECONDS, so the bytes do not pass through gunicorn; on local disk the view
streams the file itself. No web server serves the private storage's location directly.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.http import HttpResponse, HttpResponseRedirect


def private_storage():
    return storages["private"]


def private_file_ensure(*, name: str, build: Callable[[], bytes]) -> str:
    """Store the file built by `build` under `name` unless it is there already; return its name."""
    storage = private_storage()
    if storage.exists(name):
        return name
    # file_overwrite is off: two requests racing here end with two objects, the second one suffixed;
    # both hold the same document, and the name returned is the one this request can read.
    return storage.save(name, ContentFile(build()))


def _signs_urls(storage) -> bool:
    return getattr(storage, "querystring_auth", False) and hasattr(storage, "bucket_name")


def private_file_response(*, name: str, filename: str, content_type: str) -> HttpResponse:
    """The stored file for a caller whose permission the view has checked: a short-lived signed
    URL on S3, the bytes themselves on local disk (documents of a few kilobytes)."""
    storage = private_storage()
    disposition = f'attachment; filename="{filename}"'
    if _signs_urls(storage):
        url = storage.url(
            name,
            parameters={"ResponseContentDisposition": disposition, "ResponseContentType": content_type},
            expire=settings.PRIVATE_URL_EXPIRE_SECONDS,
        )
        response: HttpResponse = HttpResponseRedirect(url)
    else:
        with storage.open(name, "rb") as stored:
            response = HttpResponse(stored.read(), content_type=content_type)
        response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response
