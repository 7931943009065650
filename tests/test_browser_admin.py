"""The Django admin and the API docs in a real browser: Playwright driving Debian's Chromium
(headless). An admin logs in with password and TOTP code, sees the dashboard with its charts,
resolves a contact message, unlocks a locked account and opens a payment; the API docs render
under the Content-Security-Policy without console errors. Screenshots go to SCREENSHOT_DIR
(CI prints the folder)."""

import os
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from apps.contacts.models import Contact, ContactStatus
from apps.courses.tests.factories import CourseFactory, EnrollmentFactory
from apps.payments.models import Payment, PaymentStatus
from apps.users.models import User, UserType
from apps.users.tests.conftest import PASSWORD, make_two_factor_user
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "ci-artifacts" / "screenshots")


@pytest.fixture
def browser_page(monkeypatch):
    if not Path(CHROMIUM).exists():
        if settings.REQUIRE_SERVICES:
            pytest.fail(f"Chromium is required in CI (looked for {CHROMIUM}); .ci/run installs it")
        pytest.skip("needs Debian's chromium (apt-get install chromium); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls made here between
    # browser steps are plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        page.set_default_timeout(20_000)
        yield page
        context.close()
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def business():
    """A contact message, a locked student and a paid enrolment to work on."""
    contact = Contact.objects.create(name="Asha Rao", email="asha@example.com", subject="Batch dates", message="Hi")
    locked = UserFactory(
        email="locked.student@example.com",
        account_locked_until=timezone.now() + timedelta(hours=1),
        failed_login_attempts=5,
    )
    course = CourseFactory(title="Data Science Bootcamp", price=Decimal("4999.00"))
    enrollment = EnrollmentFactory(course=course)
    payment = Payment.objects.create(
        user=enrollment.user,
        enrollment=enrollment,
        stripe_payment_intent_id="pi_browser_test",
        currency="INR",
        list_price=499_900,
        amount=499_900,
        status=PaymentStatus.SUCCEEDED,
        succeeded_at=timezone.now(),
    )
    return {"contact": contact, "locked": locked, "payment": payment}


def admin_login(page, base_url: str):
    admin = make_two_factor_user(user_type=UserType.ADMIN, is_superuser=True)
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", admin.user.email)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_code", admin.next_code())
    shot(page, "01-admin-login")
    page.click("input[type=submit]")
    page.wait_for_selector("#titanobova-dashboard")
    return admin


def run_action(page, changelist_url: str, row_label: str, action: str) -> None:
    page.goto(changelist_url)
    page.locator("#result_list tr", has_text=row_label).locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist li")


def test_admin_works_in_a_real_browser(browser_page, live_server, business):
    page = browser_page
    admin_login(page, live_server.url)

    # The dashboard: KPI cards and the three server-drawn charts, each with 12 monthly bars.
    assert page.locator(".kpi-card").count() == 8
    for chart in ("#chart-revenue", "#chart-signups", "#chart-enrollments"):
        assert page.locator(f"{chart} g.bar").count() == 12
        assert page.locator(chart).bounding_box()["height"] > 50
    assert "Titanobova" in page.inner_text("#site-name")
    shot(page, "02-dashboard")

    run_action(page, f"{live_server.url}/admin/contacts/contact/", "Asha Rao", "mark_resolved")
    shot(page, "03-contact-resolved")
    assert Contact.objects.get(pk=business["contact"].pk).status == ContactStatus.RESOLVED

    run_action(page, f"{live_server.url}/admin/users/user/?locked=yes", "locked.student@example.com", "unlock_accounts")
    shot(page, "04-account-unlocked")
    assert User.objects.get(pk=business["locked"].pk).account_locked_until is None

    page.goto(f"{live_server.url}/admin/payments/payment/?q=pi_browser_test")
    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_selector("a.refund-link")
    assert "pi_browser_test" in page.content() and "Succeeded" in page.content()
    shot(page, "05-payment")

    assert page.console_errors == []


def test_api_docs_render_without_console_errors_under_the_csp(browser_page, live_server):
    page = browser_page
    response = page.goto(f"{live_server.url}/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Titanobova API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")
    assert page.locator(".opblock-tag").count() >= 5
    shot(page, "06-api-docs")
    assert page.console_errors == []
