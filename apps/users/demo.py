"""Demo accounts for local development (`python manage.py seed_demo`)."""

from .models import User, UserType

DEMO_PASSWORD = "titanobova-demo-2026"

DEMO_USERS = {
    "student": ("student@demo.titanobova.com", "Asha", "Verma", UserType.STUDENT),
    "instructor": ("instructor@demo.titanobova.com", "Ravi", "Iyer", UserType.INSTRUCTOR),
    "founder": ("founder@demo.titanobova.com", "Meera", "Nair", UserType.FOUNDER),
    "admin": ("admin@demo.titanobova.com", "Admin", "Titanobova", UserType.ADMIN),
}


def seed_demo_users() -> dict[str, User]:
    users = {}
    for role, (email, first_name, last_name, user_type) in DEMO_USERS.items():
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                first_name=first_name,
                last_name=last_name,
                user_type=user_type,
                email_verified=True,
                is_superuser=user_type == UserType.ADMIN,
            )
        users[role] = user
    return users
