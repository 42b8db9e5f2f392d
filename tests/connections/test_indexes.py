"""The connections table's covering indexes: what the model declares is what PostgreSQL built."""

import pytest
from django.db import connection

from connections.models import COVERED, Connection

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["conn_last_interaction", "conn_status"])
def test_the_walking_indexes_carry_the_columns_the_model_names(name):
    declared = next(index for index in Connection._meta.indexes if index.name == name)
    assert list(declared.include) == COVERED
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        (definition,) = cursor.fetchone()
    assert definition.endswith("INCLUDE (ref_id, utility_ids, link_id)")
