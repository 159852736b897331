#!/usr/bin/python3
"""Readiness / identity probes used by scripts/services.sh.

Written in Python (the interpreter Swift itself runs on, so it is always
present once Swift is installed) because a SigV4-signed request cannot be
made reliably with plain bash, and curl is not guaranteed on a fresh machine.

Usage:
  probe.py health PORT                          Swift /healthcheck on 127.0.0.1
  probe.py memcached PORT                       memcached "version" command
  probe.py s3 ENDPOINT REGION ACCESS SECRET     signed S3 ListBuckets

Exit codes (services.sh relies on them):
  0  answering as expected
  2  nothing listening / connection failed
  3  S3 answered but rejected the credentials (403)
  4  something answered, but not what we expected (or a 5xx)
"""
import datetime
import hashlib
import hmac
import http.client
import socket
import sys
import urllib.parse

TIMEOUT = 3.0
HOST = "127.0.0.1"


def health(port):
    try:
        conn = http.client.HTTPConnection(HOST, int(port), timeout=TIMEOUT)
        conn.request("GET", "/healthcheck")
        resp = conn.getresponse()
        body = resp.read()
    except OSError:
        return 2
    except http.client.HTTPException:
        return 4
    return 0 if resp.status == 200 and body.strip() == b"OK" else 4


def memcached(port):
    try:
        with socket.create_connection((HOST, int(port)), timeout=TIMEOUT) as s:
            s.sendall(b"version\r\n")
            data = s.recv(128)
    except OSError:
        return 2
    return 0 if data.startswith(b"VERSION ") else 4


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def s3(endpoint, region, access_key, secret_key):
    url = urllib.parse.urlsplit(endpoint)
    host = url.netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(b"").hexdigest()
    signed_headers = "host;x-amz-content-sha256;x-amz-date"
    canonical_request = "\n".join([
        "GET", "/", "",
        "host:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n" % (host, payload_hash, amz_date),
        signed_headers, payload_hash,
    ])
    scope = "%s/%s/s3/aws4_request" % (day, region)
    string_to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope,
        hashlib.sha256(canonical_request.encode()).hexdigest(),
    ])
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {
        "Host": host,
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_hash,
        "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (access_key, scope, signed_headers, signature),
    }
    try:
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=TIMEOUT)
        conn.request("GET", "/", headers=headers)
        resp = conn.getresponse()
        body = resp.read()
    except OSError:
        return 2
    except http.client.HTTPException:
        return 4
    if resp.status == 200 and b"ListAllMyBucketsResult" in body:
        return 0
    if resp.status == 403 and (b"SignatureDoesNotMatch" in body or b"InvalidAccessKeyId" in body
                               or b"AccessDenied" in body):
        return 3
    sys.stderr.write("S3 ListBuckets answered HTTP %d: %s\n" % (resp.status, body[:300]))
    return 4


def main(argv):
    if len(argv) >= 2:
        cmd, args = argv[1], argv[2:]
        if cmd == "health" and len(args) == 1:
            return health(*args)
        if cmd == "memcached" and len(args) == 1:
            return memcached(*args)
        if cmd == "s3" and len(args) == 4:
            return s3(*args)
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
