"""`{% admin_dashboard %}` on the Django admin index: KPI cards and charts from the dashboard figures."""

from django import template

from ..charts import bar_chart, rupees
from ..selectors import dashboard_figures

register = template.Library()


@register.inclusion_tag("admin_panel/dashboard.html", takes_context=True)
def admin_dashboard(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not getattr(user, "is_staff", False):
        return {"figures": None}
    figures = dashboard_figures()
    revenue, users, enrollments = figures["revenue"], figures["users"], figures["enrollments"]
    cards = [
        ("Users", users["total"], f"{users['new_last_30_days']} new in 30 days"),
        ("Revenue, 30 days", rupees(revenue["last_30_days"]), f"{revenue['payments_last_30_days']} payments"),
        ("Revenue, all time (net)", rupees(revenue["net"]), f"refunded {rupees(revenue['refunds']['amount'])}"),
        (
            "Active enrolments",
            enrollments["by_status"].get("active", 0),
            f"{enrollments['completions']['total']} completed",
        ),
        ("Contacts waiting > 48 h", figures["contacts"]["unresolved_over_48_hours"], "new or in progress"),
        (
            "Failed logins, 24 h",
            figures["security"]["failed_logins_last_24_hours"],
            f"{figures['security']['locked_accounts']} accounts locked",
        ),
        ("Staff without 2FA", figures["security"]["staff_without_two_factor"], "must set it up"),
        ("Published courses", figures["courses"]["published"], f"of {figures['courses']['total']}"),
    ]
    charts = [
        bar_chart(
            title="Revenue by month",
            points=[(row["month"], row["amount"]) for row in revenue["by_month"]],
            value_label=rupees,
            chart_id="chart-revenue",
        ),
        bar_chart(
            title="Sign-ups by month",
            points=[(row["month"], row["count"]) for row in users["signups_by_month"]],
            chart_id="chart-signups",
        ),
        bar_chart(
            title="Enrolments by month",
            points=[(row["month"], row["count"]) for row in enrollments["by_month"]],
            chart_id="chart-enrollments",
        ),
    ]
    return {
        "figures": figures,
        "cards": cards,
        "charts": charts,
        "top_courses": figures["courses"]["top_by_enrollments"],
    }
