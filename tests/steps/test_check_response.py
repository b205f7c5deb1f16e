"""`runbook check-response FILE|-`: a handler's return value against API Gateway's proxy
rules for REST APIs (payload 1.0) and HTTP APIs (payload 1.0 and 2.0), offline.

Exit codes: 0 valid, 1 violations (one line each, starting with the JSON path), 2 usage.
"""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))

from clitest import BIN, CliTestCase, base_env, run  # noqa: E402

GOOD_REST = [
    {'statusCode': 200, 'headers': {'Content-Type': 'application/json'},
     'body': json.dumps({'message': 'ok'})},
    {'statusCode': 204},
    {'statusCode': 302, 'headers': {'Location': 'https://example.com/'}, 'body': ''},
    {'statusCode': 200, 'multiValueHeaders': {'Set-Cookie': ['a=1', 'b=2']}, 'body': 'hi',
     'isBase64Encoded': False},
    {'statusCode': 200, 'headers': {'Content-Type': 'image/png'}, 'body': 'iVBORw0KGgo=',
     'isBase64Encoded': True},
    {'statusCode': 500, 'body': None},
]

# (response, JSON path of the violation, words the explanation must contain)
BAD_REST = [
    ({'statusCode': 200, 'body': {'message': 'ok'}}, '$.body', 'json.dumps'),
    ({'statusCode': '200', 'body': 'ok'}, '$.statusCode', 'integer'),
    ({'statusCode': 200.5, 'body': 'ok'}, '$.statusCode', 'integer'),
    ({'statusCode': 700, 'body': 'ok'}, '$.statusCode', '100-599'),
    ({'body': 'ok'}, '$.statusCode', 'missing'),
    ({'statusCode': 200, 'headers': {'Content-Length': 12}, 'body': 'ok'},
     '$.headers["Content-Length"]', 'string'),
    ({'statusCode': 200, 'headers': {'X-Cache': True}, 'body': 'ok'},
     '$.headers["X-Cache"]', 'boolean'),
    ({'statusCode': 200, 'headers': {'Set-Cookie': ['a=1', 'b=2']}, 'body': 'ok'},
     '$.headers["Set-Cookie"]', 'multiValueHeaders'),
    ({'statusCode': 200, 'headers': ['Content-Type'], 'body': 'ok'}, '$.headers', 'object'),
    ({'statusCode': 200, 'multiValueHeaders': {'x-powered-by': 'lambda'}, 'body': 'ok'},
     '$.multiValueHeaders["x-powered-by"]', 'arrays'),
    ({'statusCode': 200, 'multiValueHeaders': {'x-n': [1]}, 'body': 'ok'},
     '$.multiValueHeaders["x-n"][0]', 'string'),
    ({'statusCode': 200, 'body': 'ok', 'isBase64Encoded': 'false'}, '$.isBase64Encoded',
     'boolean'),
    ({'statusCode': 200, 'body': 'not base64 at all!', 'isBase64Encoded': True}, '$.body',
     'base64'),
    ({'statusCode': 200, 'body': 'ok', 'data': {'id': 1}}, '$.data', 'unknown field'),
    ({'StatusCode': 200, 'body': 'ok'}, '$.StatusCode', 'statusCode'),
    ({'statusCode': 200, 'body': 'ok', 'cookies': ['a=1']}, '$.cookies', 'payload format 2.0'),
    (None, '$', 'None/undefined'),
    ('ok', '$', 'JSON object'),
    ([{'statusCode': 200}], '$', 'JSON object'),
]

GOOD_HTTP2 = [
    {'statusCode': 201, 'headers': {'content-type': 'text/plain'}, 'body': 'created',
     'cookies': ['id=abc; Secure; HttpOnly']},
    {'message': 'ok', 'items': [1, 2]},  # no statusCode: the whole value is the body
    'plain text',
    [1, 2, 3],
]

BAD_HTTP2 = [
    ({'body': 'ok', 'headers': {'x': 'y'}}, '$.statusCode', 'no statusCode'),
    ({'statusCode': 200, 'body': 'ok', 'cookies': 'id=abc'}, '$.cookies', 'array'),
    ({'statusCode': 200, 'body': 'ok', 'cookies': [42]}, '$.cookies[0]', 'string'),
    ({'statusCode': 200, 'body': 'ok', 'multiValueHeaders': {'a': ['b']}},
     '$.multiValueHeaders', 'no multiValueHeaders'),
    ({'statusCode': 200, 'body': {'a': 1}}, '$.body', 'JSON.stringify'),
]


