"""`python -m services.signals`: run a signals worker, with its web port on
SIGNALS_WEB_HOST:SIGNALS_WEB_PORT."""

from services.plumbing.http import serve
from services.signals.settings import Settings


def main() -> None:
    settings = Settings()
    serve(
        "services.signals.app:bootstrap",
        settings.signals_web_host,
        settings.signals_web_port,
        settings.log_level,
    )


if __name__ == "__main__":
    main()
