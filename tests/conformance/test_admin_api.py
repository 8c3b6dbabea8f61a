"""The emulator's admin API (/emulator/...): fault injection (status with Retry-After, delay,
dropped connections, clearing) as IBM's clients see it, request statistics, and the clock.

Faults change global emulator state, so this module runs its own emulator and clears faults
around every test."""

import time

import pytest
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import BearerTokenAuthenticator, IAMAuthenticator
from ibm_platform_services import IamIdentityV1

from iamconf import (
    GRANT_APIKEY,
    GRANT_PASSCODE,
    GRANT_PASSWORD,
    HTTP_TIMEOUT,
    EmulatorProcess,
    apikey_grant,
    assert_token_error,
    assert_v1_error,
    claims,
    passcode_grant,
    password_grant,
    post_token,
    user_token,
)


@pytest.fixture(scope="module")
def own_emu():
    proc = EmulatorProcess.start()
    try:
        yield proc.info
    finally:
        proc.stop()


@pytest.fixture
def admin_emu(own_emu):
    own_emu.clear_faults()
    yield own_emu
    own_emu.clear_faults()


def _apikey_form(emu):
    return {"grant_type": GRANT_APIKEY, "apikey": emu["apikey"]}


def test_status_fault_with_retry_after(admin_emu):
    emu = admin_emu
    emu.add_fault(path="/identity/token", status=503, count=2, retry_after=7)
    for _ in range(2):
        r = post_token(emu.url, _apikey_form(emu))
        assert_token_error(r, 503)
        assert r.headers.get("Retry-After") == "7"
    r = post_token(emu.url, _apikey_form(emu))
    assert r.status_code == 200, "the fault must end after `count` requests"
    assert "Retry-After" not in r.headers


def test_status_fault_seen_by_sdk_authenticator(admin_emu):
    emu = admin_emu
    emu.add_fault(path="/identity/token", status=503, count=1)
    auth = IAMAuthenticator(emu["apikey"], url=emu.url)
    with pytest.raises(ApiException) as exc_info:
        auth.authenticate({"headers": {}})
    assert exc_info.value.status_code == 503
    # (This SDK's token manager keeps pacing for 60 s after a failed fetch, so a fresh
    # authenticator shows that the fault is over.)
    auth = IAMAuthenticator(emu["apikey"], url=emu.url)
    req = {"headers": {}}
    auth.authenticate(req)
    assert req["headers"]["Authorization"].startswith("Bearer ")


