#!/usr/bin/python3
"""Cross-check of the C SigV4 signer against botocore's signer on random requests.

Generates --count random requests from a fixed --seed, signs each with botocore
(SigV4Auth, S3SigV4Auth, SigV4QueryAuth, S3SigV4QueryAuth, with time frozen) and with
`sigv4_tool batch` (one process, JSON lines), and compares canonical request, string to
sign, signature and what each signer adds to the request. Prints the first differences
with both canonical requests, then `N passed, N failed`; exits 1 on any failure.

Both signers get the same wire request. botocore derives the canonical path from the URL
(normalize, then quote(safe='/~'); S3: the path as is) and the canonical query by sorting
the URL's query string without re-encoding it, so the query is generated already encoded,
as AWS clients send it. Cases avoid what botocore treats differently by design: a Date
header, hop-by-hop headers (connection, te, ...), repeated query keys when presigning
(botocore folds them through a dict).

Needs Debian's python3-botocore: run with /usr/bin/python3.
"""
import argparse
import datetime
import json
import random
import subprocess
import sys
import types
from urllib.parse import parse_qsl, quote

try:
    import botocore.auth
    from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:
    # The dependency script installs python3-botocore: its absence is a broken setup,
    # never a reason to skip the cross-check.
    print("botocore is not installed for this python: install python3-botocore")
    sys.exit(1)


class FrozenDatetime(datetime.datetime):
    """botocore reads the clock with datetime.datetime.utcnow() (older releases) or
    botocore.utils.get_current_datetime() (newer ones); both return `frozen` here."""

    frozen = None

    @classmethod
    def utcnow(cls):
        return cls.frozen


botocore.auth.datetime = types.SimpleNamespace(datetime=FrozenDatetime)
if hasattr(botocore.auth, "get_current_datetime"):
    botocore.auth.get_current_datetime = lambda *args, **kwargs: FrozenDatetime.frozen


def recording(cls):
    """A signer class that keeps the canonical request and string to sign it computed."""

    class Recording(cls):
        def string_to_sign(self, request, canonical_request):
            self.canonical = canonical_request
            self.sts = super().string_to_sign(request, canonical_request)
            return self.sts

        def signature(self, string_to_sign, request):
            self.sig = super().signature(string_to_sign, request)
            return self.sig

    return Recording


SIGNERS = {
    "header": recording(SigV4Auth),
    "header-unsigned": recording(SigV4Auth),
    "header-s3": recording(S3SigV4Auth),
    "query": recording(SigV4QueryAuth),
    "query-s3": recording(S3SigV4QueryAuth),
}

SCOPES = [
    ("us-east-1", "lambda", "lambda.us-east-1.amazonaws.com"),
    ("eu-west-1", "monitoring", "monitoring.eu-west-1.amazonaws.com"),
    ("ap-southeast-2", "execute-api", "a1b2c3d4e5.execute-api.ap-southeast-2.amazonaws.com"),
    ("us-gov-west-1", "sts", "sts.us-gov-west-1.amazonaws.com"),
    ("cn-north-1", "logs", "logs.cn-north-1.amazonaws.com.cn"),
    ("us-east-1", "iam", "iam.amazonaws.com"),
    ("eu-central-1", "s3", "bucket.s3.eu-central-1.amazonaws.com"),
    ("us-west-2", "ec2", "127.0.0.1:4566"),
]
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD"]
PATH_PIECES = [
    "functions", "2015-03-31", "my-fn", "a b", "  x  ", "caf\u00e9", "\u1234", "\u65e5\u672c",
    "\U0001f600", "!$&'()*+,;=:@", "a%2Fb", "%20", "%41%42", "%e2%82%ac", "%zz", "%", "~user",
    "-._~", ".", "..", "", "[x]", "{y}", "a\\b", '"q"', "<>", "^`|",
]
QUERY_KEYS = [
    "Action", "Version", "Marker", "marker", "MaxItems", "a", "A", "b", "a-b", "a.b", "x y",
    "\u1234", "caf\u00e9", "k=v", "&", "+", "/", "~", "Param-3", "Param",
]
QUERY_VALUES = [
    "", "1", "ListFunctions", "2010-05-08", "a b", "a+b", "a/b", "=", "&&", "caf\u00e9",
    "\U0001f600", "%41", "~tilde", "x" * 40, "UPPER lower", "quote'd",
]
HEADER_NAMES = [
    "X-Custom-Header", "x-custom-header", "X-AMZ-META-Color", "Content-Type", "Accept",
    "X-Amz-Target", "x-amz-user-agent", "My-Header1", "my-header1", "User-Agent",
    "X-Amzn-Trace-Id", "Content-Encoding", "If-None-Match",
]
HEADER_VALUES = [
    "", "value", "  leading", "trailing  ", "  both  ", "a   b    c", "tab\there",
    '"a   b   c"', "application/x-amz-json-1.1", "application/json", "UPPER and lower",
    "a,b,c", "k=v; q=0.5", "\t mixed \t  runs \t", "caf\u00e9",
]


