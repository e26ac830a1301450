"""Erasure must reach every table that holds rows about a customer: each migration's
table with a `customer_id` column is in `adapters.erasure.CUSTOMER_TABLES` (rows deleted)
or `ANONYMISED_TABLES` (rows kept without the customer), but the erasure record itself,
which drops the id once the erasure is done."""

from __future__ import annotations

import re

from services.actions.adapters.erasure import ANONYMISED_TABLES, CUSTOMER_TABLES
from services.plumbing.database import migration_files

TABLE = re.compile(r"create table (\w+) \((.*?)\n\);", re.S)


def customer_keyed_tables() -> set[str]:
    tables = set()
    for _, sql in migration_files():
        for name, body in TABLE.findall(sql):
            if re.search(r"^\s*customer_id\b", body, re.M):
                tables.add(name)
        for name in re.findall(r"alter table (\w+) add column customer_id\b", sql):
            tables.add(name)
    return tables


def test_every_table_keyed_by_customer_is_erased() -> None:
    found = customer_keyed_tables()
    assert {"signals", "recommendations", "outcomes", "customers"} <= found  # the scan works
    assert found - {"erasures"} == set(CUSTOMER_TABLES) | set(ANONYMISED_TABLES)
    assert not set(CUSTOMER_TABLES) & set(ANONYMISED_TABLES)


def test_children_are_erased_before_their_parents() -> None:
    order = list(CUSTOMER_TABLES)
    assert order.index("outcomes") < order.index("recommendations") < order.index("signals")
