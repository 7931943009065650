from django.apps import AppConfig


class LegacyConfig(AppConfig):
    """The move from the Node.js backend: its data import and the React website's old requests.

    An app of its own because both need several apps at once (users, contacts, courses, payments)
    and sit above all of them; no other app imports this one (CONVENTIONS.md: one-way dependencies).
    """

    name = "apps.legacy"
    label = "legacy"
    verbose_name = "Node.js migration"
