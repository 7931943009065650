"""API clients logged in through the real token endpoint, one per role (fixtures in conftest.py)."""

from rest_framework.test import APIClient


def client_for(user, **login_extra) -> APIClient:
    from apps.users.tests.conftest import login

    client = APIClient()
    response = login(APIClient(), user.email, **login_extra)
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    client.user = user
    return client


def staff_client(user_type: str) -> APIClient:
    from apps.users.tests.conftest import make_two_factor_user

    staff = make_two_factor_user(user_type=user_type)
    return client_for(staff.user, code=staff.next_code())


def role_client(user_type: str) -> APIClient:
    from apps.users.tests.conftest import PASSWORD
    from apps.users.tests.factories import UserFactory

    return client_for(UserFactory(password=PASSWORD, user_type=user_type))
