"""Workload identity through IBM's own clients: ibm-cloud-sdk-core's ContainerAuthenticator (a
compute-resource token file, as Kubernetes projects it), VPCInstanceAuthenticator (the VPC
instance metadata service, both API versions) and IAMAssumeAuthenticator (an API key's token
traded for a trusted profile's), and ibm-platform-services' IamIdentityV1 managing trusted
profiles, their links and their trusted identities, every answer parsed by the SDK's models.

Everything goes to the emulator's loopback URL: the metadata service is always given as
`url`, never IBM's link-local default."""

import pytest
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import (
    ContainerAuthenticator,
    IAMAssumeAuthenticator,
    IAMAuthenticator,
    VPCInstanceAuthenticator,
)
from ibm_platform_services import IamIdentityV1
from ibm_platform_services.iam_identity_v1 import (
    CreateProfileLinkRequestLink,
    ProfileIdentitiesResponse,
    ProfileIdentityRequest,
    ProfileIdentityResponse,
    ProfileLink,
    ProfileLinkList,
    ServiceIdList,
    TrustedProfile,
    TrustedProfilesList,
)

from iamconf import (
    GRANT_ASSUME,
    GRANT_CR_TOKEN,
    HTTP_TIMEOUT,
    UUID_RE,
    claims,
    sdk_bearer,
    unique,
    user_token,
    verify_token,
)

VPC_VERSIONS = ("2022-03-01", "2025-08-26")


def profile_crn(emu):
    account = emu["accounts"][0]["id"]
    return f"crn:v1:bluemix:public:iam-identity::a/{account}::profile:{emu['profile_id']}"


def assert_profile_token(emu, token, grant_type=None, verify=True):
    """The demo profile's access token: verifies against /identity/keys (unless the emulator's
    clock was moved ahead of real time, which PyJWT's iat check would refuse), speaks for the
    profile in the profile's account, and says who authenticated."""
    c = verify_token(emu, token) if verify else claims(token)
    assert c["sub_type"] == "Profile", c
    assert c["iam_id"] == c["id"] == "iam-" + emu["profile_id"], c
    assert c["sub"] == c["identifier"] == emu["profile_id"], c
    assert c["name"] == emu["profile_name"], c
    assert c["realmid"] == "iam", c
    assert c["account"]["bss"] == emu["accounts"][0]["id"], c
    assert isinstance(c["authn"], dict) and c["authn"]["iam_id"], c
    if grant_type:
        assert c["grant_type"] == grant_type, c
    return c


def iam_identity(emu, authenticator):
    service = IamIdentityV1(authenticator=authenticator)
    service.set_service_url(emu.url)
    return service


@pytest.fixture(scope="module")
def iam(emu):
    """IamIdentityV1 as the demo user."""
    return iam_identity(emu, IAMAuthenticator(emu["apikey"], url=emu.url))


@pytest.fixture(scope="module")
def account_id(emu):
    return claims(user_token(emu))["account"]["bss"]


def error_code(exc):
    """The token service's errorCode of a refused grant."""
    return exc.http_response.json()["errorCode"]


# ---------------------------------------------------------------------------------------------
# ContainerAuthenticator: the cr-token grant


@pytest.mark.parametrize("by", ["id", "name", "both"])
def test_container_authenticator_reads_the_token_file(emu, tmp_path, by):
    token_file = tmp_path / "sa-token"
    # Written as `echo "$TOKEN" > file` would: with a trailing newline.
    token_file.write_text(emu.demo_sa_token() + "\n")
    kwargs = {}
    if by in ("id", "both"):
        kwargs["iam_profile_id"] = emu["profile_id"]
    if by in ("name", "both"):
        kwargs["iam_profile_name"] = emu["profile_name"]
    auth = ContainerAuthenticator(cr_token_filename=str(token_file), url=emu.url, **kwargs)
    token = sdk_bearer(auth)
    c = assert_profile_token(emu, token, GRANT_CR_TOKEN)
    assert c["authn"]["sub"] == f"system:serviceaccount:{emu['iks_namespace']}:{emu['iks_service_account']}"
    assert c["authn"]["cr_type"] == "IKS_SA"
    info = auth.token_manager.token_info
    assert info["token_type"] == "Bearer"
    assert info["refresh_token"] == "not_supported"
    assert "refresh_token_expiration" not in info
    # The token works with IBM's service clients, in the profile's account.
    service = iam_identity(emu, auth)
    got = service.get_profile(profile_id=emu["profile_id"])
    assert got.get_status_code() == 200
    profile = TrustedProfile.from_dict(got.get_result())
    assert profile.id == emu["profile_id"] and profile.name == emu["profile_name"]
    listed = ServiceIdList.from_dict(
        service.list_service_ids(account_id=emu["accounts"][0]["id"]).get_result()
    )
    assert listed.serviceids


