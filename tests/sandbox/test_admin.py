"""The sandbox admin opens for ops: flows and chaos are configured there."""

from __future__ import annotations

import pytest

from leapdash.leap.sandbox.models import Chaos
from leapdash.leap.sandbox.seeding import seed

MODELS = ["flow", "chaos", "connection", "meter", "webhook", "webhookdelivery", "sandboxstate"]


@pytest.mark.parametrize("model", MODELS)
def test_each_sandbox_admin_list_opens(ops_client, model):
    seed(connections=5, seed=1)
    assert ops_client.get(f"/admin/sandbox/{model}/").status_code == 200


def test_ops_can_switch_chaos_on_for_a_key(ops_client):
    response = ops_client.post(
        "/admin/sandbox/chaos/add/",
        {
            "api_key": "sandbox-test-key",
            "enabled": "on",
            "seed": "3",
            "rate_limit_every": "2",
            "retry_after_seconds": "1",
            "error_rate": "0",
            "error_statuses": "500,502,503,504",
            "error_bodies": "html,json,empty",
            "slow_rate": "0",
            "slow_seconds": "0",
            "truncate_rate": "0",
        },
    )
    assert response.status_code == 302, response.content
    assert Chaos.objects.get().rate_limit_every == 2
