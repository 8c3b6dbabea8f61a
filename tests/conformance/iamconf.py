"""Shared helpers for the conformance suite: the emulator process, token grants, and assertions
on IBM's wire formats (token endpoint error body, IAM Identity v1 error body, JWT claims)."""

import base64
import json
import os
import re
import selectors
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import jwt
import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]

GRANT_APIKEY = "urn:ibm:params:oauth:grant-type:apikey"
GRANT_PASSCODE = "urn:ibm:params:oauth:grant-type:passcode"
GRANT_PASSWORD = "password"
GRANT_REFRESH = "refresh_token"
GRANT_CR_TOKEN = "urn:ibm:params:oauth:grant-type:cr-token"
GRANT_ASSUME = "urn:ibm:params:oauth:grant-type:assume"

BX = ("bx", "bx")
HTTP_TIMEOUT = 15
READY_TIMEOUT = 60

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# IBM's v1 timestamps: minute precision, offset without a colon (2026-02-19T18:59+0000).
IBM_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}\+0000$")
BXNIM_RE = re.compile(r"^BXNIM\d{4}[EW]$")

_RUNNING = []


def running_emulators():
    return list(_RUNNING)


def emulator_binary():
    path = os.environ.get("IAM_EMULATOR_BIN") or str(REPO_ROOT / "target" / "debug" / "iam-emulator")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"iam-emulator binary not found at {path}: build it with `cargo build -p iam-emulator` "
            "(or run the whole suite with `scripts/test`), or point IAM_EMULATOR_BIN at it",
            pytrace=False,
        )
    return path


class EmulatorInfo(dict):
    """The emulator's ready line (a dict), plus helpers for its admin API."""

    @property
    def url(self):
        return self["url"]

    def admin(self, method, path, **kwargs):
        """A request to the admin API, bearing the ready line's admin token when it has one."""
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        if self.get("admin_token"):
            kwargs["headers"] = {"Authorization": "Bearer " + self["admin_token"], **kwargs.get("headers", {})}
        return requests.request(method, self.url + path, **kwargs)

    def new_passcode(self, user=None):
        """POST /emulator/passcodes; user None -> empty body (the demo SSO user)."""
        if user is None:
            r = self.admin("POST", "/emulator/passcodes")
        else:
            r = self.admin("POST", "/emulator/passcodes", json={"user": user})
        assert r.status_code in (200, 201), f"POST /emulator/passcodes: {r.status_code} {r.text}"
        code = r.json()["passcode"]
        assert isinstance(code, str) and code
        return code

    def stats(self):
        r = self.admin("GET", "/emulator/stats")
        assert r.status_code == 200, f"GET /emulator/stats: {r.status_code} {r.text}"
        return r.json()

    def add_fault(self, **fault):
        r = self.admin("POST", "/emulator/faults", json=fault)
        assert r.status_code in (200, 201, 204), f"POST /emulator/faults {fault}: {r.status_code} {r.text}"

    def clear_faults(self):
        r = self.admin("DELETE", "/emulator/faults")
        assert r.status_code in (200, 204), f"DELETE /emulator/faults: {r.status_code} {r.text}"

    def set_config(self, **config):
        r = self.admin("PUT", "/emulator/config", json=config)
        assert r.status_code in (200, 204), f"PUT /emulator/config {config}: {r.status_code} {r.text}"

    def revoke_refresh_tokens(self):
        r = self.admin("POST", "/emulator/refresh-tokens/revoke")
        assert r.status_code in (200, 204), f"POST /emulator/refresh-tokens/revoke: {r.status_code} {r.text}"

    def cr_token(self, **resource):
        """POST /emulator/cr-tokens: a compute-resource token (cr_type, crn, namespace, name,
        component_type, component_name, ttl)."""
        r = self.admin("POST", "/emulator/cr-tokens", json=resource)
        assert r.status_code == 200, f"POST /emulator/cr-tokens {resource}: {r.status_code} {r.text}"
        token = r.json()["cr_token"]
        assert isinstance(token, str) and token.count(".") == 2
        return token

    def demo_sa_token(self, **extra):
        """The compute-resource token of the ready line's IKS service account (the demo
        profile's link)."""
        return self.cr_token(
            cr_type="IKS_SA",
            crn=self["iks_cluster_crn"],
            namespace=self["iks_namespace"],
            name=self["iks_service_account"],
            **extra,
        )

    def advance_clock(self, seconds):
        """POST /emulator/clock: moves the emulator's time (back when negative), so tests see
        tokens, sessions and passcodes expire without waiting. Returns {"now", "offset_seconds"}."""
        r = self.admin("POST", "/emulator/clock", json={"advance_seconds": seconds})
        assert r.status_code == 200, f"POST /emulator/clock {seconds}: {r.status_code} {r.text}"
        return r.json()