def test_container_authenticator_with_client_credentials(emu, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(emu.demo_sa_token())
    auth = ContainerAuthenticator(
        cr_token_filename=str(token_file),
        iam_profile_id=emu["profile_id"],
        url=emu.url,
        client_id="bx",
        client_secret="bx",
    )
    c = assert_profile_token(emu, sdk_bearer(auth), GRANT_CR_TOKEN)
    assert c["client_id"] == "bx"
    # A trusted profile's token never comes with a refresh token.
    assert auth.token_manager.token_info["refresh_token"] == "not_supported"


def test_container_authenticator_refusals(emu, tmp_path):
    def grant(token, **kwargs):
        token_file = tmp_path / unique("token")
        token_file.write_text(token)
        auth = ContainerAuthenticator(cr_token_filename=str(token_file), url=emu.url, **kwargs)
        with pytest.raises(ApiException) as e:
            sdk_bearer(auth)
        assert e.value.status_code == 400, e.value
        assert e.value.message, e.value
        return error_code(e.value)

    profile = {"iam_profile_id": emu["profile_id"]}
    # Another service account of the cluster is not linked.
    other = emu.cr_token(
        cr_type="IKS_SA", crn=emu["iks_cluster_crn"], namespace=emu["iks_namespace"], name="intruder"
    )
    assert grant(other, **profile) == "BXNIM0453E"
    assert grant(emu.demo_sa_token(), iam_profile_id="Profile-00000000-0000-0000-0000-000000000000") == "BXNIM0452E"
    # An access token is no compute-resource token.
    assert grant(user_token(emu), **profile) == "BXNIM0450E"


def test_container_authenticator_with_an_expired_token(start_emulator, tmp_path):
    emu = start_emulator()
    token_file = tmp_path / "token"
    token_file.write_text(emu.demo_sa_token(ttl=60))
    emu.advance_clock(61)
    auth = ContainerAuthenticator(
        cr_token_filename=str(token_file), iam_profile_name=emu["profile_name"], url=emu.url
    )
    with pytest.raises(ApiException) as e:
        sdk_bearer(auth)
    assert e.value.status_code == 400
    assert error_code(e.value) == "BXNIM0451E"
    # The platform rotates the file; a client reads the new token. (A new authenticator: after
    # a failed request the SDK waits 60 s before it asks again.)
    token_file.write_text(emu.demo_sa_token())
    auth = ContainerAuthenticator(
        cr_token_filename=str(token_file), iam_profile_name=emu["profile_name"], url=emu.url
    )
    assert_profile_token(emu, sdk_bearer(auth), GRANT_CR_TOKEN, verify=False)


# ---------------------------------------------------------------------------------------------
# VPCInstanceAuthenticator: the instance metadata service


@pytest.mark.parametrize("version", VPC_VERSIONS)
@pytest.mark.parametrize("profile", [None, "id", "crn", "name"])
def test_vpc_instance_authenticator(emu, version, profile):
    kwargs = {}
    if profile == "id":
        kwargs["iam_profile_id"] = emu["profile_id"]
    elif profile == "crn":
        kwargs["iam_profile_crn"] = profile_crn(emu)
    elif profile == "name":
        kwargs["iam_profile_name"] = emu["profile_name"]
    auth = VPCInstanceAuthenticator(url=emu.url, service_version=version, **kwargs)
    token = sdk_bearer(auth)
    c = assert_profile_token(emu, token)
    assert c["authn"]["cr_type"] == "VSI"
    assert c["authn"]["crn"] == emu["vpc_instance_crn"]
    info = auth.token_manager.token_info
    for key in ("access_token", "created_at", "expires_at", "expires_in"):
        assert key in info, info
    # The SDK caches the token: a second request reuses it.
    assert sdk_bearer(auth) == token
    listed = iam_identity(emu, auth).list_profiles(account_id=emu["accounts"][0]["id"])
    assert TrustedProfilesList.from_dict(listed.get_result()).profiles


def test_vpc_instance_authenticator_refusals(emu):
    auth = VPCInstanceAuthenticator(iam_profile_name="nobody-" + unique("p"), url=emu.url)
    with pytest.raises(ApiException) as e:
        sdk_bearer(auth)
    assert e.value.status_code == 404
    assert e.value.message
    # On the wire: the VPC API's error shape.
    for version, path in ((VPC_VERSIONS[0], "/instance_identity/v1/token"), (VPC_VERSIONS[1], "/identity/v1/token")):
        r = requests.put(emu.url + path, params={"version": version}, json={"expires_in": 300}, timeout=HTTP_TIMEOUT)
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["status_code"] == 400 and body["trace"], body
        assert body["errors"][0]["code"] == "missing_metadata_flavor", body
        assert body["errors"][0]["more_info"].startswith("https://"), body
    r = requests.post(
        emu.url + "/identity/v1/iam_tokens",
        params={"version": VPC_VERSIONS[1]},
        headers={"Authorization": "Bearer " + user_token(emu)},
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 401, r.text
    assert r.json()["errors"][0]["code"] == "invalid_token"


def test_vpc_times_are_rfc3339(emu):
    """IBM's CLI reads expires_at with Go's RFC 3339 parser."""
    from datetime import datetime

    r = requests.put(
        emu.url + "/identity/v1/token",
        params={"version": VPC_VERSIONS[1]},
        headers={"Metadata-Flavor": "ibm"},
        json={"expires_in": 60},
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 200, r.text
    ii = r.json()
    assert ii["expires_in"] == 60
    r = requests.post(
        emu.url + "/identity/v1/iam_tokens",
        params={"version": VPC_VERSIONS[1]},
        headers={"Authorization": "Bearer " + ii["access_token"]},
        json={"trusted_profile": {"id": emu["profile_id"]}},
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 200, r.text
    tok = r.json()
    for body in (ii, tok):
        created = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
        expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
        assert body["created_at"].endswith("Z") and body["expires_at"].endswith("Z"), body
        assert (expires - created).total_seconds() == body["expires_in"], body


# ---------------------------------------------------------------------------------------------
# IAMAssumeAuthenticator: the assume grant


def test_assume_authenticator_as_the_service_id(emu):
    auth = IAMAssumeAuthenticator(emu["service_apikey"], iam_profile_id=emu["profile_id"], url=emu.url)
    c = assert_profile_token(emu, sdk_bearer(auth), GRANT_ASSUME)
    assert c["authn"]["sub_type"] == "ServiceId"
    assert auth.token_manager.refresh_token is None
    assert auth.token_manager.token_info["refresh_token"] == "not_supported"


def test_assume_authenticator_as_the_user_by_name_and_account(emu, account_id):
    auth = IAMAssumeAuthenticator(
        emu["apikey"], iam_profile_name=emu["profile_name"], iam_account_id=account_id, url=emu.url
    )
    c = assert_profile_token(emu, sdk_bearer(auth), GRANT_ASSUME)
    assert c["authn"]["sub_type"] == "User"
    assert c["authn"]["iam_id"] == claims(user_token(emu))["iam_id"]


def test_assume_authenticator_by_crn(emu):
    auth = IAMAssumeAuthenticator(emu["apikey"], iam_profile_crn=profile_crn(emu), url=emu.url)
    assert_profile_token(emu, sdk_bearer(auth), GRANT_ASSUME)


def test_assume_authenticator_refuses_an_untrusted_identity(emu, iam, account_id):
    created = iam.create_service_id(
        account_id=account_id, name=unique("untrusted"), apikey={"name": "k"}
    ).get_result()
    try:
        auth = IAMAssumeAuthenticator(created["apikey"]["apikey"], iam_profile_id=emu["profile_id"], url=emu.url)
        with pytest.raises(ApiException) as e:
            sdk_bearer(auth)
        assert e.value.status_code == 400
        assert error_code(e.value) == "BXNIM0456E"
    finally:
        iam.delete_service_id(id=created["id"])


# ---------------------------------------------------------------------------------------------
# IamIdentityV1: trusted profiles, links and identities


def test_trusted_profile_lifecycle(emu, iam, account_id):
    name = unique("sdk-profile")
    resp = iam.create_profile(name=name, account_id=account_id, description="made by the SDK")
    assert resp.get_status_code() == 201
    profile = TrustedProfile.from_dict(resp.get_result())
    assert profile.name == name and profile.account_id == account_id
    assert profile.id.startswith("Profile-") and profile.iam_id == "iam-" + profile.id
    assert profile.crn.endswith("::profile:" + profile.id)
    assert profile.entity_tag and profile.created_at and profile.modified_at

    # Names are unique within the account.
    with pytest.raises(ApiException) as e:
        iam.create_profile(name=name, account_id=account_id)
    assert e.value.status_code == 409

    resp = iam.get_profile(profile_id=profile.id)
    etag = resp.get_headers()["ETag"]
    got = TrustedProfile.from_dict(resp.get_result())
    assert got.entity_tag == etag and got.history

    renamed = TrustedProfile.from_dict(
        iam.update_profile(profile_id=profile.id, if_match=etag, name=name + "-2", description="renamed").get_result()
    )
    assert renamed.name == name + "-2" and renamed.description == "renamed"
    assert renamed.entity_tag != etag
    with pytest.raises(ApiException) as e:
        iam.update_profile(profile_id=profile.id, if_match=etag, description="stale")
    assert e.value.status_code == 409

    listed = TrustedProfilesList.from_dict(
        iam.list_profiles(account_id=account_id, name=name + "-2", include_history=True).get_result()
    )
    assert [p.id for p in listed.profiles] == [profile.id]
    everything = TrustedProfilesList.from_dict(iam.list_profiles(account_id=account_id, pagesize=100).get_result())
    assert {emu["profile_id"], profile.id} <= {p.id for p in everything.profiles}

    assert iam.delete_profile(profile_id=profile.id).get_status_code() == 204
    with pytest.raises(ApiException) as e:
        iam.get_profile(profile_id=profile.id)
    assert e.value.status_code == 404


def test_trusted_profile_links(emu, iam, account_id):
    profile = TrustedProfile.from_dict(iam.create_profile(name=unique("linked"), account_id=account_id).get_result())
    try:
        resp = iam.create_link(
            profile_id=profile.id,
            cr_type="IKS_SA",
            link=CreateProfileLinkRequestLink(crn=emu["iks_cluster_crn"], namespace="ci", name="runner"),
            name="runner-link",
        )
        assert resp.get_status_code() == 201
        link = ProfileLink.from_dict(resp.get_result())
        assert link.cr_type == "IKS_SA" and link.name == "runner-link"
        assert link.link.crn == emu["iks_cluster_crn"]
        assert link.link.namespace == "ci" and link.link.name == "runner"
        assert link.id and link.entity_tag and link.created_at and link.modified_at

        vsi = ProfileLink.from_dict(
            iam.create_link(
                profile_id=profile.id,
                cr_type="VSI",
                link=CreateProfileLinkRequestLink(crn=emu["vpc_instance_crn"]),
            ).get_result()
        )
        listed = ProfileLinkList.from_dict(iam.list_links(profile_id=profile.id).get_result())
        assert [l.id for l in listed.links] == [link.id, vsi.id]
        got = ProfileLink.from_dict(iam.get_link(profile_id=profile.id, link_id=link.id).get_result())
        assert got.id == link.id and got.link.name == "runner"

        # The linked service account now gets the profile's token.
        token = emu.cr_token(cr_type="IKS_SA", crn=emu["iks_cluster_crn"], namespace="ci", name="runner")
        r = requests.post(
            emu.url + "/identity/token",
            data={"grant_type": GRANT_CR_TOKEN, "cr_token": token, "profile_id": profile.id},
            timeout=HTTP_TIMEOUT,
        )
        assert r.status_code == 200, r.text
        assert claims(r.json()["access_token"])["sub"] == profile.id

        # A service-account link without its namespace is refused.
        with pytest.raises(ApiException) as e:
            iam.create_link(
                profile_id=profile.id,
                cr_type="ROKS_SA",
                link=CreateProfileLinkRequestLink(crn=emu["iks_cluster_crn"], name="x"),
            )
        assert e.value.status_code == 400

        assert iam.delete_link(profile_id=profile.id, link_id=link.id).get_status_code() == 204
        with pytest.raises(ApiException) as e:
            iam.get_link(profile_id=profile.id, link_id=link.id)
        assert e.value.status_code == 404
        resp = iam.delete_link_by_parameters(profile_id=profile.id, type="VSI", crn=emu["vpc_instance_crn"])
        assert resp.get_status_code() == 204
        assert ProfileLinkList.from_dict(iam.list_links(profile_id=profile.id).get_result()).links == []
    finally:
        iam.delete_profile(profile_id=profile.id)


def test_trusted_profile_identities(emu, iam, account_id):
    profile = TrustedProfile.from_dict(iam.create_profile(name=unique("trusting"), account_id=account_id).get_result())
    me = claims(user_token(emu))["iam_id"]
    service_id = claims(
        requests.post(
            emu.url + "/identity/token",
            data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": emu["service_apikey"]},
            timeout=HTTP_TIMEOUT,
        ).json()["access_token"]
    )["sub"]
    try:
        resp = iam.set_profile_identity(
            profile_id=profile.id,
            identity_type="serviceid",
            identifier=service_id,
            type="serviceid",
            description="the demo service ID",
        )
        assert resp.get_status_code() in (200, 201)
        added = ProfileIdentityResponse.from_dict(resp.get_result())
        assert added.iam_id == "iam-" + service_id and added.identifier == service_id
        assert added.type == "serviceid" and added.description == "the demo service ID"

        resp = iam.get_profile_identities(profile_id=profile.id)
        listed = ProfileIdentitiesResponse.from_dict(resp.get_result())
        assert [i.identifier for i in listed.identities] == [service_id]
        assert listed.entity_tag

        got = ProfileIdentityResponse.from_dict(
            iam.get_profile_identity(profile_id=profile.id, identity_type="serviceid", identifier_id=service_id).get_result()
        )
        assert got.iam_id == added.iam_id

        # The service ID may now assume the profile.
        auth = IAMAssumeAuthenticator(emu["service_apikey"], iam_profile_id=profile.id, url=emu.url)
        assert claims(sdk_bearer(auth))["sub"] == profile.id

        # Replacing the list needs the list's entity tag.
        with pytest.raises(ApiException) as e:
            iam.set_profile_identities(
                profile_id=profile.id,
                if_match="1-00000000000000000000000000000000",
                identities=[ProfileIdentityRequest(identifier=me, type="user")],
            )
        assert e.value.status_code == 409
        replaced = ProfileIdentitiesResponse.from_dict(
            iam.set_profile_identities(
                profile_id=profile.id,
                if_match=listed.entity_tag,
                identities=[ProfileIdentityRequest(identifier=me, type="user", accounts=[account_id])],
            ).get_result()
        )
        assert [(i.iam_id, i.type, i.accounts) for i in replaced.identities] == [(me, "user", [account_id])]
        assert replaced.entity_tag != listed.entity_tag

        assert (
            iam.delete_profile_identity(profile_id=profile.id, identity_type="user", identifier_id=me).get_status_code()
            == 204
        )
        with pytest.raises(ApiException) as e:
            iam.get_profile_identity(profile_id=profile.id, identity_type="user", identifier_id=me)
        assert e.value.status_code == 404
        assert ProfileIdentitiesResponse.from_dict(iam.get_profile_identities(profile_id=profile.id).get_result()).identities == []
    finally:
        iam.delete_profile(profile_id=profile.id)


def test_profile_ids_look_like_ibms(iam, account_id):
    import re

    profile = TrustedProfile.from_dict(iam.create_profile(name=unique("shape"), account_id=account_id).get_result())
    try:
        assert re.fullmatch("Profile-" + UUID_RE, profile.id), profile.id
    finally:
        iam.delete_profile(profile_id=profile.id)
