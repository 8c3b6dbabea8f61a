//! Access management where IBM's SDKs do not reach: policies, custom roles and access groups in
//! the state file (and older state files without them), seeds refused for their access data,
//! enforcement from a seed's `enforce_access`, and the access decisions themselves over HTTP.

use crate::common::*;
use iam_emulator::seed::{
    DEMO_ACCOUNT, DEMO_ADMINS_GROUP_ID, DEMO_SERVICE_APIKEY, DEMO_SERVICE_ID, DEMO_USER_IAM_ID,
};
use iam_emulator::{Config, Running, Seed};
use reqwest::Method;
use serde_json::{Value, json};

fn send(req: reqwest::blocking::RequestBuilder) -> (u16, Value, Option<String>) {
    let resp = req.send().expect("request");
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let status = resp.status().as_u16();
    let text = resp.text().expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        etag,
    )
}

fn viewer_on(service: &str, subject: (&str, &str)) -> Value {
    json!({
        "type": "access",
        "subject": {"attributes": [{"key": subject.0, "operator": "stringEquals", "value": subject.1}]},
        "control": {"grant": {"roles": [{"role_id": "crn:v1:bluemix:public:iam::::role:Viewer"}]}},
        "resource": {"attributes": [
            {"key": "accountId", "operator": "stringEquals", "value": DEMO_ACCOUNT},
            {"key": "serviceName", "operator": "stringEquals", "value": service}]},
        "pattern": "time-based-conditions:once",
        "rule": {"operator": "and", "conditions": [
            {"key": "{{environment.attributes.current_date_time}}", "operator": "dateTimeGreaterThanOrEquals", "value": "2024-01-01T00:00:00+00:00"}]},
    })
}

#[test]
fn access_data_survives_a_restart() {
    let dir = TempDir::new("access-state");
    let state = dir.path("state.json");
    let config = || Config {
        state: Some(state.clone()),
        ..Default::default()
    };
    let emu = start_with(config());
    let t = access_token(&emu);
    let (status, group, _) = send(
        api(
            &emu,
            Method::POST,
            &format!("/v2/groups?account_id={DEMO_ACCOUNT}"),
            &t,
        )
        .json(&json!({"name": "persisted", "description": "kept"})),
    );
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().unwrap().to_owned();
    let (status, added, _) = send(
        api(&emu, Method::PUT, &format!("/v2/groups/{gid}/members"), &t).json(
            &json!({"members": [{"iam_id": format!("iam-{DEMO_SERVICE_ID}"), "type": "service"}]}),
        ),
    );
    assert_eq!(
        (status, &added["members"][0]["status_code"]),
        (207, &json!(200))
    );
    let (status, role, role_tag) = send(api(&emu, Method::POST, "/v2/roles", &t).json(&json!({
        "name": "Persisted", "display_name": "Persisted", "account_id": DEMO_ACCOUNT,
        "service_name": "kms", "actions": ["kms.secrets.list"]})));
    assert_eq!(status, 201, "{role}");
    let (status, policy, policy_tag) = send(
        api(&emu, Method::POST, "/v2/policies", &t)
            .json(&viewer_on("kms", ("access_group_id", &gid))),
    );
    assert_eq!(status, 201, "{policy}");
    drop(emu);

    let emu = start_with(config());
    let path = format!("/v2/policies/{}", policy["id"].as_str().unwrap());
    let (status, again, tag) = send(api(&emu, Method::GET, &path, &t));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["rule"], policy["rule"]);
    assert_eq!(again["subject"], policy["subject"]);
    assert_eq!(tag, policy_tag, "the revision is kept");
    let (status, _, tag) = send(api(
        &emu,
        Method::GET,
        &format!("/v2/roles/{}", role["id"].as_str().unwrap()),
        &t,
    ));
    assert_eq!((status, tag), (200, role_tag));
    let member = format!("/v2/groups/{gid}/members/iam-{DEMO_SERVICE_ID}");
    let (status, _, _) = send(api(&emu, Method::HEAD, &member, &t));
    assert_eq!(status, 204);
}

