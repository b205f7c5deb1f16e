#!/usr/bin/python3
"""How many requests per second the fake AWS server answers for a fleet-sized world.

Exists so the fake's capacity is a measured figure, not a guess: gen_world.py writes
--functions functions over two Regions, one server serves it, and the calls a fleet
triage makes (ListFunctions pages, GetFunction, ListTags, GetMetricData with 500
queries) are signed once by botocore and then sent again and again, as they are, by
--clients processes (one keep-alive connection each), one operation for --seconds, then
the next: the clients cost little, so the figures are the server's. Prints the world's
generation and load times and requests/second per operation.

    /usr/bin/python3 bench/fleet/fake_rate.py [--functions 2000] [--clients 4] [--seconds 10]
"""

import argparse
import datetime
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'fake_aws'))
sys.modules.setdefault('awscrt', None)

import botocore.config  # noqa: E402
import botocore.session  # noqa: E402

from harness import FakeAws  # noqa: E402

REGIONS = ('us-east-1', 'us-west-2')


class _Captured(Exception):
    pass


def signed(session, fake, cred, service, region, method, params):
    """(operation, method, path, headers, body) of one request as botocore signs it."""
    client = session.create_client(
        service, endpoint_url=fake.url, region_name=region,
        aws_access_key_id=cred['access_key_id'],
        aws_secret_access_key=cred['secret_access_key'],
        config=botocore.config.Config(retries={'total_max_attempts': 1}))
    box = {}

    def capture(request, **_):
        box['request'] = request
        raise _Captured()

    client.meta.events.register('before-send', capture)
    try:
        getattr(client, method)(**params)
    except _Captured:
        pass
    client.close()
    req = box['request']
    url = urllib.parse.urlsplit(req.url)
    body = req.body if isinstance(req.body, bytes) else (req.body or '').encode()
    headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()}
    return (method, req.method, url.path + ('?' + url.query if url.query else ''), headers,
            body)


def metric_queries(names):
    out = []
    for i, name in enumerate(names[:125]):
        for j, metric in enumerate(('Invocations', 'Errors', 'Throttles', 'Duration')):
            out.append({'Id': 'm%d_%d' % (i, j), 'MetricStat': {
                'Metric': {'Namespace': 'AWS/Lambda', 'MetricName': metric,
                           'Dimensions': [{'Name': 'FunctionName', 'Value': name}]},
                'Period': 300, 'Stat': 'Sum' if metric != 'Duration' else 'Maximum'}})
    return out


def requests_for(session, fake, world):
    out = []
    end = datetime.datetime.now(datetime.timezone.utc)
    for entry in world['worlds']:
        cred, region = world['worlds'][0]['credentials'][0], entry['region']
        names = sorted(entry['lambda']['functions'])
        arn = 'arn:aws:lambda:%s:%s:function:' % (region, entry['account_id'])
        out.append(signed(session, fake, cred, 'lambda', region, 'list_functions',
                          {'MaxItems': 50}))
        out.append(signed(session, fake, cred, 'lambda', region, 'get_function',
                          {'FunctionName': names[0]}))
        out.append(signed(session, fake, cred, 'lambda', region, 'list_tags',
                          {'Resource': arn + names[1]}))
        out.append(signed(session, fake, cred, 'cloudwatch', region, 'get_metric_data',
                          {'MetricDataQueries': metric_queries(names),
                           'StartTime': end - datetime.timedelta(hours=1), 'EndTime': end}))
    return out


def client_loop(port, requests, seconds, queue):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
    counts, bad = {}, 0
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        op, method, path, headers, body = requests[i % len(requests)]
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            bad += 1
        counts[op] = counts.get(op, 0) + 1
        i += 1
    conn.close()
    queue.put((counts, bad))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--functions', type=int, default=2000)
    parser.add_argument('--clients', type=int, default=4)
    parser.add_argument('--seconds', type=float, default=10)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix='fake_rate.')
    world_path = os.path.join(tmp, 'world.json')
    started = time.monotonic()
    subprocess.run(['/usr/bin/python3', os.path.join(HERE, 'gen_world.py'), '--functions',
                    str(args.functions), '--regions', ','.join(REGIONS), '--out',
                    world_path], check=True)
    generated = time.monotonic() - started
    with open(world_path, encoding='utf-8') as fh:
        world = json.load(fh)
    started = time.monotonic()
    fake = FakeAws(world_path).start()
    loaded = time.monotonic() - started
    try:
        requests = requests_for(botocore.session.get_session(), fake, world)
        counts, bad = {}, 0
        for op in sorted({r[0] for r in requests}):  # one operation at a time
            mine = [r for r in requests if r[0] == op]
            queue = multiprocessing.Queue()
            procs = [multiprocessing.Process(target=client_loop, args=(
                fake.port, mine[i % len(mine):] + mine[:i % len(mine)], args.seconds, queue))
                for i in range(args.clients)]
            for proc in procs:
                proc.start()
            for _ in procs:
                result, failed = queue.get()
                counts[op] = counts.get(op, 0) + result.get(op, 0)
                bad += failed
            for proc in procs:
                proc.join()
    finally:
        fake.stop()
    print('world: %d functions over %s, generated in %.1f s, loaded in %.1f s'
          % (args.functions, ','.join(REGIONS), generated, loaded))
    for op in sorted(counts):
        print('  %-16s %6d requests in %g s: %7.1f /s' % (op, counts[op], args.seconds,
                                                         counts[op] / args.seconds))
    print('  (%d client processes, one operation at a time; %d answers not 200)'
          % (args.clients, bad))
    return 0 if bad == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
