"""Media on S3-compatible storage through django-storages, against moto's S3 server on a local
port: public media get signed URLs, private files (certificate PDFs) leave only through the
permission-checked view as a short-lived signed URL, and backups go to the bucket encrypted."""

import io
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from django.core.files.storage import storages
from django.db import connection
from PIL import Image

from tests.processes import free_port

BUCKET = "titanobova-test-media"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """moto's S3 server (server mode), started for this module on a free port."""
    pytest.importorskip("moto")
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _s3_options(endpoint: str, location: str, **extra) -> dict:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "access_key": "testing",
            "secret_key": "testing",
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "location": location,
            **extra,
        },
    }


@pytest.fixture
def s3_storages(settings, s3_endpoint):
    import boto3

    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="x"
    )
    if BUCKET not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket=BUCKET)
    settings.MEDIA_STORAGE = "s3"
    settings.PRIVATE_URL_EXPIRE_SECONDS = 60
    settings.STORAGES = {
        "default": _s3_options(s3_endpoint, "media", querystring_expire=3600),
        "private": _s3_options(s3_endpoint, "private", querystring_expire=60),
        "backups": _s3_options(s3_endpoint, "backups"),
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    return client


def _keys(client, prefix: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "me.png"
    return buffer


@pytest.mark.django_db
def test_profile_picture_is_stored_in_the_bucket_and_linked_with_a_signed_url(s3_storages, auth_client, user):
    response = auth_client.patch("/api/v1/users/update_profile/", {"profile_picture": _png()}, format="multipart")
    assert response.status_code == 200, response.content
    url = response.json()["profile_picture"]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert query["X-Amz-Expires"] == ["3600"] and "X-Amz-Signature" in query
    stored = _keys(s3_storages, f"media/profile_pictures/{user.pk}/")
    assert len(stored) == 1 and stored[0].endswith(".png")
    assert _fetch(url).startswith(b"\x89PNG")


@pytest.mark.django_db
def test_certificate_pdf_leaves_only_through_the_view_as_a_short_lived_signed_url(s3_storages, student_client):
    from apps.courses.tests.test_certificates import issue_for
    from tests.clients import role_client

    certificate = issue_for(student_client.user)
    assert role_client("student").get(f"/api/v1/courses/certificates/{certificate.pk}/pdf/").status_code == 404

    response = student_client.get(f"/api/v1/courses/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    parsed = urllib.parse.urlparse(location)
    query = urllib.parse.parse_qs(parsed.query)
    assert parsed.path == f"/{BUCKET}/private/certificates/{certificate.pk}.pdf"
    assert query["X-Amz-Expires"] == ["60"] and "X-Amz-Signature" in query
    assert query["response-content-disposition"] == [f'attachment; filename="certificate-{certificate.code}.pdf"']
    assert _fetch(location).startswith(b"%PDF")
    # Rendered once: the second download signs the same object.
    again = student_client.get(f"/api/v1/courses/certificates/{certificate.pk}/pdf/")
    assert urllib.parse.urlparse(again["Location"]).path == parsed.path
    assert _keys(s3_storages, "private/") == [f"private/certificates/{certificate.pk}.pdf"]
    # Not reachable through the public media location.
    assert not storages["default"].exists(f"certificates/{certificate.pk}.pdf")


@pytest.mark.django_db(transaction=True)
def test_backup_goes_to_the_bucket_encrypted_and_restores_from_it(s3_storages, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL); CI always runs it")
    from apps.core.backups import backup_create, backup_list, backup_restore
    from apps.users.tests.factories import UserFactory

    email = f"s3-{uuid.uuid4().hex[:8]}@example.com"
    user = UserFactory(email=email)
    result = backup_create()
    assert f"backups/{result.name}" in _keys(s3_storages, "backups/")
    assert result.name in [name for _, name in backup_list()]
    body = s3_storages.get_object(Bucket=BUCKET, Key=f"backups/{result.name}")["Body"].read()
    assert body.startswith(b"TNBBAK1") and email.encode() not in body
    type(user).objects.filter(pk=user.pk).delete()
    backup_restore(source=result.name)
    assert type(user).objects.filter(email=email).exists()
