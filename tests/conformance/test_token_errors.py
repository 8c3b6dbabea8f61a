"""Token endpoint (POST /identity/token) error cases, over raw HTTP: each asserts the HTTP status,
IBM's error code where the facts file documents one, and IBM's error body shape (errorCode,
errorMessage, errorDetails, context with requestType incoming.Identity_Token). Also refresh-grant
re-scoping to another account of the user, and its refusal for foreign accounts."""

import re
import time

import pytest
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator

from iamconf import (
    BX,
    GRANT_APIKEY,
    GRANT_PASSCODE,
    GRANT_PASSWORD,
    GRANT_REFRESH,
    HTTP_TIMEOUT,
    apikey_grant,
    assert_token_error,
    claims,
    passcode_grant,
    password_grant,
    post_token,
    refresh_grant,
    user_accounts,
)


def _text(body):
    return (body["errorMessage"] + " " + body["errorDetails"]).lower()


# ---------------------------------------------------------------------------------------------
# Missing fields, unknown grant, wrong method


def test_missing_grant_type(emu):
    body = assert_token_error(post_token(emu.url, {"apikey": emu["apikey"]}), 400, "BXNIM0109E")
    assert "grant_type" in _text(body)


def test_empty_body(emu):
    assert_token_error(post_token(emu.url, {}), 400, "BXNIM0109E")


@pytest.mark.parametrize(
    "form,field",
    [
        ({"grant_type": GRANT_APIKEY}, "apikey"),
        ({"grant_type": GRANT_APIKEY, "apikey": ""}, "apikey"),
        ({"grant_type": GRANT_PASSCODE}, "passcode"),
        ({"grant_type": GRANT_PASSWORD, "password": "x"}, "username"),
        ({"grant_type": GRANT_PASSWORD, "username": "someone@example.com"}, "password"),
        ({"grant_type": GRANT_REFRESH}, "refresh_token"),
    ],
    ids=["apikey-missing", "apikey-empty", "passcode", "username", "password", "refresh_token"],
)
def test_missing_field(emu, form, field):
    body = assert_token_error(post_token(emu.url, form, auth=BX), 400, "BXNIM0109E")
    assert field in _text(body), f"the error should name {field!r}: {body}"


def test_unknown_grant_type(emu):
    r = post_token(emu.url, {"grant_type": "urn:ibm:params:oauth:grant-type:nonsense", "apikey": emu["apikey"]})
    body = assert_token_error(r, 400)
    assert body["errorCode"] != "BXNIM0415E"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_wrong_method(emu, method):
    r = requests.request(method, emu.url + "/identity/token", headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT)
    assert_token_error(r, 405, "BXNIM0060E")


# ---------------------------------------------------------------------------------------------
# API keys


def test_unknown_api_key(emu):
    r = post_token(emu.url, {"grant_type": GRANT_APIKEY, "apikey": "not-a-real-key-" + "x" * 30})
    body = assert_token_error(r, 400, "BXNIM0415E")
    assert "could not be found" in body["errorMessage"].lower()


def test_a_refused_grant_names_ibms_token_service_in_its_context(emu):
    """Issue 22: IBM's token service answers a refusal with `context.url` naming itself
    (https://iam.cloud.ibm.com), not the URL it was reached at, and IBM's Node SDK core tells an
    IAM error from another service's by "iam" in that URL (request-wrapper.js,
    isAuthenticationError). Asked through IBM's Python IAMAuthenticator, the body must carry
    IBM's context: its url, a request id shaped like IBM's and UTC times."""
    auth = IAMAuthenticator("not-a-real-key-" + "x" * 30, url=emu.url)
    with pytest.raises(ApiException) as info:
        auth.token_manager.get_token()
    body = info.value.http_response.json()
    ctx = body["context"]
    assert ctx["url"] == "https://iam.cloud.ibm.com", ctx
    assert "iam" in ctx["url"]
    assert re.fullmatch(r"[A-Za-z0-9+/]+-[0-9a-f]{32}", ctx["requestId"]), ctx
    for key in ("startTime", "endTime"):
        assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}:\d{3} UTC", ctx[key]), ctx
    assert ctx["instanceId"] == ctx["host"], ctx
    # Whatever endpoint refuses (another grant, a fault): the same context.
    r = post_token(emu.url, {"grant_type": GRANT_PASSWORD, "username": "nobody", "password": "x"}, auth=BX)
    assert assert_token_error(r, 400)["context"]["url"] == "https://iam.cloud.ibm.com"


# (A disabled API key is exercised end to end in test_identity_v1.py::test_disabled_api_key_cannot_log_in.)


# ---------------------------------------------------------------------------------------------
# Passwords


def test_wrong_password(emu):
    r = post_token(emu.url, {"grant_type": GRANT_PASSWORD, "username": emu["username"], "password": emu["password"] + "-wrong"}, auth=BX)
    assert_token_error(r, 400, "BXNIM0602E")


def test_unknown_user_password(emu):
    r = post_token(emu.url, {"grant_type": GRANT_PASSWORD, "username": "nobody-here@example.com", "password": "whatever"}, auth=BX)
    assert_token_error(r, 400)


def test_federated_user_password_grant_refused_with_passcode_hint(emu):
    r = post_token(emu.url, {"grant_type": GRANT_PASSWORD, "username": emu["sso_user"], "password": "anything"}, auth=BX)
    body = assert_token_error(r, 400, "BXNIM0608E")
    text = _text(body)
    assert "passcode" in text or "one-time" in text, f"no hint to use a passcode: {body}"


# ---------------------------------------------------------------------------------------------
# Passcodes


