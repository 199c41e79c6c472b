"""Settings: the return policy. Staff edit a draft (the policy document, as JSON), simulate it
against the store's recent returns next to the published version (what would change), then
publish it as the next version; past returns keep the version they were decided under."""

import json

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from retour.core.errors import DomainError
from retour.dashboard.views.settings import SettingsPage, refused, saved, settings_page, show
from retour.policy.document import DEFAULT_DOCUMENT
from retour.policy.models import PolicyVersion
from retour.policy.selectors import current_version
from retour.policy.services import publish_policy
from retour.returns.eligibility import simulate_policy

SIMULATED_RETURNS = 500
# The engine's outcomes per line, from the most generous; "" leaves the decision to staff.
OUTCOMES = ("returnless", "approve", "review", "", "reject")


class DraftForm(forms.Form):
    document = forms.CharField(
        label=gettext_lazy("Policy document (JSON)"),
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "The return window, exclusions, overrides and rules, as the API takes them."
        ),
    )

    def clean_document(self) -> dict:
        try:
            document = json.loads(self.cleaned_data["document"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)d, column %(column)d: %(problem)s).")
                % {"line": error.lineno, "column": error.colno, "problem": error.msg}
            ) from None
        if not isinstance(document, dict):
            raise forms.ValidationError(_("The policy must be a JSON object."))
        return document


def _rank(outcome: str) -> int:
    return OUTCOMES.index(outcome) if outcome in OUTCOMES else len(OUTCOMES)


def _comparison(store_id: int, current: dict, draft: dict) -> dict:
    """Outcomes per line of the recent returns under the published policy and under the draft."""
    before = simulate_policy(store_id, current, limit=SIMULATED_RETURNS)
    after = simulate_policy(store_id, draft, limit=SIMULATED_RETURNS)
    rows = [
        {
            "outcome": outcome or "staff",
            "before": before.outcomes.get(outcome, 0),
            "after": after.outcomes.get(outcome, 0),
            "value_before": before.value_by_outcome.get(outcome, 0),
            "value_after": after.value_by_outcome.get(outcome, 0),
        }
        for outcome in sorted(set(before.outcomes) | set(after.outcomes), key=_rank)
    ]
    for row in rows:
        row["change"] = row["after"] - row["before"]
    return {"cases": after.cases, "lines": after.lines, "rows": rows, "rules": after.rules}


@settings_page("policy")
def policy(request: HttpRequest, page: SettingsPage) -> HttpResponse:
    version = current_version(page.store)
    published = version.document if version else DEFAULT_DOCUMENT.as_json()
    form = DraftForm(initial={"document": json.dumps(published, indent=2, ensure_ascii=False)})
    comparison = problems = None
    if request.method == "POST":
        form = DraftForm(request.POST)
        if form.is_valid():
            draft = form.cleaned_data["document"]
            try:
                if request.POST.get("action") == "publish":
                    published_version = publish_policy(
                        store=page.store, document=draft, actor=page.actor
                    )
                    return saved(
                        request,
                        page,
                        _("Version %(number)d published.") % {"number": published_version.number},
                    )
                comparison = _comparison(page.store.pk, published, draft)
            except DomainError as error:
                refused(form, error)
                problems = error.details.get("errors")
    versions = list(
        PolicyVersion.objects.filter(store=page.store)
        .select_related("created_by")
        .only("number", "created_at", "created_by__username")
        .order_by("-number")[:20]
    )
    context = {
        "form": form,
        "comparison": comparison,
        "problems": problems,
        "versions": versions,
        "version": version,
    }
    return show(request, page, "dashboard/settings/policy.html", context)
