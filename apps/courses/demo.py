"""Demo catalogue for local development (`python manage.py seed_demo`)."""

from decimal import Decimal

from django.utils import timezone

from apps.users.models import User

from .models import Course, CourseLevel, Lesson
from .services import course_refresh_figures

DEMO_COURSES = [
    {
        "slug": "python-foundations",
        "title": "Python Foundations",
        "short_description": "Write real programs in Python from the first day.",
        "description": "Variables, control flow, functions, files and testing, with a project every week.",
        "category": "Programming",
        "level": CourseLevel.BEGINNER,
        "duration": "6 weeks",
        "price": Decimal("0.00"),
        "lessons": ["Welcome and setup", "Values and variables", "Control flow", "Functions", "Files and testing"],
    },
    {
        "slug": "full-stack-web-development",
        "title": "Full-Stack Web Development",
        "short_description": "React on the front, Django on the back, deployed for real.",
        "description": "Build and deploy a complete web application: APIs, authentication, databases and a React UI.",
        "category": "Web Development",
        "level": CourseLevel.INTERMEDIATE,
        "duration": "12 weeks",
        "price": Decimal("4999.00"),
        "lessons": ["Course overview", "HTTP and REST", "Django models", "React components", "Deployment"],
    },
    {
        "slug": "data-science-in-practice",
        "title": "Data Science in Practice",
        "short_description": "From raw data to decisions with pandas and scikit-learn.",
        "description": "Clean, explore, model and present data sets from Indian industry case studies.",
        "category": "Data Science",
        "level": CourseLevel.ADVANCED,
        "duration": "10 weeks",
        "price": Decimal("7999.00"),
        "lessons": ["Course overview", "pandas essentials", "Visualisation", "Models", "Presenting results"],
    },
]


def seed_demo_courses(*, instructor: User) -> list[Course]:
    courses = []
    for spec in DEMO_COURSES:
        fields = {key: value for key, value in spec.items() if key not in ("slug", "lessons")}
        course, created = Course.objects.get_or_create(
            slug=spec["slug"],
            defaults={**fields, "instructor": instructor, "is_published": True, "published_at": timezone.now()},
        )
        if created:
            Lesson.objects.bulk_create(
                Lesson(
                    course=course,
                    position=position,
                    title=title,
                    description=f"{title} in {course.title}.",
                    video_url=f"https://videos.titanobova.com/{course.slug}/{position}.mp4",
                    duration_seconds=600 + 60 * position,
                    is_preview=position == 1,
                )
                for position, title in enumerate(spec["lessons"], start=1)
            )
        courses.append(course)
    for course in courses:
        course_refresh_figures(course_id=course.pk)
    return courses


def seed_demo_enrolments(*, student: User, courses: list[Course]) -> None:
    """The demo student is enrolled in the free course with two lessons done, and has a pending
    enrolment in a paid one (ready to pay once payments run)."""
    from .models import Enrollment, EnrollmentStatus, LessonProgress

    free = next((course for course in courses if course.price == 0), None)
    paid = next((course for course in courses if course.price > 0), None)
    if free is not None:
        enrollment, created = Enrollment.objects.get_or_create(
            user=student, course=free, defaults={"status": EnrollmentStatus.ACTIVE, "activated_at": timezone.now()}
        )
        if created:
            lessons = list(free.lessons.order_by("position")[:2])
            LessonProgress.objects.bulk_create(
                LessonProgress(enrollment=enrollment, lesson=lesson) for lesson in lessons
            )
            enrollment.progress_percent = len(lessons) * 100 // max(1, free.lessons.count())
            enrollment.save(update_fields=["progress_percent"])
    if paid is not None:
        Enrollment.objects.get_or_create(
            user=student, course=paid, defaults={"status": EnrollmentStatus.PENDING_PAYMENT}
        )
