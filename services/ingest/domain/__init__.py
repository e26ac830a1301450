"""ingest's pure rules: decoding the three HTTP modes, who may send what, rate limits."""
