#!/usr/bin/env python3
"""Mixed traffic against a running iam-emulator, for bench/soak-emulator.sh.

Worker processes (each with threads, each thread one keep-alive connection) run a mix of
operations as fast as the emulator answers: grants of every kind (apikey, refresh, passcode,
cr-token, assume, delegated refresh token, VPC instance identity), IAM Identity CRUD (service IDs, API keys), paged
lists followed by their `next` links, admin calls, and injected faults (503, delay, drop) on
paths reserved for them. Every answer is checked against what that operation may answer; any
other status, a body that is not what the operation needs, or a connection error outside a
dropped-connection fault is an unexpected error.

One thread revokes every refresh token every 30 s, so the sessions the grants store (kept 30
days by design) do not grow the state without bound; a refresh or delegated grant refused
with BXNIM0407E after such a revoke is expected.

Only loopback: the URL must be http://127.0.0.1:PORT or http://[::1]:PORT.

Prints one JSON object on stdout: per-minute counts and p99, the unexpected errors (the first
20 in full) and the count per operation.
"""

import base64
import http.client
import json
import multiprocessing
import os
import random
import sys
import threading
import time
import urllib.parse

APIKEY = "urn:ibm:params:oauth:grant-type:apikey"
REFRESH = "refresh_token"
PASSCODE = "urn:ibm:params:oauth:grant-type:passcode"
CR = "urn:ibm:params:oauth:grant-type:cr-token"
ASSUME = "urn:ibm:params:oauth:grant-type:assume"
DELEGATED = "urn:ibm:params:oauth:grant-type:delegated-refresh-token"
BX = "Basic " + base64.b64encode(b"bx:bx").decode()
KUBE = "Basic " + base64.b64encode(b"kube:kube").decode()
REVOKED = "BXNIM0407E"


class Unexpected(Exception):
    pass


class Conn:
    """One keep-alive connection; reconnects after the server closes it."""

    def __init__(self, host, port, record):
        self.host, self.port, self.record = host, port, record
        self.c = None

    def request(self, op, method, path, body=None, headers=None, form=None, ok=(200,), may_drop=False):
        headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.c.request(method, path, body=body, headers=headers)
            resp = self.c.getresponse()
            data = resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as e:
            if self.c is not None:
                self.c.close()
            self.c = None
            self.record(op, time.monotonic() - started)
            if may_drop:
                return None, None
            raise Unexpected(f"{op}: {method} {path}: connection error {e!r}")
        if resp.getheader("Connection", "").lower() == "close":
            self.c.close()
            self.c = None
        self.record(op, time.monotonic() - started)
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        if status not in ok:
            raise Unexpected(f"{op}: {method} {path}: {status} {data[:300]!r}")
        return status, parsed


