import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def pm(pm_user):
    return pm_user


def test_logging_in_lands_on_the_home_page(pm):
    client = Client()
    response = client.post("/accounts/login/", {"username": pm.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "Data freshness" in client.get("/").content.decode()


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(pm):
    client = Client()
    for _ in range(5):
        bad = client.post("/accounts/login/", {"username": pm.username, "password": "nope"})
        assert bad.status_code in (200, 429)
    locked = client.post("/accounts/login/", {"username": pm.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_other_users_can_still_log_in_while_one_is_locked(pm):
    other = UserFactory(username="other-user")
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": pm.username, "password": "nope"})
    ok = client.post("/accounts/login/", {"username": other.username, "password": PASSWORD})
    assert ok.status_code == 302


def test_logging_out_needs_a_post_with_csrf(pm_client):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = pm_client.cookies
    assert strict.post("/accounts/logout/").status_code == 403
    assert pm_client.get("/").status_code == 200


def test_the_role_groups_exist_after_migrate(db):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {"Program managers", "Ops"}


def test_ops_hold_the_product_permissions_and_program_managers_view_only(db):
    from django.contrib.auth.models import Group

    ops = set(Group.objects.get(name="Ops").permissions.values_list("codename", flat=True))
    pms = set(
        Group.objects.get(name="Program managers").permissions.values_list("codename", flat=True)
    )
    assert "view_syncrun" in ops
    assert "view_syncrun" in pms
    assert not {p for p in pms if not p.startswith("view_")}
