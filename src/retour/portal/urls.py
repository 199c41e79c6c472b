from django.urls import path

from retour.portal import journey, push, tracking, views, withdrawal

app_name = "portal"

urlpatterns = [
    path("<slug:slug>/policy", views.policy_page, name="policy"),
    path("<slug:slug>/policy/snippet.json", views.policy_snippet_json, name="policy-snippet-json"),
    path("<slug:slug>/policy/snippet.html", views.policy_snippet_html, name="policy-snippet-html"),
    path("<slug:slug>/logo-<str:digest>.png", views.logo, name="logo"),
    path("<slug:slug>/withdraw/", withdrawal.start, name="withdraw"),
    path("<slug:slug>/withdraw/confirm", withdrawal.confirm, name="withdraw-confirm"),
    path("<slug:slug>/withdraw/done/<str:number>", withdrawal.done, name="withdraw-done"),
    path("<slug:slug>/withdraw/form", withdrawal.model_form, name="withdraw-form"),
    path("<slug:slug>/withdraw/form.txt", withdrawal.model_form_text, name="withdraw-form-text"),
    path("<slug:slug>/", journey.lookup, name="lookup"),
    path("<slug:slug>/items", journey.items, name="items"),
    path("<slug:slug>/reasons", journey.reasons, name="reasons"),
    path("<slug:slug>/resolution", journey.resolution, name="resolution"),
    path("<slug:slug>/method", journey.method, name="method"),
    path("<slug:slug>/review", journey.review, name="review"),
    path("<slug:slug>/confirmation/<str:rma>", tracking.confirmation, name="confirmation"),
    path("<slug:slug>/claim", tracking.claim, name="claim"),
    path("<slug:slug>/claim/<str:number>", tracking.claim_done, name="claim-done"),
    path("<slug:slug>/track/<str:rma>/", tracking.track, name="track"),
    path("<slug:slug>/track/<str:rma>/feedback/", tracking.feedback, name="feedback"),
    path("<slug:slug>/track/<str:rma>/label/", tracking.label, name="label"),
    path("<slug:slug>/track/<str:rma>/label.pdf", tracking.label_pdf, name="label-pdf"),
    path("<slug:slug>/push-worker.js", push.service_worker, name="push-worker"),
    path("<slug:slug>/push/key", push.public_key, name="push-key"),
    # Before the signed link, whose token would otherwise take the word "push".
    path("<slug:slug>/track/<str:rma>/push/subscribe", push.subscribe, name="push-subscribe"),
    path("<slug:slug>/track/<str:rma>/push/unsubscribe", push.unsubscribe, name="push-unsubscribe"),
    path("<slug:slug>/track/<str:rma>/<str:token>/", tracking.signed_link, name="signed-link"),
    path(
        "<slug:slug>/track/<str:rma>/<str:token>/<path:rest>",
        tracking.signed_link,
        name="signed-link-rest",
    ),
]
