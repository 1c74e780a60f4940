"""Mocks that behave like the providers where it matters (docs/offline-preview.md).

- pulumi-tls: real keys and certificates (fake_tls), kept per resource like the provider keeps them in
  state: the same resource with the same inputs gets the same key and certificate in every run of
  this process, so two runs can be compared down to the secrets;
- pulumi-random: values that depend only on the stack, the resource name and its inputs (stand-ins,
  not random; the provider makes a new value only when the inputs force a replacement), so a secret
  that differs between two runs differs because something it is made from did;
- pulumiverse-time's Static: the current time, as the provider records it on create (kept like tls);
- hcloud: numeric ids and public IPs that are stable for the same resource name, so two runs of the
  same stack produce the same graph and can be diffed;
- Kubernetes objects, Helm releases, dynamic resources: inputs echoed back as outputs; the API
  readiness gate reports the first of its endpoints as the one that answered.

With `fresh=True` they answer as the engine previews a stack that does not exist yet: no resource
has an id and nothing a provider computes is known (keys, certificates, random values, addresses,
ids); only the inputs come back, so everything derived from a computed value (user-data, the
kubeconfig, the readiness gate's endpoint) is unknown to the program too. Kubernetes resources under
a provider with unknown configuration are handled by the recording monitor (offline.program).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import json
import string
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pulumi

from .wire import reveal

Outputs = dict[str, Any]


def stable_number(*parts: str, modulo: int = 90_000_000) -> int:
    """A number that depends only on `parts`: the same resource always gets the same id and IP."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return 10_000_000 + int.from_bytes(digest[:8], "big") % modulo


def _public_ipv4(name: str) -> str:
    # Inside 49.12.0.0/14, a range Hetzner Online announces, so addresses look like real ones.
    return str(
        ipaddress.ip_network("49.12.0.0/14")[stable_number("v4", name, modulo=2**18 - 2) % (2**18 - 2) + 1]
    )


def _public_ipv6_network(name: str) -> str:
    block = stable_number("v6", name, modulo=2**16)
    return f"2a01:4f8:{block % 0xFFFF:x}:{(block >> 4) % 0xFFFF:x}::/64"


