"""dill's search for the globals a function uses, read from its bytecode instead of its printed disassembly.

The Pulumi SDK pickles each dynamic resource's provider with dill
(`pulumi.dynamic.dynamic.serialize_provider`, `recurse=True`), and dill finds the globals a function
refers to by `dill.detect.nestedglobals`: it prints `dis.dis` of the code, nested code objects
included, into a buffer and takes the name in parentheses of every line that contains `_GLOBAL`.
Formatting that text was most of the time the program's two dynamic providers took to pickle.

`install()` gives dill a `nestedglobals` that reads the same names from the instructions: the operand of
every LOAD_GLOBAL, STORE_GLOBAL and DELETE_GLOBAL (and 3.12's LOAD_FROM_DICT_OR_GLOBALS) of the code and
of the code objects nested in it, as new string objects as dill's parsing makes them (pickle refers back
to a string object it has already written, so the bytes depend on that). A code object where a line of the
printed disassembly could hold `_GLOBAL` otherwise (a name, a constant or a nested code object's name
containing it) goes to dill's own. tests/offline/test_dill_globals.py checks the names for every code
object of the program's modules and the pickled providers byte for byte.
"""

from __future__ import annotations

import dis
from collections.abc import Callable, Iterator
from types import CodeType
from typing import Any

import dill.detect

_MARKER = "_GLOBAL"
_READ_HERE = {"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_FROM_DICT_OR_GLOBALS"}
"""Every instruction whose printed line contains `_GLOBAL` through its name, in Python 3.11 to 3.13
(the last from 3.12): each names an entry of `co_names`."""
_LOAD_GLOBAL = dis.opmap["LOAD_GLOBAL"]
_NAME_OPERAND = {dis.opmap[name] for name in _READ_HERE - {"LOAD_GLOBAL"} if name in dis.opmap}
_EXTENDED_ARG = dis.EXTENDED_ARG


def _nested(code: CodeType) -> Iterator[CodeType]:
    """`code` and every code object nested in it, as `dis.dis` prints them."""
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _nested(const)


def _printable_marker(code: CodeType) -> bool:
    """True when some line of `dis.dis(code)` other than a *_GLOBAL instruction could contain `_GLOBAL`."""
    for each in _nested(code):
        texts = (*each.co_names, *each.co_varnames, *each.co_cellvars, *each.co_freevars)
        if any(_MARKER in text for text in texts) or any(_MARKER in repr(c) for c in each.co_consts):
            return True
    return False


def _global_operands(code: CodeType) -> Iterator[str]:
    raw, names, extended = code.co_code, code.co_names, 0
    for offset in range(0, len(raw), 2):
        opcode, arg = raw[offset], raw[offset + 1] | extended
        extended = arg << 8 if opcode == _EXTENDED_ARG else 0
        if opcode == _LOAD_GLOBAL:
            yield names[arg >> 1]  # the low bit says whether a NULL is pushed first (3.11+)
        elif opcode in _NAME_OPERAND:
            yield names[arg]


def nestedglobals(func: Any, recurse: bool = True) -> list[str]:
    """What `dill.detect.nestedglobals` returns (its `recurse` changes nothing there either: `dis.dis`
    prints the nested code objects anyway)."""
    code = dill.detect.code(func)
    if code is None:
        return []
    if _printable_marker(code):
        return _DILLS(func, recurse)
    names: set[str] = set()
    for each in _nested(code):
        names.update(name.encode().decode() for name in _global_operands(each))  # new objects, as parsed
    return list(names)


_DILLS: Callable[..., list[str]] = dill.detect.nestedglobals


def install() -> bool:
    """Give dill the bytecode reading (idempotent); False, and nothing changed, when this Python's
    instructions are not the ones read here (another instruction named *_GLOBAL*, or LOAD_GLOBAL's
    operand before 3.11, which was the name's index itself)."""
    import sys

    if sys.version_info < (3, 11) or not {name for name in dis.opmap if _MARKER in name} <= _READ_HERE:
        return False
    dill.detect.nestedglobals = nestedglobals
    return True
