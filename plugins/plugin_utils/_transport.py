# -*- coding: utf-8 -*-
# Copyright (c) sso.onelogin contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY. This is not a public API: it may change without notice.

"""One HTTP request to OneLogin, bounded in time and size: the only code that uses ``requests``.

The whole request (connecting, sending, the answer's headers and its whole body) must complete
within ``settings.timeout`` seconds: a watchdog shuts the connection down at that deadline, so a
server that trickles its answer cannot hold the run (and the cache lock) longer. Answers are read
up to MAX_BODY bytes. Failures worth another try are raised as :class:`Passing`; the others as
OneLoginError. Imported only when OneLogin has to be called, so that the cached path of the lookup
never pays for importing ``requests``.
"""

from __future__ import annotations

# OneLoginError(fixed_text, *values) formats the values itself, after scrubbing them (see _errors):
# pylint: disable=raising-format-tuple

import json
import socket
import threading

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import NewConnectionError
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised through a stub in the unit tests
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.sso.onelogin.plugins.plugin_utils._errors import OneLoginError
from ansible_collections.sso.onelogin.plugins.plugin_utils._scrub import scrub

MAX_BODY = 4 * 1024 * 1024  # bytes of an answer, after decompression


def require_requests():
    if not HAS_REQUESTS:
        raise OneLoginError(
            'The Python library "requests" is needed on the Ansible controller to obtain a OneLogin token, and the '
            'Python running ansible-core cannot import it (%s). Install it into that environment, for example with '
            '"python -m pip install requests" using the same Python as ansible-core (ansible --version shows '
            'which one), or add "requests" to your execution environment.', REQUESTS_IMPORT_ERROR)


class Passing(Exception):
    """A failure worth another try; ``error`` (a OneLoginError) is the message if it is the last one.

    ``sent``: whether the request may have reached the server. False only when the connection itself
    could not be made, so that even a request that is not safe to repeat (a POST) can be tried again.
    """

    def __init__(self, error, retry_after=None, sent=True):
        super().__init__(error)
        self.error = error
        self.retry_after = retry_after
        self.sent = sent


def clip(text, limit, secrets):
    """``text`` from outside, scrubbed, then cut to ``limit`` characters (cut first, a secret across the cut showed
    in part)."""
    return scrub(text, secrets)[:limit]


def _reason(exc):
    # requests wraps urllib3 errors several levels deep; the innermost says the most.
    inner = exc
    while getattr(inner, 'args', None) and isinstance(inner.args[0], Exception):
        inner = inner.args[0]
    reason = getattr(inner, 'reason', None) or inner
    return str(reason)


def send(settings, method, url, what, secrets, kwargs):
    """One HTTP request; ``(response, body or None)``. Raises Passing or OneLoginError.

    The whole request (connecting, sending, the answer's headers and its whole body) must
    complete within ``settings.timeout`` seconds: a watchdog shuts the connection down at that
    deadline, so a server that trickles its answer a byte at a time cannot hold the run (and the
    cache lock) for longer. Each connect and read is also bounded by the same timeout.
    """
    watchdog = _Watchdog(settings.timeout)
    session = requests.Session()
    adapter = _WatchedAdapter(watchdog)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    try:
        watchdog.start()
        try:
            response = session.request(method, url, timeout=(settings.timeout, settings.timeout),
                                       verify=settings.validate_certs, allow_redirects=False, stream=True,
                                       auth=_as_given, **kwargs)
            try:
                if 300 <= response.status_code < 400:
                    raise OneLoginError('OneLogin answered the ').extended(what).extended(
                        ' to %s with a redirect (HTTP %d to %s); credentials are not sent on. Set the final host with '
                        '%s.', url, response.status_code, clip(response.headers.get('Location', '?'), 200, secrets),
                        settings.where('api_url'))
                content = _read_bounded(response, settings, url, what)
            finally:
                response.close()
        except OSError as exc:  # requests' exceptions are OSErrors too
            raise _transport_failure(exc, watchdog, settings, url, what, secrets) from None
        if watchdog.expired:
            raise _timed_out(settings, url, what)  # the answer came, but cut short at the deadline
    finally:
        watchdog.cancel()
        session.close()
    return response, _json_or_none(content)


def _as_given(request):
    """``requests`` auth that keeps the request's own Authorization header: never one from ~/.netrc."""
    return request


def _read_bounded(response, settings, url, what):
    """The body, read to its end; OneLoginError beyond MAX_BODY bytes (decompressed)."""
    chunks, size = [], 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > MAX_BODY:
            raise OneLoginError('OneLogin answered the ').extended(what).extended(
                ' to %s with a body larger than %d bytes; it was not read further. Check the host (%s).', url,
                MAX_BODY, settings.where('api_url'))
        chunks.append(chunk)
    return b''.join(chunks)


