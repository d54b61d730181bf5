"""Fixtures of the tests of plugin_utils: ``serve``, small HTTP servers on 127.0.0.1 (http_stubs)."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.sso.onelogin.tests.unit.plugins.plugin_utils.http_stubs import QuietServer


@pytest.fixture
def serve():
    """``serve(handler, tls_context=None)``: a server on 127.0.0.1 answering with ``handler`` from a thread,
    over TLS with ``tls_context``. It has ``url``, ``requests`` (a list, for the handler to record what it
    received) and ``release`` (an Event set at teardown, which ends any answer held back). Stopped after the test."""
    servers = []

    def start(handler, tls_context=None):
        server = QuietServer(('127.0.0.1', 0), handler)
        scheme = 'http'
        if tls_context is not None:
            server.socket = tls_context.wrap_socket(server.socket, server_side=True)
            scheme = 'https'
        server.url = '%s://127.0.0.1:%d' % (scheme, server.server_address[1])
        server.requests = []
        server.release = threading.Event()
        servers.append(server)
        # A short poll interval so that shutdown() at teardown does not wait half a second.
        threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.01}, name='stub-server',
                         daemon=True).start()
        return server

    yield start
    for server in servers:
        server.release.set()
        server.shutdown()
        server.server_close()
