"""IAM Policy Management through IBM's own client, ibm_platform_services.IamPolicyManagementV1:
v1 and v2 policies (create, list with IBM's filters and pages, get, replace under ETag, state,
delete), one store read in both shapes, authorization policies, roles and custom roles, and
the errors IBM's SDK sees: stale or missing If-Match, unknown roles and services. Every answer
is parsed with the SDK's own models, whose from_dict raises on a missing required field."""

import random

import pytest
import requests
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_platform_services import IamPolicyManagementV1
from ibm_platform_services.iam_policy_management_v1 import (
    Control,
    CustomRole,
    Grant,
    Policy,
    PoliciesPager,
    PolicyCollection,
    PolicyResource,
    PolicyRole,
    PolicySubject,
    ResourceAttribute,
    ResourceTag,
    RoleCollection,
    RuleAttribute,
    SubjectAttribute,
    V2Policy,
    V2PolicyCollection,
    V2PolicyResource,
    V2PolicyResourceAttribute,
    V2PolicyResourceTag,
    V2PolicyRuleRuleWithNestedConditions,
    V2PolicySubject,
    V2PolicySubjectAttribute,
)

from iamconf import HTTP_TIMEOUT, assert_access_error, bearer, claims, sdk_error, unique, user_token

VIEWER = "crn:v1:bluemix:public:iam::::role:Viewer"
EDITOR = "crn:v1:bluemix:public:iam::::role:Editor"
OPERATOR = "crn:v1:bluemix:public:iam::::role:Operator"
READER = "crn:v1:bluemix:public:iam::::serviceRole:Reader"
SERVICE_ID_CREATOR = "crn:v1:bluemix:public:iam-identity::::serviceRole:ServiceIdCreator"


@pytest.fixture(scope="module")
def pm(emu):
    service = IamPolicyManagementV1(authenticator=IAMAuthenticator(emu["apikey"], url=emu.url))
    service.set_service_url(emu.url)
    return service


@pytest.fixture(scope="module")
def account_id(emu):
    return claims(user_token(emu))["account"]["bss"]


def new_user():
    """A made-up IBMid, as IBM's own SDK tests use: IBM takes policies for users it cannot see."""
    return "IBMid-Conf" + str(random.randint(0, 99_999_999))


def v1_parts(account_id, user, scope=("serviceType", "service")):
    subject = PolicySubject(attributes=[SubjectAttribute(name="iam_id", value=user)])
    resources = PolicyResource(
        attributes=[
            ResourceAttribute(name="accountId", value=account_id, operator="stringEquals"),
            ResourceAttribute(name=scope[0], value=scope[1], operator="stringEquals"),
        ],
        tags=[ResourceTag(name="project", value="prototype", operator="stringEquals")],
    )
    return subject, resources


def create_v1(pm, account_id, user, role=VIEWER, scope=("serviceType", "service")):
    """An access policy; IBM refuses a second one on the same subject and resource (409)."""
    subject, resources = v1_parts(account_id, user, scope)
    resp = pm.create_policy(type="access", subjects=[subject], roles=[PolicyRole(role_id=role)], resources=[resources])
    assert resp.get_status_code() == 201
    return Policy.from_dict(resp.get_result()), resp.get_headers()["ETag"]


