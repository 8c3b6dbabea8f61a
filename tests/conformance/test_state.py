"""`--state FILE`: what IBM's clients created survives a restart, signing key included, so
tokens issued before the restart still verify against /identity/keys afterwards."""

import jwt
import requests
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_platform_services import IamIdentityV1
from ibm_platform_services.iam_identity_v1 import ServiceId

from iamconf import HTTP_TIMEOUT, EmulatorProcess, apikey_grant, claims, unique, user_token


def _identity(info):
    service = IamIdentityV1(authenticator=IAMAuthenticator(info["apikey"], url=info.url))
    service.set_service_url(info.url)
    return service


def test_state_file_survives_restart(tmp_path):
    state = str(tmp_path / "state.json")
    first = EmulatorProcess.start("--state", state)
    try:
        info = first.info
        account = claims(user_token(info))["account"]["bss"]
        iam = _identity(info)
        sid = iam.create_service_id(account, unique("conf-state")).get_result()
        key = iam.create_api_key(unique("conf-state-key"), sid["iam_id"], account_id=account).get_result()
        old_token = apikey_grant(info.url, key["apikey"])["access_token"]
    finally:
        first.stop()

    second = EmulatorProcess.start("--state", state)
    try:
        info = second.info
        got = _identity(info).get_service_id(sid["id"]).get_result()
        assert ServiceId.from_dict(got).name == sid["name"]
        assert got["entity_tag"] == sid["entity_tag"]
        # The service ID's key still logs in.
        assert claims(apikey_grant(info.url, key["apikey"])["access_token"])["iam_id"] == sid["iam_id"]
        # The signing key persisted: the pre-restart token verifies against the new JWKS.
        kid = jwt.get_unverified_header(old_token)["kid"]
        keys = requests.get(info.url + "/identity/keys", timeout=HTTP_TIMEOUT).json()["keys"]
        match = [k for k in keys if k["kid"] == kid]
        assert match, f"kid {kid} of a pre-restart token is gone from /identity/keys"
        pub = jwt.PyJWK(match[0], algorithm="RS256").key
        assert jwt.decode(old_token, pub, algorithms=["RS256"], options={"verify_aud": False, "verify_iss": False})
    finally:
        second.stop()
