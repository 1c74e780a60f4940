"""`python -m preflight STACK`: what in the team's Hetzner project would stop `pulumi up` of STACK.

Reads HCLOUD_TOKEN from the environment (never an argument) and HCLOUD_ENDPOINT when set. Only reads:
the one request that is not a GET (an empty SSH key, to learn whether the token may write) is invalid
by construction and creates nothing. Exit status: 0 nothing blocks, 1 a blocker, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial

from offline.program import ProgramError
from offline.stack_file import parse_assignments

from .checks import CHECKS, Finding, check_token
from .hcloud_api import DEFAULT_ENDPOINT, ApiError, HcloudApi
from .plan import plan_stack
from .report import render_table

EXIT_OK, EXIT_BLOCKED, EXIT_INPUT = 0, 1, 2


def _ask(title: str, check: Callable[[], list[Finding]]) -> list[Finding]:
    try:
        return check()
    except ApiError as error:
        return [
            Finding(title, "Hetzner API", True, str(error), "retry; check HCLOUD_ENDPOINT and the network")
        ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/preflight.sh", description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a config value as the offline preview does, e.g. 'location=fsn1'; repeatable",
    )
    args = parser.parse_args(argv)
    token = os.environ.get("HCLOUD_TOKEN", "")
    if not token:
        print(
            "preflight: set HCLOUD_TOKEN to the project's API token, e.g. "
            f"export HCLOUD_TOKEN=$(pulumi config get hcloudToken --stack {args.stack})",
            file=sys.stderr,
        )
        return EXIT_INPUT
    api = HcloudApi(os.environ.get("HCLOUD_ENDPOINT", DEFAULT_ENDPOINT), token)

    steps = len(CHECKS) + 2
    print(f"[1/{steps}] token can read and write", file=sys.stderr)
    findings = _ask("token", lambda: check_token(api))
    if any(f.blocker for f in findings):
        print(render_table(findings))
        return EXIT_BLOCKED

    print(f"[2/{steps}] what the stack would create (the program, run offline)", file=sys.stderr)
    try:
        plan = plan_stack(args.stack, parse_assignments(args.set, parse_json=True))
    except (ValueError, FileNotFoundError, ProgramError) as error:
        print(f"preflight: {error}", file=sys.stderr)
        return EXIT_INPUT

    for number, (title, check) in enumerate(CHECKS, start=3):
        print(f"[{number}/{steps}] {title}", file=sys.stderr)
        findings.extend(_ask(title, partial(check, api, plan)))
    print(render_table(findings))
    blockers = sum(f.blocker for f in findings)
    print(f"\n{blockers} blocker(s)" if blockers else "\nnothing blocks `pulumi up`")
    return EXIT_BLOCKED if blockers else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
