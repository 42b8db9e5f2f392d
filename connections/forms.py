"""Forms of the connections app: the outgoing hook's settings."""

from __future__ import annotations

from django import forms

from .models import OutgoingHook
from .receivers import url_problem


class HookForm(forms.ModelForm[OutgoingHook]):
    url = forms.URLField(label="Hook URL", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = OutgoingHook
        fields = ["enabled", "url", "channel", "signing_secret"]
        # The secret is never written back into the page; left blank, the stored one is kept.
        widgets = {"signing_secret": forms.PasswordInput(render_value=False)}
        help_texts = {
            "signing_secret": "Signs each body (X-Leapdash-Signature); never sent itself. "
            "Leave blank to keep the current secret."
        }

    def clean_url(self) -> str:
        url = str(self.cleaned_data.get("url") or "")
        problem = url_problem(url) if url else None
        if problem:
            raise forms.ValidationError(problem)
        return url

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("enabled") and not data.get("url") and "url" not in self.errors:
            self.add_error("url", "An enabled hook needs a URL.")
        if not data.get("signing_secret") and self.instance.pk:
            data["signing_secret"] = self.instance.signing_secret
        return data
