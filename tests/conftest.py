"""Fixtures shared by the unit and integration tests: the OneLogin emulator, in-thread or as a process."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import subprocess
import sys
import threading
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
    """What a test needs to know about an emulator: where it is, its credentials, its counters.

    ``client_id`` and ``client_secret`` are the first credentials it accepts. ``server`` is the EmulatorServer of
    one in a thread (``state``, its State, for white-box checks), ``process`` the Popen of one in a process;
    ``stop()`` stops it (the fixture that started it does at teardown). The HTTP helpers speak plain HTTP: for one
    behind TLS, read ``state``.
    """

    def __init__(self, url, client_id, client_secret, server=None, process=None):
        self.url = url
        self.client_id = client_id
        self.client_secret = client_secret
        self.server = server
        self.process = process
        self.stopped = False

    @property
    def state(self):
        if self.server is None:
            raise AttributeError('an emulator in a process has no state here: ask stats() or its other endpoints')
        return self.server.state

    def stop(self):
        """Stop it (once: a later call does nothing)."""
        if self.stopped:
            return
        self.stopped = True
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process.stdout.close()

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

    def inject(self, *specs, target='token'):
        """Queue faults for the next token requests (``target='api'``: the next /api requests); return the answer,
        {"queued": N}, N the length of that queue.

        The fault specs are in docs/docsite/rst/guide_emulator.rst."""
        payload = {'faults': list(specs)}
        if target != 'token':
            payload['target'] = target
        return self._call('POST', '/__emulator__/faults', payload)

    def env(self, **extra):
        """Environment for an ansible-playbook run against this emulator."""
        env = dict(os.environ, ONELOGIN_API_URL=self.url, ONELOGIN_CLIENT_ID=self.client_id,
                   ONELOGIN_CLIENT_SECRET=self.client_secret, NO_PROXY='127.0.0.1,localhost')
        env.update(extra)
        return env


@pytest.fixture(scope='session')
def emulator_module():
    """The emulator module, for its constants, its State and its command line."""
    return load_emulator()


def _in_thread(clients, clock, lifetime, tls, folder):
    module = load_emulator()
    kwargs = {name: value for name, value in (('clock', clock), ('lifetime', lifetime)) if value is not None}
    if not tls:
        return module.start_in_thread(clients, **kwargs), 'http'
    server = module.EmulatorServer(module.State(clients, **kwargs))
    server.socket = self_signed_context(folder()).wrap_socket(server.socket, server_side=True)
    server.handle_error = lambda request, address: None  # a refused handshake is an expected outcome there
    threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True).start()
    return server, 'https'


def _in_process(clients, lifetime, args, folder):
    command = [sys.executable, EMULATOR_PATH, '--port-file', str(folder() / 'emulator.port'), '--max-runtime', '1800']
    for client_id, client_secret in clients.items():
        command += ['--client', '%s:%s' % (client_id, client_secret)]
    if lifetime is not None:
        command += ['--token-lifetime', str(lifetime)]
    process = subprocess.Popen(command + list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = process.stdout.readline().strip()  # printed once listening: no polling needed
    if not url.startswith('http://127.0.0.1:'):
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()
        raise RuntimeError('the emulator did not start')
    return process, url


def _emulator_starter(tmp_path_factory):
    """The generator behind ``start_emulator`` and ``start_shared_emulator``: start, then stop them all."""
    started = []

    def folder():  # for a port file or a certificate, made only when needed
        return tmp_path_factory.mktemp('emulator')

    def start(clients=None, *, clock=None, lifetime=None, tls=False, process=False, args=()):
        clients = dict(clients or [new_credentials()])
        client_id, client_secret = next(iter(clients.items()))
        if process:
            if clock is not None or tls:
                raise TypeError('a fake clock or TLS takes an emulator in a thread (process=False)')
            popen, url = _in_process(clients, lifetime, args, folder)
            running = RunningEmulator(url, client_id, client_secret, process=popen)
        else:
            if args:
                raise TypeError('command-line arguments take an emulator in a process (process=True)')
            server, scheme = _in_thread(clients, clock, lifetime, tls, folder)
            running = RunningEmulator('%s://127.0.0.1:%d' % (scheme, server.server_address[1]), client_id,
                                      client_secret, server=server)
        started.append(running)
        return running

    try:
        yield start
    finally:
        for running in started:
            running.stop()


@pytest.fixture
def start_emulator(tmp_path_factory):
    """``start_emulator(clients=None, *, clock=None, lifetime=None, tls=False, process=False, args=())``: an emulator,
    stopped after the test; returns its RunningEmulator.

    ``clients`` maps client IDs to secrets (default: fresh credentials; the first are the RunningEmulator's).
    In a thread of the test process (default): ``clock``, a function of the epoch time that a test moves,
    ``lifetime`` of the tokens in seconds, ``tls`` behind a fresh self-signed certificate for 127.0.0.1.
    ``process=True``: in a process of its own, as users run it, with ``lifetime`` and more command-line ``args``
    (tests/emulator/onelogin_emulator.py --help), such as ``('--fault', 'status:503')``.
    """
    yield from _emulator_starter(tmp_path_factory)


@pytest.fixture(scope='module')
def start_shared_emulator(tmp_path_factory):
    """``start_emulator`` for an emulator that serves every test of a module (which reset it between tests)."""
    yield from _emulator_starter(tmp_path_factory)


@pytest.fixture
def emulator(start_emulator):
    """An emulator serving from a thread of the test process, with fresh credentials."""
    return start_emulator()


@pytest.fixture
def emulator_process(start_emulator):
    """An emulator in a process of its own, as users run it."""
    return start_emulator(process=True)
