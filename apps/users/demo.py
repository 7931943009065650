"""Demo accounts for local development (`python manage.py seed_demo`)."""

from django.utils import timezone

from apps.core.crypto import encrypt_text

from .models import TwoFactorAuth, User, UserType

DEMO_PASSWORD = "titanobova-demo-2026"
# Staff must use 2FA, so the demo founder and admin have it on with this published secret:
# add it to an authenticator app, or print a code with
#   .venv/bin/python -c "import pyotp; print(pyotp.TOTP('JBSWY3DPEHPK3PXPTITANOBOVADEMO22').now())"
# Demo data only: never seed it into a real database.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPTITANOBOVADEMO22"

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
        if user.is_staff_member and not TwoFactorAuth.objects.filter(user=user).exists():
            TwoFactorAuth.objects.create(
                user=user, secret_encrypted=encrypt_text(DEMO_TOTP_SECRET), confirmed_at=timezone.now()
            )
        users[role] = user
    return users
