"""The provider SDKs' generated modules, loaded without evaluating annotations or keeping docstrings.

pulumi-kubernetes is ~80 MB of generated Python (pulumi-hcloud and the others are built the same
way, by Pulumi's code generator); importing the few API groups the program uses executes
thousands of class bodies whose annotations (`pulumi.Input[Optional['ObjectMetaArgs']]` on every
parameter and property) build typing objects nobody looks at on import, and whose docstrings are
most of the bytecode. Compiled as if each module started with `from __future__ import annotations`
(PEP 563) and with docstrings dropped, the same classes come out; the SDK reads annotations only
through `typing.get_type_hints` with the module's globals (pulumi/_types.py), which evaluates the
strings to the same types when it needs them. This halves the CPU time of those imports.

A package's `from .module import *` lines (pulumi_kubernetes' API groups, pulumi_hcloud's 80 resources and
data sources) become lazy: the package knows each module's `__all__` and imports a module the first
time one of its names is asked for (or listed), so the program pays for the resources it uses, not
for every resource of a group. The `_enums` and `_inputs` modules, which every resource module imports
anyway, stay eager.

`requests` and `pulumi.automation` are loaded on first use (importlib's LazyLoader): pulumi_kubernetes.yaml
imports requests at module level to fetch manifests from URLs, which the program never asks for, and
the Pulumi SDK's `__init__` imports its Automation API (workspaces, the CLI wrapper), which a program
run by the engine never calls; together they would cost a tenth of the preview's imports.

The bytecode is cached next to the SDK's own, as `__pycache__/<module>.cpython-3X.opt-lean.pyc`,
checked against the source's mtime and size and a checksum of this file. scripts/bootstrap-python.sh
writes it for every package at install time (`compile_packages`); at run time a missing or stale
entry is compiled in memory, and written unless PYTHONDONTWRITEBYTECODE says not to.
"""

from __future__ import annotations
import __future__

import ast
import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import marshal
import os
import sys
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import CodeType, ModuleType

PACKAGES = ("pulumi_kubernetes", "pulumi_hcloud", "pulumi_tls", "pulumi_random", "pulumiverse_time")
"""The generated provider SDKs the program imports."""
LAZY = ("requests", "pulumi.automation")
"""Modules executed on first attribute access instead of on import."""
_TAG = "lean"
_FLAGS = __future__.annotations.compiler_flag


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                # a lone docstring leaves `pass`: pulumi still sees an empty function (_utils.py)
                node.body[0:1] = [] if len(node.body) > 1 else [ast.copy_location(ast.Pass(), first)]
    return tree


def _typed_dicts_without_fields(tree: ast.Module) -> ast.Module:
    """`class XArgsDict(TypedDict): <fields>` becomes an empty TypedDict of the same name.

    The generated SDKs declare a TypedDict beside every input type so that a type checker can check
    dict literals; at run time the SDK only asks whether a union member is a TypedDict
    (pulumi/_types.py `_is_plumbing_arg`), and the program calls none of them. Creating one turns
    every field's annotation into a compiled ForwardRef: thousands per API group.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and [ast.unparse(base) for base in node.bases] == ["TypedDict"]:
            node.body = [ast.copy_location(ast.Pass(), node.body[0])]
    return tree


_EAGER = ("_enums", "_inputs")
"""Star-imported modules a package keeps importing at once: every resource module imports them."""


def _exported_names(module_path: Path) -> list[str] | None:
    """The module's literal `__all__`, or None when it has none (its star import stays eager)."""
    try:
        tree = ast.parse(module_path.read_bytes(), str(module_path))
    except (OSError, SyntaxError):
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and [ast.unparse(target) for target in node.targets] == ["__all__"]
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            names = [
                item.value
                for item in node.value.elts
                if isinstance(item, ast.Constant) and isinstance(item.value, str)
            ]
            return names if len(names) == len(node.value.elts) else None
    return None


def _star_imported(node: ast.stmt) -> str | None:
    """The sibling module of a `from .module import *` line that may become lazy, else None."""
    if (
        isinstance(node, ast.ImportFrom)
        and node.level == 1
        and node.module not in (None, *_EAGER)
        and [alias.name for alias in node.names] == ["*"]
    ):
        return node.module
    return None


