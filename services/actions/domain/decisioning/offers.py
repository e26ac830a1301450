"""Priced offers: what an action with `offer_price` would charge for a renewal's product.

The price comes from the moment's renewal quote (`price_shock` details: product,
previous and quoted price, currency) and the catalogue's new-customer prices. The
loyalty-penalty rule (contact_policy.loyalty_refusal) then refuses any offer above what
a new customer pays; the agent reads the offer in the recommendation's reasons.
"""

from __future__ import annotations

from schemas.signals import SignalType
from services.actions.domain.decisioning.catalogue import Catalogue, CatalogueEntry, OfferPrice
from services.actions.domain.decisioning.contact_policy import Offer
from services.actions.domain.decisioning.context import Moment


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def offer_for(entry: CatalogueEntry, moment: Moment, catalogue: Catalogue) -> Offer | None:
    """The offer `entry` would make in this moment; None if it prices nothing or the
    moment has no renewal quote to price from."""
    if entry.offer_price is None:
        return None
    quote = next((s for s in moment.signals if s.type is SignalType.price_shock), None)
    if quote is None or not isinstance(quote.details.get("product"), str):
        return None
    product, currency = str(quote.details["product"]), str(quote.details.get("currency") or "")
    quoted = _number(quote.details.get("quoted_price"))
    previous = _number(quote.details.get("previous_price"))
    new = catalogue.new_customer_price(product, currency)
    price = {
        OfferPrice.quoted: quoted,
        OfferPrice.previous: previous,
        OfferPrice.new_customer: new,
        OfferPrice.lowest: min((p for p in (previous, new) if p is not None), default=None),
    }[entry.offer_price]
    return Offer(product, currency, price, new, quoted)


def renewal_above_new_customer_price(moment: Moment, catalogue: Catalogue) -> bool:
    """Is this moment's renewal quote above what a new customer pays (where known)?"""
    for signal in moment.signals:
        if signal.type is not SignalType.price_shock:
            continue
        product, quoted = signal.details.get("product"), _number(signal.details.get("quoted_price"))
        currency = str(signal.details.get("currency") or "")
        if isinstance(product, str) and quoted is not None:
            new = catalogue.new_customer_price(product, currency)
            if new is not None and quoted > new:
                return True
    return False


def offer_words(offer: Offer) -> str | None:
    if offer.price is None:
        return None
    basis = ""
    if offer.new_customer_price is not None and abs(offer.price - offer.new_customer_price) < 1e-9:
        basis = ", what a new customer pays"
    quoted = f" (quoted {offer.quoted:.2f})" if offer.quoted is not None else ""
    return f"Offer {offer.product} at {offer.price:.2f} {offer.currency}{basis}{quoted}"