class CheckResponseTest(CliTestCase):

    def check(self, value, *options, raw=None):
        path = self.write('response.json', raw if raw is not None else json.dumps(value))
        return run(['check-response', path] + list(options), base_env())

    def assertViolation(self, result, path, words):
        self.assertEqual(result.code, 1, repr(result))
        lines = [l for l in result.out.splitlines() if l.startswith(path + ': ')]
        self.assertTrue(lines, 'no violation at %s:\n%r' % (path, result))
        self.assertIn(words, lines[0])

    def test_check_response_accepts_valid_rest_proxy_responses(self):
        for value in GOOD_REST:
            with self.subTest(value=value):
                r = self.check(value)
                self.assertEqual(r.code, 0, repr(r))
                self.assertIn('valid REST API proxy integration response', r.out)

    def test_check_response_explains_each_rest_violation_with_its_json_path(self):
        for value, path, words in BAD_REST:
            with self.subTest(value=value):
                r = self.check(value, '--api', 'rest')
                self.assertViolation(r, path, words)
                self.assertIn('API Gateway answers 502', r.out)

    def test_check_response_lists_every_violation_on_its_own_line(self):
        r = self.check({'statusCode': '200', 'headers': {'Content-Length': 12},
                        'body': {'a': 1}, 'extra': True})
        self.assertEqual(r.code, 1, repr(r))
        paths = [l.split(': ', 1)[0] for l in r.out.splitlines() if l.startswith('$')]
        self.assertEqual(sorted(paths), sorted(['$.statusCode', '$.headers["Content-Length"]',
                                                '$.body', '$.extra']))
        self.assertIn('4 violations', r.out)

    def test_check_response_defaults_to_rest_rules(self):
        r = self.check({'statusCode': 200, 'body': 'ok', 'cookies': ['a=1']})
        self.assertViolation(r, '$.cookies', 'payload format 2.0')

    def test_check_response_http_payload_1_0_uses_the_rest_shape_and_answers_500(self):
        r = self.check(GOOD_REST[0], '--api', 'http', '--payload', '1.0')
        self.assertEqual(r.code, 0, repr(r))
        self.assertIn('HTTP API payload format 1.0', r.out)
        r = self.check({'message': 'ok'}, '--api', 'http', '--payload', '1.0')
        self.assertViolation(r, '$.statusCode', 'missing')
        self.assertIn('API Gateway answers 500', r.out)
        r = self.check({'statusCode': 200, 'body': 'ok', 'cookies': ['a=1']}, '--api', 'http',
                       '--payload=1.0')
        self.assertViolation(r, '$.cookies', 'payload format 2.0')

    def test_check_response_http_payload_2_0_accepts_inferred_and_full_responses(self):
        for value in GOOD_HTTP2:
            with self.subTest(value=value):
                r = self.check(value, '--api', 'http', '--payload', '2.0')
                self.assertEqual(r.code, 0, repr(r))
                self.assertIn('valid HTTP API payload format 2.0 response', r.out)
        r = self.check({'message': 'ok'}, '--api', 'http')
        self.assertEqual(r.code, 0, repr(r))
        self.assertIn('note: no statusCode', r.out)
        self.assertIn('status 200', r.out)

    def test_check_response_http_payload_2_0_violations(self):
        for value, path, words in BAD_HTTP2:
            with self.subTest(value=value):
                r = self.check(value, '--api', 'http', '--payload', '2.0')
                self.assertViolation(r, path, words)
                self.assertIn('API Gateway answers 500', r.out)

    def test_check_response_reads_stdin(self):
        proc = subprocess.run([BIN, 'check-response', '-'], env=base_env(), text=True,
                              input='{"statusCode": 200, "body": {"ok": true}}',
                              capture_output=True, timeout=30)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertTrue(proc.stdout.startswith('$.body: '), proc.stdout)
        self.assertIn('stdin: 1 violation', proc.stdout)

    def test_check_response_usage_errors_exit_2(self):
        cases = [
            [],
            ['--api', 'grpc', '-'],
            ['-', '--api', 'rest', '--payload', '2.0'],
            ['-', '--payload', '3.0'],
            ['a.json', 'b.json'],
            [os.path.join(self.dir, 'missing.json')],
            ['-', '--bogus'],
        ]
        for args in cases:
            with self.subTest(args=args):
                r = run(['check-response'] + args, base_env())
                self.assertEqual(r.code, 2, repr(r))
                self.assertIn('usage: runbook check-response', r.err)
        r = self.check(None, raw='{"statusCode": 200,')
        self.assertEqual(r.code, 2, repr(r))
        self.assertIn('is not JSON', r.err)


if __name__ == '__main__':
    unittest.main()
