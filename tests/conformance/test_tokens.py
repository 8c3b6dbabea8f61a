"""Tokens as IBM's Python SDK core sees them: IAMAuthenticator obtains and renews tokens, errors
surface as ApiException; tokens verify with PyJWT against /identity/keys and carry IBM's claims;
the discovery document names the endpoints; every grant type answers IBM's success body."""

import time

import jwt
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
    claims,
    passcode_grant,
    password_grant,
    post_token,
    refresh_grant,
    sdk_bearer,
    user_accounts,
    verify_token,
)


def _jwks(emu):
    r = requests.get(emu.url + "/identity/keys", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------------------------------------
# IAMAuthenticator (ibm-cloud-sdk-core)


def test_iam_authenticator_obtains_a_token(emu):
    auth = IAMAuthenticator(emu["apikey"], url=emu.url)
    token = sdk_bearer(auth)
    c = verify_token(emu, token)
    assert c["grant_type"] == GRANT_APIKEY
    assert c["client_id"] == "default"
    # The SDK keeps the whole success body; without client credentials IAM does not hand out a
    # usable refresh token.
    info = auth.token_manager.token_info
    assert info["token_type"] == "Bearer"
    assert info["expires_in"] == 3600
    assert info["refresh_token"] == "not_supported"
    # A second request within the token's lifetime reuses the cached token.
    assert sdk_bearer(auth) == token


def test_iam_authenticator_with_bx_client_gets_refresh_token(emu):
    auth = IAMAuthenticator(emu["apikey"], url=emu.url, client_id="bx", client_secret="bx")
    token = sdk_bearer(auth)
    assert claims(token)["client_id"] == "bx"
    rt = auth.token_manager.refresh_token
    assert isinstance(rt, str) and rt and rt != "not_supported"
    info = auth.token_manager.token_info
    assert isinstance(info["refresh_token_expiration"], int)
    assert info["refresh_token_expiration"] > info["expiration"]
    # The refresh token really refreshes.
    body = refresh_grant(emu.url, rt)
    assert claims(body["access_token"])["iam_id"] == claims(token)["iam_id"]


# IAMRequestBasedTokenManager treats a token as expired 10 s before `exp` (integer seconds), by
# real time. A token of 11 s issued with the emulator's clock 2 s behind has 9 s left: the SDK
# renews it on its next use, and no test waits for that.
SDK_EXPIRY_WINDOW = 10


def test_iam_authenticator_renews_token_with_token_ttl_flag(start_emulator):
    emu = start_emulator("--token-ttl", "11")
    emu.advance_clock(-2)
    auth = IAMAuthenticator(emu["apikey"], url=emu.url)
    first = sdk_bearer(auth)
    c1 = claims(first)
    assert c1["exp"] - c1["iat"] == 11
    assert auth.token_manager.token_info["expires_in"] == 11
    grants_before = emu.stats()["token_grants"].get(GRANT_APIKEY, 0)
    assert c1["exp"] - time.time() < SDK_EXPIRY_WINDOW
    second = sdk_bearer(auth)
    assert second != first, "the SDK must have fetched a new token"
    c2 = claims(second)
    assert c2["iat"] >= c1["iat"] and c2["exp"] >= c1["exp"]
    assert c2["iam_id"] == c1["iam_id"]
    verify_token(emu, second)
    assert emu.stats()["token_grants"].get(GRANT_APIKEY, 0) == grants_before + 1


def test_iam_authenticator_renews_token_after_admin_config(start_emulator):
    emu = start_emulator()
    auth = IAMAuthenticator(emu["apikey"], url=emu.url, client_id="bx", client_secret="bx")
    long_lived = sdk_bearer(auth)
    assert claims(long_lived)["exp"] - claims(long_lived)["iat"] == 3600
    emu.set_config(token_ttl=11, refresh_token_ttl=3600)
    # A fresh authenticator gets a token with the new lifetime, then renews it.
    emu.advance_clock(-2)
    auth = IAMAuthenticator(emu["apikey"], url=emu.url, client_id="bx", client_secret="bx")
    first = sdk_bearer(auth)
    assert claims(first)["exp"] - claims(first)["iat"] == 11
    rt1 = auth.token_manager.refresh_token
    assert rt1 and rt1 != "not_supported"
    assert claims(first)["exp"] - time.time() < SDK_EXPIRY_WINDOW
    second = sdk_bearer(auth)
    assert second != first
    assert claims(second)["exp"] - claims(second)["iat"] == 11
    rt2 = auth.token_manager.refresh_token
    assert rt2 and rt2 != "not_supported"


def test_iam_authenticator_renews_a_token_the_moved_clock_made_old(start_emulator):
    """With the emulator's clock 3590 s behind, a new 3600 s token has 10 s left by real time:
    IAMAuthenticator must see it as about to expire and fetch a new one on its next use."""
    emu = start_emulator()  # token TTL 3600

    def grants():
        return emu.stats()["token_grants"].get(GRANT_APIKEY, 0)

    # On the real clock the SDK reuses its token: no grant on the next use.
    auth = IAMAuthenticator(emu["apikey"], url=emu.url)
    settled = sdk_bearer(auth)
    before = grants()
    assert sdk_bearer(auth) == settled
    assert grants() == before

    clock = emu.advance_clock(-3590)
    assert clock["offset_seconds"] == -3590
    assert abs(clock["now"] - (time.time() - 3590)) <= 2, clock
    auth = IAMAuthenticator(emu["apikey"], url=emu.url)
    first = sdk_bearer(auth)
    c = claims(first)
    assert c["exp"] - c["iat"] == 3600
    assert abs(c["exp"] - (time.time() + 10)) <= 3, f"exp {c['exp']} is not about 10 s from now"
    assert auth.token_manager.token_info["expiration"] == c["exp"]
    before = grants()
    second = sdk_bearer(auth)
    assert second != first, "the SDK must have fetched a new token"
    assert grants() > before, "the new token must come from a new grant"
    assert claims(second)["iam_id"] == c["iam_id"]
    verify_token(emu, second)


def test_the_documented_clock_offset_makes_the_sdk_renew_yet_leaves_cos_its_window(start_emulator):
    """docs/emulator.md's example, `advance_seconds -3000` with the default TTL: a new token has
    600 s left by real time, past 80% of its lifetime, so IBM's Python core renews it on its
    next use, while it is still far from the 15 s below which IBM's Node COS SDK counts a
    token as expired (its expiryWindow): the example suits both."""
    emu = start_emulator()

    def grants():
        return emu.stats()["token_grants"].get(GRANT_APIKEY, 0)

    emu.advance_clock(-3000)
    auth = IAMAuthenticator(emu["apikey"], url=emu.url)
    first = sdk_bearer(auth)
    left = claims(first)["exp"] - time.time()
    assert 590 <= left <= 603, f"{left} s left: more than the 15 s COS needs, less than 20% of 3600"
    before = grants()
    second = sdk_bearer(auth)
    assert second != first and grants() > before, "past 80% of its lifetime the SDK renews"
    assert claims(second)["exp"] - time.time() > 15


def test_iam_authenticator_bad_apikey_raises_api_exception(emu):
    auth = IAMAuthenticator("this-key-does-not-exist-0123456789abcdef", url=emu.url)
    with pytest.raises(ApiException) as exc_info:
        sdk_bearer(auth)
    exc = exc_info.value
    assert exc.status_code == 400
    body = exc.http_response.json()
    assert body["errorCode"] == "BXNIM0415E"
    # The SDK surfaces IBM's errorMessage as the exception message.
    assert exc.message == body["errorMessage"]


# ---------------------------------------------------------------------------------------------
# JWKS, discovery, claims


def test_jwks_document(emu):
    keys = _jwks(emu)["keys"]
    assert keys, "JWKS has no keys"
    for k in keys:
        assert k["kty"] == "RSA"
        assert k["use"] == "sig"
        assert k["alg"] == "RS256"
        assert k["kid"] and k["n"] and k["e"]
    # Signature verification must fail with a key that is not IAM's.
    token = apikey_grant(emu.url, emu["apikey"])["access_token"]
    verify_token(emu, token)
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other, algorithms=["RS256"], options={"verify_aud": False})


