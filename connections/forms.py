"""Forms of the connections app: the outgoing hook's settings, a new cadence experiment."""

from __future__ import annotations

from typing import Any

from django import forms

from links.models import Flow

from .experiments import HOLDOUT, MAX_VARIANTS, Arm
from .models import Experiment, OutgoingHook, Variant
from .receivers import url_problem
from .templates import set_name_errors


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


class ExperimentForm(forms.ModelForm[Experiment]):
    holdout_share = forms.IntegerField(
        label="Holdout share (%)",
        min_value=0,
        max_value=50,
        initial=0,
        help_text="Customers who get no automated touch, to measure re-engagement's own lift.",
    )

    class Meta:
        model = Experiment
        fields = ["flow", "name"]

    def clean_flow(self) -> Flow:
        flow: Flow = self.cleaned_data["flow"]
        if Experiment.objects.filter(flow=flow, ended_at__isnull=True).exists():
            raise forms.ValidationError("This flow already runs an experiment: end it first.")
        return flow


class VariantForm(forms.ModelForm[Variant]):
    def has_changed(self) -> bool:
        # a row left without a name is no variant, whatever its other fields say
        return bool(self.data.get(self.add_prefix("name"), "").strip())

    def clean_template_set(self) -> str:
        name: str = self.cleaned_data.get("template_set", "").strip().lower()
        for problem in set_name_errors(name):
            raise forms.ValidationError(problem)
        return name


VariantFormSet = forms.inlineformset_factory(
    Experiment,
    Variant,
    form=VariantForm,
    fields=[
        "name",
        "share",
        "first_touch_delay_minutes",
        "second_touch_hours",
        "third_touch_hours",
        "template_set",
    ],
    labels={
        "first_touch_delay_minutes": "Touch 1 (min)",
        "second_touch_hours": "Touch 2 (h)",
        "third_touch_hours": "Touch 3 (h)",
        "template_set": "Template set (optional)",
    },
    extra=MAX_VARIANTS,
    max_num=MAX_VARIANTS,
    can_delete=False,
)


def arms_of(
    form: ExperimentForm, variants: forms.BaseInlineFormSet[Variant, Experiment, Any]
) -> list[Arm]:
    """The arms the two forms describe (the holdout last), for experiments.problems()."""
    arms = [
        Arm(
            key=d["name"],
            share=d["share"],
            first_delay_minutes=d["first_touch_delay_minutes"],
            second_touch_hours=d["second_touch_hours"],
            third_touch_hours=d["third_touch_hours"],
            template_set=d.get("template_set", ""),
        )
        for d in (f.cleaned_data for f in variants.forms)
        if d.get("name")
    ]
    holdout = form.cleaned_data.get("holdout_share") or 0
    if holdout:
        arms.append(Arm(key=HOLDOUT, share=holdout, holdout=True))
    return arms
