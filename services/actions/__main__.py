"""`python -m services.actions`: serve actions on ACTIONS_HOST:ACTIONS_PORT."""

from services.actions.settings import Settings
from services.plumbing.http import serve


def main() -> None:
    settings = Settings()
    serve(
        "services.actions.app:bootstrap",
        settings.actions_host,
        settings.actions_port,
        settings.log_level,
    )


if __name__ == "__main__":
    main()
