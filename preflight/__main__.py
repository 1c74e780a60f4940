"""`python -m preflight STACK`: what in the team's Hetzner project would stop `pulumi up` of STACK.

Reads HCLOUD_TOKEN from the environment (never an argument) and HCLOUD_ENDPOINT when set. Only reads:
the one request that is not a GET (an empty SSH key, to learn whether the token may write) is invalid
by construction and creates nothing. Exit status: 0 nothing blocks, 1 a blocker, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from offline.program import ProgramError
from offline.stack_file import parse_assignments

from .checks import CHECKS, Finding
from .hcloud_api import DEFAULT_ENDPOINT, ApiError, HcloudApi
from .plan import plan_stack
from .report import render_table

EXIT_OK, EXIT_BLOCKED, EXIT_INPUT = 0, 1, 2


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

    print(
        f"preflight {args.stack}: reading what the stack would create (offline program run)", file=sys.stderr
    )
    try:
        plan = plan_stack(args.stack, parse_assignments(args.set, parse_json=True))
    except (ValueError, FileNotFoundError, ProgramError) as error:
        print(f"preflight: {error}", file=sys.stderr)
        return EXIT_INPUT

    findings: list[Finding] = []
    for number, (title, check) in enumerate(CHECKS, start=1):
        print(f"[{number}/{len(CHECKS)}] {title}", file=sys.stderr)
        try:
            found = check(api, plan)
        except ApiError as error:
            found = [
                Finding(
                    title, "Hetzner API", True, str(error), "retry; check HCLOUD_ENDPOINT and the network"
                )
            ]
        findings.extend(found)
        if number == 1 and any(f.blocker for f in found):
            break  # without a usable token no other question can be asked
    print(render_table(findings))
    blockers = sum(f.blocker for f in findings)
    print(f"\n{blockers} blocker(s)" if blockers else "\nnothing blocks `pulumi up`")
    return EXIT_BLOCKED if blockers else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
