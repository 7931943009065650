from enum import StrEnum


class ContactErrorCode(StrEnum):
    INVALID_STATUS_TRANSITION = "invalid_status_transition"
    INVALID_ASSIGNEE = "invalid_assignee"
    INVALID_TOKEN = "invalid_token"
