"""The database bootstrap: files/bootstrap.sql applied by a Kubernetes Job with psql.

The SQL lives in an auto-named ConfigMap, so editing the file gives the ConfigMap a new name, the
Job a new pod template, and Pulumi replaces the Job: the bootstrap runs again, which is safe. A
digest of the password verifiers sits in the pod template too, so a rotated password re-runs it as
well. Pulumi waits for the Job to succeed before it creates the services that need its roles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .. import versions
from ..naming import base_labels
from .credentials import VERIFIER_VARIABLES, Credentials
from .spec import DB_CA_CONFIGMAP, DB_CA_DIR, DB_CA_FILE, Database
from .workload import COMPONENT

BOOTSTRAP_SQL = Path(__file__).parent / "files" / "bootstrap.sql"
JOB_LABELS = {"app.kubernetes.io/name": "bootstrap", "app.kubernetes.io/part-of": "supabase"}
INPUTS_DIGEST_ANNOTATION = "platform.k3s-hetzner/bootstrap-inputs-sha256"
PSQL_UID = 70
"""`postgres` in the Alpine postgres image."""


def _env_name(variable: str) -> str:
    return variable.upper()


def psql_command() -> list[str]:
    """psql with every bootstrap variable taken from the environment (values stay in the Secret)."""
    variables = [*VERIFIER_VARIABLES.values(), "jwt_exp"]
    flags = " ".join(f'-v "{variable}=${_env_name(variable)}"' for variable in variables)
    return [
        "/bin/sh",
        "-c",
        f"exec psql -X -v ON_ERROR_STOP=1 {flags} -f /etc/supabase/bootstrap/bootstrap.sql",
    ]


def connection_env(database: Database) -> dict[str, pulumi.Input[str]]:
    """libpq settings of the Job's psql: TLS verified against the database CA, into the app database."""
    return {
        "PGHOST": database.host,
        "PGPORT": database.port,
        "PGDATABASE": database.name,
        "PGUSER": database.admin_user,
        "PGSSLMODE": "verify-full",
        "PGSSLROOTCERT": DB_CA_FILE,
        "PGCONNECT_TIMEOUT": "10",
    }


def inputs_digest(verifiers: list[str]) -> str:
    """sha256 of the verifiers in role order: changes exactly when a password does."""
    return hashlib.sha256("\n".join(verifiers).encode()).hexdigest()


def bootstrap_job(
    prefix: str,
    *,
    namespace: pulumi.Input[str],
    database: Database,
    admin_password: pulumi.Input[str],
    credentials: Credentials,
    jwt_expiry: int,
    opts: pulumi.ResourceOptions,
) -> k8s.batch.v1.Job:
    labels = {**base_labels(COMPONENT), **JOB_LABELS}
    sql = k8s.core.v1.ConfigMap(
        f"{prefix}-bootstrap-sql",
        metadata={"namespace": namespace, "labels": labels},
        data={"bootstrap.sql": BOOTSTRAP_SQL.read_text()},
        opts=opts,
    )
    secret_values: Mapping[str, pulumi.Input[str]] = {
        "PGPASSWORD": admin_password,
        **{_env_name(VERIFIER_VARIABLES[role]): login.verifier for role, login in credentials.logins.items()},
    }
    inputs = k8s.core.v1.Secret(
        f"{prefix}-bootstrap-inputs",
        metadata={"namespace": namespace, "labels": labels},
        string_data={key: pulumi.Output.secret(value) for key, value in secret_values.items()},
        opts=opts,
    )
    env: list[dict[str, Any]] = [
        {"name": key, "valueFrom": {"secretKeyRef": {"name": inputs.metadata.name, "key": key}}}
        for key in secret_values
    ]
    env += [{"name": key, "value": value} for key, value in connection_env(database).items()]
    env.append({"name": "JWT_EXP", "value": str(jwt_expiry)})
    digest = pulumi.Output.all(*(login.verifier for login in credentials.logins.values())).apply(
        inputs_digest
    )
    return k8s.batch.v1.Job(
        f"{prefix}-bootstrap",
        metadata={"namespace": namespace, "labels": labels},
        spec={
            "backoffLimit": 6,  # the database may still be starting; retries back off exponentially
            "activeDeadlineSeconds": 900,
            "template": {
                "metadata": {"labels": labels, "annotations": {INPUTS_DIGEST_ANNOTATION: digest}},
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": PSQL_UID,
                        "runAsGroup": PSQL_UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": "psql",
                            "image": f"postgres:{versions.SUPABASE_BOOTSTRAP_PSQL_TAG}",
                            "command": psql_command(),
                            "env": env,
                            "resources": {
                                "requests": {"cpu": "10m", "memory": "32Mi"},
                                "limits": {"memory": "64Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]},
                                "readOnlyRootFilesystem": True,
                            },
                            "volumeMounts": [
                                {"name": "sql", "mountPath": "/etc/supabase/bootstrap", "readOnly": True},
                                {"name": "db-ca", "mountPath": DB_CA_DIR, "readOnly": True},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "sql", "configMap": {"name": sql.metadata.name}},
                        {"name": "db-ca", "configMap": {"name": DB_CA_CONFIGMAP}},
                    ],
                },
            },
        },
        opts=opts,
    )
