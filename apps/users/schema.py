"""drf-spectacular: document SessionJWTAuthentication as the bearer JWT scheme it is."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class SessionJWTScheme(SimpleJWTScheme):
    target_class = "apps.users.authentication.SessionJWTAuthentication"
    name = "jwtAuth"
