"""links.builder's customer rules: a Connect flow's customer type, and who holds a refId."""

import pytest

from links.builder import LinkError, connect_url, customer_type_problems, same_customer

CONNECT = "https://onboarding.leap.energy"
MISMATCH = (
    "The flow spring-2025 is for residential customers and this customer is commercial: "
    "choose a commercial flow, or correct the customer type."
)


@pytest.mark.parametrize(
    ("customer_type", "flow_customer_type", "messages"),
    [
        ("residential", "residential", []),
        ("commercial", "commercial", []),
        ("commercial", "residential", [MISMATCH]),
        (
            "residential",
            "commercial",
            [
                "The flow spring-2025 is for commercial customers and this customer is "
                "residential: choose a residential flow, or correct the customer type."
            ],
        ),
        ("", "residential", []),  # not given: the caller did not ask for the check
        ("commercial", "", []),
    ],
)
def test_the_customer_type_must_be_the_flows(customer_type, flow_customer_type, messages):
    problems = customer_type_problems(customer_type, flow_customer_type, "spring-2025")
    assert [p.message for p in problems] == messages
    assert {p.field for p in problems} <= {"customer_type"}


@pytest.mark.parametrize(
    ("customer_type", "built"),
    [("residential", True), ("commercial", False)],
)
def test_a_connect_url_checks_the_customer_type_against_the_flow(customer_type, built):
    def build():
        return connect_url(
            CONNECT,
            "ElectricSpaceships",
            "spring-2025",
            "cust-001",
            region="CAISO",
            customer_type=customer_type,
            flow_customer_type="residential",
        )

    if built:
        assert build().endswith("/ElectricSpaceships/spring-2025/?refId=cust-001")
        return
    with pytest.raises(LinkError) as excinfo:
        build()
    assert excinfo.value.messages("customer_type") == [MISMATCH]


@pytest.mark.parametrize(
    ("holder", "given", "same"),
    [
        (("ada@example.com", "Ada"), ("ADA@example.com", "Someone else"), True),  # email decides
        (("ada@example.com", "Ada"), ("bob@example.com", "Ada"), False),
        (("ada@example.com", "Ada"), ("", "Ada"), False),  # one email, the other none
        (("", "Ada Lovelace"), ("", " ada lovelace "), True),  # no emails: the name decides
        (("", "Ada"), ("", "Bob"), False),
        (("", ""), ("", ""), True),
    ],
)
def test_a_ref_id_holder_is_the_same_customer_by_email_else_by_name(holder, given, same):
    assert same_customer(*holder, *given) is same
