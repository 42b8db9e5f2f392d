"""The partner side of Leap links: the flows a partner has with Leap and every link it sent."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, QuerySet, Value
from django.db.models.expressions import Func
from django.db.models.functions import Lower, Replace, Reverse

from .refids import LOOKALIKES


class Region(models.TextChoices):
    CAISO = "CAISO", "CAISO (California)"
    NYISO = "NYISO", "NYISO (New York)"


class CustomerType(models.TextChoices):
    RESIDENTIAL = "residential", "Residential"
    COMMERCIAL = "commercial", "Commercial"


class Flow(models.Model):
    """A Leap Connect flow set up by Leap for the partner (org name + url-friendly title)."""

    org_name = models.CharField("Leap org name", max_length=100)
    title = models.SlugField("URL-friendly title", max_length=100)
    region = models.CharField(max_length=5, choices=Region.choices, default=Region.CAISO)
    # Utility ids (leapdash.leap.utilities) the flow offers; empty means all of the
    # region's. JSON rather than an array column so that the SQLite demo works too.
    utilities = models.JSONField(default=list, blank=True)
    customer_type = models.CharField(
        max_length=12, choices=CustomerType.choices, default=CustomerType.RESIDENTIAL
    )
    thank_you_url = models.URLField("thank-you URL", max_length=500, blank=True)
    campaign = models.CharField(max_length=100, blank=True, db_index=True)
    # Exact absolute URLs the final-redirect landing may forward a customer of this flow to.
    forward_allowlist = models.JSONField("forward allow-list", default=list, blank=True)
    follow_up_other_utility = models.BooleanField(
        "Follow up a customer who connected another utility",
        default=False,
        db_default=False,
        help_text=(
            "Leap's rule: a residential customer who connected a different utility than the "
            "requested one stays PARTIAL, and by default is not followed up (they may have no "
            "meter with the requested utility). Tick to follow them up anyway."
        ),
    )
    first_touch_delay_minutes = models.PositiveSmallIntegerField(
        "First touch delay (minutes)",
        default=15,
        db_default=15,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
        help_text=(
            "When Leap's webhook shows a customer abandoned, the first re-engagement touch goes "
            "this long after. Leap recommends 5 to 60 minutes and A/B-testing the delay."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["org_name", "title"]
        constraints = [
            models.UniqueConstraint(fields=["org_name", "title"], name="links_flow_org_title")
        ]

    def __str__(self) -> str:
        return f"{self.org_name}/{self.title}"


class LinkBatch(models.Model):
    """One bulk CSV upload: the validated rows wait here until the user confirms the import."""

    class Status(models.TextChoices):
        PREVIEW = "preview", "Awaiting confirmation"
        IMPORTED = "imported", "Imported"
        DISCARDED = "discarded", "Discarded"

    org_name = models.CharField(max_length=100)
    flow = models.ForeignKey(Flow, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=10, default="connect")
    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    # The parsed, validated rows (≤ 10,000) and the per-row errors, so that confirming does
    # not need the file again; cleared rows are never written as links before confirmation.
    rows = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)  # errors beyond the kept list count too
    param_columns = models.JSONField(default=list, blank=True)
    ignored_columns = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    created_links = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "link batches"

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.filename})"


def lookalike_key_sql(field: str) -> Func:
    """links.refids.lookalike_key as a database expression, built from the same table."""
    expression: Func = Lower(F(field))
    for char, folded in LOOKALIKES.items():
        expression = Replace(expression, Value(char), Value(folded))
    return expression


class Link(models.Model):
    """A link sent to one customer; its refId ties Leap's records back to this customer."""

    class Kind(models.TextChoices):
        CONNECT = "connect", "Leap Connect"
        DIRECT = "direct", "Direct to utility"

    # Direct-to-Utility links have no flow: they go straight to a utility's page.
    flow = models.ForeignKey(
        Flow, null=True, blank=True, on_delete=models.PROTECT, related_name="links"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CONNECT)
    org_name = models.CharField("Leap org name", max_length=100)
    ref_id = models.CharField("refId", max_length=255, db_index=True)
    # The refId with look-alike characters folded (links.refids), forwards and backwards: a
    # mistyped refId finds its nearest links as neighbours in one index or the other.
    ref_key = models.GeneratedField(
        expression=lookalike_key_sql("ref_id"),
        output_field=models.CharField(max_length=255),
        db_persist=True,
        db_index=True,
    )
    ref_key_reversed = models.GeneratedField(
        expression=Reverse(lookalike_key_sql("ref_id")),
        output_field=models.CharField(max_length=255),
        db_persist=True,
        db_index=True,
    )
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.EmailField(max_length=254, blank=True)
    customer_external_id = models.CharField(max_length=100, blank=True)
    customer_type = models.CharField(
        max_length=12, choices=CustomerType.choices, default=CustomerType.RESIDENTIAL
    )
    # Direct links: the one utility id; Connect links: the requested (required) utilities.
    utility = models.CharField(max_length=40, blank=True)
    requested_utilities = models.JSONField(default=list, blank=True)
    redirect_params = models.JSONField(default=dict, blank=True)
    url = models.TextField()
    batch = models.ForeignKey(
        LinkBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When Leap first saw the customer open the link: set by the Connect sync when the refId
    # first appears (Leap has an entry only once a link is opened). Never set by the thank-you
    # landing, which anyone can forge; its visits stay LandingVisit rows, shown as unverified.
    first_opened_at = models.DateTimeField(null=True, blank=True, db_index=True)
    do_not_contact = models.BooleanField(
        "Do not contact",
        default=False,
        db_default=False,
        help_text=(
            "The customer opted out: leapdash never queues or posts re-engagement touches for them."
        ),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["org_name", "ref_id"], name="links_link_org_ref_id")
        ]
        indexes = [
            # the never-opened list, newest first: a far page walks only never-opened links
            models.Index(
                fields=["-created_at", "id"],
                condition=models.Q(first_opened_at__isnull=True),
                name="link_never_opened",
            ),
        ]

    def __str__(self) -> str:
        return self.ref_id


class RefIdAlias(models.Model):
    """A refId Leap holds that matches no link, confirmed by a person as this link's customer."""

    ref_id = models.CharField("refId at Leap", max_length=255, unique=True)
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="aliases")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "refId alias"
        verbose_name_plural = "refId aliases"

    def __str__(self) -> str:
        return f"{self.ref_id} → {self.link.ref_id}"


class LandingVisit(models.Model):
    """Someone reached the thank-you page (unverified), from the final-redirect landing.

    Anyone can forge the request, so this proves nothing: neither that the link was opened nor
    any status; both come from the Connect API.
    """

    ref_id = models.CharField(max_length=255, blank=True, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    flow_title = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "thank-you page visit (unverified)"
        verbose_name_plural = "thank-you page visits (unverified)"

    def __str__(self) -> str:
        return f"{self.ref_id or '(no refId)'} at {self.created_at:%Y-%m-%d %H:%M}"


def campaign_choices() -> list[tuple[str, str]]:
    """The flows' campaign names, for the filters that narrow links or connections by one."""
    # order_by() drops the model's default ordering, which would defeat DISTINCT
    names = Flow.objects.exclude(campaign="").order_by().values_list("campaign", flat=True)
    return [(c, c) for c in sorted(names.distinct())]


def search_links(queryset: QuerySet[Link], value: object) -> QuerySet[Link]:
    """Links whose refId, customer name or e-mail contains the text (the lists' one search)."""
    text = str(value).strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(ref_id__icontains=text)
        | Q(customer_name__icontains=text)
        | Q(customer_email__icontains=text)
    )
