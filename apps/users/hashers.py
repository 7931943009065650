from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, BCryptPasswordHasher


class TunedArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with costs from settings (see the reasoning next to ARGON2_* in settings).

    The algorithm name stays "argon2", so hashes made with other parameters still verify and are
    upgraded on the next login (Django's `must_update`).
    """

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return settings.ARGON2_MEMORY_COST_KIB

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return settings.ARGON2_PARALLELISM


class LegacyBCryptPasswordHasher(BCryptPasswordHasher):
    """bcrypt hashes imported from the Node.js backend (bcryptjs, `$2a$10$...`).

    bcryptjs (like every bcrypt) reads only the first 72 bytes of a password and ignores the
    rest; the `bcrypt` package since 5.0 refuses longer passwords with a ValueError instead,
    which made a long password typed at login a 500. Truncating here reproduces what bcryptjs
    hashed, so the old password still matches, and the login then re-hashes it with Argon2id.
    """

    def encode(self, password: str, salt: bytes) -> str:
        bcrypt = self._load_library()
        data = bcrypt.hashpw(password.encode()[:72], salt)
        return f"{self.algorithm}${data.decode('ascii')}"
