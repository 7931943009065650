"""The Django admin: every model registered, logs read-only, the dashboard on the index page, and
the actions the founders use (resolve a contact, unlock, resend an e-mail or invoice, refund)."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import timezone

from apps.admin_panel.models import SystemLog
from apps.contacts.models import Contact, ContactStatus
from apps.core.models import AuditLog, OutboundEmail, OutboundEmailStatus
from apps.users.models import LoginAttempt, UserType
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PROJECT_APPS = {"core", "users", "contacts", "courses", "payments", "admin_panel"}
READ_ONLY = [AuditLog, LoginAttempt, SystemLog, OutboundEmail]


@pytest.fixture
def staff(client):
    user = UserFactory(user_type=UserType.ADMIN, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


def test_every_project_model_is_registered():
    missing = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and model not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_log_and_audit_models_are_read_only(rf, model):
    request = rf.get("/admin/")
    request.user = UserFactory(user_type=UserType.ADMIN, is_superuser=True)
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_every_changelist_and_search_page_answers(staff):
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = staff.get(url, {"q": "x"} if model_admin.search_fields else {})
        assert response.status_code == 200, url


def test_index_page_shows_the_dashboard_and_charts(staff):
    response = staff.get("/admin/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="titanobova-dashboard"' in page
    for chart in ("chart-revenue", "chart-signups", "chart-enrollments"):
        assert f'id="{chart}"' in page
    assert page.count('class="bar"') == 36  # 12 months, 3 charts
    assert "Titanobova" in page
    assert "<script" not in page.split('id="titanobova-dashboard"')[1].split("</section>")[0]


def test_mark_contacts_resolved_action(staff):
    contact = Contact.objects.create(name="A", email="a@example.com", message="hi")
    response = staff.post(
        "/admin/contacts/contact/", {"action": "mark_resolved", "_selected_action": [str(contact.pk)]}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.status == ContactStatus.RESOLVED
    assert AuditLog.objects.filter(target_id=str(contact.pk)).exists()


def test_unlock_accounts_action(staff):
    locked = UserFactory(account_locked_until=timezone.now() + timedelta(hours=1), failed_login_attempts=5)
    response = staff.post("/admin/users/user/", {"action": "unlock_accounts", "_selected_action": [str(locked.pk)]})
    assert response.status_code == 302
    locked.refresh_from_db()
    assert locked.account_locked_until is None and locked.failed_login_attempts == 0
    assert AuditLog.objects.filter(action="account.unlocked", target_id=str(locked.pk)).count() == 1


def test_locked_filter(staff):
    UserFactory(email="locked@example.com", account_locked_until=timezone.now() + timedelta(hours=1))
    UserFactory(email="free@example.com")
    page = staff.get("/admin/users/user/", {"locked": "yes"}).content.decode()
    assert "locked@example.com" in page and "free@example.com" not in page


def test_resend_failed_email_action(staff, mailoutbox, run_on_commit):
    message = OutboundEmail.objects.create(
        to="a@example.com", template="contact_ack", context={"name": "A"}, status=OutboundEmailStatus.FAILED
    )
    with run_on_commit():
        staff.post("/admin/core/outboundemail/", {"action": "resend", "_selected_action": [str(message.pk)]})
    message.refresh_from_db()
    assert message.status == OutboundEmailStatus.SENT
    assert [m.to for m in mailoutbox] == [["a@example.com"]]


def test_session_revoke_action_is_audited_with_the_staff_actor(staff, auth_client, user):
    from apps.users.models import Session

    session = Session.objects.get(user=user)
    staff.post("/admin/users/session/", {"action": "revoke", "_selected_action": [str(session.pk)]})
    session.refresh_from_db()
    assert session.revoked_at is not None
    assert auth_client.get("/api/v1/users/profile/").status_code == 401
    entry = AuditLog.objects.get(action="session.revoked", target_id=str(user.pk))
    assert entry.actor == staff.user


def test_system_log_detail_shows_the_traceback(staff):
    row = SystemLog.objects.create(
        created_at=timezone.now(), level="ERROR", level_number=40, logger="x", message="m", traceback="Traceback: boom"
    )
    response = staff.get(f"/admin/admin_panel/systemlog/{row.pk}/change/")
    assert response.status_code == 200 and b"Traceback: boom" in response.content


def test_non_staff_cannot_open_the_admin(client):
    student = UserFactory()
    client.force_login(student)
    assert client.get("/admin/").status_code == 302  # to the admin login


@pytest.mark.parametrize("user_type", [UserType.FOUNDER, UserType.ADMIN])
def test_founders_and_admins_use_the_admin_without_being_superusers(client, user_type):
    staff = UserFactory(user_type=user_type)
    client.force_login(staff)
    index = client.get("/admin/").content.decode()
    assert "/admin/payments/payment/" in index and "/admin/contacts/contact/" in index
    assert "/admin/auth/group/" not in index  # groups and permissions stay with superusers
    assert client.get("/admin/auth/group/").status_code == 403
    assert staff.has_perm("contacts.change_contact") and not staff.has_perm("auth.change_group")


def test_students_and_instructors_get_no_admin_permissions():
    for user_type in (UserType.STUDENT, UserType.INSTRUCTOR):
        assert UserFactory(user_type=user_type).get_all_permissions() == set()
