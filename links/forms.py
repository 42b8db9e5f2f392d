"""Forms for flows and single links; the link rules themselves live in links.builder."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from leapdash.leap.utilities import DIRECT_UTILITIES, REGION_UTILITIES, UTILITY_LABELS

from . import builder
from .models import CustomerType, Flow, Link

ALL_UTILITIES = [(u, f"{label} · {u}") for u, label in UTILITY_LABELS.items()]
DIRECT_CHOICES = [(u, UTILITY_LABELS[u]) for u in DIRECT_UTILITIES]
FORWARD_URLS_MAX = 20


class FlowForm(forms.ModelForm):
    utilities = forms.MultipleChoiceField(
        choices=ALL_UTILITIES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The utilities Leap set up for this flow; none ticked means all of its region.",
    )
    thank_you_url = forms.URLField(
        label="Thank-you URL",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Where Leap sends customers at the end (can be this dashboard's "
        "/links/done/?flow=<title>).",
    )
    forward_allowlist = forms.CharField(
        label="Forward allow-list",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Optional: absolute https URLs, one per line. The thank-you landing forwards a "
            "customer to ?next=<url> only if it is exactly one of these."
        ),
    )

    class Meta:
        model = Flow
        fields = [
            "org_name",
            "title",
            "region",
            "utilities",
            "customer_type",
            "campaign",
            "thank_you_url",
            "forward_allowlist",
            "follow_up_other_utility",
            "first_touch_delay_minutes",
        ]
        help_texts = {
            "org_name": "Leap-generated name of your organization (Partner Portal, top right).",
            "title": "The flow's URL-friendly title, as set by Leap.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["org_name"].initial = settings.LEAP_ORG_NAME
        else:
            self.initial["forward_allowlist"] = "\n".join(self.instance.forward_allowlist)

    def clean_forward_allowlist(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["forward_allowlist"].splitlines()]
        urls = list(dict.fromkeys(line for line in lines if line))
        if len(urls) > FORWARD_URLS_MAX:
            raise ValidationError(f"At most {FORWARD_URLS_MAX} forward URLs.")
        check = URLValidator(schemes=["https", "http"])
        for url in urls:
            try:
                check(url)
            except ValidationError:
                raise ValidationError(f"{url} is not an absolute http(s) URL.") from None
        return urls

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        region, utilities = cleaned.get("region"), cleaned.get("utilities") or []
        supported = REGION_UTILITIES.get(region or "", ())
        wrong = [u for u in utilities if u not in supported]
        if region and wrong:
            self.add_error(
                "utilities",
                f"{', '.join(wrong)} is not a {region} utility (the region's utilities are "
                f"{', '.join(supported)}).",
            )
        for field in ("org_name", "title"):
            for problem in builder.name_problems(field.split("_")[0], cleaned.get(field) or ""):
                self.add_error(field, problem.message)
        return cleaned


class FlowChoiceField(forms.ModelChoiceField):
    """The flows by name and customer type, starting with a prompt rather than a dash line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=Flow.objects.all(), required=False, empty_label="Choose a flow", **kwargs
        )

    def label_from_instance(self, obj: Flow) -> str:
        return f"{obj} · {obj.get_customer_type_display()}"


