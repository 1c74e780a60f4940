"""Phase 1: the web/API meets its SLOs: from the SLO recording rules over a window, and a load run of
our own against the app's URL."""

from __future__ import annotations

import re
import shutil
import subprocess

from .gates import Context, GateResult, NotMeasurableError

AVAILABILITY_TARGET = 0.995
LATENCY_BUDGET = 0.05
"""p95 < 400 ms means at most 5 % of requests slower than 400 ms: the latency SLI's error ratio."""
LATENCY_THRESHOLD_MS = 400


def _sli(ctx: Context, slo: str) -> tuple[float, float]:
    """Mean error ratio of one SLI over the window, and the days of data the window holds."""
    prometheus = ctx.need_prometheus()
    series = f'slo:sli_error:ratio_rate5m{{slo="{slo}"}}'
    mean = prometheus.scalar(f"avg_over_time({series}[{ctx.window}])")
    oldest = prometheus.scalar(f"min_over_time(timestamp({series})[{ctx.window}:5m])")
    if mean is None or oldest is None:
        raise NotMeasurableError(
            f"Prometheus has no {series} over {ctx.window}: the SLO rules are not loaded or "
            "the app has served no traffic"
        )
    now = prometheus.scalar("time()") or 0.0
    return mean, (now - oldest) / 86400


def _window_days(window: str) -> float:
    number, unit = int(window[:-1]), window[-1]
    return number * {"d": 1, "w": 7, "h": 1 / 24}[unit]


def availability(ctx: Context) -> list[GateResult]:
    errors, days = _sli(ctx, "web-availability")
    wanted = _window_days(ctx.window)
    measured = f"{100 * (1 - errors):.3f} % over {days:.1f} days"
    passed = 1 - errors >= AVAILABILITY_TARGET and days >= wanted - 0.05
    return [
        GateResult(
            "availability (SLO rules)",
            measured,
            f">= {100 * AVAILABILITY_TARGET:.1f} % over {wanted:g} days",
            passed,
            "Grafana 'SLO' dashboard: when the 5xx came; fewer days than the window: the traffic is too new",
        )
    ]


def latency(ctx: Context) -> list[GateResult]:
    slow, days = _sli(ctx, "web-latency")
    wanted = _window_days(ctx.window)
    measured = f"{100 * slow:.2f} % slower than {LATENCY_THRESHOLD_MS} ms over {days:.1f} days"
    passed = slow <= LATENCY_BUDGET and days >= wanted - 0.05
    return [
        GateResult(
            f"p95 < {LATENCY_THRESHOLD_MS} ms (SLO rules)",
            measured,
            f"<= {100 * LATENCY_BUDGET:g} % slower, over {wanted:g} days",
            passed,
            "p95 holds while at most 5 % of requests are slower; Grafana 'SLO' dashboard shows when",
        )
    ]


_PERCENTILE = re.compile(r"^\s+(\d+)%\s+(\d+)", re.MULTILINE)


def load_run(ctx: Context) -> list[GateResult]:
    """A short load of our own: ApacheBench from Debian (apache2-utils) against the app's URL."""
    if not ctx.app_url:
        raise NotMeasurableError("no app URL: pass --app-url, or a stack output `appUrls`")
    ab = shutil.which("ab")
    if ab is None:
        raise NotMeasurableError("ApacheBench is not installed: apt-get install apache2-utils")
    ctx.progress(f"load run: {ctx.requests} requests, {ctx.concurrency} at a time, against {ctx.app_url}")
    result = subprocess.run(
        [ab, "-n", str(ctx.requests), "-c", str(ctx.concurrency), "-s", "10", "-l", ctx.app_url],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise NotMeasurableError(f"ab failed: {(result.stderr or result.stdout).strip()[-300:]}")
    percentiles = {int(p): int(ms) for p, ms in _PERCENTILE.findall(result.stdout)}
    failed = int(_field(result.stdout, "Failed requests"))
    non_2xx = int(_field(result.stdout, "Non-2xx responses", default="0"))
    errors = failed + non_2xx
    p50, p95, p99 = percentiles[50], percentiles[95], percentiles[99]
    measured = f"p50 {p50} ms, p95 {p95} ms, p99 {p99} ms, {errors} errors of {ctx.requests}"
    passed = p95 < LATENCY_THRESHOLD_MS and errors == 0
    return [
        GateResult(
            "load run",
            measured,
            f"p95 < {LATENCY_THRESHOLD_MS} ms, 0 errors",
            passed,
            "errors: the app's logs in Grafana (Loki); slow: compare with the SLO rules over the window",
        )
    ]


def _field(text: str, name: str, default: str | None = None) -> str:
    match = re.search(rf"^{re.escape(name)}:\s+(\d+)", text, re.MULTILINE)
    if match:
        return match.group(1)
    if default is None:
        raise NotMeasurableError(f"ab's report has no '{name}' line")
    return default
