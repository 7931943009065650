"""Staff notifications: own only, unread first, read one or all; what creates them."""

import pytest
from django.utils import timezone

from apps.admin_panel.models import Notification
from apps.users.models import UserType
from apps.users.tests.conftest import PASSWORD, login, make_two_factor_user
from apps.users.tests.factories import UserFactory

URL = "/api/v1/admin/notifications/"
pytestmark = pytest.mark.django_db


def _note(user, title: str, *, read: bool = False) -> Notification:
    return Notification.objects.create(
        recipient=user, kind="test", title=title, read_at=timezone.now() if read else None
    )


def test_list_shows_own_notifications_unread_first(founder_client):
    me, someone_else = founder_client.user, UserFactory(user_type=UserType.ADMIN)
    _note(me, "old unread")
    _note(me, "read one", read=True)
    _note(me, "new unread")
    _note(someone_else, "not mine")
    response = founder_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [n["title"] for n in body["results"]] == ["new unread", "old unread", "read one"]
    assert [n["is_read"] for n in body["results"]] == [False, False, True]


def test_mark_one_read(founder_client):
    note = _note(founder_client.user, "hello")
    response = founder_client.post(f"{URL}{note.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    note.refresh_from_db()
    assert note.read_at is not None


def test_another_staff_members_notification_is_404(founder_client):
    theirs = _note(UserFactory(user_type=UserType.ADMIN), "theirs")
    response = founder_client.post(f"{URL}{theirs.pk}/read/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_malformed_id_is_404(founder_client):
    assert founder_client.post(f"{URL}not-a-uuid/read/").status_code == 404


def test_read_all_marks_only_own(founder_client):
    _note(founder_client.user, "a")
    _note(founder_client.user, "b")
    theirs = _note(UserFactory(user_type=UserType.ADMIN), "theirs")
    response = founder_client.post(f"{URL}read_all/")
    assert response.status_code == 200 and response.json() == {"marked_read": 2}
    assert not Notification.objects.filter(recipient=founder_client.user, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("role_fixture", ["student_client", "instructor_client"])
@pytest.mark.parametrize("method,path", [("get", ""), ("post", "read_all/")])
def test_non_staff_get_403(request, role_fixture, method, path):
    client = request.getfixturevalue(role_fixture)
    assert getattr(client, method)(f"{URL}{path}").status_code == 403


def test_anonymous_gets_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(f"{URL}read_all/").status_code == 401


def test_new_contact_message_notifies_every_staff_member(api_client, founder_client, run_on_commit):
    with run_on_commit():
        response = api_client.post(
            "/api/v1/contacts/contacts/", {"name": "Asha", "email": "asha@example.com", "message": "Hi"}, format="json"
        )
    assert response.status_code == 201
    titles = [n["title"] for n in founder_client.get(URL).json()["results"]]
    assert any("Asha" in title for title in titles)


def test_lockout_of_a_staff_account_notifies_staff(api_client, founder_client, settings):
    staff = make_two_factor_user(user_type=UserType.ADMIN)
    for _ in range(settings.LOCKOUT_THRESHOLD):
        login(api_client, staff.user.email, "wrong-password-123456")
    assert login(api_client, staff.user.email, PASSWORD).status_code == 403
    kinds = [n["kind"] for n in founder_client.get(URL).json()["results"]]
    assert kinds.count("staff_account_locked") == 1


def test_lockout_of_a_student_does_not_notify_staff(api_client, founder_client, settings):
    student = UserFactory(password=PASSWORD)
    for _ in range(settings.LOCKOUT_THRESHOLD):
        login(api_client, student.email, "wrong-password-123456")
    assert "staff_account_locked" not in [n["kind"] for n in founder_client.get(URL).json()["results"]]
