"""HTTP for the catalogue, lessons, enrolments, progress and certificates. Thin: parse, call a
selector or service, serialise."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.core.http import client_ip
from apps.core.pagination import WindowCountPagination
from apps.core.parsers import SafeJSONParser
from apps.core.permissions import AnonymousCreateMixin, IsStaffMember
from apps.core.private_files import private_file_ensure, private_file_response
from apps.core.routing import UUID_PATH_REGEX

from . import cache, enrollment_requests, selectors, services
from . import serializers as s
from .models import Certificate, Course, Enrollment, EnrollmentRequest, Lesson
from .pdf import certificate_pdf, certificate_pdf_name

ERROR = OpenApiResponse(description="JSON error body: {code, detail, message, fields?, request_id}")
AUTH_ERRORS = {401: ERROR, 403: ERROR, 404: ERROR}
COURSE_KEY = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Course id or slug")


def _staff_check(request: Request, view) -> None:
    """Staff powers need staff's 2FA login (raises two_factor_* 403s otherwise)."""
    if selectors.is_staff(request.user):
        IsStaffMember().has_permission(request, view)


def _manageable_course(request: Request, view, key: str) -> Course:
    """A course the caller may change: 404 if they can't see it, 403 if they can but not change it."""
    course = selectors.course_lookup(selectors.courses_visible_to(request.user), key)
    if not selectors.may_manage(user=request.user, course=course):
        raise PermissionDeniedError("Only the course's instructor and staff can change it.")
    if course.instructor_id != request.user.pk:
        _staff_check(request, view)
    return course