class Worker:
    def __init__(self, url, info, deadline, revokes, record, errors):
        u = urllib.parse.urlsplit(url)
        self.conn = Conn(u.hostname, u.port, record)
        self.info = info
        self.account = info["accounts"][0]["id"]
        self.deadline = deadline
        self.revokes = revokes  # shared counter: twice the revokes so far, odd while one runs
        self.errors = errors
        self.rng = random.Random()

    def maybe_revoked(self, gen):
        """Whether a revoke ran since `gen` was read (or was running then)."""
        return gen % 2 == 1 or self.revokes.value != gen

    def grant(self, op, form, auth=None, ok=(200,)):
        headers = {"Accept": "application/json"}
        if auth:
            headers["Authorization"] = auth
        return self.conn.request(op, "POST", "/identity/token", form=form, headers=headers, ok=ok)

    def need(self, body, field, op):
        v = (body or {}).get(field)
        if not v:
            raise Unexpected(f"{op}: no {field} in {json.dumps(body)[:300]}")
        return v

    def user_token(self):
        _, b = self.grant("grant:apikey", {"grant_type": APIKEY, "apikey": self.info["apikey"]})
        return self.need(b, "access_token", "grant:apikey")

    # --- operations -------------------------------------------------------------------------

    def op_apikey_and_refresh(self):
        gen = self.revokes.value
        _, b = self.grant("grant:apikey+bx", {"grant_type": APIKEY, "apikey": self.info["apikey"]}, BX)
        rt = self.need(b, "refresh_token", "grant:apikey+bx")
        status, b = self.grant("grant:refresh", {"grant_type": REFRESH, "refresh_token": rt}, BX, ok=(200, 400))
        if status == 400 and not (b and b.get("errorCode") == REVOKED and self.maybe_revoked(gen)):
            raise Unexpected(f"grant:refresh: 400 without a revoke: {b}")

    def op_passcode(self):
        _, p = self.conn.request("admin:passcode", "POST", "/emulator/passcodes", body={})
        code = self.need(p, "passcode", "admin:passcode")
        _, b = self.grant("grant:passcode", {"grant_type": PASSCODE, "passcode": code})
        self.need(b, "access_token", "grant:passcode")

    def op_cr_token(self):
        info = self.info
        _, c = self.conn.request(
            "admin:cr-token", "POST", "/emulator/cr-tokens",
            body={"cr_type": "IKS_SA", "crn": info["iks_cluster_crn"],
                  "namespace": info["iks_namespace"], "name": info["iks_service_account"]},
        )
        cr = self.need(c, "cr_token", "admin:cr-token")
        _, b = self.grant("grant:cr-token", {"grant_type": CR, "cr_token": cr, "profile_name": info["profile_name"]})
        self.need(b, "access_token", "grant:cr-token")

    def op_assume(self):
        _, b = self.grant("grant:apikey(service)", {"grant_type": APIKEY, "apikey": self.info["service_apikey"]})
        tok = self.need(b, "access_token", "grant:apikey(service)")
        _, b = self.grant("grant:assume", {"grant_type": ASSUME, "access_token": tok, "profile_id": self.info["profile_id"]})
        self.need(b, "access_token", "grant:assume")

    def op_delegated(self):
        gen = self.revokes.value
        _, b = self.grant(
            "grant:apikey+delegate",
            {"grant_type": APIKEY, "apikey": self.info["apikey"],
             "response_type": "cloud_iam delegated_refresh_token", "receiver_client_ids": "kube"},
            BX,
        )
        drt = self.need(b, "delegated_refresh_token", "grant:apikey+delegate")
        status, b = self.grant("grant:delegated", {"grant_type": DELEGATED, "refresh_token": drt}, KUBE, ok=(200, 400))
        if status == 400 and not (b and b.get("errorCode") == REVOKED and self.maybe_revoked(gen)):
            raise Unexpected(f"grant:delegated: 400 without a revoke: {b}")

    def op_vpc(self):
        _, b = self.conn.request("vpc:instance-token", "PUT", "/instance_identity/v1/token?version=2022-03-01",
                                 body={"expires_in": 300}, headers={"Metadata-Flavor": "ibm"})
        tok = self.need(b, "access_token", "vpc:instance-token")
        _, b = self.conn.request("vpc:iam-token", "POST", "/instance_identity/v1/iam_token?version=2022-03-01",
                                 body={"trusted_profile": {"id": self.info["profile_id"]}},
                                 headers={"Metadata-Flavor": "ibm", "Authorization": f"Bearer {tok}"})
        self.need(b, "access_token", "vpc:iam-token")

    def op_crud(self):
        tok = self.user_token()
        auth = {"Authorization": f"Bearer {tok}"}
        name = f"soak-{os.getpid()}-{threading.get_ident()}-{self.rng.randrange(1 << 30)}"
        _, s = self.conn.request("crud:create-serviceid", "POST", "/v1/serviceids/",
                                 body={"account_id": self.account, "name": name}, headers=auth, ok=(201,))
        sid = self.need(s, "id", "crud:create-serviceid")
        _, s = self.conn.request("crud:get-serviceid", "GET", f"/v1/serviceids/{sid}", headers=auth)
        etag = self.need(s, "entity_tag", "crud:get-serviceid")
        self.conn.request("crud:update-serviceid", "PUT", f"/v1/serviceids/{sid}",
                          body={"name": name + "-r", "description": "soak"},
                          headers={**auth, "If-Match": etag})
        _, k = self.conn.request("crud:create-apikey", "POST", "/v1/apikeys",
                                 body={"account_id": self.account, "name": name, "iam_id": s["iam_id"]},
                                 headers=auth, ok=(201,))
        kid = self.need(k, "id", "crud:create-apikey")
        self.conn.request("crud:delete-apikey", "DELETE", f"/v1/apikeys/{kid}", headers=auth, ok=(204,))
        self.conn.request("crud:delete-serviceid", "DELETE", f"/v1/serviceids/{sid}", headers=auth, ok=(204,))

    def op_lists(self):
        tok = self.user_token()
        auth = {"Authorization": f"Bearer {tok}"}
        for path in (f"/v1/serviceids/?account_id={self.account}&pagesize=2",
                     f"/v1/apikeys?account_id={self.account}&pagesize=2",
                     f"/v1/profiles?account_id={self.account}&pagesize=1"):
            for _ in range(3):  # at most three pages each
                _, page = self.conn.request("list:page", "GET", path, headers=auth)
                nxt = (page or {}).get("next")
                if not nxt:
                    break
                u = urllib.parse.urlsplit(nxt)
                path = f"{u.path}?{u.query}"
        self.conn.request("list:accounts", "GET", "/coe/v2/accounts", headers=auth)
        self.conn.request("list:resource-groups", "GET", f"/v2/resource_groups?account_id={self.account}",
                          headers=auth, ok=(200, 503))

    def op_admin(self):
        self.conn.request("admin:stats", "GET", "/emulator/stats")
        self.conn.request("admin:clock", "GET", "/emulator/clock")
        self.conn.request("admin:faults", "GET", "/emulator/faults")
        self.conn.request("admin:config", "GET", "/emulator/config")
        self.conn.request("meta:keys", "GET", "/identity/keys")

    def op_faults(self):
        # Each on a path only this operation (and lists, for resource groups) uses.
        kind = self.rng.randrange(3)
        if kind == 0:
            self.conn.request("fault:arm-503", "POST", "/emulator/faults",
                              body={"path": "/v2/resource_groups", "status": 503, "count": 1, "retry_after": 1})
            tok = self.user_token()
            self.conn.request("fault:503", "GET", f"/v2/resource_groups?account_id={self.account}",
                              headers={"Authorization": f"Bearer {tok}"}, ok=(200, 503))
        elif kind == 1:
            self.conn.request("fault:arm-delay", "POST", "/emulator/faults",
                              body={"path": "/identity/.well-known/openid-configuration", "delay_ms": 50, "count": 1})
            self.conn.request("fault:delay", "GET", "/identity/.well-known/openid-configuration", ok=(200, 404))
        else:
            self.conn.request("fault:arm-drop", "POST", "/emulator/faults",
                              body={"path": "/identity/passcode", "drop": True, "count": 1})
            # Dropped, or (another thread took the fault) the passcode page.
            self.conn.request("fault:drop", "GET", "/identity/passcode", may_drop=True, ok=(200,))

    def run(self):
        ops = [
            (self.op_apikey_and_refresh, 4),
            (self.op_passcode, 2),
            (self.op_cr_token, 2),
            (self.op_assume, 2),
            (self.op_delegated, 2),
            (self.op_vpc, 1),
            (self.op_crud, 3),
            (self.op_lists, 2),
            (self.op_admin, 1),
            (self.op_faults, 1),
        ]
        choices = [f for f, w in ops for _ in range(w)]
        # Bounded by the deadline; the iteration cap is a second bound no soak reaches.
        for _ in range(100_000_000):
            if time.time() >= self.deadline:
                break
            op = self.rng.choice(choices)
            try:
                op()
            except Unexpected as e:
                self.errors.append(str(e))