class EmulatorProcess:
    def __init__(self, args):
        self.args = args
        self.stderr_file = tempfile.NamedTemporaryFile(prefix="iam-emulator-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr_file,
        )
        self.info = EmulatorInfo()

    def stderr_tail(self, limit=6000):
        try:
            data = Path(self.stderr_file.name).read_bytes()
        except OSError:
            return "(no stderr)"
        text = data.decode("utf-8", "replace")
        return text[-limit:] if len(text) > limit else text

    def _fail(self, why):
        self._kill()
        pytest.fail(
            f"iam-emulator ({' '.join(self.args)}) {why}\n--- stderr ---\n{self.stderr_tail()}",
            pytrace=False,
        )

    @classmethod
    def start(cls, *extra):
        args = [emulator_binary(), "--listen", "127.0.0.1:0", *extra]
        self = cls(args)
        line = self._read_ready_line()
        try:
            info = json.loads(line)
        except ValueError:
            self._fail(f"printed a first stdout line that is not JSON: {line!r}")
        if not isinstance(info, dict):
            self._fail(f"ready line is not a JSON object: {line!r}")
        missing = [k for k in ("url", "apikey", "username", "password", "sso_user", "accounts") if k not in info]
        if missing:
            self._fail(f"ready line lacks {missing}: {line!r}")
        self.info.update(info)
        # Keep draining stdout so the emulator can never block on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()
        _RUNNING.append(self)
        return self

    def _read_ready_line(self):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        buf = b""
        deadline = time.monotonic() + READY_TIMEOUT
        while b"\n" not in buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(f"printed no ready line within {READY_TIMEOUT}s (stdout so far: {buf!r})")
            if not sel.select(timeout=remaining):
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                self.proc.wait(timeout=5)
                self._fail(f"exited with status {self.proc.returncode} before its ready line (stdout: {buf!r})")
            buf += chunk
        sel.close()
        return buf.split(b"\n", 1)[0].decode("utf-8")

    def _drain(self):
        try:
            while os.read(self.proc.stdout.fileno(), 65536):
                pass
        except (OSError, ValueError):
            pass

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def stop(self):
        crashed = self.proc.poll()
        self._kill()
        if self in _RUNNING:
            _RUNNING.remove(self)
        try:
            self.proc.stdout.close()
        except OSError:
            pass
        if crashed is not None:
            pytest.fail(
                f"iam-emulator exited on its own (status {crashed}) during the tests\n"
                f"--- stderr ---\n{self.stderr_tail()}",
                pytrace=False,
            )
        os.unlink(self.stderr_file.name)


# ---------------------------------------------------------------------------------------------
# Token endpoint


def post_token(url, data, auth=None, headers=None):
    """POST {url}/identity/token with a form body, as IBM's clients do."""
    h = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    if headers:
        h.update(headers)
    return requests.post(url + "/identity/token", data=data, auth=auth, headers=h, timeout=HTTP_TIMEOUT)


def grant(url, data, auth=None):
    """A token grant that must succeed; returns the JSON body."""
    r = post_token(url, data, auth=auth)
    assert r.status_code == 200, f"token grant {data.get('grant_type')!r} failed: {r.status_code} {r.text}"
    return r.json()


def apikey_grant(url, apikey, auth=None):
    return grant(url, {"grant_type": GRANT_APIKEY, "apikey": apikey, "response_type": "cloud_iam"}, auth=auth)


def password_grant(url, username, password, auth=BX):
    return grant(url, {"grant_type": GRANT_PASSWORD, "username": username, "password": password}, auth=auth)


def passcode_grant(url, passcode, auth=BX):
    return grant(url, {"grant_type": GRANT_PASSCODE, "passcode": passcode}, auth=auth)


def refresh_grant(url, refresh_token, auth=BX, **extra):
    return grant(url, {"grant_type": GRANT_REFRESH, "refresh_token": refresh_token, **extra}, auth=auth)


def claims(token):
    """The JWT payload, decoded without verification (as IBM's SDKs do)."""
    return jwt.decode(token, options={"verify_signature": False})


def sdk_bearer(authenticator):
    """The token an IBM SDK authenticator puts in Authorization, as every service does before
    sending a request."""
    req = {"headers": {}}
    authenticator.authenticate(req)
    value = req["headers"]["Authorization"]
    assert value.startswith("Bearer ")
    return value[len("Bearer ") :]


def verify_token(emu, token):
    """Verify an access token's RS256 signature against /identity/keys, and its issuer."""
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256", header
    kid = header.get("kid")
    assert kid, f"token header has no kid: {header}"
    r = requests.get(emu.url + "/identity/keys", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    matching = [k for k in r.json()["keys"] if k.get("kid") == kid]
    assert len(matching) == 1, f"/identity/keys has no single key with kid {kid!r}"
    key = jwt.PyJWK(matching[0], algorithm="RS256")
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        issuer=emu.url + "/identity",
        options={"verify_aud": False, "require": ["exp", "iat", "iss"]},
    )