class CourseViewSet(viewsets.GenericViewSet):
    """The catalogue (public) and course management (instructors: their own; staff: all)."""

    lookup_value_regex = "[^/]+"
    parser_classes = [SafeJSONParser, MultiPartParser]
    pagination_class = WindowCountPagination
    queryset = Course.objects.none()

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, enum=["beginner", "intermediate", "advanced"]),
            OpenApiParameter("category", OpenApiTypes.STR),
            OpenApiParameter("is_free", OpenApiTypes.BOOL),
            OpenApiParameter("instructor", OpenApiTypes.UUID),
            OpenApiParameter("search", OpenApiTypes.STR, description="in title and description"),
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=s.ORDERING_CHOICES),
            OpenApiParameter("mine", OpenApiTypes.BOOL, description="instructors: own courses, drafts included"),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: s.CourseListSerializer(many=True), 400: ERROR},
        auth=[],
    )
    def list(self, request: Request) -> Response:
        use_cache = settings.COURSE_CATALOGUE_CACHE_SECONDS > 0 and "mine" not in request.query_params
        if use_cache:
            # Version first, then the database: data read before a change commits is stored with
            # the old version and never served after it. Only valid queries get cached.
            key = cache.catalogue_key(host=request.get_host(), query=list(request.query_params.lists()))
            version, body = cache.catalogue_get(key)
            if body is not None:
                return HttpResponse(body, content_type="application/json")
        filters = s.CourseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        if data.pop("mine"):
            if not selectors.can_teach(request.user):
                raise PermissionDeniedError("Only instructors and staff have courses of their own.")
            return self._page(selectors.course_list_taught_by(user=request.user, **data))
        response = self._page(selectors.course_catalogue(**data))
        if not use_cache:
            return response
        body = JSONRenderer().render(response.data)
        cache.catalogue_set(key, version, body)
        return HttpResponse(body, content_type="application/json")

    def _page(self, queryset) -> Response:
        page = self.paginate_queryset(selectors.catalogue_rows(queryset))
        return self.get_paginated_response(s.course_list_items(page, request=self.request))

    @extend_schema(parameters=[COURSE_KEY], responses={200: s.CourseDetailSerializer, 404: ERROR}, auth=[])
    def retrieve(self, request: Request, pk: str) -> Response:
        # What anonymous visitors see is the same for all of them (published courses, preview
        # videos only): cached like the list, under the same version, so any change shows at once.
        use_cache = settings.COURSE_CATALOGUE_CACHE_SECONDS > 0 and not request.user.is_authenticated
        if use_cache:
            key = cache.catalogue_key(host=request.get_host(), query=[("detail", pk)])
            version, body = cache.catalogue_get(key)
            if body is not None:
                return HttpResponse(body, content_type="application/json")
        course = selectors.course_detail(user=request.user, key=pk)
        context = {"request": request, "may_watch": selectors.may_watch(user=request.user, course=course)}
        data = s.CourseDetailSerializer(course, context=context).data
        if not use_cache:
            return Response(data)
        body = JSONRenderer().render(data)
        cache.catalogue_set(key, version, body)
        return HttpResponse(body, content_type="application/json")

    def _detail(self, request: Request, course: Course, status_code: int = 200) -> Response:
        course = selectors.course_detail(user=request.user, key=str(course.pk))
        context = {"request": request, "may_watch": True}
        return Response(s.CourseDetailSerializer(course, context=context).data, status=status_code)

    @extend_schema(
        request=s.CourseWriteSerializer, responses={201: s.CourseDetailSerializer, 400: ERROR, **AUTH_ERRORS}
    )
    def create(self, request: Request) -> Response:
        if not selectors.can_teach(request.user):
            raise PermissionDeniedError("Only instructors and staff can create courses.")
        serializer = s.CourseWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data.get("instructor") not in (None, request.user):
            _staff_check(request, self)
        course = services.course_create(actor=request.user, data=serializer.validated_data)
        return self._detail(request, course, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[COURSE_KEY],
        request=s.CourseWriteSerializer,
        responses={200: s.CourseDetailSerializer, 400: ERROR, **AUTH_ERRORS},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        course = _manageable_course(request, self, pk)
        serializer = s.CourseWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "instructor" in serializer.validated_data:
            _staff_check(request, self)
        services.course_update(actor=request.user, course=course, data=serializer.validated_data)
        return self._detail(request, course)

    @extend_schema(
        parameters=[COURSE_KEY],
        request=s.CourseWriteSerializer,
        responses={200: s.CourseDetailSerializer, 400: ERROR, **AUTH_ERRORS},
    )
    def update(self, request: Request, pk: str) -> Response:
        course = _manageable_course(request, self, pk)
        serializer = s.CourseWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if "instructor" in serializer.validated_data:
            _staff_check(request, self)
        services.course_update(actor=request.user, course=course, data=serializer.validated_data)
        return self._detail(request, course)

    @extend_schema(parameters=[COURSE_KEY], responses={204: None, 409: ERROR, **AUTH_ERRORS})
    def destroy(self, request: Request, pk: str) -> Response:
        course = _manageable_course(request, self, pk)
        services.course_delete(actor=request.user, course=course)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[COURSE_KEY], request=None, responses={200: s.CourseDetailSerializer, **AUTH_ERRORS})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        course = _manageable_course(request, self, pk)
        services.course_set_published(actor=request.user, course=course, published=True)
        return self._detail(request, course)

    @extend_schema(parameters=[COURSE_KEY], request=None, responses={200: s.CourseDetailSerializer, **AUTH_ERRORS})
    @action(detail=True, methods=["post"])
    def unpublish(self, request: Request, pk: str) -> Response:
        course = _manageable_course(request, self, pk)
        services.course_set_published(actor=request.user, course=course, published=False)
        return self._detail(request, course)


