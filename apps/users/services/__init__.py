"""Account services, split by topic: accounts (registration, profile, passwords), auth (the login
path), lockout, two_factor and tokens. Views import from here."""

from .accounts import (
    STAFF_AUDITED_FIELDS,
    password_reset_token_is_valid,
    user_change_password,
    user_delete_account,
    user_export_data,
    user_register,
    user_request_password_reset,
    user_resend_verification,
    user_reset_password,
    user_send_verification_email,
    user_staff_change_recorded,
    user_update_profile,
    user_verify_email,
)
from .auth import (
    ClientInfo,
    LoginResult,
    auth_authenticate,
    auth_login,
    auth_record_not_allowed,
    auth_record_success,
    auth_verify_two_factor,
)
from .lockout import user_unlock_by_staff, user_unlock_with_token
from .tokens import (
    session_revoke,
    session_revoke_by_refresh,
    sessions_active,
    sessions_revoke_all,
    tokens_refresh,
)
from .two_factor import (
    two_factor_confirm,
    two_factor_disable,
    two_factor_enable,
    two_factor_regenerate_backup_codes,
    two_factor_reset_by_staff,
    user_has_two_factor,
)

__all__ = [
    "STAFF_AUDITED_FIELDS",
    "ClientInfo",
    "LoginResult",
    "auth_authenticate",
    "auth_login",
    "auth_record_not_allowed",
    "auth_record_success",
    "auth_verify_two_factor",
    "password_reset_token_is_valid",
    "session_revoke",
    "session_revoke_by_refresh",
    "sessions_active",
    "sessions_revoke_all",
    "tokens_refresh",
    "two_factor_confirm",
    "two_factor_disable",
    "two_factor_enable",
    "two_factor_regenerate_backup_codes",
    "two_factor_reset_by_staff",
    "user_change_password",
    "user_delete_account",
    "user_export_data",
    "user_has_two_factor",
    "user_register",
    "user_request_password_reset",
    "user_resend_verification",
    "user_reset_password",
    "user_send_verification_email",
    "user_staff_change_recorded",
    "user_unlock_by_staff",
    "user_unlock_with_token",
    "user_update_profile",
    "user_verify_email",
]
