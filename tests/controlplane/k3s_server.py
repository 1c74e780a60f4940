"""What a k3s server would run, from what the program renders for the first server.

k3s (v1.34.x, `pkg/daemons/control/server.go` apiServer() and `pkg/daemons/control/deps/deps.go` at the
release commit) starts kube-apiserver with a fixed set of arguments built from its config.yaml, then
merges the `kube-apiserver-arg` entries over them (`pkg/util/args.go` GetArgs). It also generates, at
its first start, every file the program does not provide: the serving and client certificates
(signed by the CAs the program renders), `service.current.key` (the first key of `service.key`) and,
with `secrets-encryption`, the encryption configuration. This module does the same on loopback, so the
real kube-apiserver and etcd run with the program's CAs, service-account key, audit policy, Pod
Security admission configuration and apiserver arguments.

Adaptations, and only these: paths under the server directory move into a temporary directory; the
apiserver listens on a free loopback port (k3s: 127.0.0.1:6444 behind its supervisor on 6443), etcd
on free loopback ports; no `--egress-selector-config-file`/`--enable-aggregator-routing` (they route
through k3s's agent tunnel, which does not exist here) and no `--advertise-port` (a flag of k3s's
Kubernetes fork, not of upstream kube-apiserver).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.k3s.node_config import SERVER_DIR
from components.k3s.trust import TLS_DIR
from offline import fake_tls
from offline.program import ProgramRun
from tests.k3s.user_data import k3s_config, k3s_nodes, written_files

CLUSTER_DOMAIN = "cluster.local"
"""k3s's default `cluster-domain`; the rendered config does not set it."""
DEFAULT_SERVICE_CIDR = "10.43.0.0/16"
SERVICE_NODE_PORT_RANGE = "30000-32767"
REQUEST_HEADER_CN = "system:auth-proxy"
"""deps.RequestHeaderCN: the only name kube-apiserver accepts from the front proxy."""

APISERVER_KEYS = frozenset(
    {
        "kube-apiserver-arg",
        "service-cidr",
        "advertise-address",
        "tls-san",
        "secrets-encryption",
        "secrets-encryption-provider",
        "cluster-init",
    }
)
"""config.yaml keys that change how k3s starts kube-apiserver or etcd; each is mapped below."""

NOT_APISERVER_KEYS = frozenset(
    {
        "token",
        "agent-token",
        "server",
        "node-name",
        "node-ip",
        "node-external-ip",
        "node-label",
        "node-taint",
        "kubelet-arg",
        "cluster-cidr",
        "flannel-backend",
        "protect-kernel-defaults",
        "write-kubeconfig-mode",
        "disable",
        "disable-cloud-controller",
    }
)
"""Keys read by the kubelet, flannel, the controller manager or k3s's supervisor, not kube-apiserver."""

NOT_APISERVER_PREFIXES = ("etcd-s3", "etcd-snapshot")
"""etcd snapshot settings: read by k3s's snapshot controller, not by etcd or kube-apiserver."""

ENCRYPTION_KEY_NAMES = {"secretbox": "secretboxkey", "aescbc": "aescbckey"}
"""Key name k3s gives the one key of a new encryption configuration, per provider."""


class UnmappedSettingError(AssertionError):
    """The rendered config.yaml has a key this harness does not know how k3s passes on."""


@dataclass(frozen=True)
class FirstServer:
    """The first k3s server as the program renders it."""

    name: str
    config: dict[str, Any]
    files: dict[str, str]
    """Absolute path on the server -> content, for every file its cloud-init writes."""


def first_server(run: ProgramRun) -> FirstServer:
    """The server that brings the cluster's CAs (the first one; in HA it initialises etcd through a
    first-boot drop-in, alone it has `cluster-init` in config.yaml)."""
    ca_file = f"{TLS_DIR}/server-ca.crt"
    servers = [node for node in k3s_nodes(run) if ca_file in written_files(node)]
    assert len(servers) == 1, f"expected one server with {ca_file}, got {[s.name for s in servers]}"
    (server,) = servers
    files = {path: entry["content"] for path, entry in written_files(server).items()}
    return FirstServer(server.name, k3s_config(server), files)


def check_keys_mapped(config: dict[str, Any]) -> None:
    unknown = sorted(
        key
        for key in config
        if key not in APISERVER_KEYS
        and key not in NOT_APISERVER_KEYS
        and not key.startswith(NOT_APISERVER_PREFIXES)
    )
    if unknown:
        raise UnmappedSettingError(
            f"config.yaml keys {unknown} are not mapped to kube-apiserver/etcd in "
            "tests/controlplane/k3s_server.py: read what k3s does with them and add them to "
            "APISERVER_KEYS (and map them) or NOT_APISERVER_KEYS"
        )


