from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PersonForm(forms.Form):
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=40)
    email = forms.CharField(label=_("Email address"), required=False, max_length=254)

    def clean(self):
        data = super().clean() or {}
        if not (data.get("phone", "").strip() or data.get("email", "").strip()):
            raise forms.ValidationError(_("Enter a phone number or an email address."))
        return data


class EraseForm(PersonForm):
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm the erasure.")},
    )
