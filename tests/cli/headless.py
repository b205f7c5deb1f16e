"""A headless Chromium driven over the DevTools protocol on a pipe, for the HTML report tests.

No npm, no websocket library, no network: Chromium is started with
--remote-debugging-pipe, reads protocol commands on fd 3 and writes replies and events on
fd 4, each message JSON followed by a NUL byte. The driver opens one page, collects every
console message, uncaught exception, log entry and network request while it loads, and
evaluates expressions in it (a click, then reading the DOM back).

    with Browser() as b:
        page = b.open('file:///tmp/report.html#sort=function')
        page.eval('document.title')
        page.problems()   # console messages, exceptions, errors: [] when clean
"""

import json
import os
import select
import shutil
import subprocess
import tempfile
import time

CANDIDATES = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')


def find_chromium():
    """The browser to run: $CHROMIUM, else the first of CANDIDATES on PATH, else None."""
    given = os.environ.get('CHROMIUM')
    if given:
        return given
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(Exception):
    pass


class Page:
    def __init__(self, browser, session):
        self.browser = browser
        self.session = session
        self.console = []
        self.exceptions = []
        self.log_errors = []
        self.requests = []
        self.urls = {}      # requestId -> url
        self.responses = []
        self.blocked = {}   # url -> blockedReason ("csp", ...)

    def send(self, method, params=None, timeout=30):
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def eval(self, expression, timeout=30):
        """The value of a JavaScript expression in the page; raises when it throws."""
        reply = self.send('Runtime.evaluate', {'expression': expression, 'returnByValue': True,
                                               'awaitPromise': True}, timeout=timeout)
        if 'exceptionDetails' in reply:
            raise BrowserError('%s threw: %s' % (expression, json.dumps(reply['exceptionDetails'])))
        return reply['result'].get('value')

    def problems(self):
        """Every console message, uncaught exception and error log entry, as lines."""
        out = ['console.%s: %s' % (c['type'], ' '.join(
            str(a.get('value', a.get('description', ''))) for a in c.get('args', [])))
            for c in self.console]
        out += ['uncaught: %s' % e['exceptionDetails'].get('exception', {}).get(
            'description', e['exceptionDetails'].get('text')) for e in self.exceptions]
        out += ['log %s: %s (%s)' % (e['entry']['level'], e['entry'].get('text'),
                                     e['entry'].get('url', '')) for e in self.log_errors]
        return out

    def on_event(self, method, params):
        if method == 'Runtime.consoleAPICalled':
            self.console.append(params)
        elif method == 'Runtime.exceptionThrown':
            self.exceptions.append(params)
        elif method == 'Log.entryAdded' and params['entry']['level'] in ('error', 'warning'):
            self.log_errors.append(params)
        elif method == 'Network.requestWillBeSent':
            self.requests.append(params['request']['url'])
            self.urls[params['requestId']] = params['request']['url']
        elif method == 'Network.responseReceived':
            self.responses.append(params['response']['url'])
        elif method == 'Network.loadingFailed' and params.get('blockedReason'):
            self.blocked[self.urls.get(params['requestId'], '?')] = params['blockedReason']


class Browser:
    """One headless Chromium (a fresh profile in a temporary directory)."""

    def __init__(self, timeout=60):
        self.timeout = timeout
        self.next_id = 0
        self.buffer = b''
        self.pages = {}
        self.events = []

    def __enter__(self):
        exe = find_chromium()
        if not exe:
            raise BrowserError('chromium not found: install it (apt-get install chromium; '
                               'scripts/test.sh does) or set CHROMIUM to a Chromium binary')
        self.profile = tempfile.TemporaryDirectory(prefix='runbook-chromium.')
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def fds():  # the protocol's fixed descriptors: 3 = commands in, 4 = replies out
            high_r, high_w = os.dup(to_child_r), os.dup(from_child_w)  # neither is 3 or 4 now
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        # --no-sandbox: CI containers run as root or without user namespaces, where the
        # sandbox cannot start; the page is the test's own file and no network is reached.
        args = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
                '--no-default-browser-check', '--disable-extensions', '--mute-audio',
                '--disable-background-networking', '--disable-component-update',
                '--remote-debugging-pipe', '--user-data-dir=' + self.profile.name,
                'about:blank']
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=fds, pass_fds=(3, 4))
        os.close(to_child_r)
        os.close(from_child_w)
        return self

    def __exit__(self, *exc):
        try:
            if self.proc.poll() is None:
                try:
                    self.send('Browser.close', timeout=5)
                except (BrowserError, OSError):
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            os.close(self.to_child)
            os.close(self.from_child)
            self.profile.cleanup()

    def _read_message(self, deadline):
        while b'\0' not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError('chromium did not answer within %d s' % self.timeout)
            ready, _, _ = select.select([self.from_child], [], [], left)
            if ready:
                chunk = os.read(self.from_child, 65536)
                if not chunk:
                    raise BrowserError('chromium exited (code %s)' % self.proc.poll())
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b'\0', 1)
        return json.loads(raw)

    def _dispatch(self, msg):
        page = self.pages.get(msg.get('sessionId'))
        if page and 'method' in msg:
            page.on_event(msg['method'], msg.get('params', {}))
        elif 'method' in msg:
            self.events.append(msg)

    def send(self, method, params=None, session=None, timeout=None):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        os.write(self.to_child, json.dumps(msg).encode() + b'\0')
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read_message(deadline)
            if reply.get('id') == self.next_id:
                if 'error' in reply:
                    raise BrowserError('%s: %s' % (method, reply['error'].get('message')))
                return reply.get('result', {})
            self._dispatch(reply)

    def wait_event(self, page, method, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._read_message(deadline)
            self._dispatch(msg)
            if msg.get('sessionId') == page.session and msg.get('method') == method:
                return msg.get('params', {})

    def open(self, url, settle=0.3):
        """A new page at url, loaded (its load event fired), with its events recorded."""
        target = self.send('Target.createTarget', {'url': 'about:blank'})['targetId']
        session = self.send('Target.attachToTarget', {'targetId': target,
                                                      'flatten': True})['sessionId']
        page = Page(self, session)
        self.pages[session] = page
        for domain in ('Runtime', 'Log', 'Network', 'Page'):
            page.send(domain + '.enable')
        page.send('Page.navigate', {'url': url})
        self.wait_event(page, 'Page.loadEventFired')
        time.sleep(settle)  # let late messages (a timer's error) arrive
        page.eval('1')      # and drain them
        return page