@dataclass(frozen=True)
class ServerDir:
    """The temporary directory standing in for the server directory (/var/lib/rancher/k3s/server)."""

    root: Path

    def local(self, server_path: str) -> Path:
        if server_path != SERVER_DIR and not server_path.startswith(SERVER_DIR + "/"):
            raise UnmappedSettingError(f"{server_path} is outside {SERVER_DIR}: the harness cannot place it")
        return self.root / server_path.removeprefix(SERVER_DIR).lstrip("/")

    def tls(self, name: str) -> Path:
        return self.local(f"{TLS_DIR}/{name}")

    def localise(self, text: str) -> str:
        """An argument with every server-directory path in it moved into the temporary directory."""
        return text.replace(SERVER_DIR, str(self.root))

    @property
    def encryption_config(self) -> Path:
        return self.root / "cred" / "encryption-config.json"

    @property
    def etcd_data(self) -> Path:
        return self.root / "db" / "etcd"


def k3s_merge_args(initial: dict[str, str], extra: list[str]) -> list[str]:
    """k3s's GetArgs: `key=value` extras replace a default, `key+=` appends to it and `key-=`
    prepends; a key given twice becomes a repeated flag; the result is sorted by key."""
    values: dict[str, list[str]] = {}
    defaults = dict(initial)
    for raw in extra:
        key, _, value = raw.removeprefix("--").partition("=")
        if "=" not in raw:
            value = "true"
        name = key.rstrip("+-")
        default = [defaults.pop(name)] if name in defaults else []
        earlier = values.get(name, [])
        if key.endswith("+"):
            values[name] = [*default, *earlier, value]
        elif key.endswith("-"):
            values[name] = [value, *default, *earlier]
        else:
            values[name] = [*earlier, value]
    for name, value in defaults.items():
        values[name] = [value]
    return [f"--{name}={value}" for name in sorted(values) for value in values[name]]


def apiserver_args(config: dict[str, Any], server: ServerDir, port: int, etcd_url: str) -> list[str]:
    """The kube-apiserver command line k3s would run for this config, on loopback `port`."""
    check_keys_mapped(config)
    tls = server.tls
    audience = f"https://kubernetes.default.svc.{CLUSTER_DOMAIN}"
    args: dict[str, str] = {
        "storage-backend": "etcd3",
        "etcd-servers": etcd_url,
        "etcd-cafile": str(tls("etcd/server-ca.crt")),
        "etcd-certfile": str(tls("etcd/client.crt")),
        "etcd-keyfile": str(tls("etcd/client.key")),
        "cert-dir": str(tls("temporary-certs")),
        "allow-privileged": "true",
        "enable-bootstrap-token-auth": "true",
        "authorization-mode": "Node,RBAC",
        "anonymous-auth": "false",
        "service-account-signing-key-file": str(tls("service.current.key")),
        "service-cluster-ip-range": config.get("service-cidr", DEFAULT_SERVICE_CIDR),
        "service-node-port-range": SERVICE_NODE_PORT_RANGE,
        "secure-port": str(port),
        "bind-address": "127.0.0.1",
        "tls-cert-file": str(tls("serving-kube-apiserver.crt")),
        "tls-private-key-file": str(tls("serving-kube-apiserver.key")),
        "service-account-key-file": str(tls("service.key")),
        "service-account-issuer": audience,
        "api-audiences": f"{audience},k3s",
        "kubelet-certificate-authority": str(tls("server-ca.crt")),
        "kubelet-client-certificate": str(tls("client-kube-apiserver.crt")),
        "kubelet-client-key": str(tls("client-kube-apiserver.key")),
        "kubelet-preferred-address-types": "InternalIP,ExternalIP,Hostname",
        "requestheader-client-ca-file": str(tls("request-header-ca.crt")),
        "requestheader-allowed-names": REQUEST_HEADER_CN,
        "proxy-client-cert-file": str(tls("client-auth-proxy.crt")),
        "proxy-client-key-file": str(tls("client-auth-proxy.key")),
        "requestheader-extra-headers-prefix": "X-Remote-Extra-",
        "requestheader-group-headers": "X-Remote-Group",
        "requestheader-username-headers": "X-Remote-User",
        "client-ca-file": str(tls("client-ca.crt")),
        "enable-admission-plugins": "NodeRestriction",
        "profiling": "false",
    }
    if config.get("advertise-address"):
        args["advertise-address"] = config["advertise-address"]
    if config.get("secrets-encryption"):
        args["encryption-provider-config"] = str(server.encryption_config)
        args["encryption-provider-config-automatic-reload"] = "true"
    extra = [server.localise(arg) for arg in config.get("kube-apiserver-arg", [])]
    return k3s_merge_args(args, extra)


