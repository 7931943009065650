"""The lockout holds when attempts race across several server processes on PostgreSQL."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from apps.users.models import LoginAttempt, LoginOutcome, User
from tests.processes import gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.real_hasher]


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_wrong_passwords_reach_at_most_five_password_checks(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL); CI always runs it")
    user = User.objects.create_user(email="target@example.com", password="the-real-passphrase-2026")
    # Rate limits off: the lockout alone must hold.
    with gunicorn(tmp_path, workers=2, env={"RATELIMIT_ENABLE": "false"}) as server:
        assert len(server.worker_pids) >= 2
        url = f"{server.base_url}/api/v1/auth/token/"
        body = {"username": user.email, "password": "wrong-passphrase-guess"}
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda _: _post(url, body), range(20)))
        right = _post(url, {"username": user.email, "password": "the-real-passphrase-2026"})

    statuses = sorted(status for status, _ in answers)
    checked = LoginAttempt.objects.filter(user=user, outcome=LoginOutcome.BAD_PASSWORD).count()
    refused = LoginAttempt.objects.filter(user=user, outcome=LoginOutcome.LOCKED).count()
    assert checked <= 5, f"{checked} password checks ran before the lock"
    assert checked == 5 and refused == 16  # 15 racing requests plus the right password afterwards
    assert statuses == [401] * 5 + [403] * 15
    assert all(body["code"] == "account_locked" for status, body in answers if status == 403)
    assert right[0] == 403
    user.refresh_from_db()
    assert user.account_locked_until is not None
