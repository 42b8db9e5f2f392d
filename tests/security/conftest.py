import pytest


@pytest.fixture
def make_link(db):
    from links.models import Link

    def make(**fields):
        n = Link.objects.count() + 1
        values = {
            "kind": "direct",
            "org_name": "test-energy",
            "ref_id": f"cust-{n:05d}",
            "customer_name": f"Customer {n}",
            "customer_email": f"c{n}@example.com",
            "utility": "pge",
            "url": f"http://testserver/sandbox/direct/test-energy/pge/getting-started?refId=cust-{n:05d}",
        }
        values.update(fields)
        return Link.objects.create(**values)

    return make
