#!/usr/bin/env python3
"""A plain Python thread pool posting create-allocate-points, one row per call.

The peer that `make bench` measures next to rewardbatch (see bench/run.sh and
docs/performance.md): what a short script would do instead of the tool. It
reads a file written by `rewardbatch generate`, logs in once with the OAuth
password grant (POST /oauth/token), and posts every allocate row from a pool
of threads, each with its own keep-alive connection. It keeps no ledger,
looks nothing up, does not reconcile answers and retries only a 429 (which
proves the call was not applied), after its Retry-After.

Python's standard library has no AES, so it talks to a sandbox started with
`--plain` (no envelope). Standard library only. Configuration is the ENKASH_*
variables `rewardbatch sandbox` prints; the result is one line of
key=value pairs on stdout:

    python3 bench/peers/pool.py --workers 16 rows.csv
"""

import argparse
import base64
import csv
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

PATH_TOKEN = "/oauth/token"
PATH_ALLOCATE = "/api/v0/partner/enKashCard/create-allocate-points"
AMOUNT = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
MAX_429_RETRIES = 5


def env(name):
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"pool.py: {name} is not set (export what `rewardbatch sandbox --plain` prints)")
    return value


class Config:
    """The ENKASH_* settings of the sandbox."""

    def __init__(self):
        url = urllib.parse.urlsplit(env("ENKASH_BASE_URL"))
        if url.scheme != "http":
            sys.exit("pool.py: only a plain-HTTP loopback sandbox is supported")
        self.host, self.port = url.hostname, url.port or 80
        self.client_id = env("ENKASH_CLIENT_ID")
        self.client_secret = env("ENKASH_CLIENT_SECRET")
        self.username = env("ENKASH_USERNAME")
        self.password = env("ENKASH_PASSWORD")
        self.partner_id = env("ENKASH_PARTNER_ID")
        self.company_id = env("ENKASH_COMPANY_ID")
        self.card_account_id = env("ENKASH_CARD_ACCOUNT_ID")
        if os.environ.get("ENKASH_ENCRYPT", "true").lower() != "false":
            sys.exit("pool.py: the sandbox must be plain (ENKASH_ENCRYPT=false): the standard library has no AES")


def login(cfg):
    """The OAuth2 password grant; returns the access token."""
    form = urllib.parse.urlencode({"grant_type": "password", "username": cfg.username,
                                   "password": cfg.password, "clientId": cfg.client_id})
    basic = base64.b64encode(f"{cfg.client_id}:{cfg.client_secret}".encode()).decode()
    conn = http.client.HTTPConnection(cfg.host, cfg.port, timeout=30)
    try:
        conn.request("POST", PATH_TOKEN, body=form, headers={
            "Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        answer = json.loads(resp.read() or b"{}")
    finally:
        conn.close()
    token = answer.get("access_token") or answer.get("accessToken")
    if resp.status != 200 or not token:
        sys.exit(f"pool.py: login failed with HTTP {resp.status}")
    return token


def bodies(cfg, path):
    """The JSON body of every allocate, top-up and debit row of the file."""
    out = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            op = row.get("operation") or "allocate"
            amount = row["loadAmount"].strip()
            if not AMOUNT.match(amount):
                sys.exit(f"pool.py: line {len(out) + 2}: loadAmount {amount!r} is not a plain decimal")
            debit = op == "debit"
            fields = {
                "companyId": cfg.company_id, "cardAccountId": cfg.card_account_id,
                "transactionCode": "ALLOCATION", "transactionType": "DR" if debit else "CR",
                "type": "UNALLOCATE_POINT" if debit else "ALLOCATE_POINT",
                "uniqueReferenceNumber": row["uniqueReferenceNumber"],
            }
            for key in ("enkashCardId", "email", "mobile", "title", "firstName", "gender"):
                if row.get(key):
                    fields[key] = row[key]
            # The amount goes on the wire as the decimal it is, never as a float.
            out.append((json.dumps(fields)[:-1] + ',"loadAmount":' + amount + "}").encode())
    return out


class Counts:
    """Outcomes, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.n = {"ok": 0, "refused": 0, "http429": 0, "otherHTTP": 0, "errors": 0}

    def add(self, key):
        with self.lock:
            self.n[key] += 1


def outcome(status, data):
    """The count an answer other than a 429 goes to."""
    if status != 200:
        return "otherHTTP"
    try:
        code = json.loads(data).get("code")
    except (ValueError, AttributeError):
        return "otherHTTP"
    return "ok" if code == 0 else "refused"


def worker(cfg, token, rows, counts):
    """Posts its share of the rows over one keep-alive connection."""
    conn = http.client.HTTPConnection(cfg.host, cfg.port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token, "partnerId": cfg.partner_id}
    for body in rows:
        for attempt in range(MAX_429_RETRIES + 1):
            try:
                conn.request("POST", PATH_ALLOCATE, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                counts.add("errors")  # unknown whether it was applied: not sent again
                conn.close()
                conn = http.client.HTTPConnection(cfg.host, cfg.port, timeout=30)
                break
            if resp.status == 429:
                counts.add("http429")
                if attempt < MAX_429_RETRIES:
                    time.sleep(float(resp.getheader("Retry-After") or 1))
                    continue
                break
            counts.add(outcome(resp.status, data))
            break
    conn.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=16, help="threads, each with its own connection")
    p.add_argument("file", help="a CSV file written by `rewardbatch generate`")
    a = p.parse_args()
    cfg = Config()
    rows = bodies(cfg, a.file)
    start = time.monotonic()
    token = login(cfg)
    counts = Counts()
    shares = [rows[i::a.workers] for i in range(a.workers)]
    with ThreadPoolExecutor(max_workers=a.workers) as pool:
        for f in [pool.submit(worker, cfg, token, share, counts) for share in shares]:
            f.result()
    secs = time.monotonic() - start
    n = counts.n
    print(f"tool=python-pool workers={a.workers} rows={len(rows)} ok={n['ok']} refused={n['refused']} "
          f"http429={n['http429']} otherHTTP={n['otherHTTP']} errors={n['errors']} "
          f"seconds={secs:.2f} rowsPerSecond={n['ok'] / secs:.0f}")
    return 0 if n["ok"] == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
