"""The fault tests skip locally without redis-server or PostgreSQL's server binaries, and fail in
CI (REQUIRE_SERVICES), where .ci/run installs them."""

import pytest

from tests import throwaway


@pytest.fixture
def no_binaries(monkeypatch):
    monkeypatch.setattr(throwaway, "redis_server_binary", lambda: None)
    monkeypatch.setattr(throwaway, "postgres_bin_dir", lambda: None)


def test_missing_binaries_skip_locally(no_binaries, settings):
    settings.REQUIRE_SERVICES = False
    with pytest.raises(pytest.skip.Exception, match=r"redis-server.*PostgreSQL server binaries"):
        throwaway.require(redis=True, postgres=True)


def test_missing_binaries_fail_under_require_services(no_binaries, settings):
    settings.REQUIRE_SERVICES = True
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_SERVICES is set"):
        throwaway.require(redis=True)