class LinkForm(forms.Form):
    """One customer's link. Validation runs the builder, then the per-organization refId rule.

    The page shows only the fields of the chosen kind (CSS on the checked radio, so no script
    is needed and switching loses nothing typed); the other kind's fields are ignored here.
    """

    kind = forms.ChoiceField(
        choices=Link.Kind.choices, initial=Link.Kind.CONNECT, widget=forms.RadioSelect
    )
    flow = FlowChoiceField(help_text="The Leap Connect flow Leap set up for this customer type.")
    utility = forms.ChoiceField(
        choices=[("", "Choose a utility")] + DIRECT_CHOICES,
        required=False,
        help_text="Direct-to-Utility links exist for California's three large utilities.",
    )
    customer_type = forms.ChoiceField(
        choices=CustomerType.choices, initial=CustomerType.RESIDENTIAL
    )
    ref_id = forms.CharField(
        label="refId",
        max_length=1000,  # the builder explains the 255 limit in its own words
        required=False,
        strip=False,
        help_text="Your unique id for this customer; Leap returns it as partner_reference.",
    )
    customer_name = forms.CharField(max_length=200, required=False)
    customer_email = forms.EmailField(required=False)
    customer_external_id = forms.CharField(label="External id", max_length=100, required=False)
    requested_utilities = forms.MultipleChoiceField(
        choices=ALL_UTILITIES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leap Connect: utilities marked Required; none means the customer chooses.",
    )
    redirect_params = forms.CharField(
        label="Redirect parameters",
        required=False,
        max_length=2000,
        help_text="Your own query string, returned on the final redirect: state=abc&campaign=x",
    )
    do_not_contact = forms.BooleanField(
        label="Do not contact",
        required=False,
        help_text="The customer opted out: leapdash never queues or posts re-engagement "
        "touches for them.",
    )
    resend = forms.BooleanField(
        label="This is the same customer: re-send their existing link", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url = ""
        self.existing: Link | None = None  # the same customer's link, to re-send
        self.conflict: Link | None = None  # the link already holding the refId
        self.offer_resend = False  # the conflict is this customer's own link
        self.offer_connect = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        kind, flow = cleaned["kind"], cleaned.get("flow")
        try:
            if kind == Link.Kind.CONNECT:
                if flow is None:
                    self.add_error("flow", "Choose the Leap Connect flow for this link.")
                    return cleaned
                cleaned["org_name"] = flow.org_name
                self.url = builder.connect_url(
                    settings.LEAP_CONNECT_BASE_URL,
                    flow.org_name,
                    flow.title,
                    cleaned["ref_id"],
                    region=flow.region,
                    requested_utilities=cleaned["requested_utilities"],
                    redirect_params=cleaned["redirect_params"],
                    offered_utilities=flow.utilities,
                    customer_type=cleaned["customer_type"],
                    flow_customer_type=flow.customer_type,
                )
            else:
                cleaned["org_name"] = settings.LEAP_ORG_NAME
                self.url = builder.direct_url(
                    settings.LEAP_DIRECT_BASE_URL,
                    settings.LEAP_ORG_NAME,
                    cleaned["utility"],
                    cleaned["ref_id"],
                    customer_type=cleaned["customer_type"],
                    redirect_params=cleaned["redirect_params"],
                )
        except builder.LinkError as err:
            self._add_problems(err, kind)
            return cleaned
        cleaned["redirect_params"] = builder.parse_redirect_params(cleaned["redirect_params"])
        self._check_ref_id_is_this_customers(cleaned)
        return cleaned

    def _add_problems(self, err: builder.LinkError, kind: str) -> None:
        for problem in err.problems:
            # org/region/url problems concern the whole link, not one input
            field = problem.field if problem.field in self.fields else None
            self.add_error(field, problem.message)
            if problem.field == "customer_type" and kind == Link.Kind.DIRECT:
                self.offer_connect = True

    def _check_ref_id_is_this_customers(self, cleaned: dict[str, Any]) -> None:
        """A refId identifies one customer per organization (Leap: DUPLICATE_REF_ID)."""
        existing = Link.objects.filter(
            org_name=cleaned["org_name"], ref_id=cleaned["ref_id"]
        ).first()
        if existing is None:
            return
        self.conflict = existing
        same_customer = builder.same_customer(
            existing.customer_email,
            existing.customer_name,
            cleaned["customer_email"],
            cleaned["customer_name"],
        )
        self.offer_resend = same_customer
        if not same_customer:
            self.add_error(
                "ref_id",
                f"The refId {existing.ref_id} is already used by another customer "
                f"({existing.customer_name or existing.customer_email or 'no name'}). "
                "Each customer needs their own refId.",
            )
        elif not cleaned.get("resend"):
            self.add_error(
                "ref_id",
                f"This customer already has a link with refId {existing.ref_id} "
                f"(created {existing.created_at:%Y-%m-%d}): re-send it, or choose another refId.",
            )
        else:
            self.existing = existing


class BulkUploadForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Link.Kind.choices, initial=Link.Kind.CONNECT, widget=forms.RadioSelect
    )
    flow = FlowChoiceField(help_text="Each row's customer type must be the flow's.")
    file = forms.FileField(
        label="CSV file",
        allow_empty_file=True,  # links.bulk explains what an empty file should contain
        help_text="Columns ref_id, name, email, utility, customer_type (and optional "
        "external_id and do_not_contact: 1/0, yes/no, true/false, y/n, empty = no); up to "
        "10,000 rows and 10 MB, UTF-8.",
    )
    use_extra_columns = forms.BooleanField(
        label="Other columns become redirect parameters", required=False
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == Link.Kind.CONNECT and not cleaned.get("flow"):
            self.add_error("flow", "Choose the Leap Connect flow these links are for.")
        return cleaned
