# The role clients (founder_client, admin_client, student_client, instructor_client) live in the
# root conftest.py, shared by every app's tests.