def test_reused_passcode(emu):
    code = emu.new_passcode()
    passcode_grant(emu.url, code)
    r = post_token(emu.url, {"grant_type": GRANT_PASSCODE, "passcode": code}, auth=BX)
    assert_token_error(r, 400)


def test_unknown_passcode(emu):
    r = post_token(emu.url, {"grant_type": GRANT_PASSCODE, "passcode": "NoSuchCode123"}, auth=BX)
    assert_token_error(r, 400)


def test_expired_passcode(start_emulator):
    emu = start_emulator()
    emu.set_config(passcode_ttl=1)
    code = emu.new_passcode()
    emu.advance_clock(2)
    r = post_token(emu.url, {"grant_type": GRANT_PASSCODE, "passcode": code}, auth=BX)
    assert_token_error(r, 400, "BXNIM0420E")
    assert "expired" in _text(r.json()), r.text
    # A code issued after the lifetime is restored works again.
    emu.set_config(passcode_ttl=300)
    passcode_grant(emu.url, emu.new_passcode())


def test_admin_passcode_for_unknown_user_refused(emu):
    r = emu.admin("POST", "/emulator/passcodes", json={"user": "nobody-here@example.com"})
    assert 400 <= r.status_code < 500, f"passcode for an unknown user: {r.status_code} {r.text}"


# ---------------------------------------------------------------------------------------------
# Refresh tokens


def test_unknown_refresh_token(emu):
    r = post_token(emu.url, {"grant_type": GRANT_REFRESH, "refresh_token": "no-such-refresh-token"}, auth=BX)
    assert_token_error(r, 400, "BXNIM0407E")


def test_not_supported_refresh_token_refused(emu):
    body = apikey_grant(emu.url, emu["apikey"])
    assert body["refresh_token"] == "not_supported"
    r = post_token(emu.url, {"grant_type": GRANT_REFRESH, "refresh_token": body["refresh_token"]}, auth=BX)
    assert_token_error(r, 400)


def test_refresh_needs_the_same_client(emu):
    body = apikey_grant(emu.url, emu["apikey"], auth=BX)
    r = post_token(emu.url, {"grant_type": GRANT_REFRESH, "refresh_token": body["refresh_token"]})
    assert_token_error(r, (400, 401))
    r = post_token(emu.url, {"grant_type": GRANT_REFRESH, "refresh_token": body["refresh_token"]}, auth=("other", "other"))
    assert r.status_code in (400, 401), f"refresh with another client must be refused: {r.status_code} {r.text}"


def test_expired_refresh_token(start_emulator):
    emu = start_emulator()
    emu.set_config(token_ttl=3600, refresh_token_ttl=1)
    body = password_grant(emu.url, emu["username"], emu["password"])
    exp = body["refresh_token_expiration"]
    assert exp - time.time() <= 2, f"refresh_token_ttl=1 not applied: {exp}"
    emu.advance_clock(2)
    r = post_token(emu.url, {"grant_type": GRANT_REFRESH, "refresh_token": body["refresh_token"]}, auth=BX)
    assert_token_error(r, 400, "BXNIM0408E")


def test_revoked_refresh_token(start_emulator):
    emu = start_emulator()
    old = password_grant(emu.url, emu["username"], emu["password"])
    refresh_grant(emu.url, old["refresh_token"])  # works before revocation
    emu.revoke_refresh_tokens()
    r = post_token(emu.url, {"grant_type": GRANT_REFRESH, "refresh_token": old["refresh_token"]}, auth=BX)
    body = assert_token_error(r, 400)
    assert body["errorCode"] in ("BXNIM0407E", "BXNIM0408E", "BXNIM0439E"), body
    # Refresh tokens issued afterwards work again.
    new = password_grant(emu.url, emu["username"], emu["password"])
    refresh_grant(emu.url, new["refresh_token"])


# ---------------------------------------------------------------------------------------------
# Re-scoping with the refresh grant


def test_refresh_rescopes_to_another_account_of_the_user(emu):
    login = password_grant(emu.url, emu["username"], emu["password"])
    home = claims(login["access_token"])["account"]["bss"]
    accounts = user_accounts(emu, login["access_token"])
    others = [(guid, ims) for guid, ims, _ in accounts if guid != home]
    assert others, "the demo user must belong to more than one account"
    for guid, ims in others:
        scoped = refresh_grant(emu.url, login["refresh_token"], account=guid)
        c = claims(scoped["access_token"])
        assert c["account"]["bss"] == guid
        assert c["account"]["valid"] is True
        assert c["iam_id"] == claims(login["access_token"])["iam_id"]
        if ims is not None:
            # The CLI sends the linked IMS account along.
            scoped = refresh_grant(emu.url, login["refresh_token"], account=guid, ims_account=ims)
            c = claims(scoped["access_token"])
            assert c["account"]["bss"] == guid and str(c["account"]["ims"]) == ims
        # The re-scoped session's refresh token keeps the new account.
        again = refresh_grant(emu.url, scoped["refresh_token"])
        assert claims(again["access_token"])["account"]["bss"] == guid
    # And back home.
    back = refresh_grant(emu.url, login["refresh_token"], account=home)
    assert claims(back["access_token"])["account"]["bss"] == home


def test_refresh_rescope_to_foreign_account_refused(emu):
    login = password_grant(emu.url, emu["username"], emu["password"])
    mine = {guid for guid, _, _ in user_accounts(emu, login["access_token"])}
    foreign = ["0" * 31 + "f"] + [a["id"] for a in emu["accounts"] if a["id"] not in mine]
    for account in foreign:
        r = post_token(emu.url, {"grant_type": GRANT_REFRESH, "refresh_token": login["refresh_token"], "account": account}, auth=BX)
        assert_token_error(r, (400, 401, 403))
