"""Command line of the offline preview.

Exit status: 0 when the preview passes, 1 when a mandatory policy is violated (as `pulumi preview`
fails), 2 when the input is wrong (stack file, config, price table, policy pack) with a message that
says what to fix.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pulumi
import yaml

from .cost import estimate, load_baseline, load_prices
from .cost.prices import default_prices_file
from .policy import PolicyPackError, PolicyReport
from .policy.gate import Gate
from .policy.pack import PackProject, PolicyPackProcess, StackContext
from .program import PROJECT_DIR, ProgramError, ProgramRun, Registration, run_with_settings
from .report.artifacts import write_artifacts
from .report.markdown import render_markdown
from .report.preview import Preview
from .report.text import render_text
from .report.totals import change_line, load_totals, write_totals
from .stack_file import StackSettings, parse_assignments, read_stack

EXIT_OK, EXIT_POLICY, EXIT_INPUT = 0, 1, 2


class InputError(Exception):
    """Bad input; printed as one message without a traceback."""


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
    preview.add_argument("--prices", type=Path, help=f"price table (default: {default_prices_file().name})")
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


def _uses_object_storage(settings: StackSettings) -> bool:
    raw = settings.config.get(f"{settings.project}:objectStore")
    try:
        section = json.loads(raw) if raw else {}
    except ValueError:
        return False
    return isinstance(section, dict) and section.get("mode") == "hetzner"


def _policy_pack(args: argparse.Namespace, settings: StackSettings) -> tuple[PolicyPackProcess | None, str]:
    """The pack to run (not started yet), or None and why the gate does not run."""
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
    return PolicyPackProcess(PackProject.load(pack_dir.resolve()), context), ""


def _policy_config(args: argparse.Namespace, pack: PolicyPackProcess) -> Path | None:
    default = pack.project.directory / f"config.{args.stack}.json"
    return args.policy_config or (default if default.is_file() else None)


def _run_and_gate(
    args: argparse.Namespace, settings: StackSettings
) -> tuple[ProgramRun, PolicyReport | None, str]:
    """Run the program while the pack starts, and analyzes each resource as it is registered, on the
    other core; then gate the result.

    Remediated inputs replace the run's: they are what `pulumi up` would send.
    """
    pack, skipped = _policy_pack(args, settings)
    if pack is None:
        return _run(settings, args.project_dir, args.fresh), None, skipped
    pack.start()
    try:
        with Gate(pack, _policy_config(args, pack), connect=True) as gate:
            run = _run(settings, args.project_dir, args.fresh, gate.submit)
            report, run.resources = gate.finish(run.resources)
    finally:
        pack.stop()
    return run, report, ""


def _run(
    settings: StackSettings,
    project_dir: Path,
    fresh: bool,
    on_register: Callable[[Registration], None] | None = None,
) -> ProgramRun:
    try:
        return run_with_settings(settings, project_dir, fresh=fresh, on_register=on_register)
    except ProgramError as err:
        if isinstance(err.cause, pulumi.RunError):  # the program's config errors: one message, no traceback
            raise InputError(str(err)) from None
        raise


def preview_command(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.fresh and args.out:
        raise InputError(
            "--out writes user-data and Kubernetes YAML, which a new stack's preview does not know; "
            "drop --fresh or --out"
        )
    try:
        overrides = {**_overlay(args.config_file), **parse_assignments(args.set, parse_json=True)}
        secret_overrides = parse_assignments(args.secret, parse_json=False)
        before = load_totals(args.compare) if args.compare else None
        prices = load_prices(args.prices)
        baseline = load_baseline(args.baseline)
        settings = read_stack(args.project_dir, args.stack, overrides, secret_overrides)
        run, policy, skipped = _run_and_gate(args, settings)
    except (ValueError, FileNotFoundError, PolicyPackError) as err:
        raise InputError(str(err)) from None
    cost = estimate(run.resources, prices, baseline, object_storage=_uses_object_storage(run.settings))
    preview = Preview(args.stack, run, cost, policy, skipped, fresh=args.fresh)
    if before is not None:
        preview.change = change_line(preview, before)
    if args.out:
        preview.artifacts = write_artifacts(run.resources, args.out)
    preview.seconds = time.perf_counter() - started
    if args.json_file:
        write_totals(preview, args.json_file)
    report = render_markdown(preview) if args.format == "markdown" else render_text(preview)
    sys.stdout.write(report)
    return EXIT_POLICY if preview.failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return preview_command(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INPUT
