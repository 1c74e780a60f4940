"""Real keys and certificates for the pulumi-tls resources, made with `cryptography`.

They behave like the provider's: the same PEM flavours (PKCS#1 for RSA, SEC1 for ECDSA), CA flags,
key usages, subject fields and validity, so checks of the trust chain run on real cryptography.

An RSA key takes tens of milliseconds of prime search (about 90 ms for 2048 bits on a 2-core CI
machine), all of it in OpenSSL with the GIL released. The preview's worker (offline/worker.py), where
this module runs during a preview, calls `generate_rsa_ahead` on a thread as it starts, while the
second core has little else to do; `private_key` takes that key (waiting for it if it is still being
made) instead of making one then. The key is as random as any other, only made earlier.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import threading
from concurrent.futures import Future
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

_CURVES: dict[str, ec.EllipticCurve] = {
    "P224": ec.SECP224R1(),
    "P256": ec.SECP256R1(),
    "P384": ec.SECP384R1(),
    "P521": ec.SECP521R1(),
}
_SUBJECT_FIELDS = {
    "commonName": NameOID.COMMON_NAME,
    "organization": NameOID.ORGANIZATION_NAME,
    "organizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "country": NameOID.COUNTRY_NAME,
    "province": NameOID.STATE_OR_PROVINCE_NAME,
    "locality": NameOID.LOCALITY_NAME,
    "postalCode": NameOID.POSTAL_CODE,
    "serialNumber": NameOID.SERIAL_NUMBER,
}


_RSA_EXPONENT = 65537
_rsa_ahead: dict[int, list[Future[rsa.RSAPrivateKey]]] = {}
_rsa_ahead_lock = threading.Lock()


def generate_rsa_ahead(bits: int) -> None:
    """Make one RSA key of `bits` on the calling thread for the next `private_key` of that size, which
    takes it as soon as it is promised here."""
    made: Future[rsa.RSAPrivateKey] = Future()
    with _rsa_ahead_lock:
        _rsa_ahead.setdefault(bits, []).append(made)
    try:
        made.set_result(rsa.generate_private_key(public_exponent=_RSA_EXPONENT, key_size=bits))
    except BaseException as err:  # handed to whoever takes the key
        made.set_exception(err)


def rsa_keys_waiting(bits: int) -> int:
    """Keys made (or being made) ahead that no `private_key` has taken yet."""
    with _rsa_ahead_lock:
        return len(_rsa_ahead.get(bits, []))


def _rsa_key(bits: int) -> rsa.RSAPrivateKey:
    with _rsa_ahead_lock:
        waiting = _rsa_ahead.get(bits)
        ahead = waiting.pop(0) if waiting else None
    if ahead is not None:
        return ahead.result()
    return rsa.generate_private_key(public_exponent=_RSA_EXPONENT, key_size=bits)


def private_key(inputs: dict[str, Any]) -> dict[str, Any]:
    algorithm = inputs.get("algorithm", "RSA")
    key: PrivateKey
    if algorithm == "RSA":
        key = _rsa_key(int(inputs.get("rsaBits", 2048)))
        pem_format = serialization.PrivateFormat.TraditionalOpenSSL
    elif algorithm == "ECDSA":
        key = ec.generate_private_key(_CURVES[inputs.get("ecdsaCurve", "P224")])
        pem_format = serialization.PrivateFormat.TraditionalOpenSSL
    elif algorithm == "ED25519":
        key = ed25519.Ed25519PrivateKey.generate()
        pem_format = serialization.PrivateFormat.PKCS8
    else:
        raise ValueError(f"tls.PrivateKey: unsupported algorithm {algorithm!r}")
    public = key.public_key()
    openssh = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "privateKeyPem": _pem(key, pem_format),
        "privateKeyPemPkcs8": _pem(key, serialization.PrivateFormat.PKCS8),
        "privateKeyOpenssh": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode(),
        "publicKeyPem": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode(),
        "publicKeyOpenssh": openssh.decode() + "\n",
        "publicKeyFingerprintSha256": "SHA256:" + hashlib.sha256(der).hexdigest(),
    }


def _pem(key: PrivateKey, fmt: serialization.PrivateFormat) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def _load_key(pem: str) -> PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError("unsupported private key type")
    return key


def _name(subject: dict[str, Any] | None) -> x509.Name:
    attributes = [
        x509.NameAttribute(oid, str(subject[field]))
        for field, oid in _SUBJECT_FIELDS.items()
        if subject and subject.get(field)
    ]
    return x509.Name(attributes)


def _sans(inputs: dict[str, Any]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in inputs.get("dnsNames") or []]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in inputs.get("ipAddresses") or []]
    names += [x509.UniformResourceIdentifier(u) for u in inputs.get("uris") or []]
    return names


def _signing_hash(key: PrivateKey) -> hashes.HashAlgorithm | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _build(
    inputs: dict[str, Any],
    subject: x509.Name,
    public_key: Any,
    issuer: x509.Name,
    issuer_key: PrivateKey,
) -> str:
    uses = set(inputs.get("allowedUses") or [])
    now = dt.datetime.now(dt.UTC)
    hours = float(inputs.get("validityPeriodHours", 24))
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(hours=hours))
    )
    is_ca = bool(inputs.get("isCaCertificate"))
    path_length = inputs.get("maxPathLength")
    builder = builder.add_extension(
        x509.BasicConstraints(ca=is_ca, path_length=int(path_length) if is_ca and path_length else None),
        critical=True,
    )
    key_usage_bits = {
        "digital_signature": "digital_signature",
        "content_commitment": "content_commitment",
        "key_encipherment": "key_encipherment",
        "data_encipherment": "data_encipherment",
        "key_agreement": "key_agreement",
        "key_cert_sign": "cert_signing",
        "crl_sign": "crl_signing",
    }
    if uses & set(key_usage_bits.values()):
        usage = {bit: use in uses for bit, use in key_usage_bits.items()}
        builder = builder.add_extension(
            x509.KeyUsage(**usage, encipher_only=False, decipher_only=False), critical=True
        )
    extended = [
        oid
        for use, oid in (
            ("server_auth", ExtendedKeyUsageOID.SERVER_AUTH),
            ("client_auth", ExtendedKeyUsageOID.CLIENT_AUTH),
        )
        if use in uses
    ]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    sans = _sans(inputs)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if is_ca or inputs.get("setSubjectKeyId"):
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    certificate = builder.sign(issuer_key, _signing_hash(issuer_key))  # type: ignore[arg-type]
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def self_signed_cert(inputs: dict[str, Any]) -> dict[str, Any]:
    key = _load_key(inputs["privateKeyPem"])
    name = _name(inputs.get("subject"))
    return {"certPem": _build(inputs, name, key.public_key(), name, key), **_validity(inputs)}


def cert_request(inputs: dict[str, Any]) -> dict[str, Any]:
    key = _load_key(inputs["privateKeyPem"])
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(inputs.get("subject")))
    sans = _sans(inputs)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    csr = builder.sign(key, _signing_hash(key))  # type: ignore[arg-type]
    return {"certRequestPem": csr.public_bytes(serialization.Encoding.PEM).decode()}


def locally_signed_cert(inputs: dict[str, Any]) -> dict[str, Any]:
    csr = x509.load_pem_x509_csr(inputs["certRequestPem"].encode())
    ca_cert = x509.load_pem_x509_certificate(inputs["caCertPem"].encode())
    ca_key = _load_key(inputs["caPrivateKeyPem"])
    try:
        sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        inputs = {
            **inputs,
            "dnsNames": sans.get_values_for_type(x509.DNSName),
            "ipAddresses": [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)],
        }
    except x509.ExtensionNotFound:
        pass
    pem = _build(inputs, csr.subject, csr.public_key(), ca_cert.subject, ca_key)
    return {"certPem": pem, **_validity(inputs)}


def _validity(inputs: dict[str, Any]) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    end = now + dt.timedelta(hours=float(inputs.get("validityPeriodHours", 24)))
    return {
        "validityStartTime": now.isoformat(),
        "validityEndTime": end.isoformat(),
        "readyForRenewal": False,
    }