def revoker(url, deadline, revokes, record, errors, every=30):
    u = urllib.parse.urlsplit(url)
    conn = Conn(u.hostname, u.port, record)
    nxt = time.time() + every
    while time.time() < deadline:
        time.sleep(max(0.0, min(1.0, nxt - time.time())))
        if time.time() >= nxt and time.time() < deadline:
            # Odd while a revoke is in flight, even once it is answered: a grant made while
            # the count was odd, or before it moved, may have been revoked.
            with revokes.get_lock():
                revokes.value += 1
            try:
                conn.request("admin:revoke", "POST", "/emulator/refresh-tokens/revoke")
            except Unexpected as e:
                errors.append(str(e))
            with revokes.get_lock():
                revokes.value += 1
            nxt += every


def process_main(url, info, start, deadline, threads, revokes, out_q, with_revoker):
    last_minute = max(0, int((deadline - start - 1) // 60))
    lock = threading.Lock()
    minutes = {}  # minute -> list of latencies (s)
    per_op = {}
    errors = []

    def record(op, seconds):
        # A request that ends just after the deadline counts in the last minute.
        m = min(int((time.time() - start) // 60), last_minute)
        with lock:
            minutes.setdefault(m, []).append(seconds)
            per_op[op] = per_op.get(op, 0) + 1

    ts = [threading.Thread(target=Worker(url, info, deadline, revokes, record, errors).run) for _ in range(threads)]
    if with_revoker:
        ts.append(threading.Thread(target=revoker, args=(url, deadline, revokes, record, errors)))
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out_q.put({"minutes": minutes, "per_op": per_op, "errors": errors})


def main():
    url, seconds = sys.argv[1], float(sys.argv[2])
    procs_n = int(os.environ.get("SOAK_PROCS", "2"))
    threads = int(os.environ.get("SOAK_THREADS", "8"))
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("127."):
        sys.exit(f"soak_emulator.py: {url} is not loopback; refusing")
    info = json.loads(sys.stdin.readline())
    start = time.time()
    deadline = start + seconds
    revokes = multiprocessing.Value("i", 0)
    q = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=process_main, args=(url, info, start, deadline, threads, revokes, q, i == 0))
        for i in range(procs_n)
    ]
    for p in procs:
        p.start()
    results = [q.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    minutes, per_op, errors = {}, {}, []
    for r in results:
        for m, lat in r["minutes"].items():
            minutes.setdefault(int(m), []).extend(lat)
        for op, n in r["per_op"].items():
            per_op[op] = per_op.get(op, 0) + n
        errors.extend(r["errors"])
    rows = []
    for m in sorted(minutes):
        lat = sorted(minutes[m])
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
        rows.append({"minute": m + 1, "requests": len(lat), "p50_ms": round(p(0.50), 2),
                     "p99_ms": round(p(0.99), 2), "max_ms": round(lat[-1] * 1000, 2)})
    print(json.dumps({"minutes": rows, "per_op": dict(sorted(per_op.items())),
                      "unexpected_errors": len(errors), "first_errors": errors[:20],
                      "revokes": revokes.value // 2, "processes": procs_n, "threads": threads}))


if __name__ == "__main__":
    main()
