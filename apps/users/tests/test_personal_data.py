"""Personal-data rights: export everything, delete the account."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.core.models import AuditLog
from apps.users.models import LoginAttempt, Session, User
from apps.users.tests.conftest import PASSWORD, login, make_two_factor_user
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_export_contains_profile_sessions_logins_and_audit(user):
    login(APIClient(), user.email, "wrong-password-abc")
    client = _bearer(login(APIClient(), user.email).json()["access"])
    response = client.get("/api/v1/users/export_data/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["profile"]["email"] == user.email
    assert len(data["sessions"]) == 1
    assert [a["outcome"] for a in data["login_attempts"]] == ["bad_password", "success"]
    assert any(e["action"] == "auth.login" for e in data["audit_entries"])
    assert "password" not in str(data["profile"]).lower()


def test_export_holds_only_the_callers_data(user, other_user):
    login(APIClient(), other_user.email)
    data = _bearer(login(APIClient(), user.email).json()["access"]).get("/api/v1/users/export_data/").json()
    assert other_user.email not in str(data) and str(other_user.pk) not in str(data)


def test_export_requires_login():
    assert APIClient().get("/api/v1/users/export_data/").status_code == 401


def test_delete_account_erases_and_deactivates(user, run_on_commit):
    original_email = user.email
    tokens = login(APIClient(), user.email).json()
    client = _bearer(tokens["access"])
    wrong = client.post("/api/v1/users/delete_account/", {"password": "wrong-password-1"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong_password"
    with run_on_commit():
        response = client.post("/api/v1/users/delete_account/", {"password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    # The confirmation goes to the address the account had.
    assert mail.outbox[-1].to == [original_email] and "deleted" in mail.outbox[-1].subject
    deleted = User.objects.get(pk=user.pk)
    assert not deleted.is_active and not deleted.has_usable_password()
    assert deleted.email != original_email and deleted.first_name == "" and deleted.last_name == ""
    # Its e-mail no longer appears in the login trail, sessions or audit log.
    assert not LoginAttempt.objects.filter(email=original_email).exists()
    assert not AuditLog.objects.filter(actor_email=original_email).exists()
    assert not AuditLog.objects.filter(target_repr__contains=original_email).exists()
    assert not Session.objects.filter(user=deleted, user_agent__gt="").exists()
    # It can't log in, and its tokens stopped.
    assert login(APIClient(), original_email).status_code == 401
    assert client.get("/api/v1/users/profile/").status_code == 401
    assert (
        APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code
        == 401
    )
    assert AuditLog.objects.filter(action="user.deleted", target_id=str(user.pk)).count() == 1


def test_delete_account_with_two_factor_needs_a_code():
    tfa = make_two_factor_user()
    client = _bearer(login(APIClient(), tfa.user.email, code=tfa.next_code()).json()["access"])
    without = client.post("/api/v1/users/delete_account/", {"password": PASSWORD}, format="json")
    assert without.status_code == 400 and without.json()["code"] == "invalid_two_factor_code"
    ok = client.post("/api/v1/users/delete_account/", {"password": PASSWORD, "code": tfa.next_code()}, format="json")
    assert ok.status_code == 200


def test_the_same_email_can_register_again_after_deletion(user):
    email = user.email
    client = _bearer(login(APIClient(), email).json()["access"])
    client.post("/api/v1/users/delete_account/", {"password": PASSWORD}, format="json")
    response = APIClient().post(
        "/api/v1/users/register/",
        {"email": email, "password": "correct-horse-battery-staple-77", "first_name": "Re", "last_name": "Turn"},
        format="json",
    )
    assert response.status_code == 201


def test_registration_records_when_the_terms_were_accepted():
    APIClient().post(
        "/api/v1/users/register/",
        {
            "email": "terms@example.com",
            "password": "correct-horse-battery-staple-77",
            "first_name": "T",
            "last_name": "A",
        },
        format="json",
    )
    assert User.objects.get(email="terms@example.com").terms_accepted_at is not None


def test_another_user_is_untouched_by_a_deletion(user, other_user):
    client = _bearer(login(APIClient(), user.email).json()["access"])
    login(APIClient(), other_user.email)
    client.post("/api/v1/users/delete_account/", {"password": PASSWORD}, format="json")
    assert login(APIClient(), other_user.email).status_code == 200
    assert LoginAttempt.objects.filter(email=other_user.email).count() == 2
    assert UserFactory  # factories stay importable for later sections


# ---------------------------------------------------------------------------
# Everything the system holds, seeded through the real services
# ---------------------------------------------------------------------------
def _seed_everything(user, run_on_commit):
    """A user with an enrolment, a paid payment and its invoice, a contact message, a newsletter
    subscription, outbox e-mails, login attempts, audit rows, a staff notification and an admin
    history entry naming them, and a Stripe event carrying their address."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    from apps.contacts.services import contact_submit, newsletter_subscribe
    from apps.core.audit import audit_record
    from apps.core.signals import staff_notification
    from apps.courses.tests.factories import CourseFactory, EnrollmentFactory
    from apps.payments.models import StripeEvent
    from apps.payments.tests.factories import invoiced_payment

    founder = UserFactory(user_type="founder")  # receives the staff notifications
    free_enrolment = EnrollmentFactory(user=user, course=CourseFactory(price=0, is_published=True))
    payment, invoice = invoiced_payment(user, billing_name="Asha Rao", billing_gstin="29ABCDE1234F1Z5")
    with run_on_commit():
        login(APIClient(), user.email, "wrong-password-abc")
        login(APIClient(), user.email)
        contact_submit(
            name="Asha Rao",
            email=user.email.upper(),
            phone="+91 98450 12345",
            subject="Refund?",
            message=f"Please write to {user.email.upper()} about my course.",
            ip="203.0.113.7",
            user_agent="Firefox",
        )
        newsletter_subscribe(email=user.email, name="Asha")
        staff_notification.send(sender=None, kind="duplicate_payment", title=f"Paid twice: {user.email} for X")
    audit_record(action="enrollment.viewed", actor=founder, target=free_enrolment)  # target_repr names the e-mail
    audit_record(
        action="user.role_changed", actor=founder, target=user, details={"changes": {"email": {"from": user.email}}}
    )
    LogEntry.objects.create(  # staff edited the user in Django admin
        user=founder,
        content_type=ContentType.objects.get_for_model(user),
        object_id=str(user.pk),
        object_repr=str(user),
        action_flag=CHANGE,
        change_message="Changed e-mail.",
    )
    StripeEvent.objects.create(
        id="evt_seeded",
        type="charge.succeeded",
        payload={
            "data": {
                "object": {"payment_intent": payment.stripe_payment_intent_id, "billing_details": {"email": user.email}}
            }
        },
    )
    return {"payment": payment, "invoice": invoice, "enrolment": free_enrolment, "founder": founder}


