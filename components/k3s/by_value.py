"""Dynamic providers stored in the state by value, so they load without this project on sys.path.

`pulumi.dynamic` serialises a provider with `dill.dumps(provider, recurse=True)` and the state keeps
the result; `pulumi destroy` and `pulumi refresh` unpickle it in a fresh `python -m pulumi.dynamic`
process. dill stores a class or function *by reference* (module path and name) when it can import it
again, and *by value* (its code) only when its `__module__` is `__main__` (dill `_locate_function`).
By reference, the state would hold `components.k3s.readiness._ReadinessProvider`, and destroying a
stack would fail with ModuleNotFoundError from any other working directory, after a rename, or when
anything else in `components.k3s` fails to import.

`store_by_value(globals())` at the end of a provider module marks its functions and classes (and
their methods) as `__main__`'s, so dill copies their code; what they use from the standard library and
from `pulumi` is still imported by name, which the dynamic provider host always has.
"""

from __future__ import annotations

from types import FunctionType
from typing import Any

import pulumi

_MAIN = "__main__"


def _functions_of(cls: type) -> list[FunctionType]:
    found = []
    for member in vars(cls).values():
        function = member.__func__ if isinstance(member, staticmethod | classmethod) else member
        if isinstance(function, FunctionType):
            found.append(function)
    return found


def store_by_value(namespace: dict[str, Any]) -> None:
    """Mark the functions and classes defined in the module whose globals are `namespace` to be
    pickled by value. Resource classes are left alone: only the provider runs in the plugin."""
    module = namespace["__name__"]
    for obj in list(namespace.values()):
        if getattr(obj, "__module__", None) != module:
            continue
        if isinstance(obj, FunctionType):
            obj.__module__ = _MAIN
        elif isinstance(obj, type) and not issubclass(obj, pulumi.Resource):
            for function in _functions_of(obj):
                function.__module__ = _MAIN
            obj.__module__ = _MAIN
