"""Command line of the offline preview.

Exit status: 0 when the preview passes, 1 when a mandatory policy is violated (as `pulumi preview`
fails), 2 when the input is wrong (stack file, config, price table, policy pack) with a message that
says what to fix.

This module starts the preview's worker (offline/worker.py) before it imports anything of size, then
reads the stack and starts the policy pack before anything imports the program's components
(offline/preview_run.py): the worker's and the pack's interpreters load their libraries on the other
core meanwhile, as the engine starts analyzers before the program runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EXIT_INPUT, EXIT_OK, EXIT_POLICY, InputError
from .project import PROJECT_DIR
from .worker import RemoteGate, Worker

if TYPE_CHECKING:
    from .stack_file import StackSettings

__all__ = ["EXIT_INPUT", "EXIT_OK", "EXIT_POLICY", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    preview = commands.add_parser(
        "preview",
        help="run the real program for a stack under mocks, gate it with the policy pack, estimate its cost",
    )
    preview.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    preview.add_argument("--format", choices=("text", "markdown"), default="text", help="report format")
    preview.add_argument(
        "--out", type=Path, help="write user-data, Kubernetes YAML, graph and resources.json here"
    )
    preview.add_argument(
        "--json", type=Path, dest="json_file", help="write totals (resources, cost, policy) as JSON"
    )
    preview.add_argument(
        "--compare",
        type=Path,
        metavar="TOTALS",
        help="totals JSON of a base run (e.g. main): report the change",
    )
    preview.add_argument("--prices", type=Path, help="price table (default: the newest in offline/prices/)")
    preview.add_argument(
        "--baseline", type=Path, help="managed-hosting baseline (default: offline/managed-today.yaml)"
    )
    preview.add_argument("--policy-pack", type=Path, help="policy pack directory (default: policies/)")
    preview.add_argument(
        "--policy-config", type=Path, help="pack config JSON (default: policies/config.<stack>.json)"
    )
    preview.add_argument("--no-policy", action="store_true", help="skip the policy gate")
    preview.add_argument(
        "--fresh",
        action="store_true",
        help="preview as the engine does for a stack that does not exist yet: ids, addresses, keys, "
        "certificates, the kubeconfig and all derived from them unknown; Kubernetes resources reach the "
        "pack with no properties; the report lists what only `pulumi up` can check",
    )
    preview.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a config value for this run, e.g. 'cluster.agentPools[0].count=10' or "
        "'adminCidrs=[\"0.0.0.0/0\"]' (VALUE is JSON when it parses as JSON); repeatable",
    )
    preview.add_argument(
        "--secret", action="append", default=[], metavar="PATH=VALUE", help="like --set, stored as a secret"
    )
    preview.add_argument(
        "--config-file",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="YAML overlay of config paths to values (or a stack file's `config:` map), applied before --set",
    )
    preview.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    return parser


def _overlay(paths: Sequence[Path]) -> dict[str, Any]:
    import yaml

    result: dict[str, Any] = {}
    for path in paths:
        try:
            data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader) or {}
        except (OSError, yaml.YAMLError) as err:
            raise InputError(f"config overlay {path}: {err}") from None
        data = data.get("config", data) if isinstance(data, dict) else data
        if not isinstance(data, dict):
            raise InputError(f"config overlay {path} must be a map of config paths to values")
        result.update(data)
    return result


def _policy_gate(
    args: argparse.Namespace, settings: StackSettings, worker: Worker
) -> tuple[RemoteGate | None, str]:
    """The policy gate, its pack starting in the worker; or None and why the gate does not run."""
    from .policy.pack import PackProject, StackContext

    if args.no_policy:
        return None, "--no-policy"
    pack_dir = args.policy_pack or args.project_dir / "policies"
    if args.policy_pack is None and not (pack_dir / "PulumiPolicy.yaml").is_file():
        return None, f"no policy pack at {pack_dir} (PulumiPolicy.yaml missing)"
    context = StackContext(
        organization="organization",
        project=settings.project,
        stack=settings.stack,
        config=settings.config,
        secret_keys=tuple(settings.secret_keys),
    )
    project = PackProject.load(pack_dir.resolve())
    default_config = project.directory / f"config.{args.stack}.json"
    config_file = args.policy_config or (default_config if default_config.is_file() else None)
    return RemoteGate(worker, project, context, config_file), ""


PROGRAM_RSA_BITS = (2048,)
"""RSA keys the platform's program makes (the cluster's service-account key, components/k3s/trust.py):
the worker makes them ahead while the preview starts; tests/offline/test_preview_cli.py checks that
they are the program's."""


def preview_command(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.fresh and args.out:
        raise InputError(
            "--out writes user-data and Kubernetes YAML, which a new stack's preview does not know; "
            "drop --fresh or --out"
        )
    with Worker(() if args.fresh else PROGRAM_RSA_BITS) as worker:  # a new stack's preview makes no keys
        from .policy.pack import PolicyPackError
        from .stack_file import parse_assignments, read_stack

        try:
            overrides = {**_overlay(args.config_file), **parse_assignments(args.set, parse_json=True)}
            secret_overrides = parse_assignments(args.secret, parse_json=False)
            settings = read_stack(args.project_dir, args.stack, overrides, secret_overrides)
            gate, skipped = _policy_gate(args, settings, worker)
        except (ValueError, FileNotFoundError, PolicyPackError) as err:
            raise InputError(str(err)) from None
        try:
            from .preview_run import preview  # once the pack is starting: see above

            return preview(args, settings, gate, skipped, started, worker)
        finally:
            if gate is not None:
                gate.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return preview_command(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INPUT
