from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from retour.dashboard import views

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
    path("receiving/", views.receiving, name="receiving"),
    path("receiving/scan", views.scan, name="receiving-scan"),
    path("receiving/receive", views.receive, name="receiving-receive"),
    path("receiving/clear", views.clear, name="receiving-clear"),
    path("reports/daily", views.daily_report, name="daily-report"),
    path("operations/", views.operations, name="operations"),
    path("reports/daily.csv", views.daily_report_csv, name="daily-report-csv"),
]
