"""Delegated refresh tokens as IBM's clients use them: IBM COS SDK's DelegatedTokenManager asks
for one with an API key; the receiver (IBM Cloud Kubernetes Service's client `kube`) redeems it
with the request IBM's "Setting up the API" (containers) documents, and gets an ID token that
verifies against /identity/keys. Also IBM's documented refresh-token form of the request, and
the refusals a receiver sees."""

import base64

import jwt
import requests
from ibm_botocore.credentials import DelegatedTokenManager
from ibm_cloud_sdk_core.authenticators import BearerTokenAuthenticator
from ibm_platform_services import IamIdentityV1

from iamconf import (
    BX,
    GRANT_APIKEY,
    GRANT_REFRESH,
    HTTP_TIMEOUT,
    assert_token_error,
    assert_v1_error,
    post_token,
    refresh_grant,
    sdk_error,
)

GRANT_DELEGATED = "urn:ibm:params:oauth:grant-type:delegated-refresh-token"
KUBE_SCOPE = "ibm openid containers-kubernetes"


def _kube_redeem(emu, delegated_refresh_token):
    """IBM's documented redemption: Basic a3ViZTprdWJl (kube:kube), no-cache, the delegated
    refresh token and the grant type, nothing else."""
    assert base64.b64decode("a3ViZTprdWJl") == b"kube:kube"
    return requests.post(
        emu.url + "/identity/token",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic a3ViZTprdWJl",
            "cache-control": "no-cache",
        },
        data={"refresh_token": delegated_refresh_token, "grant_type": GRANT_DELEGATED},
        timeout=HTTP_TIMEOUT,
    )


def _verify(emu, token, audience):
    """Verify a JWT's RS256 signature against /identity/keys, its issuer and audience."""
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256", header
    keys = requests.get(emu.url + "/identity/keys", timeout=HTTP_TIMEOUT).json()["keys"]
    matching = [k for k in keys if k.get("kid") == header.get("kid")]
    assert len(matching) == 1, f"/identity/keys has no single key with kid {header.get('kid')!r}"
    key = jwt.PyJWK(matching[0], algorithm="RS256")
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        issuer=emu.url + "/identity",
        audience=audience,
        options={"verify_aud": audience is not None, "require": ["exp", "iat", "iss", "sub"]},
    )


def _assert_kube_answer(emu, resp):
    assert resp.status_code == 200, f"{resp.status_code} {resp.text}"
    body = resp.json()
    # The fields of IBM's example output.
    for field in ("access_token", "id_token", "refresh_token", "token_type", "expires_in", "expiration", "scope"):
        assert field in body, f"the answer lacks {field!r}: {body}"
    assert body["token_type"] == "Bearer"
    assert body["scope"] == KUBE_SCOPE
    id_claims = _verify(emu, body["id_token"], "kube")
    assert id_claims["client_id"] == "kube"
    assert id_claims["iam_id"] and id_claims["account"]["bss"]
    assert id_claims["exp"] - id_claims["iat"] == body["expires_in"]
    access = _verify(emu, body["access_token"], None)
    assert access["client_id"] == "kube"
    assert access["scope"] == KUBE_SCOPE
    assert body["expiration"] == access["exp"]
    return id_claims


def test_cos_sdk_delegated_token_manager_gets_a_token_kube_redeems(emu):
    manager = DelegatedTokenManager(
        api_key_id=emu["apikey"],
        auth_endpoint=emu.url + "/identity/token",
        receiver_client_ids="kube",
    )
    try:
        delegated = manager.get_token()
    finally:
        manager.stop_refresh_thread()
    assert isinstance(delegated, str) and len(delegated) > 40, delegated
    id_claims = _assert_kube_answer(emu, _kube_redeem(emu, delegated))
    assert id_claims["email"] == emu["username"]
    assert id_claims["sub"] == emu["username"]


