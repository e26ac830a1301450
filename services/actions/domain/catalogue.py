"""The action catalogue's v1 import path: the catalogue now lives in decisioning/."""

from services.actions.domain.decisioning.catalogue import (
    Catalogue,
    CatalogueEntry,
    CatalogueInvalid,
    load_catalogue,
    parse_catalogue,
    queues,
)

__all__ = [
    "Catalogue",
    "CatalogueEntry",
    "CatalogueInvalid",
    "load_catalogue",
    "parse_catalogue",
    "queues",
]