def bearer(token):
    return {"Authorization": "Bearer " + token, "Accept": "application/json"}


def user_token(emu, auth=None):
    """An access token of the demo password user (API-key grant)."""
    return apikey_grant(emu.url, emu["apikey"], auth=auth)["access_token"]


def user_accounts(emu, token):
    """The caller's accounts from GET /coe/v2/accounts: list of (guid, ims id or None, name)."""
    r = requests.get(emu.url + "/coe/v2/accounts", headers=bearer(token), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"GET /coe/v2/accounts: {r.status_code} {r.text}"
    out = []
    for res in r.json()["resources"]:
        ims = None
        for link in res["metadata"].get("linked_accounts") or []:
            if link.get("origin") == "IMS":
                ims = str(link["id"])
        out.append((res["metadata"]["guid"], ims, res["entity"]["name"]))
    return out


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------------------------
# Assertions on IBM's wire formats


def assert_token_error(resp, status, code=None):
    """IBM's token-endpoint error: HTTP status, JSON body with errorCode/errorMessage/
    errorDetails and a context whose requestType is incoming.Identity_Token."""
    statuses = (status,) if isinstance(status, int) else tuple(status)
    assert resp.status_code in statuses, f"expected HTTP {status}, got {resp.status_code}: {resp.text}"
    assert "json" in resp.headers.get("Content-Type", ""), f"error body is not JSON: {resp.headers}"
    body = resp.json()
    for key in ("errorCode", "errorMessage", "errorDetails", "context"):
        assert key in body, f"token error body lacks {key!r}: {body}"
    assert BXNIM_RE.match(body["errorCode"]), f"errorCode is not a BXNIM code: {body}"
    if code is not None:
        assert body["errorCode"] == code, f"expected {code}, got {body['errorCode']}: {body}"
    assert isinstance(body["errorMessage"], str) and body["errorMessage"], body
    assert isinstance(body["errorDetails"], str), body
    ctx = body["context"]
    assert ctx.get("requestType") == "incoming.Identity_Token", f"context.requestType: {ctx}"
    for key in ("requestId", "url", "host", "startTime", "endTime", "elapsedTime"):
        assert key in ctx, f"token error context lacks {key!r}: {ctx}"
    return body


def assert_v1_error(resp, statuses, code=None):
    """IBM's IAM Identity v1 error: {"errors": [{code, message_code, message, details}],
    "status_code": <HTTP status>, "trace": "..."}."""
    if isinstance(statuses, int):
        statuses = (statuses,)
    assert resp.status_code in statuses, f"expected HTTP {statuses}, got {resp.status_code}: {resp.text}"
    assert "json" in resp.headers.get("Content-Type", ""), f"error body is not JSON: {resp.headers}"
    body = resp.json()
    assert isinstance(body.get("errors"), list) and body["errors"], f"v1 error body lacks errors[]: {body}"
    err = body["errors"][0]
    for key in ("code", "message_code", "message", "details"):
        assert key in err, f"v1 error lacks {key!r}: {body}"
    assert isinstance(err["message"], str) and err["message"], body
    assert body.get("status_code") == resp.status_code, f"status_code != HTTP status: {body}"
    assert isinstance(body.get("trace"), str) and body["trace"], f"v1 error lacks trace: {body}"
    if code is not None:
        assert code in (err["code"], err["message_code"]), f"expected {code}: {body}"
    return body


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def assert_access_error(resp, statuses, code=None):
    """The error of IBM's policy and access group services: {"trace", "errors": [{"code",
    "message"}], "status_code"} (IAM Policy Management's ErrorObject requires code and
    message)."""
    if isinstance(statuses, int):
        statuses = (statuses,)
    assert resp.status_code in statuses, f"expected HTTP {statuses}, got {resp.status_code}: {resp.text}"
    assert "json" in resp.headers.get("Content-Type", ""), f"error body is not JSON: {resp.headers}"
    body = resp.json()
    assert isinstance(body.get("errors"), list) and body["errors"], f"error body lacks errors[]: {body}"
    err = body["errors"][0]
    assert isinstance(err.get("code"), str) and err["code"], body
    assert isinstance(err.get("message"), str) and err["message"], body
    assert body.get("status_code") == resp.status_code, f"status_code != HTTP status: {body}"
    assert isinstance(body.get("trace"), str) and body["trace"], f"error lacks trace: {body}"
    if code is not None:
        assert err["code"] == code, f"expected {code}: {body}"
    return body


def sdk_error(call, *args, **kwargs):
    """Calls an IBM SDK operation that must fail; returns the ApiException."""
    from ibm_cloud_sdk_core import ApiException

    with pytest.raises(ApiException) as exc_info:
        call(*args, **kwargs)
    return exc_info.value
