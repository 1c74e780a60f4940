"""A stand-in for `gh api` that keeps a tiny GitHub (comments, issues, labels) in a JSON file, so the CI
scripts can be run for real against it. Lists come back in pages of one item, as `--paginate` prints
them: several JSON arrays one after the other.

State file: $FAKE_GH_STATE. Every call is appended to $FAKE_GH_STATE.calls (one JSON array per line)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = re.compile(r"^repos/(?P<repo>[^/]+/[^/]+)/(?P<rest>.*)$")


def main(argv: list[str]) -> int:
    state_file = Path(os.environ["FAKE_GH_STATE"])
    with open(f"{state_file}.calls", "a") as log:
        log.write(json.dumps(argv) + "\n")
    state: dict[str, Any] = json.loads(state_file.read_text())
    assert argv[0] == "api", f"fake gh only knows `gh api`, got {argv}"
    method, path, fields, body, paginate = "GET", "", {}, None, False
    args = iter(argv[1:])
    for arg in args:
        if arg == "--method":
            method = next(args)
        elif arg == "--paginate":
            paginate = True
        elif arg == "--input":
            assert next(args) == "-"
            body = json.loads(sys.stdin.read())
        elif arg in ("-f", "--raw-field"):
            key, _, value = next(args).partition("=")
            fields[key] = value
        else:
            path = arg
    match = REPO.match(path)
    assert match and match["repo"] == os.environ["GITHUB_REPOSITORY"], path
    status, result = handle(state, method, match["rest"], body or fields)
    state_file.write_text(json.dumps(state))
    if status >= 400:
        print(f"gh: HTTP {status}", file=sys.stderr)
        return 1
    if isinstance(result, list) and paginate:
        for item in result or [[]]:
            print(json.dumps([item] if item != [] else []))
    else:
        print(json.dumps(result))
    return 0


def handle(state: dict[str, Any], method: str, rest: str, body: dict[str, Any]) -> tuple[int, Any]:
    url = urlsplit(rest)
    parts = url.path.split("/")
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    issues: list[dict[str, Any]] = state.setdefault("issues", [])
    comments: list[dict[str, Any]] = state.setdefault("comments", [])
    labels: list[str] = state.setdefault("labels", [])
    me = {"login": "github-actions[bot]"}
    if parts == ["issues"] and method == "GET":
        return 200, [
            i
            for i in issues
            if i["state"] == query.get("state", "open") and query.get("labels", "") in i["labels"] + [""]
        ]
    if parts == ["issues"] and method == "POST":
        missing = [name for name in body.get("labels", []) if name not in labels]
        if missing:
            return 422, None  # GitHub only attaches labels that exist
        issue = {
            "number": len(issues) + 100,
            "title": body["title"],
            "body": body["body"],
            "labels": body["labels"],
            "state": "open",
        }
        issues.append(issue)
        return 201, issue
    if len(parts) == 2 and parts[0] == "issues" and method == "PATCH":
        issue = next(i for i in issues if i["number"] == int(parts[1]))
        issue.update(body)
        return 200, issue
    if len(parts) == 3 and parts[2] == "comments" and method == "GET":
        return 200, [c for c in comments if c["issue"] == int(parts[1])]
    if len(parts) == 3 and parts[2] == "comments" and method == "POST":
        comment = {"id": len(comments) + 1000, "issue": int(parts[1]), "body": body["body"], "user": me}
        comments.append(comment)
        return 201, comment
    if parts[:2] == ["issues", "comments"] and method == "PATCH":
        comment = next(c for c in comments if c["id"] == int(parts[2]))
        if comment["user"] != me:
            return 403, None
        comment["body"] = body["body"]
        return 200, comment
    if parts[0] == "labels" and method == "GET":
        return (200, {"name": parts[1]}) if parts[1] in labels else (404, None)
    if parts == ["labels"] and method == "POST":
        labels.append(body["name"])
        return 201, {"name": body["name"]}
    raise AssertionError(f"fake gh does not know {method} {rest}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
