"""The Alertmanager configuration: who hears which alert, rendered from config and the secret URLs.

The image is pinned to versions.ALERTMANAGER_IMAGE_TAG so that the `amtool check-config` the tests run
is the same parser that loads this file. Alertmanager 0.25 has no `*_file` variants for these URLs,
so the whole configuration is a Kubernetes Secret.
"""

from __future__ import annotations

from typing import Any

import yaml

PAGE = 'severity=~"page|critical"'
TICKET = 'severity=~"ticket|warning"'


def alertmanager_config(
    *, discord_url: str | None, webhook_url: str | None, dead_mans_switch: bool
) -> dict[str, Any]:
    """Routing tree: pages now, tickets batched, Watchdog to the heartbeat, info dropped.

    With no receiver configured (allowed outside prod) every alert goes to `null`, so Alertmanager
    still runs and the UI shows what would have been sent.
    """
    receivers: list[dict[str, Any]] = [{"name": "null"}]
    channels: dict[str, Any] = {}
    if discord_url:
        channels["discord_configs"] = [{"webhook_url": discord_url, "send_resolved": True}]
    if webhook_url:
        channels["webhook_configs"] = [{"url": webhook_url, "send_resolved": True, "max_alerts": 20}]
    notify = "null"
    if channels:
        notify = "notify"
        receivers.append({"name": notify, **channels})

    routes: list[dict[str, Any]] = []
    if dead_mans_switch and webhook_url:
        receivers.append(
            {"name": "heartbeat", "webhook_configs": [{"url": webhook_url, "send_resolved": False}]}
        )
        routes.append(
            {
                "receiver": "heartbeat",
                "matchers": ['alertname="Watchdog"'],
                "group_wait": "0s",
                "group_interval": "1m",
                "repeat_interval": "1m",
            }
        )
    routes += [
        {"receiver": "null", "matchers": ['alertname=~"Watchdog|InfoInhibitor"']},
        {"receiver": notify, "matchers": [PAGE], "group_wait": "10s", "repeat_interval": "1h"},
        {"receiver": notify, "matchers": [TICKET], "group_wait": "1m", "repeat_interval": "12h"},
        {"receiver": "null", "matchers": ['severity=~"info|none"']},
    ]
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": notify,
            "group_by": ["alertname", "namespace", "slo"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "12h",
            "routes": routes,
        },
        "inhibit_rules": [
            # A page for an SLO makes its ticket redundant; a critical makes the warning of the same alert
            # (kube-prometheus-stack pairs) redundant.
            {
                "source_matchers": ['severity="page"'],
                "target_matchers": ['severity="ticket"'],
                "equal": ["slo"],
            },
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["alertname", "namespace"],
            },
            # kube-prometheus-stack's InfoInhibitor silences info alerts while they have company.
            {
                "source_matchers": ['alertname="InfoInhibitor"'],
                "target_matchers": ['severity="info"'],
                "equal": ["namespace"],
            },
        ],
        "receivers": receivers,
    }


def render(config: dict[str, Any]) -> str:
    return yaml.safe_dump(config, sort_keys=False)
