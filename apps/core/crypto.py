"""Encryption of secrets at rest (TOTP secrets) with Fernet keys from settings.

The first key of FIELD_ENCRYPTION_KEYS encrypts; every key decrypts, so keys can be rotated by
putting a new one first and re-saving (see DEPLOYMENT.md).
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def encrypt_text(value: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("The stored secret cannot be decrypted with the configured keys.") from exc
