"""Loads the cost module's editable YAML files into strict models, with errors that say what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class Strict(BaseModel):
    """Unknown keys are refused (a misspelt price must not silently become zero)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


ModelT = TypeVar("ModelT", bound=BaseModel)


def load_model(path: Path, model: type[ModelT], what: str, example: Path) -> ModelT:
    """`what` names the file in messages ("price table"); `example` is the shipped file to compare with."""
    try:
        data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    except FileNotFoundError:
        raise ValueError(f"{what} {path} does not exist") from None
    except yaml.YAMLError as err:
        raise ValueError(f"{what} {path} is not valid YAML: {err}") from None
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise ValueError(f"{what} {path} is malformed ({problems}); compare it with {example}") from None
