"""API list prices of language models from the `genai-prices` package (Pydantic).

The package ships its price data (with price history) inside the wheel; this module reads that
bundled snapshot through the package's own API (``ModelInfo.get_prices``) and never asks it to
update from the network, so a report re-runs the same for one package version and one date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from importlib.metadata import version

import pandas as pd

PACKAGE = "genai-prices"
PEAK_HOUR = time(8, 0)  # UTC; off-peak discounts (e.g. DeepSeek's night rate) are not list prices


def package_version() -> str:
    return version(PACKAGE)


def _base(price) -> float | None:
    """A price per million tokens as a float; a tiered price at its base (first) tier."""
    if price is None:
        return None
    base = getattr(price, "base", price)
    return float(base)


def load_prices(price_date: str | date) -> pd.DataFrame:
    """Every provider's model in the bundled snapshot with its input and output price (USD per
    million tokens) in force on ``price_date`` (at 08:00 UTC): columns provider, provider_name,
    model_id, model_name, input_usd_per_m, output_usd_per_m, deprecated."""
    from genai_prices.data import providers  # the packaged data; nothing fetched

    d = date.fromisoformat(price_date) if isinstance(price_date, str) else price_date
    ts = datetime.combine(d, PEAK_HOUR, tzinfo=UTC)
    rows = []
    for p in providers:
        for m in p.models:
            prices = m.get_prices(ts)
            rows.append(
                {
                    "provider": p.id,
                    "provider_name": p.name,
                    "model_id": m.id,
                    "model_name": m.name or m.id,
                    "input_usd_per_m": _base(getattr(prices, "input_mtok", None)),
                    "output_usd_per_m": _base(getattr(prices, "output_mtok", None)),
                    "deprecated": bool(m.deprecated),
                }
            )
    return pd.DataFrame(rows)