def test_v1_policy_lifecycle(pm, account_id):
    """IBM's integration test of v1 policies, step by step."""
    user = new_user()
    subject, resources = v1_parts(account_id, user)
    policy, etag = create_v1(pm, account_id, user)
    assert policy.subjects[0] == subject
    assert policy.resources[0] == resources
    assert policy.roles[0].role_id == VIEWER
    assert policy.roles[0].display_name == "Viewer"
    assert policy.type == "access" and policy.state == "active"
    assert "/v1/policies/" in policy.href and policy.href.endswith(policy.id)
    assert policy.created_by_id == claims(pm.authenticator.token_manager.get_token())["iam_id"]

    got = pm.get_policy(policy_id=policy.id)
    assert Policy.from_dict(got.get_result()).subjects[0] == subject
    assert got.get_headers()["ETag"] == etag

    replaced = pm.replace_policy(
        policy_id=policy.id,
        if_match=etag,
        type="access",
        subjects=[subject],
        roles=[PolicyRole(role_id=EDITOR)],
        resources=[resources],
    )
    assert replaced.get_status_code() == 200
    assert Policy.from_dict(replaced.get_result()).roles[0].role_id == EDITOR
    etag2 = replaced.get_headers()["ETag"]
    assert etag2 != etag

    listed = PolicyCollection.from_dict(pm.list_policies(account_id=account_id, iam_id=user).get_result())
    assert [p.id for p in listed.policies] == [policy.id]

    patched = pm.update_policy_state(policy_id=policy.id, if_match=etag2, state="active")
    assert patched.get_status_code() == 200
    assert Policy.from_dict(patched.get_result()).state == "active"

    assert pm.delete_policy(policy_id=policy.id).get_status_code() == 204
    active = PolicyCollection.from_dict(pm.list_policies(account_id=account_id, iam_id=user).get_result())
    assert active.policies == []
    deleted = PolicyCollection.from_dict(
        pm.list_policies(account_id=account_id, iam_id=user, state="deleted").get_result()
    )
    assert [p.state for p in deleted.policies] == ["deleted"]
    # A deleted policy is restored with its state, as IBM's "Restore a deleted policy".
    gone = pm.get_policy(policy_id=policy.id)
    assert Policy.from_dict(gone.get_result()).state == "deleted"
    restored = pm.update_policy_state(policy_id=policy.id, if_match=gone.get_headers()["ETag"], state="active")
    assert Policy.from_dict(restored.get_result()).state == "active"
    assert pm.delete_policy(policy_id=policy.id).get_status_code() == 204
    e = sdk_error(pm.delete_policy, policy_id=policy.id)
    assert_access_error(e.http_response, 404, "policy_not_found")


def v2_parts(account_id, user):
    subject = V2PolicySubject(
        attributes=[V2PolicySubjectAttribute(key="iam_id", value=user, operator="stringEquals")]
    )
    resource = V2PolicyResource(
        attributes=[
            V2PolicyResourceAttribute(key="accountId", value=account_id, operator="stringEquals"),
            V2PolicyResourceAttribute(key="serviceType", value="service", operator="stringEquals"),
        ],
        tags=[V2PolicyResourceTag(key="project", value="prototype", operator="stringEquals")],
    )
    rule = V2PolicyRuleRuleWithNestedConditions(
        operator="and",
        conditions=[
            RuleAttribute(
                key="{{environment.attributes.day_of_week}}",
                operator="dayOfWeekAnyOf",
                value=["1+00:00", "2+00:00", "3+00:00", "4+00:00", "5+00:00"],
            ),
            RuleAttribute(
                key="{{environment.attributes.current_time}}",
                operator="timeGreaterThanOrEquals",
                value="09:00:00+00:00",
            ),
        ],
    )
    return subject, resource, rule


def test_v2_policy_lifecycle(pm, account_id):
    """IBM's integration test of v2 policies: a time-based rule, its pattern, ETags."""
    user = new_user()
    subject, resource, rule = v2_parts(account_id, user)
    pattern = "time-based-conditions:weekly:custom-hours"
    resp = pm.create_v2_policy(
        type="access",
        subject=subject,
        control=Control(grant=Grant(roles=[PolicyRole(role_id=VIEWER)])),
        resource=resource,
        pattern=pattern,
        rule=rule,
    )
    assert resp.get_status_code() == 201
    created = V2Policy.from_dict(resp.get_result())
    assert created.subject == subject and created.resource == resource
    assert Control.from_dict(created.control).grant.roles[0].role_id == VIEWER
    assert created.pattern == pattern and created.rule == rule.to_dict()
    assert "/v2/policies/" in created.href

    got = pm.get_v2_policy(id=created.id)
    assert V2Policy.from_dict(got.get_result()).state == "active"
    replaced = pm.replace_v2_policy(
        id=created.id,
        if_match=got.get_headers()["ETag"],
        type="access",
        subject=subject,
        control=Control(grant=Grant(roles=[PolicyRole(role_id=EDITOR)])),
        resource=resource,
        pattern=pattern,
        rule=rule,
    )
    assert replaced.get_status_code() == 200
    assert Control.from_dict(V2Policy.from_dict(replaced.get_result()).control).grant.roles[0].role_id == EDITOR

    listed = V2PolicyCollection.from_dict(pm.list_v2_policies(account_id=account_id, iam_id=user).get_result())
    assert [p.id for p in listed.policies] == [created.id]
    # format=display: each role with its name and actions.
    shown = pm.get_v2_policy(id=created.id, format="display").get_result()
    role = shown["control"]["grant"]["roles"][0]
    assert role["display_name"] == "Editor" and {"id", "display_name", "description"} <= set(role["actions"][0])
    assert pm.delete_v2_policy(id=created.id).get_status_code() == 204


