"""ingest's HTTP surface, one APIRouter module per surface."""
