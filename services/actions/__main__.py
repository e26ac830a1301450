"""`python -m services.actions`: serve actions with uvicorn on ACTIONS_HOST:ACTIONS_PORT."""

import uvicorn

from services.actions.settings import Settings


def main() -> None:
    settings = Settings()
    uvicorn.run(
        "services.actions.app:bootstrap",
        factory=True,
        host=settings.actions_host,
        port=settings.actions_port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


if __name__ == "__main__":
    main()
