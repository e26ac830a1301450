"""actions' adapters: the PostgreSQL repository and the desktop hub."""
