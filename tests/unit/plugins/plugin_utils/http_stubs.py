"""Small HTTP servers on 127.0.0.1 for the unit tests of the HTTP code: the handler base and the server.

The ``serve`` fixture (conftest.py beside this file) starts them; a test module subclasses QuietHandler with the
answers it needs (canned, scripted, echoing, stalling, trickling).
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    """Answers every method with ``_answer``; logs nothing."""

    def do_GET(self):  # pylint: disable=invalid-name
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _answer(self):
        raise NotImplementedError

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up (timeout, TLS refusal) is expected here
