from decimal import Decimal

import factory
from django.utils import timezone

from apps.courses.models import Course, Enrollment, EnrollmentStatus, Lesson
from apps.users.models import UserType
from apps.users.tests.factories import UserFactory


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    description = "A course."
    level = "beginner"
    price = Decimal("0.00")
    instructor = factory.SubFactory(UserFactory, user_type=UserType.INSTRUCTOR)
    is_published = True
    published_at = factory.LazyFunction(timezone.now)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    video_url = factory.Sequence(lambda n: f"https://videos.example.com/{n}.mp4")
    duration_seconds = 600


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    status = EnrollmentStatus.ACTIVE


def course_with_lessons(n: int = 3, **kwargs) -> Course:
    course = CourseFactory(**kwargs)
    for position in range(1, n + 1):
        LessonFactory(course=course, position=position, is_preview=position == 1)
    return course
