"""The three Small Moments services (ingest, signals, actions) and their shared plumbing."""
