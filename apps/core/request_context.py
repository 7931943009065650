"""Per-request values that code far from the view needs (logging, audit): request id, client IP
and the authenticated user's id."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)
user_id_var: ContextVar[str] = ContextVar("user_id", default="")


def get_request_id() -> str:
    return request_id_var.get()


def get_client_ip() -> str | None:
    return client_ip_var.get()


def get_user_id() -> str:
    return user_id_var.get()
