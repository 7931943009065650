import time

import pyotp
import pytest
from rest_framework.test import APIClient

from apps.users.models import TwoFactorAuth, UserType
from apps.users.services import two_factor_confirm, two_factor_enable
from apps.users.tests.factories import UserFactory

PASSWORD = "a-long-Unusual-passphrase-42"


class TwoFactorUser:
    """A user with confirmed 2FA, the plain secret and backup codes, and a clock to make codes."""

    def __init__(self, user, secret, backup_codes):
        self.user = user
        self.secret = secret
        self.backup_codes = backup_codes

    def code(self, offset_steps: int = 0) -> str:
        return pyotp.TOTP(self.secret).at(time.time() + 30 * offset_steps)

    def next_code(self) -> str:
        """A valid code that has not been used yet (the next time step's, within allowed drift)."""
        device = TwoFactorAuth.objects.get(user=self.user)
        current = int(time.time() // 30)
        step = max(current - 1, device.last_used_step + 1)
        assert step <= current + 1, "no unused code within drift; wait a step"
        return pyotp.TOTP(self.secret).generate_otp(step)


def make_two_factor_user(**kwargs) -> TwoFactorUser:
    user = UserFactory(password=PASSWORD, **kwargs)
    setup = two_factor_enable(user=user, password=PASSWORD)
    # Confirm with the previous step's code so the current and next steps stay free for the test.
    codes = two_factor_confirm(user=user, code=pyotp.TOTP(setup.secret).at(time.time() - 30))
    return TwoFactorUser(user, setup.secret, codes)


@pytest.fixture
def tfa_user(db):
    return make_two_factor_user()


@pytest.fixture
def tfa_founder(db):
    return make_two_factor_user(user_type=UserType.FOUNDER)


def login(client: APIClient, email: str, password: str = PASSWORD, **extra):
    return client.post("/api/v1/auth/token/", {"username": email, "password": password, **extra}, format="json")
