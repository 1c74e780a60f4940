"""`python -m acceptance STACK`: measure the plan's acceptance gates on a deployed stack.

Exit status: 0 every gate passes, 1 a gate fails (or could not be measured), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from offline.program import PROJECT_DIR
from offline.stack_file import parse_assignments, read_stack, stack_config
from preflight.hcloud_api import DEFAULT_ENDPOINT, HcloudApi

from .gates import Context, PhaseResult, run_gate
from .kube import KubeClient
from .object_store import MASTER_PORT, PORT_FORWARD
from .phases import gates_for
from .prometheus import PrometheusClient
from .report import render_markdown, render_text

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
PROMETHEUS_PROXY = "/api/v1/namespaces/monitoring/services/http:kube-prometheus-stack-prometheus:9090/proxy"
"""The in-cluster Prometheus through the API server's service proxy (the admin kubeconfig may use it)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m acceptance", description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml and the stack's outputs")
    parser.add_argument("--phase", choices=("1", "2", "3", "4", "5"), help="check the gates up to this phase")
    parser.add_argument("--outputs", type=Path, help="stack outputs as JSON (default: pulumi stack output)")
    parser.add_argument("--kubeconfig", type=Path, help="admin kubeconfig (default: the `kubeconfig` output)")
    parser.add_argument(
        "--prometheus", help="Prometheus base URL (default: in-cluster, through the API server)"
    )
    parser.add_argument("--app-url", help="URL for the load run (default: the first of the `appUrls` output)")
    parser.add_argument(
        "--s3-endpoint", help="object store URL (default: the `objectStore` output's endpoint)"
    )
    parser.add_argument(
        "--seaweedfs-master",
        help=f"SeaweedFS master URL of the in-cluster store, e.g. http://127.0.0.1:{MASTER_PORT} while "
        f"`{PORT_FORWARD}` runs",
    )
    parser.add_argument("--db-shell", help="runs one command line on the database server, e.g. 'ssh root@IP'")
    parser.add_argument("--db-scripts", default="/usr/local/lib/platform-postgres", help=argparse.SUPPRESS)
    parser.add_argument("--window", default="14d", help="SLO window, e.g. 14d (the plan: two weeks)")
    parser.add_argument("--requests", type=int, default=500, help="requests of the load run")
    parser.add_argument("--concurrency", type=int, default=10, help="concurrent requests of the load run")
    parser.add_argument(
        "--outside-admin-cidrs",
        action="store_true",
        help="this machine is outside adminCidrs: check the API does not answer it",
    )
    parser.add_argument("--gate", action="append", help=argparse.SUPPRESS)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a setting of the stack file, as the offline preview does; repeatable",
    )
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    return parser


def _outputs(args: argparse.Namespace) -> dict[str, Any]:
    if args.outputs:
        return dict(json.loads(args.outputs.read_text()))
    result = subprocess.run(
        ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", args.stack],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ValueError(f"pulumi stack output failed: {result.stderr.strip()} (or pass --outputs FILE)")
    return dict(json.loads(result.stdout))


def _context(args: argparse.Namespace) -> Context:
    settings = read_stack(PROJECT_DIR, args.stack, parse_assignments(args.set, parse_json=True))
    outputs = _outputs(args)
    kubeconfig = args.kubeconfig.read_text() if args.kubeconfig else outputs.get("kubeconfig")
    kube = KubeClient.from_kubeconfig(kubeconfig) if kubeconfig else None
    if args.prometheus:
        prometheus = PrometheusClient(args.prometheus)
    elif kube is not None:
        prometheus = PrometheusClient(kube.server + PROMETHEUS_PROXY, kube.context)
    else:
        prometheus = None
    token = os.environ.get("HCLOUD_TOKEN")
    return Context(
        project=settings.project,
        stack=args.stack,
        outputs=outputs,
        settings_config=dict(settings.config),
        config=stack_config(settings),
        kube=kube,
        prometheus=prometheus,
        hcloud=HcloudApi(os.environ.get("HCLOUD_ENDPOINT", DEFAULT_ENDPOINT), token) if token else None,
        app_url=args.app_url or next(iter(outputs.get("appUrls") or []), ""),
        s3_endpoint=args.s3_endpoint or "",
        seaweedfs_master=args.seaweedfs_master or "",
        db_shell=shlex.split(args.db_shell) if args.db_shell else [],
        db_scripts=args.db_scripts,
        window=args.window,
        requests=args.requests,
        concurrency=args.concurrency,
        inside_admin_cidrs=False if args.outside_admin_cidrs else None,
        progress=lambda line: print(line, file=sys.stderr),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        context = _context(args)
    except (OSError, ValueError, KeyError) as error:
        print(f"acceptance: {error}", file=sys.stderr)
        return EXIT_INPUT
    specs = gates_for(context.config, args.phase, set(args.gate) if args.gate else None)
    measured: list[PhaseResult] = []
    for number, spec in enumerate(specs, start=1):
        print(f"[{number}/{len(specs)}] phase {spec.phase}: {spec.title}", file=sys.stderr)
        measured.extend(run_gate(spec, context))
    render = render_markdown if args.format == "markdown" else render_text
    sys.stdout.write(render(args.stack, measured))
    return EXIT_OK if all(m.result.passed for m in measured) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
