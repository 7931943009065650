"""Send every templated e-mail of the application (text and HTML parts).

Templates live in `templates/emails/<name>_subject.txt`, `<name>.txt` and `<name>.html`. Context
values are escaped in the HTML part by Django's autoescaping, and the subject is flattened to one
line so no header can be injected through a name.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def render_email(*, template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    full_context = {"site_name": "Titanobova", **context}
    subject = render_to_string(f"emails/{template}_subject.txt", full_context)
    subject = " ".join(subject.split())  # one line: no header injection through user text
    text = render_to_string(f"emails/{template}.txt", full_context)
    html = render_to_string(f"emails/{template}.html", full_context)
    return subject, text, html


def email_send_now(*, to: str, template: str, context: dict[str, Any]) -> None:
    subject, text, html = render_email(template=template, context=context)
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


def email_send(*, to: str, template: str, context: dict[str, Any]) -> None:
    """Queue a templated e-mail once the current transaction commits.

    Context values must be JSON-serialisable (the task crosses a broker).
    """
    from .tasks import send_email_task

    transaction.on_commit(lambda: send_email_task.delay(to=to, template=template, context=context))