def test_a_policy_made_in_one_shape_reads_in_the_other(pm, account_id):
    user = new_user()
    v1, _ = create_v1(pm, account_id, user)
    as_v2 = V2Policy.from_dict(pm.get_v2_policy(id=v1.id).get_result())
    assert {(a.key, a.operator, a.value) for a in as_v2.subject.attributes} == {("iam_id", "stringEquals", user)}
    assert as_v2.resource.tags[0].key == "project"
    assert Control.from_dict(as_v2.control).grant.roles[0].role_id == VIEWER

    other = new_user()
    subject, resource, _ = v2_parts(account_id, other)
    made = pm.create_v2_policy(
        type="access", subject=subject, control=Control(grant=Grant(roles=[PolicyRole(role_id=OPERATOR)])), resource=resource
    ).get_result()
    as_v1 = Policy.from_dict(pm.get_policy(policy_id=made["id"]).get_result())
    assert as_v1.subjects[0].attributes[0].name == "iam_id" and as_v1.subjects[0].attributes[0].value == other
    assert as_v1.roles[0].display_name == "Operator"
    # v1 lists v2's policies too; their href names the v2 API, as IBM's integration test reads it.
    listed = PolicyCollection.from_dict(pm.list_policies(account_id=account_id, iam_id=other).get_result())
    assert "v2/policies" in listed.policies[0].href
    for p in (v1.id, made["id"]):
        pm.delete_policy(policy_id=p)


def test_list_filters_sort_and_pages(pm, account_id):
    user = new_user()
    services = ("kms", "cloud-object-storage", "is")
    ids = [create_v1(pm, account_id, user, scope=("serviceName", s))[0].id for s in services]
    # Pages of one, followed by IBM's own pager (next.start).
    pager = PoliciesPager(client=pm, account_id=account_id, iam_id=user, limit=1)
    assert [p["id"] for p in pager.get_all()] == ids
    first = pm.list_policies(account_id=account_id, iam_id=user, limit=2).get_result()
    assert first["limit"] == 2 and "start" in first["next"]
    newest = pm.list_policies(account_id=account_id, iam_id=user, sort="-created_at").get_result()
    assert {p["id"] for p in newest["policies"]} == set(ids)
    tagged = pm.list_policies(account_id=account_id, iam_id=user, tag_name="project", tag_value="prototype")
    assert len(tagged.get_result()["policies"]) == 3
    assert pm.list_policies(account_id=account_id, iam_id=user, tag_value="other").get_result()["policies"] == []
    assert len(pm.list_policies(account_id=account_id, iam_id=user, service_type="service").get_result()["policies"]) == 3
    assert pm.list_policies(account_id=account_id, iam_id=user, service_type="platform_service").get_result()["policies"] == []
    kms = pm.list_v2_policies(account_id=account_id, iam_id=user, service_name="kms").get_result()["policies"]
    assert [p["id"] for p in kms] == ids[:1]
    # The demo world's authorization policy, and only authorization policies.
    auth = PolicyCollection.from_dict(pm.list_policies(account_id=account_id, type="authorization").get_result())
    assert auth.policies and {p.type for p in auth.policies} == {"authorization"}
    # format=display lists each role's actions.
    shown = pm.list_v2_policies(account_id=account_id, iam_id=user, format="display").get_result()
    assert all("actions" in r for p in shown["policies"] for r in p["control"]["grant"]["roles"])
    for p in ids:
        pm.delete_policy(policy_id=p)
    e = sdk_error(pm.list_policies, account_id=account_id, sort="name")
    assert_access_error(e.http_response, 400, "invalid_body")