#[test]
fn a_state_file_from_before_access_management_loads() {
    let dir = TempDir::new("old-state");
    let state = dir.path("state.json");
    let config = || Config {
        state: Some(state.clone()),
        ..Default::default()
    };
    drop(start_with(config()));
    let mut file: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let world = file["world"].as_object_mut().unwrap();
    for key in [
        "policies",
        "custom_roles",
        "access_groups",
        "enforce_access",
    ] {
        assert!(world.remove(key).is_some(), "{key} is written");
    }
    std::fs::write(&state, serde_json::to_vec(&file).unwrap()).unwrap();
    let emu = start_with(config());
    let t = access_token(&emu);
    let (status, list, _) = send(api(
        &emu,
        Method::GET,
        &format!("/v1/policies?account_id={DEMO_ACCOUNT}"),
        &t,
    ));
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["policies"], json!([]));
}

#[test]
fn a_state_file_with_a_policy_filed_under_another_id_is_refused() {
    let dir = TempDir::new("bad-state");
    let state = dir.path("state.json");
    drop(start_with(Config {
        state: Some(state.clone()),
        ..Default::default()
    }));
    let mut file: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let policies = file["world"]["policies"].as_object_mut().unwrap();
    let (id, p) = policies
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    policies.remove(&id);
    policies.insert("elsewhere".into(), p);
    std::fs::write(&state, serde_json::to_vec(&file).unwrap()).unwrap();
    let err = iam_emulator::spawn(Config {
        state: Some(state.clone()),
        ..Default::default()
    })
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(err.contains("is filed under elsewhere"), "{err}");
}

#[test]
fn seeds_with_impossible_access_data_are_refused_at_start() {
    for (more, why) in [
        (
            json!({"policies": [{"account_id": DEMO_ACCOUNT, "subject": {"iam_id": "nobody@example.com"},
                "roles": ["Viewer"], "resource": {"serviceName": "kms"}}]}),
            "subject nobody@example.com",
        ),
        (
            json!({"policies": [{"account_id": DEMO_ACCOUNT, "subject": {"iam_id": "demo@example.com"},
                "roles": ["crn:v1:bluemix:public:iam::::serviceRole:Reader"], "resource": {"serviceType": "platform_service"}}]}),
            "Invalid role(s)",
        ),
        (
            json!({"access_groups": [{"account_id": DEMO_ACCOUNT, "name": "Administrators"}]}),
            "access group Administrators is listed twice",
        ),
        (
            json!({"custom_roles": [{"account_id": DEMO_ACCOUNT, "name": "Bad", "display_name": "x",
                "service_name": "kms", "actions": []}]}),
            "custom role Bad",
        ),
    ] {
        let mut seed = serde_json::to_value(Seed::demo()).unwrap();
        for (k, v) in more.as_object().unwrap() {
            let list = seed[k].as_array().cloned().unwrap_or_default();
            seed[k] = Value::Array(
                list.into_iter()
                    .chain(v.as_array().unwrap().clone())
                    .collect(),
            );
        }
        let seed: Seed = serde_json::from_value(seed).unwrap();
        let err = iam_emulator::spawn(Config {
            seed: Some(seed.into()),
            ..Default::default()
        })
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains(why), "{why}: {err}");
    }
}

