"""A store's staff and roles, and its API keys: the owners' pages (scope `staff:manage`).

Inviting someone new creates their user without a password and gives an invitation link (shown
to the owner and e-mailed) where they choose one, under the password rules. An API key's secret
is shown once, right after it is made. Every change goes through `accounts.services`, which
audits it; the last owner of a store can be neither removed nor demoted.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from retour.accounts import selectors, services
from retour.accounts.models import ApiKey, Membership
from retour.accounts.scopes import Role, Scope
from retour.accounts.security import require_two_factor
from retour.commerce.models import Store
from retour.core.actors import Actor
from retour.core.errors import DomainError
from retour.dashboard.views.common import staff_page, store_with

NEW_KEY_SESSION = "api_key_once"
INVITE_KEY = "invitation_once"


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=150)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )


def _store(request: HttpRequest, slug: str) -> Store:
    return store_with(request, slug, Scope.STAFF_MANAGE)


def _invitation_link(request: HttpRequest, user) -> str:
    path = reverse(
        "dashboard:welcome",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path)


def _invite(request: HttpRequest, store: Store, form: InviteForm) -> None:
    membership = services.invite_member(
        store=store,
        email=form.cleaned_data["email"],
        role=form.cleaned_data["role"],
        actor=Actor.staff(request.user),
    )
    user = membership.user
    if user.has_usable_password():
        messages.success(request, _("%s joined the staff.") % user.email)
        return
    link = _invitation_link(request, user)
    request.session[INVITE_KEY] = {"email": user.email, "link": link}
    body = _(
        "You were invited to the staff of %(store)s on Retour. Choose your password here:\n%(link)s"
    ) % {"store": store.name, "link": link}
    transaction.on_commit(lambda: send_mail(_("Your Retour invitation"), body, None, [user.email]))


@staff_page(Scope.STAFF_MANAGE)
@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest, store: str) -> HttpResponse:
    current = _store(request, store)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _invite(request, current, form)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("dashboard:staff", store=current.slug)
    context = {
        "store": current,
        "form": form,
        "members": selectors.staff_of(current),
        "roles": Role.choices,
        "two_factor_required": selectors.requires_two_factor(current),
        "invitation": request.session.pop(INVITE_KEY, None),
    }
    return render(request, "dashboard/staff.html", context, status=400 if form.errors else 200)


@staff_page(Scope.STAFF_MANAGE)
@require_POST
def member(request: HttpRequest, store: str, member: int) -> HttpResponse:
    """Change a member's role (`role`), or remove them (`remove`)."""
    current = _store(request, store)
    membership = Membership.objects.filter(store=current, pk=member).first()
    if membership is None:
        raise Http404
    actor = Actor.staff(request.user)
    try:
        if "remove" in request.POST:
            services.remove_member(membership=membership, actor=actor)
            messages.success(request, _("%s was removed from the staff.") % membership.user)
        else:
            role = request.POST.get("role", "")
            services.change_role(membership=membership, role=role, actor=actor)
            messages.success(request, _("%s's role was changed.") % membership.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("dashboard:staff", store=current.slug)


@staff_page(Scope.STAFF_MANAGE)
@require_POST
def two_factor_rule(request: HttpRequest, store: str) -> HttpResponse:
    current = _store(request, store)
    required = request.POST.get("required") == "on"
    require_two_factor(store=current, required=required, actor=Actor.staff(request.user))
    messages.success(
        request,
        _("Two-factor sign-in is now required for this store's staff.")
        if required
        else _("Two-factor sign-in is now optional for this store's staff."),
    )
    return redirect("dashboard:staff", store=current.slug)


@staff_page(Scope.STAFF_MANAGE)
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest, store: str) -> HttpResponse:
    current = _store(request, store)
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _key, secret = services.create_api_key(
            store=current,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            actor=Actor.staff(request.user),
        )
        request.session[NEW_KEY_SESSION] = secret
        return redirect("dashboard:api-keys", store=current.slug)
    context = {
        "store": current,
        "form": form,
        "keys": selectors.api_keys_of(current),
        "secret": request.session.pop(NEW_KEY_SESSION, None),
    }
    return render(request, "dashboard/api_keys.html", context, status=400 if form.errors else 200)


@staff_page(Scope.STAFF_MANAGE)
@require_POST
def revoke_key(request: HttpRequest, store: str, key: int) -> HttpResponse:
    current = _store(request, store)
    api_key = ApiKey.objects.filter(store=current, pk=key, revoked_at__isnull=True).first()
    if api_key is None:
        raise Http404
    services.revoke_api_key(api_key=api_key, actor=Actor.staff(request.user))
    messages.success(request, _("The key %s was revoked.") % api_key)
    return redirect("dashboard:api-keys", store=current.slug)
