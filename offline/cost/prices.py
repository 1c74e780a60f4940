"""The price table: a dated YAML file shipped in offline/prices/, overridable with --prices FILE."""

from __future__ import annotations

import datetime
from pathlib import Path

from pydantic import Field

from .data_file import Strict, load_model

PRICES_DIR = Path(__file__).resolve().parent.parent / "prices"


class Traffic(Strict):
    included_tb_per_server: float = Field(ge=0)
    overage_per_tb: float = Field(ge=0)


class ObjectStorage(Strict):
    base: float = Field(ge=0)
    included_storage_tb: float = Field(ge=0)
    included_egress_tb: float = Field(ge=0)
    storage_per_tb: float = Field(ge=0)
    egress_per_tb: float = Field(ge=0)


class PriceTable(Strict):
    """Monthly list prices, net of VAT, in one currency, for the locations named."""

    table: str
    currency: str
    vat: str
    effective: datetime.date
    verified: datetime.date
    locations: list[str]
    server_types: dict[str, float]
    server_backup_percent: float = Field(ge=0)
    load_balancer_types: dict[str, float]
    primary_ipv4: float = Field(ge=0)
    primary_ipv6: float = Field(ge=0)
    volume_per_gb: float = Field(ge=0)
    snapshot_per_gb: float = Field(ge=0)
    traffic: Traffic
    object_storage: ObjectStorage

    @property
    def label(self) -> str:
        return f"{self.table} (effective {self.effective}, verified {self.verified}, {self.currency} net)"


def default_prices_file() -> Path:
    """The newest shipped table (file names sort by their date)."""
    tables = sorted(PRICES_DIR.glob("hetzner-*.yaml"))
    if not tables:
        raise FileNotFoundError(f"no price table in {PRICES_DIR}")
    return tables[-1]


def load_prices(path: Path | None = None) -> PriceTable:
    path = path or default_prices_file()
    return load_model(path, PriceTable, "price table", default_prices_file())
