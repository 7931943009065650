import pytest
from django.test import RequestFactory

from apps.core.http import client_ip


@pytest.mark.parametrize(
    "trusted, remote, forwarded, expected",
    [
        ([], "198.51.100.1", "203.0.113.5", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.2", "203.0.113.5", "203.0.113.5"),
        (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (["10.0.0.0/8"], "10.0.0.2", "not-an-ip", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "10.0.0.3", "10.0.0.3"),
        (["10.0.0.0/8"], "198.51.100.1", "203.0.113.5", "198.51.100.1"),
        (["::1"], "::1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_honours_forwarded_for_only_from_trusted_proxies(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
