"""HTTP for the contact form and the newsletter."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.http import client_ip, user_agent
from apps.core.permissions import AnonymousCreateMixin, IsStaffMember

from . import selectors, services
from . import serializers as s

ERROR = OpenApiResponse(description="JSON error body: {code, detail, message, fields?, request_id}")
STAFF_ERRORS = {401: ERROR, 403: ERROR}


def _message(text: str) -> Response:
    return Response({"detail": text, "message": text})


class ContactViewSet(AnonymousCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The contact form (anyone may submit) and its follow-up (staff only)."""

    permission_classes = [IsStaffMember]
    create_throttle_scope = "contact"

    def get_serializer_class(self):
        return s.ContactStaffDetailSerializer if self.action == "retrieve" else s.ContactStaffSerializer

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.contact_list().prefetch_related("history__changed_by")
        filters = s.ContactFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        data["status"] = list(data.get("status") or [])
        return selectors.contact_list(**data)

    @extend_schema(
        request=s.ContactCreateSerializer,
        responses={201: s.ContactSerializer, 400: ERROR, 429: ERROR},
        auth=[],
    )
    def create(self, request: Request) -> Response:
        serializer = s.ContactCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        contact = services.contact_submit(
            **{key: value for key, value in data.items() if key != "website"},
            honeypot=data["website"],
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
        body = s.ContactSerializer(contact).data
        body["status"] = "new"  # a bot that filled the honeypot learns nothing
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, many=True, description="new, in_progress, resolved, ..."),
            OpenApiParameter("created_after", OpenApiTypes.DATE),
            OpenApiParameter("created_before", OpenApiTypes.DATE),
            OpenApiParameter("search", OpenApiTypes.STR, description="in name, e-mail and subject"),
        ],
        responses={200: s.ContactStaffSerializer(many=True), 400: ERROR, **STAFF_ERRORS},
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: s.ContactStaffDetailSerializer, 404: ERROR, **STAFF_ERRORS})
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=s.ContactUpdateSerializer,
        responses={200: s.ContactStaffDetailSerializer, 400: ERROR, 404: ERROR, **STAFF_ERRORS},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        contact = self.get_object()
        serializer = s.ContactUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.contact_update(contact_id=contact.pk, actor=request.user, data=serializer.validated_data)
        return Response(s.ContactStaffDetailSerializer(selectors.contact_detail(contact_id=contact.pk)).data)


class NewsletterViewSet(viewsets.GenericViewSet):
    """Double opt-in newsletter: subscribe, confirm, unsubscribe; staff list and export."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope: str | None = None
    accepts_any_body = False  # see apps.core.middleware.ApiRequestBodyMiddleware

    @extend_schema(request=s.SubscribeSerializer, responses={200: OpenApiResponse(description="Always the same")})
    @action(detail=False, methods=["post"], throttle_scope="newsletter")
    def subscribe(self, request: Request) -> Response:
        serializer = s.SubscribeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.newsletter_subscribe(**serializer.validated_data)
        return _message("Thank you. Please confirm your subscription with the link we e-mailed you.")

    @extend_schema(request=s.NewsletterTokenSerializer, responses={200: OpenApiResponse(), 400: ERROR})
    @action(detail=False, methods=["post"], throttle_scope="newsletter")
    def confirm(self, request: Request) -> Response:
        serializer = s.NewsletterTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.newsletter_confirm(**serializer.validated_data)
        return _message("Your subscription is confirmed.")

    @extend_schema(request=s.UnsubscribeSerializer, responses={200: OpenApiResponse(), 400: ERROR})
    @action(detail=False, methods=["post"], throttle_scope="newsletter")
    def unsubscribe(self, request: Request) -> Response:
        serializer = s.UnsubscribeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.newsletter_unsubscribe(**serializer.validated_data)
        return _message("You will not receive the newsletter any more.")

    @extend_schema(
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True)],
        request={"application/x-www-form-urlencoded": OpenApiTypes.OBJECT},
        responses={200: OpenApiResponse(), 400: ERROR},
        description="RFC 8058 one-click unsubscribe: the URL in every newsletter's List-Unsubscribe header. "
        "Mail clients POST `List-Unsubscribe=One-Click` form-encoded to it; no login.",
    )
    # Mail clients post `List-Unsubscribe=One-Click` form-encoded (RFC 8058 shows multipart); the
    # body is not read, so whatever a client sends it as, the token in the URL decides.
    @action(
        detail=False,
        methods=["post"],
        url_path="one-click-unsubscribe",
        parser_classes=[FormParser, MultiPartParser],
        accepts_any_body=True,
    )
    def one_click_unsubscribe(self, request: Request) -> Response:
        services.newsletter_unsubscribe(token=request.query_params.get("token", ""))
        return _message("You will not receive the newsletter any more.")


class SubscriberViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Staff: the newsletter's subscribers, and a CSV export (audited)."""

    permission_classes = [IsStaffMember]
    serializer_class = s.SubscriberSerializer

    def _status(self) -> str | None:
        filters = s.SubscriberFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return filters.validated_data.get("status")

    def get_queryset(self):
        return selectors.subscriber_list(status=self._status())

    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR)],
        responses={200: s.SubscriberSerializer(many=True), **STAFF_ERRORS},
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR)],
        responses={(200, "text/csv"): OpenApiTypes.STR, **STAFF_ERRORS},
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        csv_text = services.subscribers_export_csv(actor=request.user, subscribers=self.get_queryset())
        response = HttpResponse(csv_text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="newsletter-subscribers.csv"'
        return response