def random_token(rng):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+="
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(16, 300)))


def random_path(rng, s3):
    segments = [rng.choice(PATH_PIECES) for _ in range(rng.randint(0, 6))]
    path = "/" + "/".join(segments)
    if rng.random() < 0.3:
        path += "/"
    if s3:
        # S3 signs the wire path as is; botocore's serializer sends it fully encoded.
        return quote(path, safe="/~")
    # a URL ending in white space loses it in urlsplit: keep the last byte visible
    return path + "x" if path.endswith(" ") else path


def random_query(rng, unique_keys):
    keys = [rng.choice(QUERY_KEYS) for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8]))]
    if unique_keys:
        keys = list(dict.fromkeys(keys))
    parts = []
    for key in keys:
        enc_key = quote(key, safe="-_.~")
        if rng.random() < 0.1 and not unique_keys:
            parts.append(enc_key)  # a bare key: "flag"
        else:
            parts.append(enc_key + "=" + quote(rng.choice(QUERY_VALUES), safe="-_.~"))
    return "&".join(parts)


def random_headers(rng, host):
    headers = [[rng.choice(["Host", "host", "HOST"]), host]]
    for _ in range(rng.randint(0, 6)):
        headers.append([rng.choice(HEADER_NAMES), rng.choice(HEADER_VALUES)])
    rng.shuffle(headers)
    return headers


def random_body(rng, method):
    if method in ("GET", "HEAD", "DELETE") and rng.random() < 0.8:
        return b""
    kind = rng.choice(["empty", "json", "form", "binary", "text"])
    if kind == "json":
        return json.dumps({"FunctionName": "my-fn", "n": rng.randint(0, 10**6)}).encode()
    if kind == "form":
        return b"Action=ListUsers&Version=2010-05-08"
    if kind == "binary":
        return rng.randbytes(rng.randint(1, 2048))
    if kind == "text":
        return ("caf\u00e9 \U0001f600 " * rng.randint(1, 50)).encode()
    return b""


def make_case(rng, index):
    mode = rng.choice(
        ["header", "header", "header", "header-unsigned", "header-s3", "query", "query-s3"]
    )
    region, service, host = rng.choice(SCOPES)
    s3, presign = mode.endswith("s3"), mode.startswith("query")
    method = rng.choice(METHODS)
    return {
        "id": index,
        "mode": mode,
        "method": method,
        "path": random_path(rng, s3),
        "query": random_query(rng, unique_keys=presign),
        "headers": random_headers(rng, host),
        "body": b"" if presign else random_body(rng, method),
        "token": random_token(rng) if rng.random() < 0.4 else None,
        "region": region,
        "service": "s3" if s3 else service,
        "time": rng.randint(946684800, 1893456000),  # 2000..2030
        "expires": rng.choice([1, 60, 900, 3600, 604800]),
        "access_key_id": "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                                          for _ in range(16)),
        "secret_access_key": "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789/+")
                                     for _ in range(40)),
    }


def tool_request(case):
    """The same request for sigv4_tool batch."""
    mode = case["mode"]
    s3 = mode.endswith("s3")
    return {
        "id": case["id"],
        "mode": "query" if mode.startswith("query") else "header",
        "method": case["method"],
        "path": case["path"],
        "query": case["query"] or None,
        "headers": case["headers"],
        "body_hex": case["body"].hex(),
        "access_key_id": case["access_key_id"],
        "secret_access_key": case["secret_access_key"],
        "session_token": case["token"],
        "region": case["region"],
        "service": case["service"],
        "time": case["time"],
        "normalize": not s3,
        "double_encode": not s3,
        "unsigned": mode in ("header-unsigned", "query-s3"),
        "content_sha256": mode in ("header-unsigned", "header-s3"),
        "omit_session_token": False,
        "expires": case["expires"],
    }


