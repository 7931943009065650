from enum import StrEnum


class UserErrorCode(StrEnum):
    EMAIL_TAKEN = "email_taken"
    WEAK_PASSWORD = "weak_password"
    WRONG_PASSWORD = "wrong_password"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"
    TOKEN_NOT_VALID = "token_not_valid"
    ACCOUNT_LOCKED = "account_locked"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    INVALID_TWO_FACTOR_CODE = "invalid_two_factor_code"
    INVALID_CHALLENGE = "invalid_challenge"
    TWO_FACTOR_ALREADY_ENABLED = "two_factor_already_enabled"
    TWO_FACTOR_NOT_ENABLED = "two_factor_not_enabled"
    TWO_FACTOR_NOT_STARTED = "two_factor_not_started"
    TWO_FACTOR_SETUP_REQUIRED = "two_factor_setup_required"
    TWO_FACTOR_LOGIN_REQUIRED = "two_factor_login_required"
