"""The hub over HTTPS: a node that trusts the certificate enrols; one that does not is told why."""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time

import httpx
import pytest

from imi_cli.hub.background import free_port

PASS = "tls test passphrase"


def _certificate(folder):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    (folder / "hub.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "hub.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "hub.crt", folder / "hub.key"


def _imi(*args, env, check=True):
    return subprocess.run([sys.executable, "-m", "imi_cli", *map(str, args)], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60, check=check)


@pytest.fixture
def tls_hub(tmp_path):
    env = {**os.environ, "IMI_PASSPHRASE": PASS, "IMI_RUNTIME_DIR": str(tmp_path / "run")}
    cert, key = _certificate(tmp_path)
    hub = tmp_path / "hub.db"
    _imi("--store", hub, "hub", "init", env=env)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "imi_cli", "--store", str(hub), "hub", "serve",
                               "--port", str(port), "--cert", str(cert), "--key", str(key)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(url + "/v1/info", verify=ssl.create_default_context(cafile=str(cert)))
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the TLS hub did not start"
            time.sleep(0.1)
    yield url, cert, hub, env
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=10)


def test_enrol_over_https_with_a_trusted_certificate(tls_hub, tmp_path):
    url, cert, hub, env = tls_hub
    code = _imi("--store", hub, "hub", "invite", "--authority", "HU-NCO", "--country", "HU", "--name", "X",
                "--email", "a@example.hu", "--user", "hu.c", "--user-name", "A B",
                "--user-email", "b@example.hu", env=env).stdout.strip()
    env = {**env, "IMI_INVITE": code}  # never on the command line
    untrusted = _imi("--store", tmp_path / "n1.db", "init", "--hub", url, env=env, check=False)
    assert untrusted.returncode == 9
    assert "TLS certificate of" in untrusted.stderr and "is not trusted" in untrusted.stderr
    assert not (tmp_path / "n1.db").exists()  # a failed enrolment leaves no half-made store
    trusted = _imi("--store", tmp_path / "n2.db", "init", "--hub", url,
                   env={**env, "SSL_CERT_FILE": str(cert)}, check=False)
    assert trusted.returncode == 0, trusted.stderr
    assert "Enrolled as hu.c of HU-NCO" in trusted.stderr


def test_plain_http_is_refused_off_loopback(tmp_path):
    env = {**os.environ, "IMI_PASSPHRASE": PASS, "IMI_RUNTIME_DIR": str(tmp_path / "run")}
    _imi("--store", tmp_path / "hub.db", "hub", "init", env=env)
    result = _imi("--store", tmp_path / "hub.db", "hub", "serve", "--host", "0.0.0.0", env=env, check=False)
    assert result.returncode == 2
    assert "refusing plain HTTP on 0.0.0.0" in result.stderr
    unused = secrets.token_hex(4)
    result = _imi("--store", tmp_path / f"{unused}.db", "init", "--hub", "http://hub.example.eu",
                  env={**env, "IMI_INVITE": "X"}, check=False)
    assert result.returncode == 2 and "plain HTTP is allowed only on loopback" in result.stderr