def botocore_sign(case):
    mode = case["mode"]
    scheme = "https" if mode == "header-unsigned" else "http"
    host = next(v for n, v in case["headers"] if n.lower() == "host")
    url = f"{scheme}://{host}{case['path']}" + (f"?{case['query']}" if case["query"] else "")
    request = AWSRequest(method=case["method"], url=url, data=case["body"])
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders keeps repeated names
    if mode == "header-unsigned":
        request.context["payload_signing_enabled"] = False
    before = list(request.headers.items())
    creds = Credentials(case["access_key_id"], case["secret_access_key"], case["token"])
    cls = SIGNERS[mode]
    if mode.startswith("query"):
        signer = cls(creds, case["service"], case["region"], expires=case["expires"])
    else:
        signer = cls(creds, case["service"], case["region"])
    FrozenDatetime.frozen = datetime.datetime.fromtimestamp(
        case["time"], datetime.timezone.utc
    ).replace(tzinfo=None)
    signer.add_auth(request)
    if request.context["timestamp"] != FrozenDatetime.frozen.strftime("%Y%m%dT%H%M%SZ"):
        sys.exit("cannot freeze botocore's clock: this botocore reads the time another way")
    added = [(n.lower(), v) for n, v in request.headers.items() if (n, v) not in before]
    query = request.url.split("?", 1)[1] if mode.startswith("query") else ""
    return {
        "canonical_request": signer.canonical,
        "string_to_sign": signer.sts,
        "signature": signer.sig,
        "added": sorted(added),
        "query": sorted(parse_qsl(query, keep_blank_values=True)),
    }


def ours_normalized(result, presign):
    return {
        "canonical_request": result.get("canonical_request"),
        "string_to_sign": result.get("string_to_sign"),
        "signature": result.get("signature"),
        "added": [] if presign else sorted((n.lower(), v) for n, v in result["headers"]),
        "query": sorted(parse_qsl(result["query"], keep_blank_values=True)) if presign else [],
    }


def run_tool(tool, requests):
    stdin = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests)
    proc = subprocess.run(
        [tool, "batch"], input=stdin.encode("utf-8"), capture_output=True, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"sigv4_tool batch failed ({proc.returncode}): {proc.stderr.decode()}")
    results = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    if len(results) != len(requests):
        sys.exit(f"sigv4_tool batch returned {len(results)} results for {len(requests)}")
    return results


def report(case, request, want, got):
    print(f"--- case {case['id']} ({case['mode']}) differs in:", end="")
    print(" " + ", ".join(k for k in want if want[k] != got.get(k)))
    print("request:", json.dumps(request, ensure_ascii=False))
    print("botocore canonical request:\n" + str(want["canonical_request"]))
    print("sigv4 canonical request:\n" + str(got.get("canonical_request", got.get("error"))))
    for key in ("string_to_sign", "signature", "added", "query"):
        if want[key] != got.get(key):
            print(f"botocore {key}: {want[key]!r}\nsigv4    {key}: {got.get(key)!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tool", required=True, help="path to the sigv4_tool binary")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20150830)
    ap.add_argument("--show", type=int, default=3, help="failures to print in full")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    cases = [make_case(rng, i) for i in range(args.count)]
    requests = [tool_request(c) for c in cases]
    results = run_tool(args.tool, requests)

    passed = failed = 0
    modes = {}
    for case, request, result in zip(cases, requests, results):
        want = botocore_sign(case)
        if "error" in result or result.get("id") != case["id"]:
            got = {"error": result.get("error", "id mismatch")}
        else:
            got = ours_normalized(result, case["mode"].startswith("query"))
        if got == want:
            passed += 1
        else:
            failed += 1
            if failed <= args.show:
                report(case, request, want, got)
        modes[case["mode"]] = modes.get(case["mode"], 0) + 1
    print("modes: " + ", ".join(f"{m}={n}" for m, n in sorted(modes.items())))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
