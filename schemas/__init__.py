"""Typed messages shared by every Small Moments service (pydantic v2).

`schemas.events` is what channel systems send, `schemas.signals` what the signals
service finds, `schemas.recommendations` what actions decides and what came of it.
`python -m schemas.generate` rewrites the JSON Schema files and the AsyncAPI document.
"""
