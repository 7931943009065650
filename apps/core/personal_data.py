"""Personal data rights (India's DPDP Act 2023): one export and one erasure, assembled from every app.

`core` knows no app, so each app registers what it holds about a person from its AppConfig.ready():

    personal_data.register("enrolments", export=export_enrolments, erase=erase_enrolments)

`export(user) -> JSON-serialisable` and `erase(user) -> None` (anonymise, keeping only what the
law requires the company to keep, such as invoices).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PersonalDataSection:
    name: str
    export: Callable[[Any], Any]
    erase: Callable[[Any], None] | None


_sections: dict[str, PersonalDataSection] = {}


def register(name: str, *, export: Callable[[Any], Any], erase: Callable[[Any], None] | None = None) -> None:
    _sections[name] = PersonalDataSection(name=name, export=export, erase=erase)


def export_all(user: Any) -> dict[str, Any]:
    return {name: section.export(user) for name, section in sorted(_sections.items())}


def erase_all(user: Any) -> list[str]:
    """Run every app's eraser; return the names of the sections erased."""
    erased = []
    for name, section in sorted(_sections.items()):
        if section.erase is not None:
            section.erase(user)
            erased.append(name)
    return erased
