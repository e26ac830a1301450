"""Cross-cutting plumbing shared by every service: settings, Kafka, PostgreSQL, logs, metrics.

Written once here so the services differ only in what they do, not in how they connect.
Nothing in this package connects at import time.
"""
