"""A user's mistakes and broken surroundings: a clear message naming the culprit, the right
exit code, nothing changed, and never a traceback."""

from __future__ import annotations

import http.server
import os
import threading

import pytest

from imi_cli.errors import ExitCode

PASS = "correct horse battery staple"


# -- the store file ---------------------------------------------------------------------
def test_a_truncated_store_is_damaged_not_a_wrong_passphrase(imi, unlocked):
    os.truncate(unlocked, os.path.getsize(unlocked) // 2)
    result = imi("store", "status")
    assert result.code == ExitCode.NOT_A_STORE
    assert result.err == (
        f"imi: error: {unlocked} is damaged (database disk image is malformed)\n"
        "  hint: restore it from a backup; an enrolled store can be re-created and enrolled "
        "again with a new invitation\n")


def test_damage_found_after_opening_is_reported_too(imi, unlocked, examples):
    assert imi("authority", "import", examples / "authorities.csv").code == 0
    assert imi("store", "status").code == 0  # checkpoints the WAL into the file
    data = bytearray(unlocked.read_bytes())
    # the middle of every page but the first (which opening reads): whatever tables the
    # schema has and wherever they lie, rebuilding reads a damaged page
    for middle in range(4096 + 2048, len(data), 4096):
        data[middle:middle + 64] = bytes(b ^ 0xFF for b in data[middle:middle + 64])
    unlocked.write_bytes(bytes(data))
    result = imi("store", "rebuild")
    assert result.code == ExitCode.NOT_A_STORE, result.err
    assert result.err.startswith(f"imi: error: {unlocked} is damaged (database disk image is malformed)\n")
    assert "Traceback" not in result.err


def test_a_store_from_a_newer_imi_is_refused_untouched(imi, unlocked, open_raw):
    from imi_cli.log.schema import MIGRATIONS

    with open_raw(unlocked) as store:
        store.conn.execute("PRAGMA user_version = 99")
    before = unlocked.read_bytes()
    result = imi("store", "status")
    assert result.code == ExitCode.ERROR
    assert result.err == (f"imi: error: {unlocked} has schema version 99; this imi (0.1.0) knows "
                          f"versions up to {len(MIGRATIONS)}; nothing was changed\n"
                          "  hint: upgrade imi-cli to open this store\n")
    assert unlocked.read_bytes() == before


def test_a_bad_lang_is_a_usage_error(imi):
    result = imi("area", "list", "--lang", "xx")
    assert result.code == ExitCode.USAGE
    assert result.err.startswith("imi: error: --lang 'xx' is not an IMI language code\n")


# -- the hub: bad URLs, and servers that are not an imi hub ------------------------------
@pytest.mark.parametrize("url, why", [
    ("http://[::1", " (Invalid IPv6 URL)"),
    ("http://127.0.0.1:abc", " (Port could not be cast to integer value as 'abc')"),
    ("http://127.0.0.1:70000", " (Port out of range 0-65535)"),
    ("ftp://hub.example.eu", ""),
])
def test_a_bad_hub_url(imi, tmp_path, monkeypatch, url, why):
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    monkeypatch.setenv("IMI_INVITE", "CODE")
    store = tmp_path / "node.db"
    result = imi("--store", store, "init", "--hub", url)
    assert result.code == ExitCode.USAGE
    assert result.err == (f"imi: error: {url!r} is not a hub URL{why}\n"
                          "  hint: e.g. https://hub.example.eu:8443 (from --hub, IMI_HUB or the `hub` setting)\n")
    assert not store.exists()


class _NotAHub(http.server.BaseHTTPRequestHandler):
    answers = {
        "/html": (200, "text/html", b"<html><body>Welcome to nginx</body></html>"),
        "/list": (200, "application/json", b"[1, 2]"),
        "/empty": (200, "application/json", b"{}"),
        "/moved": (302, "text/html", b"moved"),
        "/broken": (500, "text/html", b"<html>Internal Server Error</html>"),
    }

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        status, kind, body = self.answers[self.path.split("/v1/")[0]]
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        if status == 302:
            self.send_header("location", "http://example.com/")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def not_a_hub():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotAHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


NOT_A_HUB_HINT = ("  hint: check the hub URL (--hub, IMI_HUB or the `hub` setting) points at "
                  "`imi hub serve`; nothing was changed\n")


@pytest.mark.parametrize("path, what", [
    ("/html", "HTTP 200 with text/html instead of a JSON object"),
    ("/list", "HTTP 200 with application/json instead of a JSON object"),
    ("/empty", "its answer to the enrolment lacks the user, authority or operator key"),
    ("/moved", "HTTP 302 redirects to http://example.com/"),
])
def test_enrolling_with_something_that_is_not_a_hub(imi, tmp_path, monkeypatch, not_a_hub, path, what):
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    monkeypatch.setenv("IMI_INVITE", "CODE")
    store, url = tmp_path / "node.db", not_a_hub + path
    result = imi("--store", store, "init", "--hub", url)
    assert result.code == ExitCode.HUB_UNREACHABLE
    assert result.err == f"imi: error: {url} does not answer like an imi hub: {what}\n" + NOT_A_HUB_HINT
    assert not store.exists()


@pytest.fixture
def enrolled(unlocked, open_raw):
    """The unlocked store, made to look enrolled (a key of its own, no real hub)."""
    from imi_cli.log.crypto import new_private_key

    with open_raw(unlocked) as store, store.transaction():
        for name, value in (("hub", "http://127.0.0.1:9"), ("user_id", "ie.murphy"),
                            ("authority_id", "IE-RIAI"), ("private_key", new_private_key()),
                            ("cursor", "0")):
            store.set_meta(name, value)
    return unlocked


@pytest.mark.parametrize("path, code, message", [
    ("/html", ExitCode.HUB_UNREACHABLE,
     "{url} does not answer like an imi hub: HTTP 200 with text/html instead of a JSON object"),
    ("/empty", ExitCode.HUB_UNREACHABLE,
     "{url} does not answer like an imi hub: its answer to a pull holds no list of events"),
    ("/broken", ExitCode.HUB_UNREACHABLE, "the hub at {url} failed: HTTP 500"),
])
def test_syncing_with_a_hub_setting_that_points_elsewhere(imi, enrolled, monkeypatch, not_a_hub,
                                                          event_count, path, code, message):
    url = not_a_hub + path
    monkeypatch.setenv("IMI_HUB", url)
    result = imi("sync")
    assert result.code == code
    assert result.err.startswith("imi: error: " + message.format(url=url) + "\n")
    assert event_count(enrolled) == 0


# -- imi hub serve / prune: checked before uvicorn gets the socket ------------------------
@pytest.fixture
def hub_store(imi, tmp_path, monkeypatch):
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    path = tmp_path / "hub.db"
    assert imi("--store", path, "hub", "init").code == 0
    return path


def _pem_pair(folder, name):
    """A self-signed certificate and its key, as PEM files."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_serve_on_a_port_in_use(imi, hub_store):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = imi("--store", hub_store, "hub", "serve", "--port", port)
    assert result.code == ExitCode.CONFLICT
    assert result.err == (f"imi: error: port {port} on 127.0.0.1 is already in use\n"
                          "  hint: stop the other server, or choose another --port\n")


def test_serve_on_a_host_that_does_not_resolve(imi, hub_store):
    result = imi("--store", hub_store, "hub", "serve", "--host", "no-such-host.invalid", "--insecure")
    assert result.code == ExitCode.USAGE
    assert result.err.startswith("imi: error: --host 'no-such-host.invalid' is not an address of this machine (")


@pytest.mark.parametrize("port", ["0", "65536"])
def test_serve_port_out_of_range(imi, port):
    result = imi("hub", "serve", "--port", port)
    assert result.code == ExitCode.USAGE
    assert "Invalid value for '--port'" in result.err


def test_serve_with_a_missing_or_wrong_certificate(imi, tmp_path):
    cert, key = _pem_pair(tmp_path, "a")
    _, other_key = _pem_pair(tmp_path, "b")
    text = tmp_path / "notes.txt"
    text.write_text("not a certificate\n")
    hint = "  hint: README.md (TLS) shows how to make a test certificate and key with openssl\n"
    cases = [
        ((tmp_path / "nope.crt", key), ExitCode.NOT_FOUND, f"--cert {tmp_path / 'nope.crt'}: no such file\n"),
        ((tmp_path, key), ExitCode.USAGE, f"--cert {tmp_path} is a folder, not a PEM file\n"),
        ((text, key), ExitCode.INVALID_INPUT, f"--cert {text} is not a PEM certificate\n" + hint),
        ((cert, other_key), ExitCode.INVALID_INPUT,
         f"--key {other_key} is not the PEM private key of --cert {cert}\n" + hint),
    ]
    for (c, k), code, message in cases:
        result = imi("hub", "serve", "--cert", c, "--key", k)
        assert (result.code, result.err) == (code, "imi: error: " + message)


def test_prune_longer_than_a_century_is_a_usage_error(imi):
    result = imi("hub", "prune", "--older-than", "99999999999")
    assert result.code == ExitCode.USAGE
    assert "Invalid value for '--older-than'" in result.err


def test_a_retention_beyond_the_calendar_prunes_nothing(hub_store):
    from imi_cli.hub.retention import prune
    from imi_cli.hub.state import Hub
    from imi_cli.log.store import Store, derive_key, read_salt

    hub = Hub(Store.open(hub_store, derive_key(PASS, read_salt(hub_store))))
    try:
        assert prune(hub, 10**12) == 0
    finally:
        hub.store.close()


# -- files named for input and output -------------------------------------------------------
def test_import_from_a_folder_or_a_missing_file_without_extension(imi, unlocked, tmp_path, event_count):
    (tmp_path / "folder").mkdir()
    result = imi("authority", "import", tmp_path / "folder")
    assert (result.code, result.err) == (ExitCode.USAGE, f"imi: error: {tmp_path / 'folder'} is a folder, not a file\n")
    result = imi("user", "import", tmp_path / "nothing")
    assert (result.code, result.err) == (ExitCode.NOT_FOUND, f"imi: error: {tmp_path / 'nothing'}: no such file\n")
    assert event_count(unlocked) == 0


@pytest.mark.parametrize("args", [
    ("questionnaire", "export-po", "pq-alert", "--to", "ga", "-o", "{out}"),
    ("authority", "export", "-o", "{out}"),
])
def test_an_output_file_in_a_missing_folder_or_that_is_a_folder(imi, unlocked, tmp_path, args):
    missing = tmp_path / "no-such-folder" / "out.txt"
    result = imi(*[a.format(out=missing) for a in args])
    assert (result.code, result.err) == (
        ExitCode.NOT_FOUND, f"imi: error: -o {missing}: folder {missing.parent} does not exist\n")
    result = imi(*[a.format(out=tmp_path) for a in args])
    assert (result.code, result.err) == (ExitCode.USAGE, f"imi: error: -o {tmp_path} is a folder, not a file\n")
    assert result.out == ""


def test_import_po_of_a_folder(imi, tmp_path):
    result = imi("questionnaire", "import-po", tmp_path)
    assert (result.code, result.err) == (ExitCode.USAGE, f"imi: error: {tmp_path} is a folder, not a PO file\n")


def test_user_add_with_a_bad_invites_file_registers_nobody(imi, unlocked, examples, tmp_path, event_count):
    assert imi("authority", "import", examples / "authorities.csv").code == 0
    before = event_count(unlocked)
    result = imi("user", "add", "--id", "hu.szabo", "--name", "Szabó Éva", "--email", "eva@example.hu",
                 "--authority", "HU-MEK", "--roles", "administrator", "--invites", tmp_path)
    assert (result.code, result.err) == (ExitCode.USAGE, f"imi: error: --invites {tmp_path} is a folder, not a file\n")
    assert event_count(unlocked) == before


def test_hub_invite_with_a_bad_out_file_invites_nobody(imi, hub_store, tmp_path):
    invite = ("--store", hub_store, "hub", "invite", "--authority", "HU-NCO", "--country", "HU",
              "--name", "IMI Nemzeti Koordinátor", "--name-lang", "hu", "--email", "imi@example.hu",
              "--user", "hu.coord", "--user-name", "Szabó Éva", "--user-email", "eva@example.hu")
    missing = tmp_path / "no-such-folder" / "codes.txt"
    result = imi(*invite, "--out", missing)
    assert (result.code, result.err) == (
        ExitCode.NOT_FOUND, f"imi: error: --out {missing}: folder {missing.parent} does not exist\n")
    assert imi(*invite, "--out", tmp_path / "codes.txt").code == 0  # the first try left nothing behind
    assert (tmp_path / "codes.txt").read_text().startswith("hu.coord\t")


def test_a_questionnaires_setting_that_is_not_a_folder(imi, tmp_path, monkeypatch):
    monkeypatch.setenv("IMI_QUESTIONNAIRES", str(tmp_path / "nowhere"))
    result = imi("questionnaire", "list")
    assert result.code == ExitCode.NOT_FOUND
    assert result.err == (f"imi: error: IMI_QUESTIONNAIRES: questionnaires = '{tmp_path / 'nowhere'}' is not "
                          "a folder\n  hint: point it at a folder of catalog YAML files, or unset it for the "
                          "shipped ones\n")


# -- settings and surroundings ------------------------------------------------------------
def test_a_config_that_is_a_folder(imi, tmp_path):
    result = imi("--config", tmp_path, "area", "list")
    assert result.code == ExitCode.USAGE
    assert result.err == (f"imi: error: config file {tmp_path} is a folder, not a file\n"
                          "  hint: point --config or IMI_CONFIG at an imi.toml (see imi.toml.example)\n")


def test_a_key_cache_folder_that_is_a_file(imi, unlocked, tmp_path, monkeypatch):
    blocker = tmp_path / "run"
    blocker.write_text("")
    monkeypatch.setenv("IMI_RUNTIME_DIR", str(blocker))
    monkeypatch.setenv("IMI_PASSPHRASE", PASS)
    result = imi("unlock")
    assert result.code == ExitCode.ERROR
    assert result.err == (f"imi: error: the key cache folder {blocker} cannot be made (it is a file)\n"
                          "  hint: point IMI_RUNTIME_DIR at a folder of yours\n")


def test_register_one_authority_names_the_flag(imi, unlocked, event_count):
    result = imi("authority", "register", "--id", "HU-Z", "--country", "HU", "--name", "xx=Foo",
                 "--languages", "hu", "--areas", "professional-qualifications", "--email", "a@b.hu")
    assert result.code == ExitCode.INVALID_INPUT
    assert result.err == ("imi: error: imi authority register: 1 problem; nothing was imported\n"
                          "  --id HU-Z: [name:xx] 'xx' is not an IMI language code\n")
    assert event_count(unlocked) == 0