def _stand_in_bytes(seed: str, size: int) -> bytes:
    """`size` bytes that depend only on `seed`: sha256 in counter mode."""
    blocks = (hashlib.sha256(f"{seed}\x1f{i}".encode()).digest() for i in range(size // 32 + 1))
    return b"".join(blocks)[:size]


def _random_password(seed: str, inputs: dict[str, Any]) -> Outputs:
    length = int(inputs.get("length", 16))
    alphabet = ""
    if inputs.get("lower", True):
        alphabet += string.ascii_lowercase
    if inputs.get("upper", True):
        alphabet += string.ascii_uppercase
    if inputs.get("numeric", inputs.get("number", True)):
        alphabet += string.digits
    if inputs.get("special", True):
        alphabet += inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"
    result = "".join(alphabet[b % len(alphabet)] for b in _stand_in_bytes(seed, length))
    return {"result": result}


def _random_id(seed: str, inputs: dict[str, Any]) -> Outputs:
    raw = _stand_in_bytes(seed, int(inputs.get("byteLength", 8)))
    return {
        "hex": raw.hex(),
        "b64Std": base64.b64encode(raw).decode(),
        "b64Url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "dec": str(int.from_bytes(raw, "big")),
    }


def _hcloud_server(name: str, inputs: dict[str, Any]) -> Outputs:
    v6 = _public_ipv6_network(name)
    return {
        "ipv4Address": _public_ipv4(name),
        "ipv6Network": v6,
        "ipv6Address": v6.replace("::/64", "::1"),
        "status": "running",
        "primaryDiskSize": 40,
        "name": inputs.get("name", name),
    }


def _hcloud_primary_ip(name: str, inputs: dict[str, Any]) -> Outputs:
    if inputs.get("type") == "ipv6":
        network = _public_ipv6_network(name)
        return {"ipAddress": network.replace("::/64", "::"), "ipNetwork": network}
    return {"ipAddress": _public_ipv4(name)}


def _hcloud_load_balancer(name: str, inputs: dict[str, Any]) -> Outputs:
    return {"ipv4": _public_ipv4(name), "ipv6": _public_ipv6_network(name).replace("::/64", "::1")}


def _hcloud_volume(name: str, inputs: dict[str, Any]) -> Outputs:
    return {"linuxDevice": f"/dev/disk/by-id/scsi-0HC_Volume_{stable_number('hcloud', name)}"}


def _hcloud_ssh_key(name: str, inputs: dict[str, Any]) -> Outputs:
    blob = str(inputs.get("publicKey", "")).split()
    digest = hashlib.md5(blob[1].encode() if len(blob) > 1 else b"").hexdigest()
    return {"fingerprint": ":".join(digest[i : i + 2] for i in range(0, 32, 2))}


def _time_static(inputs: dict[str, Any]) -> Outputs:
    """pulumiverse-time's Static: the moment of creation, unless `rfc3339` pins it."""
    moment = (
        datetime.datetime.fromisoformat(inputs["rfc3339"].replace("Z", "+00:00"))
        if inputs.get("rfc3339")
        else datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    )
    return {
        "rfc3339": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "unix": int(moment.timestamp()),
        "year": moment.year,
        "month": moment.month,
        "day": moment.day,
        "hour": moment.hour,
        "minute": moment.minute,
        "second": moment.second,
    }


_NAMED_HCLOUD: dict[str, Callable[[str, dict[str, Any]], Outputs]] = {
    "hcloud:index/server:Server": _hcloud_server,
    "hcloud:index/primaryIp:PrimaryIp": _hcloud_primary_ip,
    "hcloud:index/loadBalancer:LoadBalancer": _hcloud_load_balancer,
    "hcloud:index/volume:Volume": _hcloud_volume,
    "hcloud:index/sshKey:SshKey": _hcloud_ssh_key,
}

_TLS: dict[str, str] = {
    "tls:index/privateKey:PrivateKey": "private_key",
    "tls:index/selfSignedCert:SelfSignedCert": "self_signed_cert",
    "tls:index/certRequest:CertRequest": "cert_request",
    "tls:index/locallySignedCert:LocallySignedCert": "locally_signed_cert",
}
"""Each pulumi-tls type's stand-in: a function of offline/fake_tls.py."""

TlsStandIns = Callable[[str, dict[str, Any]], Outputs]
"""Runs the offline/fake_tls.py function named by the first argument on the inputs: in this process
(`tls_here`) or in the preview's worker (offline/worker.py)."""


def tls_here(kind: str, inputs: dict[str, Any]) -> Outputs:
    from . import fake_tls  # imported on first use: the preview's worker spares this process cryptography

    made: Outputs = getattr(fake_tls, kind)(inputs)
    return made


_RANDOM: dict[str, Callable[[str, dict[str, Any]], Outputs]] = {
    "random:index/randomPassword:RandomPassword": _random_password,
    "random:index/randomString:RandomString": _random_password,
    "random:index/randomId:RandomId": _random_id,
    "random:index/randomUuid:RandomUuid": lambda seed, _inputs: {
        "result": str(uuid.UUID(bytes=_stand_in_bytes(seed, 16), version=4))
    },
}

_STATE: dict[str, Outputs] = {}
"""What the tls and time providers created in this process, per stack, resource and inputs: a second
run with the same inputs gets the same outputs, as `pulumi up` on an existing stack would."""
_STATE_LOCK = threading.Lock()


def _kept(key: tuple[str, ...], inputs: dict[str, Any], create: Callable[[], Outputs]) -> Outputs:
    state_key = "\x1f".join(key) + "\x1f" + json.dumps(inputs, sort_keys=True, default=str)
    with _STATE_LOCK:
        if state_key not in _STATE:
            _STATE[state_key] = create()
        return _STATE[state_key]


class PlatformMocks(pulumi.runtime.Mocks):
    """Provider-like answers for every resource type this program registers."""

    def __init__(self, *, fresh: bool = False, tls: TlsStandIns = tls_here) -> None:
        self.fresh = fresh
        self._tls = tls
        self._lock = threading.Lock()
        self.secret_values: set[str] = set()
        """Every secret value a mock produced (passwords, private keys): tests grep output for them."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        inputs = reveal(args.inputs)
        typ, name = args.typ, args.name
        stack = pulumi.get_stack()
        outputs: Outputs
        if self.fresh:  # a create in preview: no id, and only the inputs are known
            return "", inputs
        if typ in _TLS:
            outputs = _kept((stack, typ, name), inputs, lambda: self._tls(_TLS[typ], inputs))
            self._remember(outputs, "privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh")
            return self._id(typ, name), {**inputs, **outputs}
        if typ in _RANDOM:
            seed = f"{stack}\x1f{typ}\x1f{name}\x1f{json.dumps(inputs, sort_keys=True, default=str)}"
            outputs = _RANDOM[typ](seed, inputs)
            self._remember(outputs, "result")
            return self._id(typ, name), {**inputs, **outputs}
        if typ == "time:index/static:Static":
            created = _kept((stack, typ, name), inputs, lambda: _time_static(inputs))
            return self._id(typ, name), {**inputs, **created}
        if typ.startswith("hcloud:"):
            outputs = _NAMED_HCLOUD.get(typ, lambda _n, _i: {})(name, inputs)
            return str(stable_number(typ, name)), {**inputs, **outputs}
        if typ.startswith("kubernetes:"):
            metadata = inputs.get("metadata") or {}
            if isinstance(inputs.get("metadata"), dict) and not metadata.get("name"):
                # pulumi-kubernetes auto-names an object without metadata.name `<resource name>-<8 chars>`;
                # objects that refer to it use that output name, so it must not come back empty.
                metadata = {**metadata, "name": f"{name}-{stable_number(typ, name) % 16**8:08x}"}
                inputs = {**inputs, "metadata": metadata}
            namespace = metadata.get("namespace")
            object_name = metadata.get("name") or inputs.get("name") or name
            return (f"{namespace}/{object_name}" if namespace else object_name), inputs
        if typ == "pulumi-python:dynamic:Resource" and name.endswith("-api-ready"):
            return self._id(typ, name), {**inputs, "endpoint": inputs["endpoints"][0], "attempts": 1}
        return self._id(typ, name), inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        # The SDK's mock monitor iterates the failures, so "none" is an empty list.
        if args.token == "hcloud:index/getSshKeys:getSshKeys":
            return {"id": "ssh-keys", "sshKeys": []}, []  # offline, the project is taken to be empty
        return {}, []

    def _id(self, typ: str, name: str) -> str:
        return f"{typ.rsplit(':', maxsplit=1)[-1].lower()}-{stable_number(typ, name)}"

    def _remember(self, outputs: Outputs, *keys: str) -> None:
        with self._lock:
            self.secret_values.update(str(outputs[key]) for key in keys if outputs.get(key))
