"""actions' HTTP surface, one APIRouter module per surface."""
