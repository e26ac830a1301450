"""`python -m services.ingest`: serve ingest with uvicorn on INGEST_HOST:INGEST_PORT."""

import uvicorn

from services.ingest.settings import Settings


def main() -> None:
    settings = Settings()
    uvicorn.run(
        "services.ingest.app:bootstrap",
        factory=True,
        host=settings.ingest_host,
        port=settings.ingest_port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


if __name__ == "__main__":
    main()