def _json_or_none(content):
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def _timed_out(settings, url, what):
    return Passing(OneLoginError('OneLogin did not answer the ').extended(what).extended(
        ' to %s within %d s. The whole request, from connecting to the last byte of the answer, must complete '
        'within the timeout. Check the network and the host (%s), or raise %s.', url, settings.timeout,
        settings.where('api_url'), settings.where('timeout')))


def _not_connected(exc):
    """Whether ``exc`` says that no connection was made, so nothing of the request was sent (refused, no route)."""
    inner = exc
    for dummy in range(8):  # requests wraps urllib3's error in its MaxRetryError: look a few levels down
        if isinstance(inner, (ConnectionRefusedError, NewConnectionError)):
            return True
        inner = getattr(inner, 'reason', None) or (inner.args[0] if getattr(inner, 'args', None) else None)
        if not isinstance(inner, BaseException):
            return False
    return False


def _transport_failure(exc, watchdog, settings, url, what, secrets):
    """The Passing or OneLoginError for an exception of ``requests`` (or of the socket under it)."""
    reason = _reason(exc)
    if watchdog.expired or isinstance(exc, requests.exceptions.Timeout) or 'timed out' in reason.lower():
        failure = _timed_out(settings, url, what)  # also a stalled body, and anything the watchdog cut short
        failure.sent = watchdog.expired or not isinstance(exc, requests.exceptions.ConnectTimeout)
        return failure
    passing = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
    if not isinstance(exc, requests.exceptions.RequestException):
        passing = OSError  # the socket under requests, unwrapped
    if isinstance(exc, requests.exceptions.SSLError):
        return OneLoginError(
            'The TLS connection to %s failed: the certificate could not be verified, or the host does not speak TLS '
            'on that port (%s). Check the host (%s). Only for a test host with a self-signed certificate, turn off %s.',
            settings.base_url, clip(reason, 300, secrets), settings.where('api_url'), settings.where('validate_certs'))
    if isinstance(exc, passing):
        return Passing(OneLoginError(
            'Could not reach OneLogin at %s (%s: %s). Check the host (%s) and the network from the controller.',
            url, type(exc).__name__, clip(reason, 300, secrets), settings.where('api_url')), sent=not _not_connected(exc))
    return OneLoginError('The ').extended(what).extended(' to %s failed (%s: %s). Check the host (%s).', url,
                                                         type(exc).__name__, clip(reason, 300, secrets),
                                                         settings.where('api_url'))


class _Watchdog:
    """Shuts down the sockets of one request once ``seconds`` have passed since :meth:`start`.

    The sockets are those the request's connections open (:class:`_WatchedAdapter`). A socket
    opened after the deadline is shut down at once. Only the OS-level shutdown is used (not
    ``close``, not TLS's own), so that the thread reading it just sees the connection end.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.expired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def start(self):
        self._timer.start()

    def cancel(self):
        self._timer.cancel()

    def watch(self, sock):
        with self._lock:
            self._sockets.append(sock)
            if not self.expired:
                return
        _shut(sock)

    def _expire(self):
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock):
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError):
        pass  # already closed, or not a socket: nothing left to cut


class _Watched:
    """Mixed into urllib3's connection classes: hands every socket the connection opens to its watchdog."""

    watchdog = None

    def _new_conn(self):
        sock = super()._new_conn()
        if self.watchdog is not None:
            self.watchdog.watch(sock)
        return sock


if HAS_REQUESTS:
    class _WatchedHTTPConnection(_Watched, HTTPConnection):
        pass

    class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
        pass

    class _WatchedAdapter(HTTPAdapter):
        """An adapter whose connections hand their sockets to a watchdog (proxies through HTTP CONNECT too)."""

        def __init__(self, watchdog):
            self._pool_classes = {'http': _pool_class(HTTPConnectionPool, _WatchedHTTPConnection, watchdog),
                                  'https': _pool_class(HTTPSConnectionPool, _WatchedHTTPSConnection, watchdog)}
            super().__init__(max_retries=0)

        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = self._pool_classes

        def proxy_manager_for(self, *args, **kwargs):
            manager = super().proxy_manager_for(*args, **kwargs)
            if hasattr(manager, 'pool_classes_by_scheme') and 'socks' not in type(manager).__name__.lower():
                manager.pool_classes_by_scheme = self._pool_classes
            return manager

    def _pool_class(base, connection_class, watchdog):
        connection = type(connection_class.__name__, (connection_class,), {'watchdog': watchdog})
        return type(base.__name__, (base,), {'ConnectionCls': connection})