def _lazy_star_imports(tree: ast.Module, path: str) -> ast.Module:
    """A package `__init__`'s `from .module import *` lines turned into a table `lazy_exports` serves."""
    if Path(path).name != "__init__.py":
        return tree
    table: dict[str, str] = {}
    kept: list[ast.stmt] = []
    for node in tree.body:
        module = _star_imported(node)
        exported = _exported_names(Path(path).parent / f"{module}.py") if module else None
        if module is None or exported is None:
            kept.append(node)
            continue
        # what the plain line binds, in its order: the module under its name, then its exports
        table[module] = module
        table.update(dict.fromkeys(exported, module))
    if not table:
        return tree
    serve = ast.parse(
        f"__getattr__, __dir__ = __import__({__name__!r}, fromlist=['_']).lazy_exports(globals(), {table!r})"
    )
    tree.body = kept + serve.body
    return ast.fix_missing_locations(tree)


def lazy_exports(
    namespace: dict[str, object], table: dict[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A lean package's module `__getattr__` and `__dir__`: `table` maps each name its star imports
    would have bound to the module that exports it."""
    package = str(namespace["__name__"])

    def load(name: str) -> object:
        source = table.get(name)
        if source is None or name in namespace:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f".{source}", package)
        # the names the plain package ends up taking from this module (the import system has bound
        # the module itself; a later star import may rebind that name, then it is served lazily too)
        namespace.update((key, getattr(module, key)) for key in module.__all__ if table.get(key) == source)
        if table.get(source) != source:
            namespace.pop(source, None)
        return namespace[name]

    def listing() -> list[str]:  # as dir() lists the plain package: without these two
        return sorted((set(namespace) - {"__getattr__", "__dir__"}) | set(table))

    return load, listing


def compile_lean(source: bytes, path: str) -> CodeType:
    tree = _typed_dicts_without_fields(_without_docstrings(ast.parse(source, path)))
    tree = _lazy_star_imports(tree, path)
    return compile(tree, path, "exec", flags=_FLAGS, dont_inherit=True)


def _cache_path(source_path: str) -> str:
    return importlib.util.cache_from_source(source_path, optimization=_TAG)


_VERSION = zlib.crc32(Path(__file__).read_bytes()).to_bytes(4, "little")
"""In the header's flags field: a change to this file (how modules are compiled) invalidates the cache."""


def _header(source_path: str) -> bytes:
    stat = os.stat(source_path)
    return (
        importlib.util.MAGIC_NUMBER
        + _VERSION
        + (int(stat.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        + (stat.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    )


def _write(cache: str, header: bytes, code: CodeType) -> None:
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    partial = f"{cache}.{os.getpid()}.tmp"
    with open(partial, "wb") as handle:
        handle.write(header + marshal.dumps(code))
    os.replace(partial, cache)


class _LeanLoader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname: str) -> CodeType:
        source_path = self.get_filename(fullname)
        cache, header = _cache_path(source_path), _header(source_path)
        try:
            with open(cache, "rb") as handle:
                data = handle.read()
        except OSError:
            data = b""
        if data[:16] == header:
            code = marshal.loads(data[16:])
            assert isinstance(code, CodeType)
            return code
        code = compile_lean(self.get_data(source_path), source_path)
        if not sys.dont_write_bytecode:
            with contextlib.suppress(OSError):  # read-only: compile in memory next time too
                _write(cache, header, code)
        return code


class _LeanFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in LAZY:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = importlib.util.LazyLoader(spec.loader)
            return spec
        if fullname.partition(".")[0] not in PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _LeanLoader(spec.loader.name, spec.loader.path)
        return spec


def install() -> None:
    """Load the provider SDKs' modules imported from now on the lean way (idempotent)."""
    if not any(isinstance(finder, _LeanFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LeanFinder())


def compile_packages() -> None:
    """Write the lean bytecode of every module of the installed provider SDKs (at install time)."""
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations is not None
        for root in spec.submodule_search_locations:
            for source in sorted(Path(root).rglob("*.py")):
                cache, header = _cache_path(str(source)), _header(str(source))
                if not (Path(cache).is_file() and Path(cache).read_bytes()[:16] == header):
                    _write(cache, header, compile_lean(source.read_bytes(), str(source)))