def test_the_account_id_is_required(emu):
    r = requests.get(emu.url + "/v1/policies", headers=bearer(user_token(emu)), timeout=HTTP_TIMEOUT)
    assert_access_error(r, 400, "missing_required_query_parameter")


def test_a_stale_or_missing_if_match_is_refused(emu, pm, account_id):
    user = new_user()
    policy, etag = create_v1(pm, account_id, user)
    subject, resources = v1_parts(account_id, user)
    pm.replace_policy(
        policy_id=policy.id, if_match=etag, type="access", subjects=[subject], roles=[PolicyRole(role_id=EDITOR)], resources=[resources]
    )
    e = sdk_error(
        pm.replace_policy,
        policy_id=policy.id,
        if_match=etag,
        type="access",
        subjects=[subject],
        roles=[PolicyRole(role_id=VIEWER)],
        resources=[resources],
    )
    assert e.status_code == 412
    assert_access_error(e.http_response, 412, "precondition_failed")
    e = sdk_error(pm.update_policy_state, policy_id=policy.id, if_match=etag, state="deleted")
    assert_access_error(e.http_response, 412, "precondition_failed")
    # IBM's SDK will not send one without If-Match; the API answers 428.
    body = pm.get_policy(policy_id=policy.id).get_result()
    r = requests.put(
        f"{emu.url}/v1/policies/{policy.id}",
        json={k: body[k] for k in ("type", "subjects", "roles", "resources")},
        headers=bearer(user_token(emu)),
        timeout=HTTP_TIMEOUT,
    )
    assert_access_error(r, 428, "precondition_required")
    # The type of a policy never changes.
    e = sdk_error(
        pm.replace_policy,
        policy_id=policy.id,
        if_match="*",
        type="authorization",
        subjects=[subject],
        roles=[PolicyRole(role_id=VIEWER)],
        resources=[resources],
    )
    assert_access_error(e.http_response, 400, "invalid_body")
    pm.delete_policy(policy_id=policy.id)


@pytest.mark.parametrize(
    "service, role, message",
    [
        ("kms", "crn:v1:bluemix:public:iam::::role:Nope", "Invalid role(s): crn:v1:bluemix:public:iam::::role:Nope"),
        ("iam-groups", OPERATOR, "Invalid role(s): " + OPERATOR),
        ("cloud-object-storage", "crn:v1:bluemix:public:kms::::serviceRole:ReaderPlus", "Invalid role(s)"),
        ("no-such-service", VIEWER, "Invalid service name: 'no-such-service'"),
    ],
)
def test_unknown_roles_and_services_are_ibms_400(pm, account_id, service, role, message):
    e = sdk_error(
        pm.create_policy,
        type="access",
        subjects=[PolicySubject(attributes=[SubjectAttribute(name="iam_id", value=new_user())])],
        roles=[PolicyRole(role_id=role)],
        resources=[
            PolicyResource(
                attributes=[
                    ResourceAttribute(name="accountId", value=account_id),
                    ResourceAttribute(name="serviceName", value=service),
                ]
            )
        ],
    )
    assert e.status_code == 400
    body = assert_access_error(e.http_response, 400, "invalid_body")
    assert body["errors"][0]["message"].startswith(message), body
    assert message in e.message


def test_service_roles_need_their_service(pm, account_id):
    ok = pm.create_policy(
        type="access",
        subjects=[PolicySubject(attributes=[SubjectAttribute(name="iam_id", value=new_user())])],
        roles=[PolicyRole(role_id=SERVICE_ID_CREATOR), PolicyRole(role_id=VIEWER)],
        resources=[
            PolicyResource(
                attributes=[
                    ResourceAttribute(name="accountId", value=account_id),
                    ResourceAttribute(name="service_group_id", value="IAM"),
                ]
            )
        ],
    )
    policy = Policy.from_dict(ok.get_result())
    assert [r.display_name for r in policy.roles] == ["Service ID creator", "Viewer"]
    pm.delete_policy(policy_id=policy.id)


def test_a_second_policy_on_the_same_subject_and_resource_conflicts(pm, account_id):
    user = new_user()
    first, _ = create_v1(pm, account_id, user)
    e = sdk_error(create_v1, pm, account_id, user, role=EDITOR)
    body = assert_access_error(e.http_response, 409, "policy_conflict_error")
    assert body["errors"][0]["details"]["conflicts_with"]["policy"] == first.id
    pm.delete_policy(policy_id=first.id)
    # Deleted, it no longer stands in the way.
    again, _ = create_v1(pm, account_id, user, role=EDITOR)
    pm.delete_policy(policy_id=again.id)


def test_authorization_policies_and_their_conflicts(pm, account_id):
    def create():
        return pm.create_policy(
            type="authorization",
            subjects=[
                PolicySubject(
                    attributes=[
                        SubjectAttribute(name="serviceName", value="secrets-manager"),
                        SubjectAttribute(name="accountId", value=account_id),
                    ]
                )
            ],
            roles=[PolicyRole(role_id=READER)],
            resources=[
                PolicyResource(
                    attributes=[
                        ResourceAttribute(name="accountId", value=account_id),
                        ResourceAttribute(name="serviceName", value="kms"),
                    ]
                )
            ],
        )

    resp = create()
    policy = Policy.from_dict(resp.get_result())
    assert policy.type == "authorization"
    assert {a.name: a.value for a in policy.subjects[0].attributes}["serviceName"] == "secrets-manager"
    e = sdk_error(create)
    body = assert_access_error(e.http_response, 409, "policy_conflict_error")
    assert body["errors"][0]["details"]["conflicts_with"]["policy"] == policy.id
    # A platform role is no service's authorization.
    e = sdk_error(
        pm.create_policy,
        type="authorization",
        subjects=[PolicySubject(attributes=[SubjectAttribute(name="serviceName", value="is"), SubjectAttribute(name="accountId", value=account_id)])],
        roles=[PolicyRole(role_id=VIEWER)],
        resources=[PolicyResource(attributes=[ResourceAttribute(name="accountId", value=account_id), ResourceAttribute(name="serviceName", value="kms")])],
    )
    assert_access_error(e.http_response, 400, "invalid_body")
    pm.delete_policy(policy_id=policy.id)


def test_roles_by_service_group_and_authorization(pm, account_id):
    every = RoleCollection.from_dict(pm.list_roles().get_result())
    assert [r.display_name for r in every.system_roles] == ["Viewer", "Operator", "Editor", "Administrator"]
    assert [r.crn for r in every.service_roles] == [
        "crn:v1:bluemix:public:iam::::serviceRole:Reader",
        "crn:v1:bluemix:public:iam::::serviceRole:Writer",
        "crn:v1:bluemix:public:iam::::serviceRole:Manager",
    ]
    # IBM's integration test: the IAM group has Viewer and Service ID creator.
    iam = RoleCollection.from_dict(pm.list_roles(account_id=account_id, service_group_id="IAM").get_result())
    assert VIEWER in [r.crn for r in iam.system_roles]
    assert SERVICE_ID_CREATOR in [r.crn for r in iam.service_roles]
    kms = RoleCollection.from_dict(pm.list_roles(service_name="kms").get_result())
    assert {"ReaderPlus", "KMS Key Purge Role", "Manager"} <= {r.display_name for r in kms.service_roles}
    assert all(r.actions for r in kms.service_roles)
    cos = RoleCollection.from_dict(pm.list_roles(service_name="cloud-object-storage").get_result())
    assert {"Content Reader", "Object Reader", "Object Writer"} <= {r.display_name for r in cos.service_roles}
    groups = RoleCollection.from_dict(pm.list_roles(service_name="iam-groups").get_result())
    assert [r.display_name for r in groups.system_roles] == ["Viewer", "Editor", "Administrator"]
    auth = RoleCollection.from_dict(
        pm.list_roles(service_name="kms", source_service_name="cloud-object-storage", policy_type="authorization").get_result()
    )
    assert auth.system_roles == [] and READER in [r.crn for r in auth.service_roles]
    e = sdk_error(pm.list_roles, service_name="kms", service_group_id="IAM")
    assert_access_error(e.http_response, 400)


def test_custom_role_lifecycle(pm, account_id):
    """IBM's integration test of custom roles, then the role in a policy."""
    name = "TestPythonRole" + str(random.randint(0, 99999))
    resp = pm.create_role(
        name=name,
        account_id=account_id,
        service_name="iam-groups",
        display_name="SDK Test role",
        description="SDK Test role description ",
        actions=["iam-groups.groups.read"],
    )
    assert resp.get_status_code() == 201
    role = CustomRole.from_dict(resp.get_result())
    assert (role.name, role.account_id, role.service_name) == (name, account_id, "iam-groups")
    assert role.crn == f"crn:v1:bluemix:public:iam::a/{account_id}::customRole:{name}"

    got = pm.get_role(role_id=role.id)
    assert CustomRole.from_dict(got.get_result()).actions == ["iam-groups.groups.read"]
    updated = pm.replace_role(
        role_id=role.id,
        if_match=got.get_headers()["ETag"],
        display_name="Updated SDK Test role",
        description="Updated",
        actions=["iam-groups.groups.read", "iam-groups.members.list"],
    )
    assert CustomRole.from_dict(updated.get_result()).display_name == "Updated SDK Test role"
    e = sdk_error(pm.replace_role, role_id=role.id, if_match=got.get_headers()["ETag"], display_name="x", actions=["iam-groups.groups.read"])
    assert_access_error(e.http_response, 412, "precondition_failed")

    listed = RoleCollection.from_dict(pm.list_roles(account_id=account_id, service_name="iam-groups").get_result())
    assert role.id in [r.id for r in listed.custom_roles]

    used = pm.create_policy(
        type="access",
        subjects=[PolicySubject(attributes=[SubjectAttribute(name="iam_id", value=new_user())])],
        roles=[PolicyRole(role_id=role.crn)],
        resources=[PolicyResource(attributes=[ResourceAttribute(name="accountId", value=account_id), ResourceAttribute(name="serviceName", value="iam-groups")])],
    ).get_result()
    assert Policy.from_dict(used).roles[0].display_name == "Updated SDK Test role"
    # Not on another service.
    e = sdk_error(
        pm.create_policy,
        type="access",
        subjects=[PolicySubject(attributes=[SubjectAttribute(name="iam_id", value=new_user())])],
        roles=[PolicyRole(role_id=role.crn)],
        resources=[PolicyResource(attributes=[ResourceAttribute(name="accountId", value=account_id), ResourceAttribute(name="serviceName", value="kms")])],
    )
    assert_access_error(e.http_response, 400, "invalid_body")
    e = sdk_error(pm.delete_role, role_id=role.id)
    assert_access_error(e.http_response, 409, "role_conflict_error")
    pm.delete_policy(policy_id=used["id"])
    assert pm.delete_role(role_id=role.id).get_status_code() == 204
    e = sdk_error(pm.get_role, role_id=role.id)
    assert_access_error(e.http_response, 404, "role_not_found")


@pytest.mark.parametrize(
    "name, service, actions",
    [
        ("lowercase", "iam-groups", ["iam-groups.groups.read"]),
        ("Fine", "no-such-service", ["no-such-service.x"]),
        ("Fine", "iam-groups", ["kms.secrets.read"]),
        ("Fine", "iam-groups", []),
    ],
)
def test_custom_roles_are_checked(pm, account_id, name, service, actions):
    e = sdk_error(pm.create_role, name=name, account_id=account_id, service_name=service, display_name="x", actions=actions)
    assert_access_error(e.http_response, 400, "invalid_body")


def test_custom_role_names_are_unique(pm, account_id):
    name = unique("Dup").replace("-", "")
    made = pm.create_role(name=name, account_id=account_id, service_name="kms", display_name="x", actions=["kms.secrets.list"])
    e = sdk_error(pm.create_role, name=name, account_id=account_id, service_name="kms", display_name="y", actions=["kms.secrets.list"])
    assert_access_error(e.http_response, 409, "role_conflict_error")
    pm.delete_role(role_id=made.get_result()["id"])
