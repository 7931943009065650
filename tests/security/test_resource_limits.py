"""OWASP API4, unrestricted resource consumption: oversized bodies are a 413, a body in a media
type the API doesn't take is a 415 (except the RFC 8058 one-click unsubscribe, which takes form
posts), and no list answers more than 100 items a page. Every writable endpoint of the URL
configuration is tried (the cases of test_mass_assignment.WRITABLE)."""

import json

import pytest
from django.urls import reverse

from tests.security.actors import World, api_endpoints
from tests.security.test_mass_assignment import WRITABLE, _url

pytestmark = pytest.mark.django_db

ONE_CLICK = ("newsletter-one-click-unsubscribe", "POST")


def _caller(request, name, method):
    write = WRITABLE[(name, method)]
    for fixture in write.fixtures:
        request.getfixturevalue(fixture)
    world = World(owner_type=write.owner if write.role == "anonymous" else write.role, request=request)
    url = _url(name, write.kwargs(world) if write.kwargs else {})
    if write.query:
        url += "?" + write.query(world)
    client = world.client("anonymous" if write.role == "anonymous" else "owner")
    return getattr(client, method.lower()), url


def _assert_json_error(response, status: int, code: str):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code and response.json()["request_id"]


@pytest.mark.parametrize("name, method", list(WRITABLE))
@pytest.mark.parametrize("media_type", ["application/json", "application/x-www-form-urlencoded"])
def test_an_oversized_body_is_413(request, settings, name, method, media_type):
    settings.RATELIMIT_ENABLE = False
    send, url = _caller(request, name, method)
    filler = "m" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    body = json.dumps({"message": filler}) if media_type == "application/json" else f"message={filler}"
    _assert_json_error(send(url, body, content_type=media_type), 413, "request_too_large")


@pytest.mark.parametrize("name, method", [key for key in WRITABLE if key != ONE_CLICK])
@pytest.mark.parametrize("media_type", ["text/plain", "application/xml", "text/csv; charset=utf-8"])
def test_a_body_in_a_foreign_media_type_is_415(request, settings, name, method, media_type):
    settings.RATELIMIT_ENABLE = False
    send, url = _caller(request, name, method)
    _assert_json_error(send(url, "<a>1</a>", content_type=media_type), 415, "unsupported_media_type")


def test_a_json_body_just_under_the_limit_is_read(api_client, settings):
    settings.RATELIMIT_ENABLE = False
    body = {"name": "V", "email": "v@example.com", "message": "m" * 4000}
    assert api_client.post("/api/v1/contacts/contacts/", body, format="json").status_code == 201


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart", "other"])
def test_one_click_unsubscribe_takes_form_posts(api_client, encoding):
    from apps.contacts.models import NewsletterSubscriber
    from apps.contacts.services import unsubscribe_token
    from apps.contacts.tests.factories import SubscriberFactory

    subscriber = SubscriberFactory(status="confirmed")
    url = reverse("newsletter-one-click-unsubscribe") + f"?token={unsubscribe_token(subscriber)}"
    if encoding == "urlencoded":
        response = api_client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    elif encoding == "multipart":
        response = api_client.post(url, {"List-Unsubscribe": "One-Click"}, format="multipart")
    else:  # a client that names another media type: the token in the URL still decides
        response = api_client.generic("POST", url, "List-Unsubscribe=One-Click", content_type="text/plain")
    assert response.status_code == 200, response.content
    assert NewsletterSubscriber.objects.get(pk=subscriber.pk).status != "confirmed"


def test_the_webhook_takes_json_only(api_client):
    response = api_client.post("/api/v1/payments/webhook/", "a=b", content_type="application/x-www-form-urlencoded")
    _assert_json_error(response, 415, "unsupported_media_type")


def _list_endpoints():
    return [e for e in api_endpoints() if e.name and e.name.endswith("-list") and "GET" in e.methods]


@pytest.mark.parametrize("endpoint", _list_endpoints(), ids=lambda e: e.name)
def test_every_paginated_list_caps_its_page_size_at_100(endpoint):
    from rest_framework.settings import api_settings

    view_class = endpoint_view_class(endpoint)
    paginator_class = getattr(view_class, "pagination_class", api_settings.DEFAULT_PAGINATION_CLASS)
    assert paginator_class is not None, f"{endpoint.name} is not paginated"
    assert paginator_class.max_page_size == 100 and paginator_class.page_size_query_param == "page_size"


def endpoint_view_class(endpoint):
    from django.urls import resolve

    path = "/" + endpoint.route.replace("^", "").replace("$", "")
    kwargs = {"course_pk": "00000000-0000-0000-0000-000000000000"} if "course_pk" in endpoint.parameters else {}
    if kwargs:
        path = reverse(endpoint.name, kwargs=kwargs)
    return resolve(path).func.cls


@pytest.mark.parametrize(
    "path, make",
    [
        ("/api/v1/courses/courses/", "courses"),
        ("/api/v1/contacts/contacts/", "contacts"),
    ],
)
def test_page_size_beyond_the_cap_is_clamped_to_100(founder_client, path, make):
    from apps.contacts.tests.factories import ContactFactory
    from apps.courses.tests.factories import CourseFactory

    (CourseFactory if make == "courses" else ContactFactory).create_batch(105)
    response = founder_client.get(path, {"page_size": 1000})
    assert response.status_code == 200
    assert response.json()["count"] == 105 and len(response.json()["results"]) == 100