def test_jwks_client_verifies_token(emu):
    # PyJWT's standard JWKS client, pointed at the discovery document's jwks_uri.
    disc = requests.get(emu.url + "/identity/.well-known/openid-configuration", timeout=HTTP_TIMEOUT).json()
    token = apikey_grant(emu.url, emu["apikey"])["access_token"]
    client = jwt.PyJWKClient(disc["jwks_uri"])
    signing_key = client.get_signing_key_from_jwt(token)
    c = jwt.decode(token, signing_key.key, algorithms=["RS256"], issuer=disc["issuer"], options={"verify_aud": False})
    assert c["iss"] == emu.url + "/identity"


def test_discovery_document(emu):
    r = requests.get(emu.url + "/identity/.well-known/openid-configuration", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    assert "json" in r.headers.get("Content-Type", "")
    d = r.json()
    base = emu.url + "/identity"
    assert d["issuer"] == base
    assert d["token_endpoint"] == base + "/token"
    assert d["passcode_endpoint"] == base + "/passcode"
    assert d["jwks_uri"] == base + "/keys"
    supported = d["grant_types_supported"]
    for g in (GRANT_APIKEY, GRANT_PASSCODE, GRANT_PASSWORD, GRANT_REFRESH):
        assert g in supported, f"grant_types_supported lacks {g}: {supported}"
    # The advertised endpoints work.
    r = requests.post(
        d["token_endpoint"],
        data={"grant_type": GRANT_APIKEY, "apikey": emu["apikey"]},
        headers={"Accept": "application/json"},
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 200, r.text
    assert requests.get(d["jwks_uri"], timeout=HTTP_TIMEOUT).json()["keys"]
    assert requests.get(d["passcode_endpoint"], timeout=HTTP_TIMEOUT).status_code == 200


def _assert_user_claims(emu, c, grant_type, client_id):
    assert c["grant_type"] == grant_type
    assert c["client_id"] == client_id
    assert c["iss"] == emu.url + "/identity"
    for key in ("iam_id", "id", "sub", "sub_type", "identifier", "email", "name", "session_id", "scope"):
        assert isinstance(c.get(key), str) and c[key], f"claim {key!r} missing or empty: {c}"
    assert c["iam_id"] == c["id"]
    assert c["sub_type"] != "ServiceId"
    assert "@" in c["email"]
    assert isinstance(c["iat"], int) and isinstance(c["exp"], int)
    assert abs(c["iat"] - time.time()) <= 60
    assert c["exp"] - c["iat"] == 3600
    acct = c["account"]
    assert isinstance(acct, dict)
    assert isinstance(acct.get("bss"), str) and acct["bss"]
    assert acct.get("valid") is True
    assert "ibm" in c["scope"].split() and "openid" in c["scope"].split()


def test_apikey_token_claims(emu):
    body = apikey_grant(emu.url, emu["apikey"])
    c = verify_token(emu, body["access_token"])
    _assert_user_claims(emu, c, GRANT_APIKEY, "default")
    # IBM's success body for users.
    assert body["scope"] == "ibm openid"
    assert body["token_type"] == "Bearer"
    assert "ims_user_id" in body
    assert body["session_id"] == c["session_id"]
    # account.ims is the linked classic-infrastructure account, when the account has one.
    accounts = {guid: ims for guid, ims, _ in user_accounts(emu, body["access_token"])}
    assert c["account"]["bss"] in accounts
    ims = accounts[c["account"]["bss"]]
    if ims is not None:
        assert str(c["account"].get("ims")) == ims, c["account"]


def test_password_grant_token(emu):
    body = password_grant(emu.url, emu["username"], emu["password"])
    c = verify_token(emu, body["access_token"])
    _assert_user_claims(emu, c, GRANT_PASSWORD, "bx")
    assert body["refresh_token"] != "not_supported"
    assert isinstance(body["refresh_token_expiration"], int)
    # Same person as the demo API key's owner.
    assert c["iam_id"] == claims(apikey_grant(emu.url, emu["apikey"])["access_token"])["iam_id"]


def test_passcode_grant_token_for_sso_user(emu):
    body = passcode_grant(emu.url, emu.new_passcode())
    c = verify_token(emu, body["access_token"])
    _assert_user_claims(emu, c, GRANT_PASSCODE, "bx")
    sso = emu["sso_user"].lower()
    assert sso in (c["email"].lower(), c["identifier"].lower(), c["sub"].lower()), (sso, c)
    assert body["refresh_token"] != "not_supported"


def test_passcode_grant_for_named_user(emu):
    pw_iam_id = claims(apikey_grant(emu.url, emu["apikey"])["access_token"])["iam_id"]
    body = passcode_grant(emu.url, emu.new_passcode(emu["username"]))
    assert claims(body["access_token"])["iam_id"] == pw_iam_id
    # The admin API also accepts the user's email.
    email = claims(body["access_token"])["email"]
    body = passcode_grant(emu.url, emu.new_passcode(email))
    assert claims(body["access_token"])["iam_id"] == pw_iam_id


def test_refresh_grant_keeps_identity_and_issues_new_tokens(emu):
    first = password_grant(emu.url, emu["username"], emu["password"])
    second = refresh_grant(emu.url, first["refresh_token"])
    c1, c2 = claims(first["access_token"]), verify_token(emu, second["access_token"])
    assert c2["iam_id"] == c1["iam_id"]
    assert c2["account"]["bss"] == c1["account"]["bss"]
    assert c2["client_id"] == "bx"
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] and second["refresh_token"] != "not_supported"
    assert second["expires_in"] == 3600


def test_token_endpoint_accepts_raw_and_percent_encoded_grant_type(emu):
    # Both forms from IBM's docs, sent as raw bodies.
    for raw in (
        f"grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey={emu['apikey']}",
        f"grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={emu['apikey']}",
    ):
        r = requests.post(
            emu.url + "/identity/token",
            data=raw.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=HTTP_TIMEOUT,
        )
        assert r.status_code == 200, (raw, r.text)
        assert claims(r.json()["access_token"])["grant_type"] == GRANT_APIKEY


def test_distinct_grants_give_distinct_sessions(emu):
    a = apikey_grant(emu.url, emu["apikey"])
    b = apikey_grant(emu.url, emu["apikey"])
    assert claims(a["access_token"])["session_id"] != claims(b["access_token"])["session_id"]
    assert a["access_token"] != b["access_token"]
