"""Fixtures shared by the unit and integration tests: the OneLogin emulator, in-thread or as a process."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
EMULATOR_PATH = os.path.join(TESTS, 'emulator', 'onelogin_emulator.py')


def load_emulator():
    """The emulator module, loaded once from its file (it is a script, not a package)."""
    if 'onelogin_emulator' not in sys.modules:
        spec = importlib.util.spec_from_file_location('onelogin_emulator', EMULATOR_PATH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules['onelogin_emulator'] = module
    return sys.modules['onelogin_emulator']


def self_signed_context(folder):
    """A TLS server context with a fresh self-signed certificate for 127.0.0.1 (files written to ``folder``)."""
    import datetime
    import ipaddress
    import ssl
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / 'cert.pem', folder / 'key.pem'
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_file), str(key_file))
    return context


@pytest.fixture
def tls_context(tmp_path):
    """``tls_context()``: a TLS server context with a fresh self-signed certificate for 127.0.0.1."""
    return lambda: self_signed_context(tmp_path)


def new_credentials():
    return 'client-' + secrets.token_hex(8), 'secret-' + secrets.token_hex(24)


class RunningEmulator:
    """What a test needs to know about an emulator: where it is, its credentials, its counters."""

    def __init__(self, url, client_id, client_secret):
        self.url = url
        self.client_id = client_id
        self.client_secret = client_secret

    def _call(self, method, path, payload=None):
        data, headers = (b'' if method == 'POST' else None), {}
        if payload is not None:
            data, headers = json.dumps(payload).encode('utf-8'), {'Content-Type': 'application/json'}
        request = urllib.request.Request(self.url + path, method=method, data=data, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:  # loopback only
            return json.loads(response.read().decode('utf-8'))

    def stats(self):
        return self._call('GET', '/__emulator__/stats')

    def accepts(self, token):
        """Whether the emulator's resource API takes ``token`` now (``GET /api/2/users`` answers 200)."""
        request = urllib.request.Request(self.url + '/api/2/users', headers={'Authorization': 'Bearer ' + token})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # loopback only
                return response.status == 200
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return False
            raise

    def issued_tokens(self):
        """Every access token the emulator has issued: secrets that must never show in output."""
        return self._call('GET', '/__emulator__/tokens')['tokens']

    def reset(self):
        self._call('POST', '/__emulator__/reset')

    def inject(self, *specs):
        """Queue faults for the next token requests; return the answer, {"queued": N}.

        The fault specs are in docs/docsite/rst/guide_emulator.rst."""
        return self._call('POST', '/__emulator__/faults', {'faults': list(specs)})

    def env(self, **extra):
        """Environment for an ansible-playbook run against this emulator."""
        env = dict(os.environ, ONELOGIN_API_URL=self.url, ONELOGIN_CLIENT_ID=self.client_id,
                   ONELOGIN_CLIENT_SECRET=self.client_secret, NO_PROXY='127.0.0.1,localhost')
        env.update(extra)
        return env


@pytest.fixture(scope='session')
def emulator_module():
    """The emulator module, for tests that start it with their own clock or lifetime."""
    return load_emulator()


@pytest.fixture
def emulator():
    """An emulator serving from a thread of the test process, with fresh credentials."""
    module = load_emulator()
    client_id, client_secret = new_credentials()
    server = module.start_in_thread({client_id: client_secret})
    try:
        yield RunningEmulator(server.url, client_id, client_secret)
    finally:
        server.shutdown()
        server.server_close()


def start_emulator_process(tmp_path, *extra_args):
    client_id, client_secret = new_credentials()
    port_file = tmp_path / 'emulator.port'
    process = subprocess.Popen(
        [sys.executable, EMULATOR_PATH, '--client', '%s:%s' % (client_id, client_secret),
         '--port-file', str(port_file), '--max-runtime', '1800'] + list(extra_args),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = process.stdout.readline().strip()  # printed once listening: no polling needed
    if not url.startswith('http://127.0.0.1:'):
        process.kill()
        raise RuntimeError('the emulator did not start')
    return process, RunningEmulator(url, client_id, client_secret)


@pytest.fixture
def emulator_process(tmp_path):
    """An emulator in a process of its own, as users run it."""
    process, running = start_emulator_process(tmp_path)
    try:
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


@pytest.fixture
def start_emulator_processes(tmp_path):
    """``start(*extra_args)``: emulators in processes of their own with extra command-line arguments."""
    started = []

    def start(*extra_args):
        folder = tmp_path / ('emulator-%d' % len(started))
        folder.mkdir()
        process, running = start_emulator_process(folder, *extra_args)
        started.append(process)
        return running

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
