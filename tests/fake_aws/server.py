#!/usr/bin/python3
"""A fake AWS endpoint for integration tests: one port on 127.0.0.1 for every service.

Exists so the client can be tested end to end without a network: it verifies each
request's SigV4 signature, routes and validates it against the official botocore
models, serves a scenario "world" and injects faults. This file is only the HTTP
layer and the command line; the pipeline is dispatch.py.

    /usr/bin/python3 tests/fake_aws/server.py --world W.json --port-file F \
        [--faults FAULTS.json] [--log FILE] [--quotas FILE|default] [--latency-ms MS]

Binds only 127.0.0.1, on an ephemeral port written atomically to --port-file once
listening; serves until SIGTERM/SIGINT, POST /__fake/shutdown or the death of the
process that started it. HTTP/1.1 with
keep-alive and one thread per connection, so delayed requests overlap.
"""

import argparse
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# botocore imports the optional AWS CRT when present; the fake never needs it and
# skipping it saves about half a second per server start.
sys.modules.setdefault('awscrt', None)

import awstime  # noqa: E402
import control  # noqa: E402
import dispatch  # noqa: E402
import faults  # noqa: E402
import handlers  # noqa: E402
import quotas  # noqa: E402
from models import Models  # noqa: E402
from universe import Universe  # noqa: E402
from world import WorldError  # noqa: E402

LISTEN_HOST = '127.0.0.1'
WORLD_KEYS = ('description', 'account_id', 'region', 'credentials', 'sts', 'imds',
              'container', 'lambda', 'iam', 'logs', 'cloudwatch', 'ec2', 'apigateway',
              'apigatewayv2', 'sqs', 'cloudtrail', 'xray', 'faults', 'quotas', 'latency_ms')


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'FakeAWS'
    sys_version = ''
    timeout = 120  # idle keep-alive connections are dropped after this

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # the request log replaces http.server's
        pass

    def _read_body(self):
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    return b''.join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length > 0 else b''

    def _serve(self):
        app = self.server.app
        body = self._read_body()
        if self.path.startswith('/__fake/'):
            response = control.handle(app, self.command, self.path.partition('?')[0], body)
            response.server_now = awstime.now()
        else:
            request = dispatch.Request(self.command, self.path, self.headers, body)
            response = dispatch.handle(app, request)
        self._write(response)
        if response.action == 'shutdown':
            app.stop.set()

    def _write(self, response):
        if response.action == 'reset':
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack('ii', 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if response.action == 'close':
            self.close_connection = True
            return
        body = response.body
        self.send_response_only(response.status)
        self.send_header('Date', awstime.http_date(response.server_now))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body[:len(body) // 2] if response.action == 'truncate' else body)
        if response.action == 'truncate':
            self.wfile.flush()
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def server_bind(self):
        # HTTPServer.server_bind would do a reverse DNS lookup; we only need the port.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def write_port_file(path, port):
    tmp = '%s.tmp.%d' % (path, os.getpid())
    with open(tmp, 'w', encoding='ascii') as fh:
        fh.write('%d\n' % port)
    os.replace(tmp, path)


def load(world_path, faults_path):
    """The Universe of worlds in world_path (one world or {"worlds": [...]}) and the
    fault rules of the world and of faults_path."""
    try:
        with open(world_path, encoding='utf-8') as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise WorldError('cannot load world %r: %s' % (world_path, exc)) from None
    if isinstance(data, dict) and 'worlds' not in data:
        unknown = sorted(set(data) - set(WORLD_KEYS))
        if unknown:
            raise WorldError('unknown top-level key(s) in world %s: %s'
                             % (world_path, ', '.join(unknown)))
    universe = Universe(data, handlers.prepare)
    universe.prepare_all()
    rule_set = faults.Faults(faults.parse_rules(data.get('faults', [])))
    if faults_path:
        with open(faults_path, encoding='utf-8') as fh:
            rule_set.add(json.load(fh))
    return universe, rule_set


def options(top, args, world_dir):
    """(Quotas or None, latency in ms) from the command line, else the world's
    "quotas" (true: core/quotas.txt, or a table path relative to the world file) and
    "latency_ms" keys."""
    table = args.quotas if args.quotas is not None else top.get('quotas')
    if table is True or table == 'default':
        table = quotas.DEFAULT_TABLE
    elif isinstance(table, str) and args.quotas is None:
        table = os.path.join(world_dir, table)
    elif table not in (None, False) and not isinstance(table, str):
        raise WorldError('"quotas" must be true or the path of a quota table')
    limits = quotas.Quotas(quotas.load(table)) if table else None
    latency = args.latency_ms if args.latency_ms is not None else top.get('latency_ms', 0)
    if not isinstance(latency, (int, float)) or latency < 0:
        raise WorldError('latency must be a number of milliseconds >= 0, not %r' % latency)
    return limits, float(latency)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--world', required=True)
    parser.add_argument('--port-file', required=True)
    parser.add_argument('--faults')
    parser.add_argument('--log')
    parser.add_argument('--quotas', metavar='FILE',
                        help='enforce the request rates of this quota table ("default": '
                        'core/quotas.txt)')
    parser.add_argument('--latency-ms', type=float, metavar='MS',
                        help='answer every AWS request after this delay')
    args = parser.parse_args(argv)
    try:
        universe, rule_set = load(args.world, args.faults)
        limits, latency_ms = options(universe.top, args, os.path.dirname(args.world))
    except (WorldError, faults.FaultError, quotas.QuotaError, OSError, ValueError) as exc:
        print('fake_aws: %s' % exc, file=sys.stderr)
        return 2
    app = control.App(universe, Models(), rule_set, args.log, limits, latency_ms)
    server = Server((LISTEN_HOST, 0), Handler)
    server.app = app
    app.port = server.server_address[1]
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: app.stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05},
                              daemon=True)
    thread.start()
    write_port_file(args.port_file, app.port)
    threading.Thread(target=app.models.warm_up, daemon=True).start()
    parent = os.getppid()
    try:
        # Also stop when the process that started us is gone (a killed test run must
        # not leave servers behind).
        while not app.stop.wait(0.2) and os.getppid() == parent:
            pass
    finally:
        server.shutdown()
        server.server_close()
        app.close()
        try:
            os.unlink(args.port_file)
        except OSError:
            pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
