"""What several link tests share: a New-link form's data and the customer-type mismatches."""

CUSTOMER = {
    "kind": "connect",
    "customer_type": "residential",
    "ref_id": "cust-0001",
    "customer_name": "Ada Lovelace",
    "customer_email": "ada@example.com",
}

# (the flow's type, the customer's, the error): the single form and the bulk rows say the same
TYPE_MISMATCHES = [
    (
        "residential",
        "commercial",
        "The flow spring-2025 is for residential customers and this customer is "
        "commercial: choose a commercial flow, or correct the customer type.",
    ),
    (
        "commercial",
        "residential",
        "The flow spring-2025 is for commercial customers and this customer is "
        "residential: choose a residential flow, or correct the customer type.",
    ),
]


def connect_form(flow, **fields) -> dict:
    """A Leap Connect link's form for Ada on `flow`; `fields` replace or add fields."""
    return {**CUSTOMER, "flow": flow.pk, **fields}


def problems(errors: list[dict]) -> list[dict]:
    """A batch's stored errors without the row's identity (ref_id, name, email) that each
    also keeps for the results file: where and what, as the checks compare them."""
    return [{k: e[k] for k in ("line", "column", "message")} for e in errors]