def _rows_mentioning(text: str) -> dict[str, list]:
    """Every row of every model whose text or JSON fields contain `text` (ignoring case)."""
    from django.apps import apps
    from django.db import models
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast

    found = {}
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        text_fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.EmailField, models.JSONField))
        ]
        if not text_fields:
            continue
        aliases = {f"_t_{f.name}": Cast(f.name, TextField()) for f in text_fields}
        condition = Q()
        for alias in aliases:
            condition |= Q(**{f"{alias}__icontains": text})
        rows = list(model._default_manager.alias(**aliases).filter(condition).values_list("pk", flat=True))
        if rows:
            found[model._meta.label] = rows
    return found


def test_delete_account_leaves_the_email_only_on_invoices(user, run_on_commit):
    from apps.admin_panel.models import Notification
    from apps.contacts.models import Contact, NewsletterSubscriber
    from apps.payments.models import Invoice

    seeded = _seed_everything(user, run_on_commit)
    email = user.email
    # The seed really put the address everywhere the test then looks.
    before = _rows_mentioning(email)
    for label in (
        "users.User",
        "users.LoginAttempt",
        "core.AuditLog",
        "core.OutboundEmail",
        "contacts.Contact",
        "contacts.NewsletterSubscriber",
        "admin_panel.Notification",
        "admin.LogEntry",
        "payments.StripeEvent",
        "payments.Invoice",
    ):
        assert label in before, label
    client = _bearer(login(APIClient(), email).json()["access"])
    with run_on_commit():
        response = client.post("/api/v1/users/delete_account/", {"password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content

    assert _rows_mentioning(email) == {"payments.Invoice": [seeded["invoice"].pk]}
    # What the law keeps stays intact on the invoice.
    invoice = Invoice.objects.get(pk=seeded["invoice"].pk)
    assert invoice.buyer_email == email and invoice.buyer_name == "Asha Rao" and invoice.buyer_gstin
    # Contact messages stay for staff's history, without the person.
    contact = Contact.objects.get()
    assert (contact.name, contact.phone, contact.ip_address, contact.user_agent) == ("(erased)", "", None, "")
    assert "(erased)" in contact.message and contact.subject == "Refund?"
    assert not NewsletterSubscriber.objects.exists()
    assert not Notification.objects.filter(title__icontains="Asha").exists()
    assert Notification.objects.filter(recipient=seeded["founder"], title="Paid twice: (erased) for X").exists()
    # The name they gave is gone from the staff notification about their message, too.
    assert _rows_mentioning("Asha Rao") == {
        "payments.Invoice": [seeded["invoice"].pk],
        "payments.Payment": [seeded["payment"].pk],  # billing name, printed on the invoice
    }


def test_export_contains_a_seeded_users_enrolment_payment_contacts_and_newsletter(user, run_on_commit):
    seeded = _seed_everything(user, run_on_commit)
    data = _bearer(login(APIClient(), user.email).json()["access"]).get("/api/v1/users/export_data/").json()
    enrolments = {e["id"]: e for e in data["enrolments"]}
    assert str(seeded["enrolment"].pk) in enrolments
    assert str(seeded["payment"].enrollment_id) in enrolments
    assert [p["id"] for p in data["payments"]] == [str(seeded["payment"].pk)]
    assert data["payments"][0]["amount_paise"] == seeded["payment"].amount
    assert data["payments"][0]["status"] == "succeeded"
    assert [i["number"] for i in data["invoices"]] == [seeded["invoice"].number]
    assert [c["subject"] for c in data["contact_messages"]] == ["Refund?"]
    assert data["contact_messages"][0]["phone"] == "+91 98450 12345"
    assert data["newsletter"]["status"] == "pending"
    assert {"welcome", "contact_ack", "newsletter_confirm"} & {m["template"] for m in data["emails"]}
    assert "staff_notifications" not in data and "stripe_events" not in data