def etcd_args(name: str, server: ServerDir, client_port: int, peer_port: int) -> list[str]:
    """etcd as k3s embeds it (pkg/etcd: client and peer TLS with client-certificate auth, each
    against its own rendered CA; 500 ms heartbeat, 5 s election timeout), on loopback ports."""
    tls = server.tls
    client_url, peer_url = f"https://127.0.0.1:{client_port}", f"https://127.0.0.1:{peer_port}"
    return [
        f"--name={name}",
        f"--data-dir={server.etcd_data}",
        f"--listen-client-urls={client_url}",
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}",
        f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster={name}={peer_url}",
        "--initial-cluster-state=new",
        f"--cert-file={tls('etcd/server-client.crt')}",
        f"--key-file={tls('etcd/server-client.key')}",
        "--client-cert-auth=true",
        f"--trusted-ca-file={tls('etcd/server-ca.crt')}",
        f"--peer-cert-file={tls('etcd/peer-server-client.crt')}",
        f"--peer-key-file={tls('etcd/peer-server-client.key')}",
        "--peer-client-cert-auth=true",
        f"--peer-trusted-ca-file={tls('etcd/peer-ca.crt')}",
        "--heartbeat-interval=500",
        "--election-timeout=5000",
        "--log-level=warn",
    ]


def _write(path: Path, content: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(content)
    path.chmod(mode)


def _issue(
    server: ServerDir,
    ca: str,
    name: str,
    subject: dict[str, Any],
    uses: list[str],
    sans: tuple[str, ...] = (),
) -> None:
    """A certificate k3s would sign with one of the rendered CAs (ECDSA P-256, like k3s's)."""
    key = fake_tls.private_key({"algorithm": "ECDSA", "ecdsaCurve": "P256"})["privateKeyPem"]
    ips, dns = [], []
    for san in sans:
        try:
            ips.append(str(ipaddress.ip_address(san)))
        except ValueError:
            dns.append(san)
    request = fake_tls.cert_request(
        {"privateKeyPem": key, "subject": subject, "ipAddresses": ips, "dnsNames": dns}
    )
    cert = fake_tls.locally_signed_cert(
        {
            "certRequestPem": request["certRequestPem"],
            "caCertPem": server.tls(f"{ca}.crt").read_text(),
            "caPrivateKeyPem": server.tls(f"{ca}.key").read_text(),
            "validityPeriodHours": 24,
            "allowedUses": ["digital_signature", "key_encipherment", *uses],
        }
    )
    _write(server.tls(f"{name}.crt"), cert["certPem"], 0o644)
    _write(server.tls(f"{name}.key"), key, 0o600)


def _service_ip(service_cidr: str) -> str:
    return str(next(ipaddress.ip_network(service_cidr.split(",", maxsplit=1)[0]).hosts()))


def lay_out(first: FirstServer, server: ServerDir) -> None:
    """Write the rendered server files, then generate what k3s generates at its first start."""
    for path, content in first.files.items():
        if path.startswith(SERVER_DIR + "/"):
            _write(server.local(path), content, 0o600)
    config = first.config
    sans = [
        "localhost",
        "127.0.0.1",
        "::1",
        _service_ip(config.get("service-cidr", DEFAULT_SERVICE_CIDR)),
        *([config["advertise-address"]] if config.get("advertise-address") else []),
        *config.get("tls-san", []),
    ]
    kubernetes_names = [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        f"kubernetes.default.svc.{CLUSTER_DOMAIN}",
    ]
    _issue(server, "server-ca", "serving-kube-apiserver", {"commonName": "kube-apiserver"},
           ["server_auth"], (*kubernetes_names, *sans))  # fmt: skip
    _issue(server, "client-ca", "client-kube-apiserver",
           {"commonName": "system:apiserver", "organization": "system:masters"}, ["client_auth"])  # fmt: skip
    _issue(server, "request-header-ca", "client-auth-proxy", {"commonName": REQUEST_HEADER_CN},
           ["client_auth"])  # fmt: skip
    _issue(server, "etcd/server-ca", "etcd/client", {"commonName": "etcd-client"}, ["client_auth"])
    etcd_sans = ("kine.sock", *sans)
    _issue(server, "etcd/server-ca", "etcd/server-client", {"commonName": "etcd-server"},
           ["server_auth", "client_auth"], etcd_sans)  # fmt: skip
    _issue(server, "etcd/peer-ca", "etcd/peer-server-client", {"commonName": "etcd-peer"},
           ["server_auth", "client_auth"], etcd_sans)  # fmt: skip
    # service.key holds the signing key first (older keys after it, for verification only).
    _write(server.tls("service.current.key"), server.tls("service.key").read_text(), 0o600)
    server.tls("temporary-certs").mkdir(mode=0o700, exist_ok=True)
    if config.get("secrets-encryption"):
        provider = config.get("secrets-encryption-provider", "aescbc")
        key = {"name": ENCRYPTION_KEY_NAMES[provider], "secret": base64.b64encode(os.urandom(32)).decode()}
        encryption = {
            "kind": "EncryptionConfiguration",
            "apiVersion": "apiserver.config.k8s.io/v1",
            "resources": [
                {"resources": ["secrets"], "providers": [{provider: {"keys": [key]}}, {"identity": {}}]}
            ],
        }
        _write(server.encryption_config, json.dumps(encryption), 0o600)
