"""The React website's requests, answered unchanged from the Node.js backend's API.

Each one stands for a documented endpoint and reuses its serializer, service, permission and
rate-limit scope: POST /contacts/ is /contacts/contacts/, POST /enrollments/ is
/users/register/, the GETs are staff-only lists (IsStaffMember, with its 2FA rule) in the old
envelope ({"contacts": [...]}, {"enrollments": [...]}), unpaginated as the site expects.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.contacts import selectors as contact_selectors
from apps.contacts import services as contact_services
from apps.contacts.serializers import ContactCreateSerializer, ContactSerializer
from apps.core.http import client_ip, user_agent
from apps.core.permissions import IsStaffMember
from apps.courses import selectors as course_selectors
from apps.users import services as user_services
from apps.users.serializers import UserProfileSerializer

from . import serializers as s

ERROR = OpenApiResponse(description="JSON error body: {code, detail, message, fields?, request_id}")


class _PublicPostStaffGet(APIView):
    """POST for anyone (no token read, as the documented public endpoints); GET for staff."""

    post_throttle_scope = ""
    throttle_scope: str | None = None

    def _is_post(self) -> bool:
        # The Django request, set before DRF wraps it (None while the schema is generated).
        return getattr(getattr(self, "request", None), "method", None) == "POST"

    def get_authenticators(self):
        return [] if self._is_post() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self._is_post() else [IsStaffMember()]

    def get_throttles(self):
        self.throttle_scope = self.post_throttle_scope if self._is_post() else None
        return super().get_throttles()


class WebsiteContactsView(_PublicPostStaffGet):
    """The Contact page's form (POST) and the dashboards' message list (GET, staff)."""

    post_throttle_scope = "contact"

    @extend_schema(request=ContactCreateSerializer, responses={201: ContactSerializer, 400: ERROR, 429: ERROR}, auth=[])
    def post(self, request: Request) -> Response:
        serializer = ContactCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        honeypot = data.pop("website")
        contact = contact_services.contact_submit(
            **data, honeypot=honeypot, ip=client_ip(request), user_agent=user_agent(request)
        )
        body = ContactSerializer(contact).data
        body["status"] = "new"  # as the documented endpoint: a bot that filled the honeypot learns nothing
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            200: inline_serializer("WebsiteContacts", {"contacts": s.WebsiteContactSerializer(many=True)}),
            401: ERROR,
            403: ERROR,
        }
    )
    def get(self, request: Request) -> Response:
        contacts = contact_selectors.contact_list()
        return Response({"contacts": s.WebsiteContactSerializer(contacts, many=True).data})


class WebsiteEnrollmentsView(_PublicPostStaffGet):
    """The Register page (POST: a student account) and the dashboards' enrolment requests (GET, staff)."""

    post_throttle_scope = "register"

    @extend_schema(
        request=s.WebsiteRegisterSerializer,
        responses={
            201: inline_serializer(
                "WebsiteRegistered",
                {
                    "message": serializers.CharField(),
                    "detail": serializers.CharField(),
                    "user": UserProfileSerializer(),
                },
            ),
            400: ERROR,
            429: ERROR,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = s.WebsiteRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_services.user_register(**serializer.to_account())
        text = "Registration successful. Check your e-mail to verify your address, then log in."
        return Response(
            {"message": text, "detail": text, "user": UserProfileSerializer(user, context={"request": request}).data},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        responses={
            200: inline_serializer("WebsiteEnrollments", {"enrollments": s.WebsiteEnrollmentSerializer(many=True)}),
            401: ERROR,
            403: ERROR,
        }
    )
    def get(self, request: Request) -> Response:
        requests = course_selectors.enrollment_request_list()
        return Response({"enrollments": s.WebsiteEnrollmentSerializer(requests, many=True).data})
