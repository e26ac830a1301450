"""`python -m moments` is the `moments` command."""

from moments.cli import main

raise SystemExit(main())