class LessonViewSet(viewsets.GenericViewSet):
    """`/courses/{course}/lessons/`: the outline for whoever may see the course; changes for its
    instructor and staff."""

    lookup_value_regex = UUID_PATH_REGEX
    parser_classes = [SafeJSONParser, MultiPartParser]
    queryset = Lesson.objects.none()

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAuthenticated()]

    def _course(self) -> Course:
        return selectors.course_lookup(selectors.courses_visible_to(self.request.user), self.kwargs["course_pk"])

    def _lesson(self, course: Course, pk: str) -> Lesson:
        try:
            return course.lessons.select_related("course").get(pk=pk)
        except (Lesson.DoesNotExist, ValueError, DjangoValidationError) as exc:
            raise NotFoundError("This course has no such lesson.") from exc

    def _outline(self, course: Course, lessons, many: bool) -> Response:
        context = {"request": self.request, "may_watch": selectors.may_watch(user=self.request.user, course=course)}
        return Response(s.LessonOutlineSerializer(lessons, many=many, context=context).data)

    @extend_schema(responses={200: s.LessonOutlineSerializer(many=True), 404: ERROR}, auth=[])
    def list(self, request: Request, course_pk: str) -> Response:
        """The outline in order, paged like every list (a course's lessons fit one page of 100)."""
        course = self._course()
        page = self.paginate_queryset(course.lessons.order_by("position"))
        context = {"request": request, "may_watch": selectors.may_watch(user=request.user, course=course)}
        return self.get_paginated_response(s.LessonOutlineSerializer(page, many=True, context=context).data)

    @extend_schema(responses={200: s.LessonOutlineSerializer, 404: ERROR}, auth=[])
    def retrieve(self, request: Request, course_pk: str, pk: str) -> Response:
        course = self._course()
        return self._outline(course, self._lesson(course, pk), many=False)

    @extend_schema(
        request=s.LessonWriteSerializer, responses={201: s.LessonOutlineSerializer, 400: ERROR, **AUTH_ERRORS}
    )
    def create(self, request: Request, course_pk: str) -> Response:
        course = _manageable_course(request, self, course_pk)
        serializer = s.LessonWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lesson = services.lesson_create(actor=request.user, course=course, data=serializer.validated_data)
        body = s.LessonOutlineSerializer(lesson, context={"request": request, "may_watch": True}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.LessonWriteSerializer, responses={200: s.LessonOutlineSerializer, 400: ERROR, **AUTH_ERRORS}
    )
    def partial_update(self, request: Request, course_pk: str, pk: str) -> Response:
        course = _manageable_course(request, self, course_pk)
        lesson = self._lesson(course, pk)
        serializer = s.LessonWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        lesson = services.lesson_update(actor=request.user, lesson=lesson, data=serializer.validated_data)
        return Response(s.LessonOutlineSerializer(lesson, context={"request": request, "may_watch": True}).data)

    @extend_schema(responses={204: None, **AUTH_ERRORS})
    def destroy(self, request: Request, course_pk: str, pk: str) -> Response:
        course = _manageable_course(request, self, course_pk)
        services.lesson_delete(actor=request.user, lesson=self._lesson(course, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EnrollmentViewSet(viewsets.GenericViewSet):
    """Enrolments: a student's own; an instructor's own plus their courses'; staff: all."""

    permission_classes = [IsAuthenticated]
    lookup_value_regex = UUID_PATH_REGEX
    queryset = Enrollment.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("course", OpenApiTypes.UUID),
            OpenApiParameter("status", OpenApiTypes.STR, many=True),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: s.EnrollmentSerializer(many=True), 400: ERROR, 401: ERROR, 403: ERROR},
    )
    def list(self, request: Request) -> Response:
        _staff_check(request, self)
        filters = s.EnrollmentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        data["status"] = list(data.get("status") or [])
        page = self.paginate_queryset(selectors.enrollment_list(user=request.user, **data))
        return self.get_paginated_response(s.EnrollmentSerializer(page, many=True).data)

    @extend_schema(responses={200: s.EnrollmentDetailSerializer, **AUTH_ERRORS})
    def retrieve(self, request: Request, pk: str) -> Response:
        _staff_check(request, self)
        enrollment = selectors.enrollment_detail(user=request.user, enrollment_id=pk)
        return Response(s.EnrollmentDetailSerializer(enrollment).data)

    @extend_schema(
        request=s.EnrollmentCreateSerializer,
        responses={
            201: s.EnrollmentSerializer,
            200: OpenApiResponse(s.EnrollmentSerializer, description="Already pending payment: the same enrolment"),
            400: ERROR,
            404: ERROR,
        },
    )
    def create(self, request: Request) -> Response:
        serializer = s.EnrollmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrollment, created = services.enrollment_create(
            user=request.user, course_id=serializer.validated_data["course"]
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(s.EnrollmentSerializer(enrollment).data, status=code)

    @extend_schema(request=None, responses={200: s.EnrollmentSerializer, 400: ERROR, **AUTH_ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        enrollment = selectors.own_enrollment(user=request.user, enrollment_id=pk)
        enrollment = services.enrollment_cancel(user=request.user, enrollment=enrollment)
        return Response(s.EnrollmentSerializer(enrollment).data)

    @extend_schema(
        parameters=[OpenApiParameter("lesson_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        request=None,
        responses={200: s.EnrollmentDetailSerializer, 400: ERROR, **AUTH_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path=rf"lessons/(?P<lesson_id>{UUID_PATH_REGEX})/complete")
    def complete_lesson(self, request: Request, pk: str, lesson_id: str) -> Response:
        enrollment = selectors.own_enrollment(user=request.user, enrollment_id=pk)
        services.lesson_complete(enrollment=enrollment, lesson_id=lesson_id)
        enrollment = selectors.enrollment_detail(user=request.user, enrollment_id=enrollment.pk)
        return Response(s.EnrollmentDetailSerializer(enrollment).data)


class CertificateViewSet(viewsets.GenericViewSet):
    """The caller's certificates, their PDFs, staff revocation, and public verification."""

    permission_classes = [IsAuthenticated]
    lookup_value_regex = UUID_PATH_REGEX
    queryset = Certificate.objects.none()

    @extend_schema(responses={200: s.CertificateSerializer(many=True), 401: ERROR})
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.certificate_list(user=request.user))
        return self.get_paginated_response(s.CertificateSerializer(page, many=True).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, **AUTH_ERRORS})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        _staff_check(request, self)
        certificate = selectors.certificate_for(user=request.user, certificate_id=pk)
        name = private_file_ensure(
            name=certificate_pdf_name(certificate.pk),
            build=lambda: certificate_pdf(certificate, verify_url=services.certificate_verify_url(certificate.code)),
        )
        return private_file_response(
            name=name, filename=f"certificate-{certificate.code}.pdf", content_type="application/pdf"
        )

    @extend_schema(
        request=s.CertificateRevokeSerializer, responses={200: s.CertificateSerializer, 400: ERROR, **AUTH_ERRORS}
    )
    @action(detail=True, methods=["post"], permission_classes=[IsStaffMember])
    def revoke(self, request: Request, pk: str) -> Response:
        serializer = s.CertificateRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        certificate = selectors.certificate_for(user=request.user, certificate_id=pk)
        certificate = services.certificate_revoke(
            actor=request.user, certificate=certificate, **serializer.validated_data
        )
        return Response(s.CertificateSerializer(certificate).data)

    @extend_schema(responses={200: s.CertificateVerificationSerializer, 404: ERROR}, auth=[])
    @action(
        detail=False,
        methods=["get"],
        url_path=r"verify/(?P<code>[A-Za-z0-9_-]{1,64})",
        permission_classes=[AllowAny],
        authentication_classes=[],
    )
    def verify(self, request: Request, code: str) -> Response:
        return Response(s.CertificateVerificationSerializer(selectors.certificate_by_code(code=code)).data)


class EnrollmentRequestViewSet(AnonymousCreateMixin, viewsets.GenericViewSet):
    """The website's enrolment form (anyone may send one) and its follow-up (staff only)."""

    permission_classes = [IsStaffMember]
    lookup_value_regex = UUID_PATH_REGEX
    create_throttle_scope = "enrollment_request"
    queryset = EnrollmentRequest.objects.none()

    @extend_schema(
        request=s.EnrollmentRequestCreateSerializer,
        responses={201: s.EnrollmentRequestCreatedSerializer, 400: ERROR, 429: ERROR},
        auth=[],
    )
    def create(self, request: Request) -> Response:
        serializer = s.EnrollmentRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrollment_request = enrollment_requests.enrollment_request_submit(
            **serializer.validated_data, ip=client_ip(request)
        )
        body = s.EnrollmentRequestCreatedSerializer(enrollment_request).data
        body["message"] = "Thank you. We have received your enrolment request and will contact you soon."
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="new, converted or closed"),
            OpenApiParameter("search", OpenApiTypes.STR, description="in name, e-mail and course title"),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: s.EnrollmentRequestSerializer(many=True), 400: ERROR, 401: ERROR, 403: ERROR},
    )
    def list(self, request: Request) -> Response:
        filters = s.EnrollmentRequestFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.enrollment_request_list(**filters.validated_data))
        return self.get_paginated_response(s.EnrollmentRequestSerializer(page, many=True).data)

    @extend_schema(responses={200: s.EnrollmentRequestSerializer, **AUTH_ERRORS})
    def retrieve(self, request: Request, pk: str) -> Response:
        enrollment_request = selectors.enrollment_request_list().filter(pk=pk).first()
        if enrollment_request is None:
            raise NotFoundError("No such enrolment request.")
        return Response(s.EnrollmentRequestSerializer(enrollment_request).data)

    @extend_schema(
        request=s.EnrollmentRequestConvertSerializer,
        responses={200: s.EnrollmentRequestSerializer, 400: ERROR, 409: ERROR, **AUTH_ERRORS},
        description="Make (or find) the person's account, enrol it in the course, and e-mail a new account "
        "a link to choose its password.",
    )
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: str) -> Response:
        serializer = s.EnrollmentRequestConvertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrollment_request = enrollment_requests.enrollment_request_convert(
            actor=request.user, request_id=pk, course_id=serializer.validated_data.get("course")
        )
        return Response(s.EnrollmentRequestSerializer(enrollment_request).data)
