"""The six callers every object endpoint is tried with, logged in through the real token endpoint
(staff with their TOTP code), and the URL configuration's API endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

ROLES = ("owner", "other_student", "instructor", "founder", "admin", "anonymous")
ROLE_USER_TYPES = {"other_student": "student", "instructor": "instructor", "founder": "founder", "admin": "admin"}
STAFF_TYPES = ("founder", "admin")


def make_user(user_type: str, **fields):
    """A user of `user_type` (staff with confirmed 2FA) and a client logged in as them."""
    from apps.users.tests.conftest import PASSWORD, make_two_factor_user
    from apps.users.tests.factories import UserFactory
    from tests.clients import client_for

    if user_type in STAFF_TYPES or user_type.endswith("_2fa"):
        staff = make_two_factor_user(user_type=user_type.removesuffix("_2fa"), **fields)
        staff.user.totp = staff  # its secret, for tests that need further codes
        return staff.user, client_for(staff.user, code=staff.next_code())
    user = UserFactory(password=PASSWORD, user_type=user_type, **fields)
    return user, client_for(user)


@dataclass
class World:
    """The owner of the object under test (made first), and the other callers made on demand."""

    owner_type: str
    request: object  # pytest's FixtureRequest, for builders that need fixtures (Stripe)
    users: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)

    def __post_init__(self):
        self.users["owner"], self.clients["owner"] = make_user(self.owner_type)

    @property
    def owner(self):
        return self.users["owner"]

    def user(self, role: str):
        if role not in self.users:
            self.users[role], self.clients[role] = make_user(ROLE_USER_TYPES[role])
        return self.users[role]

    def client(self, role: str) -> APIClient:
        if role == "anonymous":
            return APIClient()
        self.user(role)
        return self.clients[role]

    def fixture(self, name: str):
        return self.request.getfixturevalue(name)


@dataclass(frozen=True)
class Endpoint:
    route: str  # as Django shows it, e.g. api/v1/^courses/courses/(?P<pk>[^/]+)/$
    name: str | None
    methods: tuple[str, ...]
    parameters: tuple[str, ...]


def _walk(patterns, prefix="", parameters=frozenset()):
    for pattern in patterns:
        # A route's parameters: the named groups of its own regex and of every prefix above it.
        names = parameters | set(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), names)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern, names


def _methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # a ViewSet route: {"get": "retrieve", ...} (DRF adds "head" once GET was served)
        return tuple(sorted(method.upper() for method in actions if method not in ("head", "options")))
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return ("DELETE", "GET", "PATCH", "POST", "PUT")  # a plain function: it may answer anything
    names = getattr(view_class, "http_method_names", ())
    return tuple(sorted(m.upper() for m in names if m not in ("options", "head", "trace") and hasattr(view_class, m)))


def api_endpoints() -> list[Endpoint]:
    """Every route under /api/v1/ in the URL configuration, with its methods and path parameters."""
    return [
        Endpoint(route, pattern.name, _methods(pattern.callback), tuple(sorted(parameters)))
        for route, pattern, parameters in _walk(get_resolver().url_patterns)
        if route.startswith("api/v1/")
    ]


def object_endpoints() -> list[Endpoint]:
    return [endpoint for endpoint in api_endpoints() if endpoint.parameters]
