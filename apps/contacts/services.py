"""Contact form and newsletter: what a visitor sends is stored first, e-mails follow from the outbox."""

import csv
import io
import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.emails import email_send
from apps.core.errors import ApplicationError
from apps.core.signals import staff_notification

from .error_codes import ContactErrorCode
from .models import (
    CONTACT_TRANSITIONS,
    Contact,
    ContactStatus,
    ContactStatusChange,
    Newsletter,
    NewsletterDelivery,
    NewsletterStatus,
    NewsletterSubscriber,
    SubscriberStatus,
)

logger = logging.getLogger(__name__)

_CONFIRM_SALT = "contacts.newsletter.confirm"
_UNSUBSCRIBE_SALT = "contacts.newsletter.unsubscribe"
NEWSLETTER_CONFIRM_MAX_AGE = 7 * 24 * 60 * 60


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# ---------------------------------------------------------------------------
# Contact form
# ---------------------------------------------------------------------------
@transaction.atomic
def contact_submit(
    *,
    name: str,
    email: str,
    message: str,
    phone: str = "",
    subject: str = "",
    honeypot: str = "",
    ip: str | None = None,
    user_agent: str = "",
) -> Contact:
    """Store a submission. Its e-mails are outbox rows in the same transaction, delivered after
    commit by a worker: a provider outage delays them, it never loses the submission."""
    is_spam = bool(honeypot.strip())
    contact = Contact.objects.create(
        name=name,
        email=email.strip().lower(),
        phone=phone,
        subject=subject,
        message=message,
        status=ContactStatus.SPAM if is_spam else ContactStatus.NEW,
        ip_address=ip,
        user_agent=user_agent[:512],
    )
    if is_spam:
        logger.info("Contact %s stored as spam (honeypot filled)", contact.pk)
        return contact
    email_send(to=contact.email, template="contact_ack", context={"name": name, "subject": subject})
    admin_link = reverse("admin:contacts_contact_change", args=[contact.pk])
    staff_notification.send(
        sender=Contact,
        kind="contact.new",
        title=f"New contact message from {name}"[:200],
        body=subject or message[:200],
        link=admin_link,
    )
    if settings.STAFF_NOTIFICATION_EMAIL:
        email_send(
            to=settings.STAFF_NOTIFICATION_EMAIL,
            template="staff_new_contact",
            context={
                "name": name,
                "email": contact.email,
                "phone": phone,
                "subject": subject,
                "message": message,
                "link": _absolute(admin_link),
            },
        )
    return contact


def contact_update(*, contact_id: Any, actor: Any, data: dict[str, Any]) -> Contact:
    """Staff: change status (along the allowed transitions), assignee or internal note."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        before_status = contact.status
        changed: list[str] = []
        if "status" in data and data["status"] != contact.status:
            if data["status"] not in CONTACT_TRANSITIONS[contact.status]:
                allowed = ", ".join(sorted(CONTACT_TRANSITIONS[contact.status]))
                raise ApplicationError(
                    f"A {contact.status} message can't become {data['status']}; it can become: {allowed}.",
                    ContactErrorCode.INVALID_STATUS_TRANSITION,
                    fields={"status": [f"Allowed from {contact.status}: {allowed}."]},
                )
            contact.status = data["status"]
            changed.append("status")
        if "assigned_to" in data and data["assigned_to"] != contact.assigned_to:
            assignee = data["assigned_to"]
            if assignee is not None and not (assignee.is_active and assignee.is_staff_member):
                raise ApplicationError(
                    "Messages can only be assigned to an active founder or admin.",
                    ContactErrorCode.INVALID_ASSIGNEE,
                    fields={"assigned_to": ["Not an active staff member."]},
                )
            contact.assigned_to = assignee
            changed.append("assigned_to")
        if "internal_note" in data and data["internal_note"] != contact.internal_note:
            contact.internal_note = data["internal_note"]
            changed.append("internal_note")
        if not changed:
            return contact
        contact.save(update_fields=[*changed, "updated_at"])
        ContactStatusChange.objects.create(
            contact=contact,
            from_status=before_status,
            to_status=contact.status,
            changed_fields=changed,
            changed_by=actor,
        )
        audit_record(
            action="contact.updated",
            actor=actor,
            target=contact,
            details={"from": before_status, "to": contact.status, "fields": changed},
        )
    return contact


# ---------------------------------------------------------------------------
# Newsletter
# ---------------------------------------------------------------------------
def unsubscribe_token(subscriber: NewsletterSubscriber) -> str:
    return signing.dumps(str(subscriber.pk), salt=_UNSUBSCRIBE_SALT)


def unsubscribe_url(subscriber: NewsletterSubscriber) -> str:
    """The RFC 8058 one-click URL: a form POST to it unsubscribes, no login."""
    return _absolute(f"{reverse('newsletter-one-click-unsubscribe')}?token={unsubscribe_token(subscriber)}")


def newsletter_subscribe(*, email: str, name: str = "") -> None:
    """Same outcome for the caller whether the address is new, pending or subscribed already:
    a confirmation e-mail goes out unless it is confirmed; nothing says which case it was."""
    email = email.strip().lower()
    with transaction.atomic():
        subscriber, _created = NewsletterSubscriber.objects.select_for_update().get_or_create(
            email=email, defaults={"name": name}
        )
        if subscriber.status == SubscriberStatus.CONFIRMED:
            return
        subscriber.status = SubscriberStatus.PENDING
        if name:
            subscriber.name = name
        subscriber.save(update_fields=["status", "name"])
        token = signing.dumps(str(subscriber.pk), salt=_CONFIRM_SALT)
        link = (
            f"{settings.FRONTEND_URL}/newsletter/confirm?token={token}"
            if settings.FRONTEND_URL
            else _absolute(f"{reverse('newsletter-confirm-page')}?token={token}")
        )
        email_send(to=email, template="newsletter_confirm", context={"name": subscriber.name, "link": link})


def newsletter_confirm(*, token: str) -> NewsletterSubscriber:
    try:
        subscriber_id = signing.loads(token, salt=_CONFIRM_SALT, max_age=NEWSLETTER_CONFIRM_MAX_AGE)
    except signing.BadSignature as exc:
        raise ApplicationError(
            "This confirmation link is invalid or has expired. Subscribe again.", ContactErrorCode.INVALID_TOKEN
        ) from exc
    with transaction.atomic():
        subscriber = NewsletterSubscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if subscriber is None:
            raise ApplicationError("This confirmation link is no longer valid.", ContactErrorCode.INVALID_TOKEN)
        if subscriber.status != SubscriberStatus.CONFIRMED:
            subscriber.status = SubscriberStatus.CONFIRMED
            subscriber.confirmed_at = timezone.now()
            subscriber.unsubscribed_at = None
            subscriber.save(update_fields=["status", "confirmed_at", "unsubscribed_at"])
    return subscriber


def newsletter_unsubscribe(*, email: str = "", token: str = "") -> None:
    """By address or by the token in a newsletter's links. Says nothing about whether it was on the list."""
    if token:
        try:
            subscriber_id = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
        except signing.BadSignature as exc:
            raise ApplicationError("This unsubscribe link is invalid.", ContactErrorCode.INVALID_TOKEN) from exc
        subscribers = NewsletterSubscriber.objects.filter(pk=subscriber_id)
    else:
        subscribers = NewsletterSubscriber.objects.filter(email=email.strip().lower())
    subscribers.exclude(status=SubscriberStatus.UNSUBSCRIBED).update(
        status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now()
    )


