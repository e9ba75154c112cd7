"""Optional two-factor sign-in (TOTP, django-otp) for managers and admins.

Whoever has a confirmed authenticator signs in with their password first and is then held at the
code page (``TwoFactorMiddleware``) until they enter the app's current code: nothing else, the
admin included, answers them before that. django-otp's TOTP device throttles wrong codes itself.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

# Paths a half-signed-in user may still reach: the code page, signing out, languages, assets.
OPEN_PREFIXES = ("/accounts/verify/", "/accounts/logout/", "/i18n/", "/static/", "/healthz")


def may_use_two_factor(user) -> bool:
    staff = getattr(user, "salesperson", None)
    return user.is_staff or user.is_superuser or (staff is not None and staff.role == "manager")


SESSION_KEY = "leadflow_2fa_required"


def remember_at_sign_in(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: decide once per sign-in, so pages cost no extra query."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = user_has_device(user, confirmed=True)


def needs_code(request: HttpRequest) -> bool:
    user = request.user
    return (
        user.is_authenticated and bool(request.session.get(SESSION_KEY)) and not user.is_verified()  # type: ignore[attr-defined]  # OTPMiddleware adds it
    )


class TwoFactorMiddleware:
    """After django_otp.middleware.OTPMiddleware: holds users with an authenticator at the code
    page until they have entered a code in this session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(OPEN_PREFIXES) and needs_code(request):
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("two-factor-verify")
                return response
            return redirect(f"{reverse('two-factor-verify')}?next={request.get_full_path()}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/queue/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return "/queue/"
    return target


@require_http_methods(["GET", "POST"])
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in."""
    if not needs_code(request):
        return redirect(_safe_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.devices_for_user(request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["code"]):
                otp_login(request, device)
                return redirect(_safe_next(request))
        form.add_error("code", _("That code is not valid. Enter the current code from the app."))
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _safe_next(request)}
    )


def _qr_data_uri(device: TOTPDevice) -> str:
    # An <img> from a data: URI: the CSP allows it, inline SVG markup would need a style nonce.
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2)


@require_http_methods(["GET", "POST"])
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (scan, confirm with a code) or off (confirm with a code)."""
    user = request.user
    if not may_use_two_factor(user):
        raise Http404("two-factor sign-in is for managers and admins")
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = CodeForm(request.POST or None)
    if confirmed is not None:
        if request.method == "POST" and form.is_valid():
            if confirmed.verify_token(form.cleaned_data["code"]):
                TOTPDevice.objects.filter(user=user).delete()
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("two-factor-setup")
            form.add_error(
                "code", _("That code is not valid. Enter the current code from the app.")
            )
        return render(
            request, "registration/two_factor_setup.html", {"form": form, "enabled": True}
        )
    # One unconfirmed device per user, kept across reloads so the scanned code stays valid.
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "LeadFlow"}
    )
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect("two-factor-setup")
        form.add_error("code", _("That code is not valid. Enter the current code from the app."))
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "enabled": False,
            "qr": _qr_data_uri(device),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )
