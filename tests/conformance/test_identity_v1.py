"""IAM Identity v1 through IBM's own client: ibm_platform_services.IamIdentityV1 with an
IAMAuthenticator pointed at the emulator. Every service-ID and API-key operation, pagination,
If-Match/ETag, lock, disable, and every response parsed with the SDK's own models."""

import re
from urllib.parse import urlparse

import pytest
import requests
from ibm_cloud_sdk_core import ApiException, get_query_param
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_platform_services import IamIdentityV1
from ibm_platform_services.iam_identity_v1 import (
    ApiKey,
    ApiKeyInsideCreateServiceIdRequest,
    ApiKeyList,
    ServiceId,
    ServiceIdList,
    TrustedProfile,
)

from iamconf import (
    GRANT_APIKEY,
    HTTP_TIMEOUT,
    IBM_TIMESTAMP_RE,
    UUID_RE,
    apikey_grant,
    assert_token_error,
    assert_v1_error,
    bearer,
    claims,
    post_token,
    sdk_error,
    unique,
    user_token,
)

SERVICE_ID_FIELDS = ("id", "iam_id", "entity_tag", "crn", "locked", "account_id", "name", "description")
API_KEY_FIELDS = ("id", "entity_tag", "crn", "locked", "disabled", "name", "description", "iam_id", "account_id")


