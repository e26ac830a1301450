"""Tooling above the services: generators of the documents that describe the contract."""
