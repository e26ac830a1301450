"""Typed messages shared by every Small Moments service (pydantic v2): the contract.

`schemas.events` is what channel systems send, `schemas.signals` what the signals
service finds, `schemas.recommendations` what actions decides and what came of it,
`schemas.customers` the customer record, `schemas.topics` and `schemas.headers` the
Kafka names, `schemas.ops` the operations snapshot. This package imports nothing of
ours: it is the bottom floor. `python -m tooling.contract` writes the JSON Schema files
and the AsyncAPI document from it.
"""
