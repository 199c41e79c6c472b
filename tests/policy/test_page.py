"""The public policy page, its flowchart and the "at a glance" snippet."""

import re

import pytest
from django.test import Client
from django.utils import translation

from retour.policy.document import PolicyDocument
from retour.policy.flowchart import flowchart_svg
from retour.policy.services import publish_policy
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

RULES = [
    {
        "id": "cheap-keep",
        "name": {"en": "Cheap items", "fr": "Petits prix"},
        "when": {"line_price": {"max": "10"}},
        "then": {"decision": "returnless"},
    },
    {
        "id": "risky",
        "name": {"en": "Risky shoppers", "fr": "Clients à risque"},
        "when": {"risk_score": {"min": "60"}},
        "then": {"decision": "review", "require_photos": True},
    },
    {
        "id": "worn",
        "when": {"reasons": ["changed_mind"], "days_since_delivery": {"min": "20"}},
        "then": {"decision": "reject", "message": {"en": "Too late", "fr": "Trop tard"}},
    },
    {"id": "rest", "then": {"decision": "approve"}},
]
DOCUMENT = {
    "window_days": 30,
    "overrides": [{"category": "shoes", "window_days": 60, "conditions": ["original_packaging"]}],
    "restocking_fee": {"percent": "5", "waived_for_store_credit": True},
    "shipping_fees": {"mail": {"flat": "4.90", "waived_for_exchange": True}},
    "store_credit_bonus_percent": "10",
    "rules": RULES,
}


@pytest.fixture
def published(store_a):
    store_a.branding = {"primary_color": "#ff6600", "logo_url": "https://cdn.example/logo.png"}
    store_a.support_email = "help@store-a.example"
    store_a.save()
    return publish_policy(store=store_a, document=DOCUMENT, actor=SYSTEM)


def _get(path: str, **headers) -> str:
    response = Client().get(path, **headers)
    assert response.status_code == 200, response.content[:500]
    return response


@pytest.mark.parametrize(
    ("query", "headers", "language", "phrases"),
    [
        ("?lang=en", {}, "en", ["Return policy", "30 days from delivery", "Model withdrawal form"]),
        (
            "?lang=fr",
            {},
            "fr",
            [
                "Politique de retour",
                "30 jours à compter de la livraison",
                "Formulaire de rétractation",
            ],
        ),
        ("", {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}, "fr", ["Politique de retour"]),
        ("", {}, "en", ["Return policy"]),  # the store's default language
    ],
    ids=["?lang=en", "?lang=fr", "browser", "store default"],
)
def test_the_policy_page_renders_in_both_languages(published, query, headers, language, phrases):
    response = _get(f"/returns/store-a/policy{query}", **headers)
    html = response.content.decode()

    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in html
    for phrase in phrases:
        assert phrase in html


def test_the_page_is_generated_from_the_policy_data(published):
    html = _get("/returns/store-a/policy?lang=en").content.decode()

    assert "shoes" in html
    assert "60" in html
    assert "5% of the item" in html  # restocking fee
    assert "€4.90" in html  # shipping fee by post
    assert "10% extra" in html  # store-credit bonus
    assert "Gift cards" in html  # exclusions
    assert "Cheap items" in html
    assert "Risky shoppers" in html
    assert "Version 1" in html
    assert "#ff6600" in html
    assert "https://cdn.example/logo.png" in html
    assert "help@store-a.example" in html  # the model form is addressed to the store


def test_the_page_falls_back_to_the_default_policy(store_a):
    html = _get("/returns/store-a/policy?lang=en").content.decode()

    assert "30 days from delivery" in html
    assert "The standard policy applies." in html


def test_unsafe_branding_is_ignored(store_a):
    store_a.branding = {"primary_color": "red;}</style><script>", "logo_url": "javascript:x"}
    store_a.save()

    html = _get("/returns/store-a/policy").content.decode()

    assert "<script>" not in html
    assert "javascript:" not in html


def test_an_unknown_store_is_404():
    assert Client().get("/returns/nope/policy").status_code == 404


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_flowchart_has_a_branch_for_every_rule(language):
    document = PolicyDocument.model_validate(DOCUMENT)
    with translation.override(language):
        svg = flowchart_svg(document, language=language)

    branches = re.findall(r'<g id="rule-([a-z0-9_-]+)" class="branch" data-rule="\1">', svg)
    assert branches == [rule["id"] for rule in RULES]
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "Petits prix" in svg if language == "fr" else "Cheap items" in svg


def test_the_flowchart_is_on_the_page(published):
    html = _get("/returns/store-a/policy").content.decode()

    for rule in RULES:
        assert f'id="rule-{rule["id"]}"' in html


def test_the_flowchart_escapes_rule_names():
    document = PolicyDocument.model_validate(
        {"rules": [{"id": "x", "name": {"en": "<b>&"}, "then": {"decision": "approve"}}]}
    )
    with translation.override("en"):
        svg = flowchart_svg(document, language="en")

    assert "<b>" not in svg
    assert "&lt;b&gt;&amp;" in svg


def test_the_snippet_json(published):
    response = _get("/returns/store-a/policy/snippet.json?lang=fr")
    data = response.json()

    assert response["Access-Control-Allow-Origin"] == "*"
    assert data["headline"] == "Retours sous 30 jours après la livraison"
    assert data["window_days"] == 30
    assert data["store_credit_bonus_percent"] == "10"
    assert data["version"] == 1
    assert data["policy_url"].endswith("/returns/store-a/policy?lang=fr")


def test_the_snippet_html_can_be_embedded(published):
    response = _get("/returns/store-a/policy/snippet.html?lang=en")
    html = response.content.decode()

    assert "X-Frame-Options" not in response
    assert "Returns within 30 days of delivery" in html
    assert "+10% with store credit" in html
