"""`python -m tooling.contract [--check]`: write or check the contract's documents."""

from tooling.contract.files import main

if __name__ == "__main__":
    raise SystemExit(main())
