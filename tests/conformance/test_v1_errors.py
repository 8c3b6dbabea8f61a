"""IAM Identity v1 error cases over raw HTTP: HTTP status plus IBM's v1 error shape
({"errors": [{code, message_code, message, details}], "status_code", "trace"}) for missing,
invalid, forged, expired and other-account tokens, unknown ids, stale or missing If-Match, and
invalid requests."""

import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from iamconf import (
    HTTP_TIMEOUT,
    assert_v1_error,
    bearer,
    claims,
    password_grant,
    refresh_grant,
    unique,
    user_accounts,
    user_token,
)


def _get(emu, path, headers=None, **kw):
    return requests.get(emu.url + path, headers=headers or {}, timeout=HTTP_TIMEOUT, **kw)


@pytest.fixture(scope="module")
def ctx(emu):
    """A token for the demo user's home account, that account, and a service ID in it."""
    token = user_token(emu)
    account = claims(token)["account"]["bss"]
    r = requests.post(
        emu.url + "/v1/serviceids/",
        json={"account_id": account, "name": unique("conf-v1err")},
        headers=bearer(token),
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 201, r.text
    return {"token": token, "account": account, "sid": r.json()}


# ---------------------------------------------------------------------------------------------
# Authorization


@pytest.mark.parametrize(
    "method,path",
    [("GET", "/v1/serviceids/?account_id={a}"), ("GET", "/v1/apikeys?account_id={a}"), ("POST", "/v1/serviceids/"), ("GET", "/v1/serviceids/{sid}")],
    ids=["list-serviceids", "list-apikeys", "create-serviceid", "get-serviceid"],
)
def test_no_authorization_header(emu, ctx, method, path):
    url = emu.url + path.format(a=ctx["account"], sid=ctx["sid"]["id"])
    kw = {"json": {"account_id": ctx["account"], "name": "x"}} if method == "POST" else {}
    r = requests.request(method, url, headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT, **kw)
    assert_v1_error(r, 401, "BXNIM0308E")


@pytest.mark.parametrize(
    "value",
    ["Bearer not-a-jwt", "Bearer ", "Basic Ynk6Yng=", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo"],
    ids=["garbage", "empty", "basic", "hs256"],
)
def test_invalid_token(emu, ctx, value):
    r = _get(emu, f"/v1/serviceids/?account_id={ctx['account']}", {"Authorization": value})
    assert_v1_error(r, 401)


def test_forged_token_refused(emu, ctx):
    # The real token's header and claims, signed with a key that is not IAM's.
    real = ctx["token"]
    header = jwt.get_unverified_header(real)
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(real), forged_key, algorithm="RS256", headers={"kid": header["kid"]})
    r = _get(emu, f"/v1/serviceids/?account_id={ctx['account']}", {"Authorization": "Bearer " + forged})
    assert_v1_error(r, 401)
    # Unsigned ("alg": "none") tokens are refused too.
    unsigned = jwt.encode(claims(real), None, algorithm="none")
    r = _get(emu, f"/v1/serviceids/?account_id={ctx['account']}", {"Authorization": "Bearer " + unsigned})
    assert_v1_error(r, 401)
    # The genuine token works, so the refusals above are about the signature.
    assert _get(emu, f"/v1/serviceids/?account_id={ctx['account']}", bearer(real)).status_code == 200


def test_expired_token_refused(start_emulator):
    emu = start_emulator()
    emu.set_config(token_ttl=1)
    token = user_token(emu)
    account = claims(token)["account"]["bss"]
    exp = claims(token)["exp"]
    assert exp - claims(token)["iat"] == 1
    emu.advance_clock(2)
    r = _get(emu, f"/v1/serviceids/?account_id={account}", bearer(token))
    assert_v1_error(r, 401)


def test_other_account_token_refused(emu, ctx):
    login = password_grant(emu.url, emu["username"], emu["password"])
    home = ctx["account"]
    other = [g for g, _, _ in user_accounts(emu, login["access_token"]) if g != home]
    assert other, "the demo user must belong to more than one account"
    scoped = refresh_grant(emu.url, login["refresh_token"], account=other[0])["access_token"]
    assert claims(scoped)["account"]["bss"] == other[0]
    h = bearer(scoped)
    assert_v1_error(_get(emu, f"/v1/serviceids/?account_id={home}", h), (401, 403))
    assert_v1_error(_get(emu, f"/v1/serviceids/{ctx['sid']['id']}", h), (401, 403))
    r = requests.post(emu.url + "/v1/serviceids/", json={"account_id": home, "name": "x"}, headers=h, timeout=HTTP_TIMEOUT)
    assert_v1_error(r, (401, 403))
    # The same token works in its own account.
    assert _get(emu, f"/v1/serviceids/?account_id={other[0]}", h).status_code == 200


# ---------------------------------------------------------------------------------------------
# Unknown ids, If-Match, invalid requests


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/v1/serviceids/ServiceId-{u}"),
        ("DELETE", "/v1/serviceids/ServiceId-{u}"),
        ("POST", "/v1/serviceids/ServiceId-{u}/lock"),
        ("GET", "/v1/apikeys/ApiKey-{u}"),
        ("DELETE", "/v1/apikeys/ApiKey-{u}"),
        ("POST", "/v1/apikeys/ApiKey-{u}/disable"),
    ],
    ids=["get-sid", "delete-sid", "lock-sid", "get-key", "delete-key", "disable-key"],
)
def test_unknown_id(emu, ctx, method, path):
    r = requests.request(method, emu.url + path.format(u=uuid.uuid4()), headers=bearer(ctx["token"]), timeout=HTTP_TIMEOUT)
    assert_v1_error(r, 404)