def subscribers_export_csv(*, actor: Any, subscribers: QuerySet[NewsletterSubscriber]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "name", "status", "subscribed_at", "confirmed_at", "unsubscribed_at"])
    count = 0
    for subscriber in subscribers.iterator():
        writer.writerow(
            [
                _csv_safe(subscriber.email),
                _csv_safe(subscriber.name),
                subscriber.status,
                subscriber.created_at.isoformat(),
                subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else "",
                subscriber.unsubscribed_at.isoformat() if subscriber.unsubscribed_at else "",
            ]
        )
        count += 1
    audit_record(action="newsletter.subscribers_exported", actor=actor, details={"rows": count})
    return buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Defuse spreadsheet formulas in user-supplied text (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def newsletter_start_sending(*, newsletter: Newsletter, actor: Any) -> None:
    """Queue a newsletter for every confirmed subscriber, in batches. Sending again (after a
    failure, or twice by mistake) only reaches subscribers who have no delivery yet."""
    from .tasks import newsletter_send_batch_task

    with transaction.atomic():
        Newsletter.objects.filter(pk=newsletter.pk).update(status=NewsletterStatus.SENDING)
        audit_record(action="newsletter.sent", actor=actor, target=newsletter)
        transaction.on_commit(lambda: newsletter_send_batch_task.delay(newsletter_id=str(newsletter.pk)))


def newsletter_send_batch(*, newsletter_id: Any, batch_size: int) -> int:
    """Create up to `batch_size` deliveries (and their outbox e-mails) for confirmed subscribers
    without one; return how many. The unique (newsletter, subscriber) pair makes it idempotent."""
    newsletter = Newsletter.objects.get(pk=newsletter_id)
    pending = (
        NewsletterSubscriber.objects.filter(status=SubscriberStatus.CONFIRMED)
        .exclude(deliveries__newsletter=newsletter)
        .order_by("pk")[:batch_size]
    )
    created = 0
    for subscriber in pending:
        with transaction.atomic():
            delivery, is_new = NewsletterDelivery.objects.get_or_create(newsletter=newsletter, subscriber=subscriber)
            if not is_new:
                continue
            url = unsubscribe_url(subscriber)
            delivery.outbox = email_send(
                to=subscriber.email,
                template="newsletter_issue",
                context={
                    "name": subscriber.name,
                    "subject": newsletter.subject,
                    "text_body": newsletter.text_body,
                    "html_body": newsletter.html_body,
                    "unsubscribe_url": url,
                },
                headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            )
            delivery.save(update_fields=["outbox"])
            created += 1
    if created == 0:
        Newsletter.objects.filter(pk=newsletter.pk).update(status=NewsletterStatus.SENT, sent_at=timezone.now())
    return created
