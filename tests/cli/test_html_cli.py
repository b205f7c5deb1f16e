"""`--format html` through the real binary against the fake AWS, opened in headless Chromium.

One function (the bad deploy world) and a fleet (the demo world plus idle functions) are
written with --output, then loaded in Chromium over the DevTools protocol (headless.py): the
page must load with no console message, no uncaught exception and no request but the file
itself (self-contained), its script must run to its end, and the DOM must hold the verdict,
every finding above ok, the SVG charts (Duration against the timeout line, change markers)
and, for a fleet, one table row per function linking to its section. The page's
Content-Security-Policy lets only its own script run: a script or an on* attribute put into
the file runs not, and nothing is fetched. Clicking a header sorts
the table, and so does a #sort=COLUMN fragment; the search box filters its rows; a severity
filter button hides findings.
"""

import base64
import hashlib
import os
import re
import time
import unittest

from clitest import CliTestCase, base_env, run
from harness import fake_aws
from headless import Browser
from test_fleet_cli import fleet_world

ROWS = ('Array.from(document.querySelectorAll("table.fleet tbody tr"))'
        '.map(function (r) { return r.cells[2].querySelector("a").textContent; })')


class HtmlReportTest(CliTestCase):

    @classmethod
    def setUpClass(cls):
        cls.until = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - 5))

    def run_both(self, fake, *args):
        """The run as HTML into a file, and the same run as JSON (the reference)."""
        path = os.path.join(self.dir, 'report.html')
        r = self.rb(fake, 'triage.lua', *args, '--until', self.until, '--format', 'html',
                    '--output', path, timeout=180)
        ref = self.rb(fake, 'triage.lua', *args, '--until', self.until, '--format', 'json',
                      timeout=180)
        self.assertEqual(r.out, '', repr(r))
        self.assertEqual(r.code, ref.code, repr(r))
        return path, ref.json()

    def assertScriptAllowed(self, path):
        """The page's Content-Security-Policy names its one script's SHA-256."""
        with open(path, encoding='utf-8') as fh:
            html = fh.read()
        scripts = re.findall(r'<script>(.*?)</script>', html, re.S)
        self.assertEqual(len(scripts), 1)
        digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
        self.assertIn("script-src 'sha256-%s'" % digest, html,
                      'set SCRIPT_SHA256 in plugins/triage/html/page.lua to %s' % digest)

    def open_clean(self, browser, path, fragment=''):
        self.assertScriptAllowed(path)
        page = browser.open('file://' + path + fragment)
        self.assertEqual(page.problems(), [])
        self.assertEqual(page.requests, ['file://' + path],
                         'a self-contained page requests nothing but itself')
        self.assertEqual(page.eval('document.documentElement.getAttribute("data-ready")'), '1',
                         "the page's script ran to its end")
        return page

    def test_single_function_page_has_verdict_findings_and_charts(self):
        with fake_aws('bad_deploy') as fake:
            path, ref = self.run_both(fake, 'checkout-api')
            stdout = self.rb(fake, 'triage.lua', 'checkout-api', '--format', 'html', timeout=180)
        self.assertTrue(stdout.out.startswith('<!DOCTYPE html>'), stdout.out[:200])
        self.assertIn('Duration:p99', ref['series'])
        self.assertEqual(ref['timeout_s'], 10)
        with Browser() as b:
            page = self.open_clean(b, path)
            text = page.eval('document.body.innerText')
            self.assertIn(ref['verdict']['headline'], text)
            shown = [f for s in ref['steps'] for f in s['findings']
                     if f['severity'] not in ('ok', 'skip')]
            self.assertTrue(shown)
            titles = page.eval('Array.from(document.querySelectorAll("article.finding h3"))'
                               '.map(function (h) { return h.textContent; })')
            self.assertEqual(len(titles), len(shown))
            for f in shown:
                self.assertTrue(any(f['title'] in t for t in titles), (f['title'], titles))
            charts = page.eval('Array.from(document.querySelectorAll("svg.chart"))'
                               '.map(function (s) { return s.getAttribute("aria-label"); })')
            self.assertEqual(len(charts), len(ref['series']), charts)
            self.assertTrue(charts[0].startswith('Duration p99 (ms) over the window'), charts)
            self.assertEqual(page.eval('document.querySelectorAll("svg.chart path.line").length'),
                             len(ref['series']))
            self.assertEqual(page.eval('document.querySelectorAll("svg line.threshold").length'), 1)
            self.assertIn('timeout 10 s', page.eval(
                'document.querySelector("svg .threshold-label").textContent'))
            # the deploy the changes step names, marked on every chart
            self.assertEqual(page.eval('document.querySelectorAll("svg line.marker.change")'
                                       '.length') % len(charts), 0)
            self.assertGreater(page.eval('document.querySelectorAll("svg line.marker.change")'
                                         '.length'), 0)
            # the FAIL filter hides the fail findings, a second click shows them again
            visible = ('Array.from(document.querySelectorAll("article.finding.fail"))'
                       '.filter(function (a) { return a.offsetParent !== null; }).length')
            fails = page.eval(visible)
            self.assertGreater(fails, 0)
            page.eval('document.querySelector(".filters button[data-sev=fail]").click()')
            self.assertEqual(page.eval(visible), 0)
            page.eval('document.querySelector(".filters button[data-sev=fail]").click()')
            self.assertEqual(page.eval(visible), fails)
            self.assertEqual(page.problems(), [])

    def test_markup_that_slipped_in_runs_no_script_and_fetches_nothing(self):
        with fake_aws('bad_deploy') as fake:
            path, _ = self.run_both(fake, 'checkout-api')
        with open(path, encoding='utf-8') as fh:
            html = fh.read()
        evil = ('<script>document.documentElement.setAttribute("data-evil", "1")</script>'
                '<img src="http://127.0.0.1:9/x.png" '
                'onerror="document.documentElement.setAttribute(\'data-evil\', \'2\')">')
        hacked = os.path.join(self.dir, 'hacked.html')
        with open(hacked, 'w', encoding='utf-8') as fh:
            fh.write(html.replace('<main>', '<main>' + evil, 1))
        with Browser() as b:
            page = b.open('file://' + hacked)
            self.assertIsNone(page.eval('document.documentElement.getAttribute("data-evil")'))
            self.assertEqual(page.eval('document.documentElement.getAttribute("data-ready")'), '1')
            self.assertEqual(page.responses, ['file://' + hacked])
            self.assertEqual(page.blocked, {'http://127.0.0.1:9/x.png': 'csp'})
            self.assertTrue(any('Content Security Policy' in p for p in page.problems()),
                            page.problems())

    def test_fleet_page_table_links_and_sorts(self):
        with fake_aws(fleet_world()) as fake:
            path, ref = self.run_both(fake, '--all')
        self.assertEqual(ref['kind'], 'fleet')
        names = [d['function']['name'] for d in ref['functions']]
        with Browser() as b:
            page = self.open_clean(b, path)
            text = page.eval('document.body.innerText')
            self.assertIn('%d of %d functions' % (ref['verdict']['failing'], len(names)), text)
            # without a sort, the rows are the document's order: worst first
            self.assertEqual(page.eval(ROWS), names)
            missing = page.eval('Array.from(document.querySelectorAll("table.fleet a"))'
                                '.filter(function (a) { return !document.getElementById('
                                'a.getAttribute("href").slice(1)); }).length')
            self.assertEqual(missing, 0, 'every row links to a section')
            self.assertEqual(page.eval('document.querySelectorAll("section.fn").length'),
                             len(names))
            self.assertGreater(page.eval('document.querySelectorAll("svg.chart path.line")'
                                         '.length'), 0)
            click = 'document.querySelector("th[data-col=%s] button").click()'
            page.eval(click % 'function')
            self.assertEqual(page.eval(ROWS), sorted(names))
            page.eval(click % 'function')
            self.assertEqual(page.eval(ROWS), sorted(names, reverse=True))
            self.assertEqual(page.eval(
                'document.querySelector("th[data-col=function]").getAttribute("aria-sort")'),
                'descending')
            page.eval(click % 'verdict')
            self.assertEqual(page.eval(ROWS), names)
            # the search box keeps the rows whose text holds every word
            search = ('(function (q) { var box = document.querySelector("input.search");'
                      ' box.value = q; box.dispatchEvent(new Event("input")); return '
                      'Array.from(document.querySelectorAll("table.fleet tbody tr"))'
                      '.filter(function (r) { return !r.hidden; }).length; })(%r)')
            self.assertFalse(page.eval('document.querySelector("input.search").hidden'))
            self.assertEqual(page.eval(search % 'IDLE-'),
                             len([n for n in names if n.startswith('idle-')]))
            self.assertEqual(page.eval(search % 'idle- failed-fn'), 1)
            self.assertEqual(page.eval(search % 'no-such-function'), 0)
            self.assertEqual(page.eval(search % ''), len(names))
            self.assertEqual(page.problems(), [])
            # a link can sort the table too
            sorted_page = self.open_clean(b, path, '#sort=-function')
            self.assertEqual(sorted_page.eval(ROWS), sorted(names, reverse=True))

    def test_merged_fleet_reports_render_as_one_page(self):
        with fake_aws(fleet_world()) as fake:
            a = self.rb(fake, 'triage.lua', '--all', '--until', self.until, '--match', 'idle-*',
                        '--format', 'json', timeout=180)
            b = self.rb(fake, 'triage.lua', '--all', '--until', self.until, '--match',
                        'fulfillment-*', '--format', 'json', timeout=180)
        parts = [self.write('a.json', a.out), self.write('b.json', b.out)]
        path = os.path.join(self.dir, 'merged.html')
        merged = run(['merge', '--format', 'html', '--output', path] + parts, base_env())
        self.assertEqual(merged.err, '', repr(merged))
        names = [d['function']['name'] for d in b.json()['functions'] + a.json()['functions']]
        with Browser() as browser:
            page = self.open_clean(browser, path)
            self.assertEqual(sorted(page.eval(ROWS)), sorted(names))
            self.assertEqual(page.eval(ROWS)[0], 'fulfillment-fn', 'worst first, then by name')


if __name__ == '__main__':
    unittest.main()
