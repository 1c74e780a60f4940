"""Reads the GitHub Actions workflows the way the tests need them: jobs, steps, `run:` scripts, and the
project commands (make, uv, pulumi) each one runs, in a form that can be compared with the README."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"

ENTRY_POINTS = ("make", "uv", "pulumi")
"""Commands a reader of the README runs, with the project's scripts (except scripts/ci/, which only make
sense inside GitHub Actions); everything else in a `run:` block is CI plumbing."""


def is_entry_point(word: str) -> bool:
    return word in ENTRY_POINTS or (word.startswith("scripts/") and not word.startswith("scripts/ci/"))


_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_CONTROL = {"||", "&&", ";", "|", "&", "(", ")"}
_REDIRECT = re.compile(r"^\d*(>|>>|<|>&|<&)$")
_KEYWORDS = {"if", "then", "else", "elif", "do", "!", "while", "until"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True; GitHub reads it as "on".
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


@dataclass(frozen=True)
class RunStep:
    workflow: str
    job: str
    name: str
    shell: str
    script: str


def run_steps(path: Path) -> Iterator[RunStep]:
    data = load(path)
    default_shell = data.get("defaults", {}).get("run", {}).get("shell", "bash")
    for job_id, job in data.get("jobs", {}).items():
        job_shell = job.get("defaults", {}).get("run", {}).get("shell", default_shell)
        for index, step in enumerate(job.get("steps", [])):
            if "run" in step:
                yield RunStep(
                    workflow=path.name,
                    job=job_id,
                    name=step.get("name", f"step {index + 1}"),
                    shell=step.get("shell", job_shell),
                    script=step["run"],
                )


def blank_expressions(script: str) -> str:
    """Replaces `${{ ... }}` with underscores of the same length, as actionlint does before shellcheck."""
    return _EXPRESSION.sub(lambda m: "_" * len(m.group(0)), script)


def logical_lines(script: str) -> Iterator[str]:
    """Lines of a shell script with backslash continuations joined and comments dropped."""
    pending = ""
    for raw in script.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line.strip() and not line.lstrip().startswith("#"):
            yield line


def simple_commands(line: str) -> Iterator[list[str]]:
    """Splits one shell line into simple commands, without redirections or leading assignments."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    current: list[str] = []
    skip_next = False
    for token in lexer:
        if skip_next:
            skip_next = False
            continue
        if token in _CONTROL:
            if current:
                yield current
            current = []
        elif _REDIRECT.match(token):
            skip_next = True
        elif not current and _ASSIGNMENT.match(token):
            continue
        else:
            current.append(token)
    if current:
        yield current


def normalise(words: list[str]) -> str:
    """Canonical text of a command: shell variables (which differ between CI and a laptop) become `$VAR`,
    so `"$RUNNER_TEMP/base-$STACK.json"` and `"$BASE_JSON"` both read `$VAR`."""
    out = []
    for word in words:
        out.append("$VAR" if "$" in word else word)
    return " ".join(out)


def project_commands_in_script(script: str) -> set[str]:
    found = set()
    for line in logical_lines(script):
        for words in simple_commands(line):
            # `if ... ; then cmd` leaves keywords in front of the command.
            start = 0
            while start < len(words) and words[start] in _KEYWORDS:
                start += 1
            if words[start:] and is_entry_point(words[start]):
                found.add(normalise(words[start:]))
    return found


PULUMI_ACTION = "pulumi/actions"
_INPUT = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def pulumi_action_commands(path: Path) -> set[str]:
    """The `pulumi` command line each pulumi/actions step runs, rebuilt from its inputs.

    Inputs whose value is an expression are resolved for every value the callers of a reusable
    workflow pass; what is left as a variable reads `$VAR` (as in `normalise`)."""
    found = set()
    data = load(path)
    for job in data.get("jobs", {}).values():
        for step in job.get("steps", []):
            if not str(step.get("uses", "")).startswith(PULUMI_ACTION + "@"):
                continue
            if "command" not in step.get("with", {}):
                continue  # without a command the action only installs the CLI
            for inputs in _resolve_inputs(path.name, step.get("with", {})):
                found.add(_pulumi_command_line(inputs))
    return found


def _resolve_inputs(workflow: str, with_: dict[str, Any]) -> Iterator[dict[str, Any]]:
    calls = list(reusable_calls(workflow))
    if not any("${{ inputs." in str(v) for v in with_.values()) or not calls:
        yield with_
        return
    for call_inputs in calls:

        def value_of(name: str, call_inputs: dict[str, Any] = call_inputs) -> Any:
            return call_inputs.get(name, _input_default(workflow, name))

        resolved = {}
        for key, value in with_.items():
            text = str(value)
            match = _INPUT.fullmatch(text)
            if match:
                resolved[key] = value_of(match.group(1))
            else:
                resolved[key] = _INPUT.sub(lambda m: str(value_of(m.group(1))), text)
        yield resolved


def _input_default(workflow: str, name: str) -> Any:
    spec = load(WORKFLOWS / workflow)["on"]["workflow_call"]["inputs"][name]
    return spec.get("default")


def reusable_calls(workflow: str) -> Iterator[dict[str, Any]]:
    """The `with:` of every job (in any workflow) that calls `./.github/workflows/<workflow>`."""
    for path in workflow_files():
        for job in load(path).get("jobs", {}).values():
            if job.get("uses") == f"./.github/workflows/{workflow}":
                yield dict(job.get("with", {}))


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _pulumi_command_line(inputs: dict[str, Any]) -> str:
    words = ["pulumi", str(inputs["command"]), "--stack", str(inputs["stack-name"])]
    for flag in ("refresh", "expect-no-changes", "diff"):
        if _truthy(inputs.get(flag)):
            words.append(f"--{flag}")
    for flag, key in (("--policy-pack", "policyPacks"), ("--policy-pack-config", "policyPackConfigs")):
        for value in re.split(r"[;\n]", str(inputs.get(key) or "")):
            if value.strip():
                words += [flag, value.strip()]
    return normalise(words)


def workflow_commands() -> dict[str, set[str]]:
    """Every project command the workflows run, with the workflows that run it."""
    commands: dict[str, set[str]] = {}
    for path in workflow_files():
        found = pulumi_action_commands(path)
        for step in run_steps(path):
            found |= project_commands_in_script(step.script)
        for command in found:
            commands.setdefault(command, set()).add(path.name)
    return commands


README_MARKER = "<!-- ci-commands -->"


def readme_commands(readme: str) -> set[str]:
    """Commands in the fenced block that follows the README_MARKER comment."""
    start = readme.find(README_MARKER)
    if start < 0:
        raise LookupError(f"README.md has no {README_MARKER} marker followed by a fenced block of commands")
    fence = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
    match = fence.search(readme, start)
    if not match:
        raise LookupError(f"no fenced block after {README_MARKER} in README.md")
    return project_commands_in_script(match.group(1))
