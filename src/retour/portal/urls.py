from django.urls import path

from retour.portal import views

app_name = "portal"

urlpatterns = [
    path("<slug:slug>/policy", views.policy_page, name="policy"),
    path("<slug:slug>/policy/snippet.json", views.policy_snippet_json, name="policy-snippet-json"),
    path("<slug:slug>/policy/snippet.html", views.policy_snippet_html, name="policy-snippet-html"),
]
