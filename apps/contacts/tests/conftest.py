import pytest
from rest_framework.test import APIClient

from apps.users.models import UserType
from apps.users.tests.conftest import PASSWORD, login, make_two_factor_user
from apps.users.tests.factories import UserFactory


def _client_for(user, **login_extra) -> APIClient:
    client = APIClient()
    token = login(APIClient(), user.email, **login_extra).json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.user = user
    return client


@pytest.fixture
def founder_client(db):
    founder = make_two_factor_user(user_type=UserType.FOUNDER)
    return _client_for(founder.user, code=founder.next_code())


@pytest.fixture
def admin_client(db):
    admin = make_two_factor_user(user_type=UserType.ADMIN)
    return _client_for(admin.user, code=admin.next_code())


@pytest.fixture
def student_client(db):
    return _client_for(UserFactory(password=PASSWORD, user_type=UserType.STUDENT))


@pytest.fixture
def instructor_client(db):
    return _client_for(UserFactory(password=PASSWORD, user_type=UserType.INSTRUCTOR))