def test_status_fault_on_v1_path_seen_by_sdk(admin_emu):
    emu = admin_emu
    service = IamIdentityV1(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
    service.set_service_url(emu.url)
    account = claims(apikey_grant(emu.url, emu["apikey"])["access_token"])["account"]["bss"]
    emu.add_fault(path="/v1/serviceids/", status=500, count=1)
    with pytest.raises(ApiException) as exc_info:
        service.list_service_ids(account_id=account)
    assert exc_info.value.status_code == 500
    assert_v1_error(exc_info.value.http_response, 500)
    assert service.list_service_ids(account_id=account).get_status_code() == 200


def test_fault_only_affects_its_path(admin_emu):
    emu = admin_emu
    emu.add_fault(path="/identity/token", status=500, count=1)
    assert requests.get(emu.url + "/identity/keys", timeout=HTTP_TIMEOUT).status_code == 200
    assert post_token(emu.url, _apikey_form(emu)).status_code == 500
    assert post_token(emu.url, _apikey_form(emu)).status_code == 200


def test_delay_fault(admin_emu):
    emu = admin_emu
    emu.add_fault(path="/identity/keys", delay_ms=800, count=1)
    t0 = time.monotonic()
    r = requests.get(emu.url + "/identity/keys", timeout=HTTP_TIMEOUT)
    slow = time.monotonic() - t0
    assert r.status_code == 200 and r.json()["keys"], "a delayed request still succeeds"
    assert slow >= 0.8, f"delay_ms=800 but the request took {slow:.3f}s"
    t0 = time.monotonic()
    assert requests.get(emu.url + "/identity/keys", timeout=HTTP_TIMEOUT).status_code == 200
    assert time.monotonic() - t0 < 0.8, "the delay must end after `count` requests"


def test_delay_fault_trips_client_timeout(admin_emu):
    emu = admin_emu
    emu.add_fault(path="/identity/token", delay_ms=1500, count=1)
    with pytest.raises(requests.exceptions.Timeout):
        requests.post(emu.url + "/identity/token", data=_apikey_form(emu), timeout=0.5)


def test_drop_fault(admin_emu):
    emu = admin_emu
    emu.add_fault(path="/identity/token", drop=True, count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(emu.url + "/identity/token", data=_apikey_form(emu), timeout=HTTP_TIMEOUT)
    assert post_token(emu.url, _apikey_form(emu)).status_code == 200


def test_clear_faults(admin_emu):
    emu = admin_emu
    emu.add_fault(path="/identity/token", status=500, count=10)
    assert post_token(emu.url, _apikey_form(emu)).status_code == 500
    emu.clear_faults()
    assert post_token(emu.url, _apikey_form(emu)).status_code == 200


def test_stats_count_grants_and_requests(admin_emu):
    emu = admin_emu
    before = emu.stats()
    assert isinstance(before["token_grants"], dict) and isinstance(before["requests"], dict)
    apikey_grant(emu.url, emu["apikey"])
    apikey_grant(emu.url, emu["apikey"])
    password_grant(emu.url, emu["username"], emu["password"])
    passcode_grant(emu.url, emu.new_passcode())
    requests.get(emu.url + "/identity/keys", timeout=HTTP_TIMEOUT)
    after = emu.stats()

    def delta(section, key):
        return after[section].get(key, 0) - before[section].get(key, 0)

    assert delta("token_grants", GRANT_APIKEY) == 2
    assert delta("token_grants", GRANT_PASSWORD) == 1
    assert delta("token_grants", GRANT_PASSCODE) == 1
    assert delta("requests", "/identity/token") == 4
    assert delta("requests", "/identity/keys") == 1


# ---------------------------------------------------------------------------------------------
# The clock: private emulators, since moving it changes every later answer.


def test_clock_reports_and_adds_up_offsets(start_emulator):
    emu = start_emulator()
    r = emu.admin("GET", "/emulator/clock")
    assert r.status_code == 200, r.text
    assert r.json()["offset_seconds"] == 0
    assert abs(r.json()["now"] - time.time()) <= 2, r.text
    assert emu.advance_clock(7200)["offset_seconds"] == 7200
    moved = emu.advance_clock(-200)
    assert moved["offset_seconds"] == 7000
    assert abs(moved["now"] - (time.time() + 7000)) <= 2, moved
    for body in ({}, {"advance_seconds": "1"}, {"advance_seconds": 1.5}, {"advance_seconds": 1, "x": 2}):
        r = emu.admin("POST", "/emulator/clock", json=body)
        assert r.status_code == 400, f"{body}: {r.status_code} {r.text}"
        assert r.json()["error"], r.text
    assert emu.admin("GET", "/emulator/clock").json()["offset_seconds"] == 7000


def test_sdk_gets_401_once_the_clock_passes_the_token_exp(start_emulator):
    emu = start_emulator()
    token = user_token(emu)
    account = claims(token)["account"]["bss"]
    service = IamIdentityV1(authenticator=BearerTokenAuthenticator(token))
    service.set_service_url(emu.url)
    assert service.list_service_ids(account_id=account).get_status_code() == 200
    emu.advance_clock(claims(token)["exp"] - claims(token)["iat"] + 1)
    with pytest.raises(ApiException) as exc_info:
        service.list_service_ids(account_id=account)
    assert exc_info.value.status_code == 401
    body = assert_v1_error(exc_info.value.http_response, 401)
    assert body["errors"][0]["message_code"] == "BXNIM0303E", body


def test_an_admin_token_guards_the_admin_api_and_nothing_else(start_emulator):
    """With --admin-token the admin API answers only requests bearing it (401 otherwise, and a
    refused request changes nothing); IBM's SDKs keep working against IAM's own APIs, and the
    suite's helpers send the token they are given. A chosen token is never echoed in the
    ready line (which ends up in CI logs)."""
    token = "conformance-admin-token-0123456789"
    emu = start_emulator("--admin-token", token)
    assert emu["admin_token"] == ""
    emu["admin_token"] = token
    r = requests.post(emu.url + "/emulator/clock", json={"advance_seconds": 500}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 401 and "Authorization: Bearer" in r.json()["error"]
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="iam-emulator admin"'
    r = requests.get(emu.url + "/emulator/stats", headers={"Authorization": "Bearer " + token[:-1]}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 401
    assert emu.admin("GET", "/emulator/clock").json()["offset_seconds"] == 0
    assert emu.advance_clock(60)["offset_seconds"] == 60
    iam = IamIdentityV1(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
    iam.set_service_url(emu.url)
    assert iam.get_api_keys_details(iam_api_key=emu["apikey"]).get_status_code() == 200
    assert requests.get(emu.url + "/health", timeout=HTTP_TIMEOUT).json() == {"status": "ok"}
