"""The managed hosting the team leaves (the seed's "managed today"), as an editable YAML file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from .data_file import Strict, load_model

DEFAULT_BASELINE = Path(__file__).resolve().parent.parent / "managed-today.yaml"


class BaselineItem(Strict):
    name: str
    monthly: float = Field(ge=0)
    currency: str


class Usage(Strict):
    egress_tb_per_month: float = Field(default=0, ge=0)
    object_storage_tb: float = Field(default=0, ge=0)


class Baseline(Strict):
    name: str
    currency: str
    fx: dict[str, float] = Field(default_factory=dict)
    items: list[BaselineItem]
    usage: Usage = Usage()

    @model_validator(mode="after")
    def _convertible(self) -> Baseline:
        for item in self.items:
            if item.currency != self.currency and item.currency not in self.fx:
                raise ValueError(
                    f"item {item.name!r} is in {item.currency} but fx has no {item.currency} rate"
                )
        return self

    def monthly(self, item: BaselineItem) -> float:
        """The item's monthly price in the baseline's currency."""
        rate = 1.0 if item.currency == self.currency else self.fx[item.currency]
        return item.monthly * rate

    @property
    def total(self) -> float:
        return sum(self.monthly(item) for item in self.items)


def load_baseline(path: Path | None = None) -> Baseline:
    path = path or DEFAULT_BASELINE
    return load_model(path, Baseline, "baseline file", DEFAULT_BASELINE)
