"""The preview once the stack is read and the policy pack is starting: run the program under the mocks
while the pack analyzes each resource, then price the result and print the report."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import pulumi

from .cost.baseline import load_baseline
from .cost.estimate import estimate
from .cost.prices import load_prices
from .errors import EXIT_OK, EXIT_POLICY, InputError
from .mocks import PlatformMocks
from .policy.pack import PolicyPackError
from .policy.verdict import PolicyReport
from .program import ProgramError, ProgramRun, Registration, run_with_settings
from .report.artifacts import write_artifacts
from .report.markdown import render_markdown
from .report.preview import Preview
from .report.text import render_text
from .report.totals import change_line, load_totals, write_totals
from .stack_file import StackSettings
from .worker import RemoteGate, Worker


def _uses_object_storage(settings: StackSettings) -> bool:
    raw = settings.config.get(f"{settings.project}:objectStore")
    try:
        section = json.loads(raw) if raw else {}
    except ValueError:
        return False
    return isinstance(section, dict) and section.get("mode") == "hetzner"


def _run(
    settings: StackSettings,
    args: argparse.Namespace,
    worker: Worker,
    on_register: Callable[[Registration], None] | None = None,
) -> ProgramRun:
    mocks = PlatformMocks(fresh=args.fresh, tls=worker.tls)
    try:
        return run_with_settings(
            settings, args.project_dir, fresh=args.fresh, mocks=mocks, on_register=on_register
        )
    except ProgramError as err:
        if isinstance(err.cause, pulumi.RunError):  # the program's config errors: one message, no traceback
            raise InputError(str(err)) from None
        raise


def _run_and_gate(
    args: argparse.Namespace, settings: StackSettings, gate: RemoteGate | None, worker: Worker
) -> tuple[ProgramRun, PolicyReport | None]:
    """Run the program while the pack, started by the worker, analyzes each resource as it is
    registered, on the other core; then gate the result.

    Remediated inputs replace the run's: they are what `pulumi up` would send.
    """
    if gate is None:
        return _run(settings, args, worker), None
    run = _run(settings, args, worker, gate.submit)
    report, run.resources = gate.finish(run.resources)
    return run, report


def preview(
    args: argparse.Namespace,
    settings: StackSettings,
    gate: RemoteGate | None,
    skipped: str,
    started: float,
    worker: Worker,
) -> int:
    """Run, gate, price and report one preview (`skipped` says why there is no gate, if there is none)."""
    try:
        before = load_totals(args.compare) if args.compare else None
        prices = load_prices(args.prices)
        baseline = load_baseline(args.baseline)
        run, policy = _run_and_gate(args, settings, gate, worker)
    except (ValueError, FileNotFoundError, PolicyPackError) as err:
        raise InputError(str(err)) from None
    cost = estimate(run.resources, prices, baseline, object_storage=_uses_object_storage(run.settings))
    result = Preview(args.stack, run, cost, policy, skipped, fresh=args.fresh)
    if before is not None:
        result.change = change_line(result, before)
    if args.out:
        result.artifacts = write_artifacts(run.resources, args.out)
    result.seconds = time.perf_counter() - started
    if args.json_file:
        write_totals(result, args.json_file)
    report = render_markdown(result) if args.format == "markdown" else render_text(result)
    sys.stdout.write(report)
    return EXIT_POLICY if result.failed else EXIT_OK
