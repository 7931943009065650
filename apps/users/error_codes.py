from enum import StrEnum


class UserErrorCode(StrEnum):
    EMAIL_TAKEN = "email_taken"
    WEAK_PASSWORD = "weak_password"
    WRONG_PASSWORD = "wrong_password"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"
    TOKEN_NOT_VALID = "token_not_valid"
