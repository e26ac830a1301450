"""ingest's adapters: the Kafka publisher and the PostgreSQL key store."""
