"""ingest's consumer loop, one module: `interactions.raw` in, `interactions` out."""
