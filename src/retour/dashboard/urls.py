from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from retour.dashboard.views import receiving, reports

app_name = "dashboard"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="dashboard/login.html",
            next_page=reverse_lazy("dashboard:receiving"),
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path(
        "logout/",
        auth_views.LogoutView.as_view(next_page=reverse_lazy("dashboard:login")),
        name="logout",
    ),
    path("receiving/", receiving.station, name="receiving"),
    path("receiving/scan", receiving.scan, name="receiving-scan"),
    path("receiving/receive", receiving.receive, name="receiving-receive"),
    path("receiving/clear", receiving.clear, name="receiving-clear"),
    path("reports/daily", reports.daily_report, name="daily-report"),
    path("operations/", reports.operations, name="operations"),
    path("reports/daily.csv", reports.daily_report_csv, name="daily-report-csv"),
]
