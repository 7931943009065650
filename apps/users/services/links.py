from django.conf import settings
from django.urls import reverse


def action_link(*, frontend_path: str, app_url_name: str, token: str) -> str:
    """Link for an e-mail: to the React site when FRONTEND_URL is set, else to the app's own page."""
    if settings.FRONTEND_URL:
        return f"{settings.FRONTEND_URL}{frontend_path}?token={token}"
    return f"{settings.SITE_URL}{reverse(app_url_name)}?token={token}"
