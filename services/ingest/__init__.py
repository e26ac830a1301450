"""ingest: the front door. Accepts CloudEvents over HTTP and from `interactions.raw`,
authenticates and validates them, and puts them on `interactions` keyed by customer."""
