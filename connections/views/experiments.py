"""Cadence experiments: the list of a partner's experiments, starting one on a flow, ending it
(connections.experiments holds the rules)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from leapdash.accounts.roles import dashboard_view

from ..experiments import Arm, problems
from ..forms import ExperimentForm, VariantFormSet, arms_of
from ..models import Experiment, Variant


@dashboard_view
@require_http_methods(["GET", "POST"])
def experiment_list(request: HttpRequest) -> HttpResponse:
    form = ExperimentForm(request.POST or None)
    variants = VariantFormSet(request.POST or None, prefix="variants")
    if request.method == "POST" and form.is_valid() and variants.is_valid():
        arms = arms_of(form, variants)
        found = problems(arms, settings.REENGAGE_MIN_GAP_HOURS)
        for problem in found:
            form.add_error(None, problem)
        if not found:
            experiment = _start(form, arms)
            messages.success(request, f"Experiment {experiment} started on {experiment.flow}.")
            return redirect("connections:experiments")
    counted = Variant.objects.annotate(customers=Count("connections"))
    rows = Experiment.objects.select_related("flow").prefetch_related(Prefetch("variants", counted))
    context = {"form": form, "variants": variants, "experiments": rows}
    return render(request, "connections/experiments.html", context)


def _start(form: ExperimentForm, arms: list[Arm]) -> Experiment:
    with transaction.atomic():
        experiment = form.save(commit=False)
        experiment.started_at = timezone.now()
        experiment.save()
        experiment.add_variants(arms)
    return experiment


@dashboard_view
@require_POST
def experiment_end(request: HttpRequest, pk: int) -> HttpResponse:
    """No new customer joins; everyone assigned keeps their variant (and its cadence)."""
    experiment = get_object_or_404(Experiment, pk=pk)
    if experiment.ended_at is None:
        experiment.ended_at = timezone.now()
        experiment.save(update_fields=["ended_at"])
        messages.success(request, f"Experiment {experiment} ended; assigned customers keep theirs.")
    return redirect("connections:experiments")
