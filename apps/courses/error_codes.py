from enum import StrEnum


class CourseErrorCode(StrEnum):
    ALREADY_ENROLLED = "already_enrolled"
    ENROLLMENT_NOT_ACTIVE = "enrollment_not_active"
    CANNOT_CANCEL = "cannot_cancel"
    COURSE_HAS_STUDENTS = "course_has_students"
    NOT_AN_INSTRUCTOR = "not_an_instructor"
    DUPLICATE_SLUG = "duplicate_slug"
    DUPLICATE_POSITION = "duplicate_position"
    ALREADY_REVOKED = "already_revoked"
    REQUEST_ALREADY_CONVERTED = "request_already_converted"
    REQUEST_HAS_NO_COURSE = "request_has_no_course"
    REQUEST_INVALID_EMAIL = "request_invalid_email"