@pytest.fixture(scope="module")
def iam(emu):
    service = IamIdentityV1(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
    service.set_service_url(emu.url)
    return service


@pytest.fixture(scope="module")
def me(emu):
    """Claims of the demo user's token; account.bss is the account these tests work in."""
    return claims(user_token(emu))


@pytest.fixture(scope="module")
def account_id(me):
    return me["account"]["bss"]


# ---------------------------------------------------------------------------------------------
# Model checks


def _roundtrip(model, d, fields):
    out = model.to_dict()
    for f in fields:
        if f in d:
            assert out.get(f) == d[f], f"{type(model).__name__}.{f} did not round-trip: {out.get(f)!r} != {d[f]!r}"


def check_service_id(d, account_id):
    model = ServiceId.from_dict(d)
    _roundtrip(model, d, SERVICE_ID_FIELDS)
    assert re.fullmatch(f"ServiceId-{UUID_RE}", d["id"]), d["id"]
    assert d["iam_id"] == "iam-" + d["id"]
    assert d["account_id"] == account_id
    assert d["crn"] == f"crn:v1:bluemix:public:iam-identity::a/{account_id}::serviceid:{d['id']}"
    assert isinstance(d["locked"], bool)
    assert isinstance(d["entity_tag"], str) and d["entity_tag"]
    for ts in ("created_at", "modified_at"):
        assert IBM_TIMESTAMP_RE.match(d[ts]), f"{ts} not in IBM's format: {d[ts]!r}"
    return model


def check_api_key(d, account_id=None):
    model = ApiKey.from_dict(d)
    _roundtrip(model, d, API_KEY_FIELDS)
    assert re.fullmatch(f"ApiKey-{UUID_RE}", d["id"]), d["id"]
    acct = account_id or d["account_id"]
    assert d["account_id"] == acct
    assert d["crn"] == f"crn:v1:bluemix:public:iam-identity::a/{acct}::apikey:{d['id']}"
    assert isinstance(d["locked"], bool)
    assert isinstance(d.get("disabled", False), bool)
    assert isinstance(d["created_by"], str) and d["created_by"]
    assert isinstance(d.get("entity_tag"), str) and d["entity_tag"]
    for ts in ("created_at", "modified_at"):
        assert IBM_TIMESTAMP_RE.match(d[ts]), f"{ts} not in IBM's format: {d[ts]!r}"
    return model


def _status(fn, *args, **kwargs):
    """Call an SDK operation that must fail; return the ApiException's HTTP response."""
    with pytest.raises(ApiException) as exc_info:
        fn(*args, **kwargs)
    return exc_info.value.http_response


def create_sid(iam, account_id, name=None, **kwargs):
    resp = iam.create_service_id(account_id, name or unique("conf-sid"), **kwargs)
    assert resp.get_status_code() == 201
    d = resp.get_result()
    check_service_id(d, account_id)
    return d


def create_key(iam, iam_id, account_id, name=None, **kwargs):
    resp = iam.create_api_key(name or unique("conf-key"), iam_id, account_id=account_id, **kwargs)
    assert resp.get_status_code() == 201
    d = resp.get_result()
    check_api_key(d, account_id)
    assert d["iam_id"] == iam_id
    assert isinstance(d["apikey"], str) and len(d["apikey"]) >= 32, "create must return the key's value"
    return d


def etag_of(resp):
    tag = resp.get_headers().get("ETag")
    assert tag, f"GET response has no ETag header: {dict(resp.get_headers())}"
    return tag


def can_log_in(emu, apikey):
    return post_token(emu.url, {"grant_type": GRANT_APIKEY, "apikey": apikey}).status_code == 200


class PageTokenPager:
    """The pagination loop IBM's generated pagers use (this SDK version ships none for
    IamIdentityV1): call the list operation with the same arguments plus `pagetoken`, taken from
    the `next` URL with ibm_cloud_sdk_core.get_query_param, until there is no `next`."""

    def __init__(self, operation, items_key, model, **params):
        self._operation = operation
        self._items_key = items_key
        self._model = model
        self._params = params
        self._next = None
        self._has_next = True
        self.next_urls = []

    def has_next(self):
        return self._has_next

    def get_next(self):
        result = self._operation(**self._params, pagetoken=self._next).get_result()
        self._model.from_dict(result)
        next_url = result.get("next")
        token = None
        if next_url is not None:
            self.next_urls.append(next_url)
            token = get_query_param(next_url, "pagetoken")
            assert token, f"`next` has no pagetoken: {next_url!r}"
        self._next = token
        self._has_next = token is not None
        return result[self._items_key]

    def pages(self):
        out = []
        while self.has_next():
            out.append(self.get_next())
            assert len(out) < 100, "pagination does not terminate"
        return out


# ---------------------------------------------------------------------------------------------
# Service IDs


def test_create_get_list_service_id(iam, account_id):
    name = unique("conf-sid")
    crns = ["crn:v1:bluemix:public:cloud-object-storage:global:a/" + account_id + ":inst1::"]
    created = create_sid(iam, account_id, name, description="Technical Service ID", unique_instance_crns=crns)
    assert created["name"] == name
    assert created["description"] == "Technical Service ID"
    assert created["locked"] is False
    assert created["unique_instance_crns"] == crns

    resp = iam.get_service_id(created["id"])
    assert resp.get_status_code() == 200
    got = resp.get_result()
    model = check_service_id(got, account_id)
    assert model.id == created["id"] and model.name == name
    assert etag_of(resp).strip('"') == got["entity_tag"]

    listed = iam.list_service_ids(account_id=account_id, name=name).get_result()
    lst = ServiceIdList.from_dict(listed)
    assert [s.id for s in lst.serviceids] == [created["id"]]
    for s in listed["serviceids"]:
        check_service_id(s, account_id)


def test_service_id_history_parses(iam, account_id):
    sid = create_sid(iam, account_id)
    got = iam.get_service_id(sid["id"], include_history=True).get_result()
    model = check_service_id(got, account_id)
    assert isinstance(got.get("history"), list), "include_history=true must return a history array"
    assert model.history is not None


def test_seeded_entities_carry_their_creation_in_their_history(emu, iam, me, account_id):
    """Issue 22: entities from the seed had an empty history, where IBM's always begin with
    their creation. Read through IBM's models (EnityHistoryRecord requires every field): the
    demo service ID, its API key, the demo user's key and the demo profile each have one
    'create' entry first, by the account's owner (a user's own key: the user), at the seed's time."""
    owner = me["iam_id"]
    service_key = iam.get_api_keys_details(iam_api_key=emu["service_apikey"], include_history=True).get_result()
    user_key = iam.get_api_keys_details(iam_api_key=emu["apikey"], include_history=True).get_result()
    sid_id = service_key["iam_id"].removeprefix("iam-")
    service_id = iam.get_service_id(sid_id, include_history=True).get_result()
    profile = iam.get_profile(emu["profile_id"], include_activity=False).get_result()
    for entity, by, message in (
        (service_id, owner, "Service ID created"),
        (ServiceId.from_dict(service_id), owner, "Service ID created"),
        (ApiKey.from_dict(service_key), service_key["created_by"], "API key created"),
        (ApiKey.from_dict(user_key), owner, "API key created"),
        (TrustedProfile.from_dict(profile), owner, "Trusted profile created"),
    ):
        history = entity["history"] if isinstance(entity, dict) else [h.to_dict() for h in entity.history]
        assert history, "a seeded entity's history begins with its creation"
        h = history[0]
        assert (h["action"], h["message"], h["iam_id"], h["iam_id_account"]) == ("create", message, by, account_id), h
        assert h["timestamp"] == "2024-01-15T10:00+0000" and h["params"] == [], h


def test_update_service_id_with_if_match(iam, account_id):
    sid = create_sid(iam, account_id, description="before")
    resp = iam.get_service_id(sid["id"])
    etag = etag_of(resp)

    new_name = unique("conf-sid-renamed")
    upd = iam.update_service_id(sid["id"], etag, name=new_name, description="after")
    assert upd.get_status_code() == 200
    u = upd.get_result()
    check_service_id(u, account_id)
    assert u["name"] == new_name and u["description"] == "after"
    assert u["entity_tag"] != resp.get_result()["entity_tag"], "entity_tag must change on update"
    got = iam.get_service_id(sid["id"]).get_result()
    assert got["name"] == new_name and got["entity_tag"] == u["entity_tag"]

    # The old tag is stale now.
    stale = _status(iam.update_service_id, sid["id"], etag, name="stale")
    assert_v1_error(stale, (409, 412))
    assert iam.get_service_id(sid["id"]).get_result()["name"] == new_name

    # `*` updates any version.
    star = iam.update_service_id(sid["id"], "*", description="")
    assert star.get_status_code() == 200
    assert not star.get_result().get("description")


def test_service_id_lock_refuses_update_and_delete(iam, account_id):
    sid = create_sid(iam, account_id)
    assert iam.lock_service_id(sid["id"]).get_status_code() == 204
    resp = iam.get_service_id(sid["id"])
    assert resp.get_result()["locked"] is True

    assert_v1_error(_status(iam.update_service_id, sid["id"], etag_of(resp), name="nope"), (400, 403, 409, 423))
    assert_v1_error(_status(iam.update_service_id, sid["id"], "*", name="nope"), (400, 403, 409, 423))
    assert_v1_error(_status(iam.delete_service_id, sid["id"]), (400, 403, 409, 423))
    got = iam.get_service_id(sid["id"]).get_result()
    assert got["name"] == sid["name"] and got["locked"] is True

    assert iam.unlock_service_id(sid["id"]).get_status_code() == 204
    resp = iam.get_service_id(sid["id"])
    assert resp.get_result()["locked"] is False
    assert iam.update_service_id(sid["id"], etag_of(resp), name=sid["name"] + "-x").get_status_code() == 200
    assert iam.delete_service_id(sid["id"]).get_status_code() == 204
    assert_v1_error(_status(iam.get_service_id, sid["id"]), 404)


def test_create_service_id_with_entity_lock_header(iam, account_id):
    sid = create_sid(iam, account_id, entity_lock="true")
    assert sid["locked"] is True
    assert iam.get_service_id(sid["id"]).get_result()["locked"] is True
    assert_v1_error(_status(iam.delete_service_id, sid["id"]), (400, 403, 409, 423))
    iam.unlock_service_id(sid["id"])
    assert iam.delete_service_id(sid["id"]).get_status_code() == 204


def test_create_service_id_with_inline_api_key(emu, iam, account_id):
    inline = ApiKeyInsideCreateServiceIdRequest(name=unique("conf-inline-key"), description="inline", store_value=True)
    sid = create_sid(iam, account_id, apikey=inline)
    model = ServiceId.from_dict(sid)
    assert model.apikey is not None, "create with apikey must return the API key"
    key = sid["apikey"]
    check_api_key(key, account_id)
    assert key["iam_id"] == sid["iam_id"]
    assert key["name"] == inline.name
    token = apikey_grant(emu.url, key["apikey"])["access_token"]
    assert claims(token)["iam_id"] == sid["iam_id"]


def test_service_id_api_key_logs_in_as_service_id(emu, iam, account_id):
    sid = create_sid(iam, account_id)
    key = create_key(iam, sid["iam_id"], account_id)
    body = apikey_grant(emu.url, key["apikey"])
    c = claims(body["access_token"])
    assert c["sub_type"] == "ServiceId"
    assert c["iam_id"] == sid["iam_id"] and c["id"] == sid["iam_id"]
    assert c["sub"] == sid["id"] and c["identifier"] == sid["id"]
    assert c["realmid"] == "iam"
    assert c["account"]["bss"] == account_id
    assert "ims_user_id" not in body, "ims_user_id is for users only"
    # The SDK authenticates with a service-ID key just the same.
    auth = IAMAuthenticator(key["apikey"], url=emu.url)
    req = {"headers": {}}
    auth.authenticate(req)
    assert claims(req["headers"]["Authorization"].split(" ", 1)[1])["sub_type"] == "ServiceId"


def test_deleting_service_id_deletes_its_keys(emu, iam, account_id):
    sid = create_sid(iam, account_id)
    keys = [create_key(iam, sid["iam_id"], account_id) for _ in range(2)]
    assert all(can_log_in(emu, k["apikey"]) for k in keys)

    assert iam.delete_service_id(sid["id"]).get_status_code() == 204
    assert_v1_error(_status(iam.get_service_id, sid["id"]), 404)
    for k in keys:
        assert_v1_error(_status(iam.get_api_key, k["id"]), 404)
        r = post_token(emu.url, {"grant_type": GRANT_APIKEY, "apikey": k["apikey"]})
        assert_token_error(r, 400, "BXNIM0415E")
    listed = iam.list_api_keys(account_id=account_id, iam_id=sid["iam_id"]).get_result()
    assert ApiKeyList.from_dict(listed).apikeys == []


# ---------------------------------------------------------------------------------------------
# API keys


def test_api_key_crud(emu, iam, account_id):
    sid = create_sid(iam, account_id)
    key = create_key(iam, sid["iam_id"], account_id, description="API key")
    assert key["description"] == "API key"
    assert key["locked"] is False and key.get("disabled", False) is False

    resp = iam.get_api_key(key["id"])
    assert resp.get_status_code() == 200
    got = resp.get_result()
    check_api_key(got, account_id)
    assert got["id"] == key["id"] and got["name"] == key["name"]
    assert got["apikey"] != key["apikey"], "the secret is only returned on create unless stored"
    etag = etag_of(resp)
    assert etag.strip('"') == got["entity_tag"]

    new_name = unique("conf-key-renamed")
    upd = iam.update_api_key(key["id"], etag, name=new_name, description="changed")
    assert upd.get_status_code() == 200
    u = upd.get_result()
    check_api_key(u, account_id)
    assert u["name"] == new_name and u["description"] == "changed"
    assert u["entity_tag"] != got["entity_tag"]

    assert_v1_error(_status(iam.update_api_key, key["id"], etag, name="stale"), (409, 412))
    assert iam.update_api_key(key["id"], "*", description="star").get_result()["description"] == "star"

    listed = iam.list_api_keys(account_id=account_id, iam_id=sid["iam_id"]).get_result()
    lst = ApiKeyList.from_dict(listed)
    assert [k.id for k in lst.apikeys] == [key["id"]]
    for k in listed["apikeys"]:
        check_api_key(k, account_id)

    assert iam.delete_api_key(key["id"]).get_status_code() == 204
    assert_v1_error(_status(iam.get_api_key, key["id"]), 404)
    assert not can_log_in(emu, key["apikey"])


def test_api_key_store_value_is_retrievable(iam, account_id):
    sid = create_sid(iam, account_id)
    key = create_key(iam, sid["iam_id"], account_id, store_value=True)
    got = iam.get_api_key(key["id"]).get_result()
    check_api_key(got, account_id)
    assert got["apikey"] == key["apikey"]


def test_api_key_lock_refuses_update_and_delete(emu, iam, account_id):
    sid = create_sid(iam, account_id)
    key = create_key(iam, sid["iam_id"], account_id)
    assert iam.lock_api_key(key["id"]).get_status_code() == 204
    resp = iam.get_api_key(key["id"])
    assert resp.get_result()["locked"] is True
    assert_v1_error(_status(iam.update_api_key, key["id"], etag_of(resp), name="nope"), (400, 403, 409, 423))
    assert_v1_error(_status(iam.delete_api_key, key["id"]), (400, 403, 409, 423))
    assert iam.get_api_key(key["id"]).get_result()["name"] == key["name"]
    assert can_log_in(emu, key["apikey"]), "a locked key still logs in"

    assert iam.unlock_api_key(key["id"]).get_status_code() == 204
    assert iam.get_api_key(key["id"]).get_result()["locked"] is False
    assert iam.delete_api_key(key["id"]).get_status_code() == 204


def test_create_api_key_with_entity_lock_and_disable_headers(emu, iam, account_id):
    sid = create_sid(iam, account_id)
    key = create_key(iam, sid["iam_id"], account_id, entity_lock="true", entity_disable="true")
    assert key["locked"] is True and key["disabled"] is True
    assert not can_log_in(emu, key["apikey"])


def test_disabled_api_key_cannot_log_in(emu, iam, account_id):
    sid = create_sid(iam, account_id)
    key = create_key(iam, sid["iam_id"], account_id)
    assert can_log_in(emu, key["apikey"])

    assert iam.disable_api_key(key["id"]).get_status_code() == 204
    got = iam.get_api_key(key["id"]).get_result()
    check_api_key(got, account_id)
    assert got["disabled"] is True
    r = post_token(emu.url, {"grant_type": GRANT_APIKEY, "apikey": key["apikey"]})
    assert_token_error(r, 400)

    assert iam.enable_api_key(key["id"]).get_status_code() == 204
    assert iam.get_api_key(key["id"]).get_result()["disabled"] is False
    assert can_log_in(emu, key["apikey"])


def test_get_api_key_details_by_value(emu, iam, account_id, me):
    sid = create_sid(iam, account_id)
    key = create_key(iam, sid["iam_id"], account_id)
    resp = iam.get_api_keys_details(iam_api_key=key["apikey"])
    assert resp.get_status_code() == 200
    d = resp.get_result()
    check_api_key(d, account_id)
    assert d["id"] == key["id"] and d["iam_id"] == sid["iam_id"]

    # The demo user's own key, by value.
    mine = iam.get_api_keys_details(iam_api_key=emu["apikey"]).get_result()
    check_api_key(mine)
    assert mine["iam_id"] == me["iam_id"]

    assert_v1_error(_status(iam.get_api_keys_details, iam_api_key="no-such-key-" + "0" * 32), 404)


def test_user_api_key_create_login_delete(emu, iam, account_id, me):
    key = create_key(iam, me["iam_id"], account_id, description="user key")
    c = claims(apikey_grant(emu.url, key["apikey"])["access_token"])
    assert c["iam_id"] == me["iam_id"] and c["sub_type"] != "ServiceId"
    assert c["account"]["bss"] == account_id
    listed = iam.list_api_keys(account_id=account_id, iam_id=me["iam_id"]).get_result()
    ApiKeyList.from_dict(listed)
    assert key["id"] in [k["id"] for k in listed["apikeys"]]
    assert iam.delete_api_key(key["id"]).get_status_code() == 204
    assert not can_log_in(emu, key["apikey"])


def test_api_key_passthrough_value(emu, iam, account_id):
    sid = create_sid(iam, account_id)
    value = unique("conf-passthrough-value") + "-" + "k" * 24
    assert len(value) >= 32
    key = create_key(iam, sid["iam_id"], account_id, apikey=value)
    assert key["apikey"] == value
    assert claims(apikey_grant(emu.url, value)["access_token"])["iam_id"] == sid["iam_id"]


# ---------------------------------------------------------------------------------------------
# Pagination


def _check_next_urls(emu, pager, expected_path):
    for nxt in pager.next_urls:
        assert isinstance(nxt, str)
        u = urlparse(nxt)
        assert nxt.startswith(emu.url + expected_path), f"`next` is not a URL on this server: {nxt!r}"
        assert "pagetoken" in u.query


def test_service_ids_pagination_with_name_filter(emu, iam, account_id):
    name = unique("conf-page")
    ids = {create_sid(iam, account_id, name)["id"] for _ in range(5)}
    pager = PageTokenPager(iam.list_service_ids, "serviceids", ServiceIdList, account_id=account_id, name=name, pagesize=2)
    pages = pager.pages()
    assert [len(p) for p in pages] == [2, 2, 1]
    seen = [s["id"] for p in pages for s in p]
    assert len(seen) == len(set(seen)) and set(seen) == ids
    _check_next_urls(emu, pager, "/v1/serviceids")

    # Following the `next` URL as is (the raw-HTTP way) gives the second page.
    token = user_token(emu)
    r = requests.get(pager.next_urls[0], headers=bearer(token), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    second = ServiceIdList.from_dict(r.json())
    assert [s.id for s in second.serviceids] == [s["id"] for s in pages[1]]


def test_service_ids_pagination_covers_full_listing(iam, account_id):
    for _ in range(3):
        create_sid(iam, account_id)
    full = iam.list_service_ids(account_id=account_id, pagesize=100).get_result()
    ServiceIdList.from_dict(full)
    all_ids = [s["id"] for s in full["serviceids"]]
    assert len(all_ids) >= 3 and len(all_ids) < 100
    assert not full.get("next"), "a listing that fits one page has no `next`"
    pages = PageTokenPager(iam.list_service_ids, "serviceids", ServiceIdList, account_id=account_id, pagesize=3).pages()
    assert all(len(p) <= 3 for p in pages)
    assert len(pages) == -(-len(all_ids) // 3)
    paged = [s["id"] for p in pages for s in p]
    assert sorted(paged) == sorted(all_ids)


def test_api_keys_pagination(emu, iam, account_id):
    sid = create_sid(iam, account_id)
    ids = {create_key(iam, sid["iam_id"], account_id)["id"] for _ in range(5)}
    pager = PageTokenPager(iam.list_api_keys, "apikeys", ApiKeyList, account_id=account_id, iam_id=sid["iam_id"], pagesize=2)
    pages = pager.pages()
    assert [len(p) for p in pages] == [2, 2, 1]
    seen = [k["id"] for p in pages for k in p]
    assert len(seen) == len(set(seen)) and set(seen) == ids
    for p in pages:
        for k in p:
            check_api_key(k, account_id)
    _check_next_urls(emu, pager, "/v1/apikeys")


def test_each_list_sorts_by_what_ibms_sdk_documents(iam, account_id):
    """Issue 22: IBM's generated SDK documents `sort` per list: API keys by name, description,
    created_at and created_by; service IDs and trusted profiles by name, description, created_at
    and modified_at. The emulator refused created_by on API keys."""
    sid = create_sid(iam, account_id)
    create_key(iam, sid["iam_id"], account_id)
    asc = iam.list_api_keys(account_id=account_id, scope="account", pagesize=100, sort="created_by").get_result()
    by = [k["created_by"] for k in asc["apikeys"]]
    assert len(set(by)) >= 2, f"keys of one creator cannot show an order: {by}"
    assert by == sorted(by)
    desc = iam.list_api_keys(
        account_id=account_id, scope="account", pagesize=100, sort="created_by", order="desc"
    ).get_result()
    assert [k["created_by"] for k in desc["apikeys"]] == sorted(by, reverse=True)
    for sort in ("name", "description", "created_at"):
        iam.list_api_keys(account_id=account_id, scope="account", sort=sort).get_result()
    for sort in ("name", "description", "created_at", "modified_at"):
        iam.list_service_ids(account_id=account_id, sort=sort).get_result()
        iam.list_profiles(account_id=account_id, sort=sort).get_result()
    for call, sort in ((iam.list_api_keys, "modified_at"), (iam.list_service_ids, "created_by"), (iam.list_profiles, "created_by")):
        e = sdk_error(call, account_id=account_id, sort=sort)
        assert_v1_error(e.http_response, 400, "BXNIM0106E")
        assert sort in e.message


def test_filter_is_refused_alike_on_every_list(iam, account_id):
    """Issue 22: IBM's lists take a SCIM-like `filter` whose grammar IBM does not publish. The
    emulator ignored it on API keys and service IDs (answering the whole list as if filtered)
    and refused it on profiles; now every list refuses it the same way."""
    for call in (iam.list_api_keys, iam.list_service_ids, iam.list_profiles):
        e = sdk_error(call, account_id=account_id, filter='name co "demo"')
        assert_v1_error(e.http_response, 400, "BXNIM0106E")
        assert "filter" in e.message


def test_list_sorting_by_name(iam, account_id):
    base = unique("conf-sort")
    for suffix in ("c", "a", "b"):
        create_sid(iam, account_id, f"{base}-{suffix}")
    # Names are not a filter by prefix, so list the account and keep ours.
    asc = iam.list_service_ids(account_id=account_id, pagesize=100, sort="name", order="asc").get_result()
    desc = iam.list_service_ids(account_id=account_id, pagesize=100, sort="name", order="desc").get_result()
    ours_asc = [s["name"] for s in asc["serviceids"] if s["name"].startswith(base)]
    ours_desc = [s["name"] for s in desc["serviceids"] if s["name"].startswith(base)]
    assert ours_asc == [f"{base}-a", f"{base}-b", f"{base}-c"]
    assert ours_desc == list(reversed(ours_asc))
