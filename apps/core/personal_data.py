"""Personal data rights (India's DPDP Act 2023): one export and one erasure, assembled from every app.

`core` knows no app, so each app registers what it holds about a person from its AppConfig.ready():

    personal_data.register("enrolments", export=export_enrolments, erase=erase_enrolments)

`export(user) -> JSON-serialisable` and `erase(user) -> None` (anonymise, keeping only what the
law requires the company to keep, such as invoices).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.functions import Cast

# What an erased person's e-mail address (or name) is replaced with inside kept text.
ERASED_TEXT = "(erased)"


@dataclass(frozen=True)
class PersonalDataSection:
    name: str
    export: Callable[[Any], Any] | None
    erase: Callable[[Any], None] | None
    erase_order: int = 100


_sections: dict[str, PersonalDataSection] = {}


def register(
    name: str,
    *,
    export: Callable[[Any], Any] | None,
    erase: Callable[[Any], None] | None = None,
    erase_order: int = 100,
) -> None:
    """`export=None`: erased but not exported (data about the person that isn't theirs to take,
    such as staff notifications). A lower `erase_order` runs first: a section that finds its rows
    through another section's data (the person's contact messages, say) runs before that one
    anonymises them."""
    _sections[name] = PersonalDataSection(name=name, export=export, erase=erase, erase_order=erase_order)


def export_all(user: Any) -> dict[str, Any]:
    return {name: section.export(user) for name, section in sorted(_sections.items()) if section.export is not None}


def erase_all(user: Any) -> list[str]:
    """Run every app's eraser; return the names of the sections erased."""
    erased = []
    for section in sorted(_sections.values(), key=lambda section: (section.erase_order, section.name)):
        if section.erase is not None:
            section.erase(user)
            erased.append(section.name)
    return sorted(erased)


def _rewrite(value: Any, pattern: re.Pattern, replacement: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [_rewrite(item, pattern, replacement) for item in value]
    if isinstance(value, dict):
        return {
            _rewrite(key, pattern, replacement): _rewrite(item, pattern, replacement) for key, item in value.items()
        }
    return value


def containing(queryset: QuerySet, *, fields: list[str], needle: str) -> QuerySet:
    """The rows of `queryset` with `needle` (ignoring case) in one of the text or JSON `fields`."""
    model = queryset.model
    condition = Q()
    annotations = {}
    for name in fields:
        if isinstance(model._meta.get_field(name), models.JSONField):
            alias = f"_scrub_{name}"
            annotations[alias] = Cast(name, models.TextField())
            condition |= Q(**{f"{alias}__icontains": needle})
        else:
            condition |= Q(**{f"{name}__icontains": needle})
    return queryset.alias(**annotations).filter(condition)


def scrub(queryset: QuerySet, *, fields: list[str], needle: str, replacement: str = ERASED_TEXT) -> int:
    """Replace `needle` (an e-mail address, say), ignoring case, wherever it occurs in the text or
    JSON `fields` of `queryset`'s rows; return how many rows changed.

    Rows are found in the database (JSON cast to text) and rewritten one by one with
    queryset.update(), so model save() rules (such as the audit log's append-only guard) don't
    apply: erasure required by law is the sanctioned rewrite. Only rows that contain the needle
    are touched.
    """
    if not needle:
        return 0
    model = queryset.model
    pattern = re.compile(re.escape(needle), re.IGNORECASE)
    changed = 0
    for row in containing(queryset, fields=fields, needle=needle).values("pk", *fields):
        update = {name: new for name in fields if (new := _rewrite(row[name], pattern, replacement)) != row[name]}
        if update:
            changed += model._default_manager.filter(pk=row["pk"]).update(**update)
    return changed