def test_update_with_stale_if_match(emu, ctx):
    sid = ctx["sid"]
    h = dict(bearer(ctx["token"]), **{"If-Match": "1-00000000000000000000000000000000"})
    r = requests.put(emu.url + f"/v1/serviceids/{sid['id']}", json={"description": "stale"}, headers=h, timeout=HTTP_TIMEOUT)
    assert_v1_error(r, (409, 412))


def test_update_without_if_match(emu, ctx):
    sid = ctx["sid"]
    r = requests.put(emu.url + f"/v1/serviceids/{sid['id']}", json={"description": "x"}, headers=bearer(ctx["token"]), timeout=HTTP_TIMEOUT)
    assert_v1_error(r, (400, 409, 412, 428))


def test_update_and_delete_locked_service_id(emu, ctx):
    h = bearer(ctx["token"])
    r = requests.post(emu.url + "/v1/serviceids/", json={"account_id": ctx["account"], "name": unique("conf-locked")}, headers=dict(h, **{"Entity-Lock": "true"}), timeout=HTTP_TIMEOUT)
    assert r.status_code == 201 and r.json()["locked"] is True, r.text
    sid = r.json()["id"]
    r = requests.put(emu.url + f"/v1/serviceids/{sid}", json={"name": "nope"}, headers=dict(h, **{"If-Match": "*"}), timeout=HTTP_TIMEOUT)
    assert_v1_error(r, (400, 403, 409, 423))
    r = requests.delete(emu.url + f"/v1/serviceids/{sid}", headers=h, timeout=HTTP_TIMEOUT)
    assert_v1_error(r, (400, 403, 409, 423))


def test_list_service_ids_needs_account_id(emu, ctx):
    assert_v1_error(_get(emu, "/v1/serviceids/", bearer(ctx["token"])), 400)


def test_passthrough_api_key_too_short(emu, ctx):
    body = {"name": "short", "iam_id": ctx["sid"]["iam_id"], "account_id": ctx["account"], "apikey": "too-short-1234"}
    r = requests.post(emu.url + "/v1/apikeys", json=body, headers=bearer(ctx["token"]), timeout=HTTP_TIMEOUT)
    assert_v1_error(r, 400)


def test_passthrough_api_key_must_be_unique(emu, ctx):
    value = unique("conf-dup-value") + "-" + "d" * 24
    body = {"name": "dup", "iam_id": ctx["sid"]["iam_id"], "account_id": ctx["account"], "apikey": value}
    h = bearer(ctx["token"])
    r = requests.post(emu.url + "/v1/apikeys", json=body, headers=h, timeout=HTTP_TIMEOUT)
    assert r.status_code == 201, r.text
    r = requests.post(emu.url + "/v1/apikeys", json=body, headers=h, timeout=HTTP_TIMEOUT)
    assert_v1_error(r, (400, 409))
