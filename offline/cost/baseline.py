"""The managed hosting the team leaves (the seed's "managed today"), as an editable YAML file."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_BASELINE = Path(__file__).resolve().parent.parent / "managed-today.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BaselineItem(_Strict):
    name: str
    monthly: float = Field(ge=0)
    currency: str


class Usage(_Strict):
    egress_tb_per_month: float = Field(default=0, ge=0)
    object_storage_tb: float = Field(default=0, ge=0)


class Baseline(_Strict):
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
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"baseline file {path} does not exist") from None
    except yaml.YAMLError as err:
        raise ValueError(f"baseline file {path} is not valid YAML: {err}") from None
    try:
        return Baseline.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise ValueError(
            f"baseline file {path} is malformed ({problems}); compare it with {DEFAULT_BASELINE}"
        ) from None
