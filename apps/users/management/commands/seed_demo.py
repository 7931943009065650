from django.core.management.base import BaseCommand
from django.db import transaction

from apps.users.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo_users


class Command(BaseCommand):
    help = "Create the demo accounts and catalogue (idempotent: running it again changes nothing)."

    @transaction.atomic
    def handle(self, *args, **options):
        users = seed_demo_users()
        from apps.courses.demo import seed_demo_courses, seed_demo_enrolments

        courses = seed_demo_courses(instructor=users["instructor"])
        seed_demo_enrolments(student=users["student"], courses=courses)
        from apps.payments.demo import seed_demo_coupons

        coupons = seed_demo_coupons()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        for role, user in users.items():
            self.stdout.write(f"  {role:<10} {user.email}")
        self.stdout.write(f"  courses:   {len(courses)} published ({sum(1 for c in courses if c.price)} paid)")
        self.stdout.write(f"  coupons:   {', '.join(c.code for c in coupons)}")
        self.stdout.write(f"Founder and admin use 2FA; TOTP secret (demo only): {DEMO_TOTP_SECRET}")
