import factory
from django.contrib.auth.hashers import make_password

from apps.users.models import User, UserType


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    user_type = UserType.STUDENT
    email_verified = True
    password = factory.LazyFunction(lambda: make_password("a-long-Unusual-passphrase-42"))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        raw = kwargs.pop("password")
        if raw and not raw.startswith(("md5$", "argon2$", "bcrypt")):
            raw = make_password(raw)
        kwargs["password"] = raw
        return super()._create(model_class, *args, **kwargs)
