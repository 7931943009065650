"""Output shapes of the admin API. The dashboard serializers describe the figures' object for the
API documentation; the view returns the (cached) object as it is."""

from rest_framework import serializers

from .models import Notification


class _CountByMonth(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    count = serializers.IntegerField()


class _AmountByMonth(_CountByMonth):
    amount = serializers.IntegerField(help_text="Paid that month, in paise.")


class DashboardUsersSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    new_last_7_days = serializers.IntegerField()
    new_last_30_days = serializers.IntegerField()
    by_type = serializers.DictField(child=serializers.IntegerField(), help_text="student, instructor, founder, admin")
    signups_by_month = _CountByMonth(many=True, help_text="The last 12 months, oldest first.")


class DashboardContactsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    unresolved_over_48_hours = serializers.IntegerField(help_text="New or in progress, received over 48 hours ago.")


class _TopCourse(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    title = serializers.CharField()
    enrollment_count = serializers.IntegerField()


class DashboardCoursesSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    published = serializers.IntegerField()
    top_by_enrollments = _TopCourse(many=True, help_text="The 5 courses with the most enrolments.")


class _Completions(serializers.Serializer):
    total = serializers.IntegerField()
    last_30_days = serializers.IntegerField()


class DashboardEnrollmentsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    completions = _Completions()
    by_month = _CountByMonth(many=True)


class _Refunds(serializers.Serializer):
    count = serializers.IntegerField()
    amount = serializers.IntegerField()
    amount_last_30_days = serializers.IntegerField()


class _SourceTotals(serializers.Serializer):
    payments = serializers.IntegerField()
    gross = serializers.IntegerField()
    refunded = serializers.IntegerField()
    net = serializers.IntegerField()


class _RevenueBySource(serializers.Serializer):
    stripe = _SourceTotals()
    legacy = _SourceTotals(help_text="Taken by the old Node.js backend, imported (no Stripe id).")


class DashboardRevenueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    payments = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Gross paid, in paise.")
    net = serializers.IntegerField(help_text="Gross less refunds, in paise.")
    last_30_days = serializers.IntegerField()
    payments_last_30_days = serializers.IntegerField()
    by_month = _AmountByMonth(many=True, help_text="The last 12 months, oldest first.")
    by_source = _RevenueBySource()
    refunds = _Refunds()


class DashboardSecuritySerializer(serializers.Serializer):
    failed_logins_last_24_hours = serializers.IntegerField()
    locked_accounts = serializers.IntegerField()
    staff_without_two_factor = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    users = DashboardUsersSerializer()
    contacts = DashboardContactsSerializer()
    courses = DashboardCoursesSerializer()
    enrollments = DashboardEnrollmentsSerializer()
    revenue = DashboardRevenueSerializer()
    security = DashboardSecuritySerializer()


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "is_read", "read_at", "created_at"]
        read_only_fields = fields

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class ReadAllSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()
