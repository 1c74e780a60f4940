"""Monthly cost of a preview from a dated Hetzner price table, beside the managed hosting it replaces."""

from .baseline import Baseline, load_baseline
from .estimate import CostEstimate, LineItem, estimate
from .prices import PriceTable, load_prices

__all__ = ["Baseline", "CostEstimate", "LineItem", "PriceTable", "estimate", "load_baseline", "load_prices"]