fn service_token(emu: &Running) -> String {
    apikey_login(emu, DEMO_SERVICE_APIKEY, false)["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn create_service_id(emu: &Running, t: &str) -> (u16, Value) {
    let (status, body, _) = send(
        api(emu, Method::POST, "/v1/serviceids/", t)
            .json(&json!({"account_id": DEMO_ACCOUNT, "name": "by-service"})),
    );
    (status, body)
}

#[test]
fn enforcement_is_off_unless_asked_for() {
    let emu = start();
    let (status, body) = create_service_id(&emu, &service_token(&emu));
    assert_eq!(status, 201, "{body}");
}

#[test]
fn a_seed_turns_enforcement_on() {
    let seed = Seed {
        enforce_access: true,
        ..Seed::demo()
    };
    let emu = start_with(Config {
        seed: Some(seed.into()),
        ..Default::default()
    });
    let (status, body) = create_service_id(&emu, &service_token(&emu));
    assert_api_error(&(status, body.clone()), 403, "BXNIM0513E");
    let details = body["errors"][0]["details"].as_str().unwrap_or_default();
    assert!(
        details.contains("'iam-identity.serviceid.create'")
            && details.contains(&format!("iam-{DEMO_SERVICE_ID}"))
            && details.contains(&format!("'a/{DEMO_ACCOUNT}'")),
        "{details}"
    );
    // The owner may do anything.
    let (status, body) = create_service_id(&emu, &access_token(&emu));
    assert_eq!(status, 201, "{body}");
}

#[test]
fn decisions_follow_groups_roles_and_resources() {
    let emu = start_with(Config {
        enforce_access: true,
        ..Default::default()
    });
    let owner = access_token(&emu);
    let service = service_token(&emu);
    let sid_path = format!("/v1/serviceids/{DEMO_SERVICE_ID}");
    let read = |t: &str| send(api(&emu, Method::GET, &sid_path, t)).0;
    assert_eq!(read(&service), 403);
    // A group with Administrator on IAM Identity only.
    let (_, group, _) = send(
        api(
            &emu,
            Method::POST,
            &format!("/v2/groups?account_id={DEMO_ACCOUNT}"),
            &owner,
        )
        .json(&json!({"name": "identity admins"})),
    );
    let gid = group["id"].as_str().unwrap().to_owned();
    let mut admin = viewer_on("iam-identity", ("access_group_id", &gid));
    admin["control"]["grant"]["roles"][0]["role_id"] =
        json!("crn:v1:bluemix:public:iam::::role:Administrator");
    let (status, body, _) = send(api(&emu, Method::POST, "/v2/policies", &owner).json(&admin));
    assert_eq!(status, 201, "{body}");
    let (status, _, _) = send(
        api(
            &emu,
            Method::PUT,
            &format!("/v2/groups/{gid}/members"),
            &owner,
        )
        .json(
            &json!({"members": [{"iam_id": format!("iam-{DEMO_SERVICE_ID}"), "type": "service"}]}),
        ),
    );
    assert_eq!(status, 207);
    assert_eq!(read(&service), 200);
    assert_eq!(create_service_id(&emu, &service).0, 201);
    // It assigns access to IAM Identity...
    let (status, body, _) = send(
        api(&emu, Method::POST, "/v2/policies", &service)
            .json(&viewer_on("iam-identity", ("iam_id", DEMO_USER_IAM_ID))),
    );
    assert_eq!(status, 201, "{body}");
    // ...not to Key Protect, whose Administrator (or IAM Access Management's) it would need.
    let (status, body, _) = send(
        api(&emu, Method::POST, "/v2/policies", &service)
            .json(&viewer_on("kms", ("iam_id", DEMO_USER_IAM_ID))),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["errors"][0]["code"], "insufficent_permissions");
    // The demo world's Administrators (Administrator on every account management service, so
    // IAM Access Management's too) may assign access to anything.
    let admins = format!("/v2/groups/{DEMO_ADMINS_GROUP_ID}/members");
    send(api(&emu, Method::PUT, &admins, &owner).json(
        &json!({"members": [{"iam_id": format!("iam-{DEMO_SERVICE_ID}"), "type": "service"}]}),
    ));
    let (status, body, _) = send(
        api(&emu, Method::POST, "/v2/policies", &service)
            .json(&viewer_on("kms", ("iam_id", DEMO_USER_IAM_ID))),
    );
    assert_eq!(status, 201, "{body}");
    // Out of the groups, out of their access.
    for g in [&gid, &DEMO_ADMINS_GROUP_ID.to_owned()] {
        let member = format!("/v2/groups/{g}/members/iam-{DEMO_SERVICE_ID}");
        assert_eq!(send(api(&emu, Method::DELETE, &member, &owner)).0, 204);
    }
    assert_eq!(read(&service), 403);
}

#[test]
fn deleting_an_identity_takes_its_policies_and_memberships() {
    let emu = start();
    let t = access_token(&emu);
    let (_, sid) = create_service_id(&emu, &t);
    let iam_id = sid["iam_id"].as_str().unwrap().to_owned();
    let (status, policy, _) = send(
        api(&emu, Method::POST, "/v2/policies", &t).json(&viewer_on("kms", ("iam_id", &iam_id))),
    );
    assert_eq!(status, 201, "{policy}");
    let members = format!("/v2/groups/{DEMO_ADMINS_GROUP_ID}/members");
    send(
        api(&emu, Method::PUT, &members, &t)
            .json(&json!({"members": [{"iam_id": iam_id, "type": "service"}]})),
    );
    let sid_path = format!("/v1/serviceids/{}", sid["id"].as_str().unwrap());
    assert_eq!(send(api(&emu, Method::DELETE, &sid_path, &t)).0, 204);
    let policy_path = format!("/v2/policies/{}", policy["id"].as_str().unwrap());
    assert_eq!(send(api(&emu, Method::GET, &policy_path, &t)).0, 404);
    let (_, list, _) = send(api(&emu, Method::GET, &members, &t));
    assert_eq!(list["total_count"], 1, "only the demo user is left: {list}");
}
