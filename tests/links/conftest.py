"""Fixtures for the links tests: flows and links as a program manager would make them."""

import itertools

import pytest

from links.models import Flow, Link

_numbers = itertools.count(1)


@pytest.fixture
def flow(db):
    return Flow.objects.create(
        org_name="test-energy",
        title="spring-2025",
        region="CAISO",
        utilities=["pge", "sce", "sdge"],
        customer_type="residential",
        campaign="spring",
        forward_allowlist=["https://partner.example/welcome"],
    )


@pytest.fixture
def make_link(db):
    def make(flow=None, **fields):
        n = next(_numbers)
        values = {
            "flow": flow,
            "kind": "connect" if flow else "direct",
            "org_name": flow.org_name if flow else "test-energy",
            "ref_id": f"cust-{n:05d}",
            "customer_name": f"Customer {n}",
            "customer_email": f"c{n}@example.com",
            "url": f"http://testserver/sandbox/connect/test-energy/x/?refId=cust-{n:05d}",
        }
        values.update(fields)
        return Link.objects.create(**values)

    return make
