"""`python -m services.ingest`: serve ingest on INGEST_HOST:INGEST_PORT."""

from services.ingest.settings import Settings
from services.plumbing.http import serve


def main() -> None:
    settings = Settings()
    serve(
        "services.ingest.app:bootstrap",
        settings.ingest_host,
        settings.ingest_port,
        settings.log_level,
    )


if __name__ == "__main__":
    main()