def test_the_receivers_id_token_is_refused_by_iam_identity_and_its_access_token_taken(emu):
    """Issue 23: the ID token kube gets (what a cluster is handed) must not act on IAM's APIs:
    IBM's IAM Identity SDK with it as a bearer token gets 401; with the access token of the same
    answer, the delegating user's keys are listed."""
    manager = DelegatedTokenManager(
        api_key_id=emu["apikey"], auth_endpoint=emu.url + "/identity/token", receiver_client_ids="kube"
    )
    try:
        delegated = manager.get_token()
    finally:
        manager.stop_refresh_thread()
    answer = _kube_redeem(emu, delegated)
    assert answer.status_code == 200, answer.text
    body = answer.json()

    def identity(token):
        service = IamIdentityV1(authenticator=BearerTokenAuthenticator(token))
        service.set_service_url(emu.url)
        return service

    user = jwt.decode(body["access_token"], options={"verify_signature": False})["iam_id"]
    e = sdk_error(identity(body["id_token"]).create_api_key, name="from-a-cluster", iam_id=user)
    assert e.status_code == 401
    assert_v1_error(e.http_response, 401, "BXNIM0302E")
    e = sdk_error(identity(body["id_token"]).list_api_keys)
    assert e.status_code == 401
    keys = identity(body["access_token"]).list_api_keys().get_result()["apikeys"]
    assert any(k["iam_id"] == user for k in keys), keys


def test_ibms_kubernetes_api_flow_from_a_refresh_token(emu):
    session = post_token(emu.url, {"grant_type": GRANT_APIKEY, "apikey": emu["apikey"]}, auth=BX).json()
    # "Retrieve an IBM Cloud IAM delegated refresh token": Basic bx:bx, the refresh token grant.
    r = post_token(
        emu.url,
        {
            "delegated_refresh_token_expiry": "600",
            "receiver_client_ids": "kube",
            "response_type": "delegated_refresh_token",
            "refresh_token": session["refresh_token"],
            "grant_type": GRANT_REFRESH,
        },
        auth=BX,
        headers={"cache-control": "no-cache"},
    )
    assert r.status_code == 200, r.text
    assert list(r.json()) == ["delegated_refresh_token"], r.text
    kube = _kube_redeem(emu, r.json()["delegated_refresh_token"])
    _assert_kube_answer(emu, kube)
    # kube keeps its ID token fresh with its own refresh token (kubectl's oidc provider).
    renewed = post_token(emu.url, {"grant_type": GRANT_REFRESH, "refresh_token": kube.json()["refresh_token"]}, auth=("kube", "kube"))
    _assert_kube_answer(emu, renewed)
    # The delegating session goes on.
    refresh_grant(emu.url, session["refresh_token"])


def test_access_token_and_delegated_token_in_one_call(emu):
    for response_type in ("cloud_iam delegated_refresh_token", "cloud_iam,delegated_refresh_token"):
        body = post_token(
            emu.url,
            {
                "grant_type": GRANT_APIKEY,
                "apikey": emu["apikey"],
                "response_type": response_type,
                "receiver_client_ids": "kube",
            },
        ).json()
        assert body["access_token"] and body["delegated_refresh_token"], body
        _assert_kube_answer(emu, _kube_redeem(emu, body["delegated_refresh_token"]))


def test_only_receivers_redeem_and_only_known_receivers_are_named(emu):
    delegated = post_token(
        emu.url,
        {
            "grant_type": GRANT_APIKEY,
            "apikey": emu["apikey"],
            "response_type": "delegated_refresh_token",
            "receiver_client_ids": "kube",
        },
    ).json()["delegated_refresh_token"]
    # The CLI's client is not a receiver, and the token is no refresh token for it.
    assert_token_error(post_token(emu.url, {"grant_type": GRANT_DELEGATED, "refresh_token": delegated}, auth=BX), 400, "BXNIM0407E")
    assert_token_error(post_token(emu.url, {"grant_type": GRANT_REFRESH, "refresh_token": delegated}, auth=BX), 400, "BXNIM0407E")
    assert_token_error(post_token(emu.url, {"grant_type": GRANT_DELEGATED, "refresh_token": delegated}), 400, "BXNIM0308E")
    body = assert_token_error(
        post_token(
            emu.url,
            {
                "grant_type": GRANT_APIKEY,
                "apikey": emu["apikey"],
                "response_type": "delegated_refresh_token",
                "receiver_client_ids": "no-such-client",
            },
        ),
        400,
        "BXNIM0106E",
    )
    assert "no-such-client" in body["errorMessage"]
    _assert_kube_answer(emu, _kube_redeem(emu, delegated))


def test_expired_delegated_tokens_are_refused(start_emulator):
    emu = start_emulator()
    delegated = post_token(
        emu.url,
        {
            "grant_type": GRANT_APIKEY,
            "apikey": emu["apikey"],
            "response_type": "delegated_refresh_token",
            "receiver_client_ids": "kube",
            "delegated_refresh_token_expiry": "60",
        },
    ).json()["delegated_refresh_token"]
    emu.advance_clock(61)
    assert_token_error(_kube_redeem(emu, delegated), 400, "BXNIM0408E")
