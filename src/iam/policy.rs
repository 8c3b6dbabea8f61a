//! IAM Policy Management's policies as data: the request bodies iamctl builds (v1's
//! `subjects`/`roles`/`resources` and v2's `subject`/`control`/`resource`), checking a policy
//! file a user hands over (`--file`), and the text view of a policy IAM answered with.
//!
//! No HTTP here: `access.rs` sends what this builds. Everything is `serde_json::Value`, so a
//! policy IAM returns is printed with `--output json` exactly as it came.

use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// Which Policy Management API: `/v1/policies` or `/v2/policies` (`--api-version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    V2,
}

impl ApiVersion {
    pub fn path(self) -> &'static str {
        match self {
            ApiVersion::V1 => "/v1/policies",
            ApiVersion::V2 => "/v2/policies",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }
}

/// `access` (a user, service ID, trusted profile or access group may act on a resource) or
/// `authorization` (a service may act on another service).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    Access,
    Authorization,
}

impl PolicyType {
    pub const ALL: [PolicyType; 2] = [PolicyType::Access, PolicyType::Authorization];

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Access => "access",
            PolicyType::Authorization => "authorization",
        }
    }

    /// The word of IBM's `account-policies --type`: `access` or `auth`.
    pub fn short_name(self) -> &'static str {
        match self {
            PolicyType::Access => "access",
            PolicyType::Authorization => "auth",
        }
    }
}

/// Whose an access policy is, in the words of IBM's `access-policies --type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    User,
    ServiceId,
    AccessGroup,
    TrustedProfile,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 4] = [
        SubjectKind::User,
        SubjectKind::ServiceId,
        SubjectKind::AccessGroup,
        SubjectKind::TrustedProfile,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::User => "user",
            SubjectKind::ServiceId => "service_id",
            SubjectKind::AccessGroup => "access_group",
            SubjectKind::TrustedProfile => "trusted_profile",
        }
    }

    /// Whose an access policy's subject is: an access group's by `access_group_id`, a
    /// service ID's or a trusted profile's by the prefix IAM gives their IAM IDs
    /// (`iam-ServiceId-`, `iam-Profile-`), a user's for any other IAM ID.
    pub fn of(subject: &[Attr]) -> Option<SubjectKind> {
        if attr(subject, "access_group_id").is_some() {
            return Some(SubjectKind::AccessGroup);
        }
        let iam_id = attr(subject, "iam_id")?;
        Some(if iam_id.starts_with("iam-ServiceId-") {
            SubjectKind::ServiceId
        } else if iam_id.starts_with("iam-Profile-") {
            SubjectKind::TrustedProfile
        } else {
            SubjectKind::User
        })
    }
}

/// The fields IBM's CLI sorts a policy listing by (`--sort-by`, the API's `sort`); a `-`
/// before one reverses the order.
pub const SORT_FIELDS: [&str; 8] = [
    "id",
    "type",
    "href",
    "created_at",
    "created_by_id",
    "last_modified_at",
    "last_modified_by_id",
    "state",
];

pub const STRING_EQUALS: &str = "stringEquals";
pub const STRING_MATCH: &str = "stringMatch";

/// One attribute of a subject or resource: `serviceName=kms`. A value with `*` is a
/// wildcard, matched with `stringMatch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub key: String,
    pub value: String,
}

impl Attr {
    pub fn new(key: &str, value: &str) -> Attr {
        Attr {
            key: key.to_string(),
            value: value.to_string(),
        }
    }

    fn operator(&self) -> &'static str {
        if self.value.contains('*') {
            STRING_MATCH
        } else {
            STRING_EQUALS
        }
    }

    fn v1(&self) -> Value {
        let mut a = json!({ "name": self.key, "value": self.value });
        if self.operator() == STRING_MATCH {
            a["operator"] = json!(STRING_MATCH);
        }
        a
    }

    fn v2(&self) -> Value {
        json!({ "key": self.key, "operator": self.operator(), "value": self.value })
    }
}

/// An access tag of a resource: `env:dev`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub value: String,
}

/// A policy to create or replace, built from flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub kind: PolicyType,
    pub subject: Vec<Attr>,
    /// Role CRNs (`crn:v1:bluemix:public:iam::::role:Viewer`).
    pub roles: Vec<String>,
    pub resource: Vec<Attr>,
    pub tags: Vec<Tag>,
    pub description: Option<String>,
}

impl Draft {
    /// The request body for the API `version`.
    pub fn body(&self, version: ApiVersion) -> Value {
        let mut body = match version {
            ApiVersion::V1 => {
                let mut resource = json!({
                    "attributes": self.resource.iter().map(Attr::v1).collect::<Vec<_>>()
                });
                if !self.tags.is_empty() {
                    resource["tags"] = self
                        .tags
                        .iter()
                        .map(|t| json!({"name": t.name, "value": t.value, "operator": STRING_EQUALS}))
                        .collect();
                }
                json!({
                    "type": self.kind.as_str(),
                    "subjects": [{ "attributes": self.subject.iter().map(Attr::v1).collect::<Vec<_>>() }],
                    "roles": self.roles.iter().map(|r| json!({ "role_id": r })).collect::<Vec<_>>(),
                    "resources": [resource],
                })
            }
            ApiVersion::V2 => {
                let mut resource = json!({
                    "attributes": self.resource.iter().map(Attr::v2).collect::<Vec<_>>()
                });
                if !self.tags.is_empty() {
                    resource["tags"] = self
                        .tags
                        .iter()
                        .map(
                            |t| json!({"key": t.name, "value": t.value, "operator": STRING_EQUALS}),
                        )
                        .collect();
                }
                json!({
                    "type": self.kind.as_str(),
                    "subject": { "attributes": self.subject.iter().map(Attr::v2).collect::<Vec<_>>() },
                    "control": { "grant": { "roles": self.roles.iter().map(|r| json!({ "role_id": r })).collect::<Vec<_>>() } },
                    "resource": resource,
                })
            }
        };
        if let Some(d) = &self.description {
            body["description"] = json!(d);
        }
        body
    }
}

/// A policy file that is not one IAM could take, with the field at fault.
#[derive(Debug)]
pub struct PolicyFileError {
    pub path: PathBuf,
    pub problem: FileProblem,
}

#[derive(Debug)]
pub enum FileProblem {
    /// Not JSON at all.
    Syntax(serde_json::Error),
    /// A field is missing or of the wrong kind: (`roles[0].role_id`, "is missing").
    Field { field: String, problem: String },
    /// A v2 policy given to the v1 API, or the other way round.
    Version {
        found: ApiVersion,
        field: &'static str,
    },
}

impl std::fmt::Display for PolicyFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display();
        match &self.problem {
            FileProblem::Syntax(e) => write!(f, "The policy file {path} is not valid JSON: {e}."),
            FileProblem::Field { field, problem } => {
                write!(
                    f,
                    "The policy file {path} is not valid: '{field}' {problem}."
                )
            }
            FileProblem::Version { found, field } => write!(
                f,
                "The policy file {path} holds a {} policy (it has '{field}').",
                found.name()
            ),
        }
    }
}

impl std::error::Error for PolicyFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            FileProblem::Syntax(e) => Some(e),
            _ => None,
        }
    }
}

/// Checks `--file`'s JSON for the API `version` and `kind`: the roles and resources (and,
/// for an authorization, the subjects) must be there in the API's shape; the command then
/// sets the subject of an access policy itself. Returns the object to send.
pub fn check_file(
    path: &Path,
    bytes: &[u8],
    version: ApiVersion,
    kind: PolicyType,
) -> Result<Map<String, Value>, PolicyFileError> {
    let fail = |problem| PolicyFileError {
        path: path.to_path_buf(),
        problem,
    };
    let field = |field: String, problem: &str| {
        fail(FileProblem::Field {
            field,
            problem: problem.to_string(),
        })
    };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| fail(FileProblem::Syntax(e)))?;
    let Value::Object(obj) = value else {
        return Err(field("(top level)".into(), "must be a JSON object"));
    };
    match (
        version,
        obj.contains_key("control"),
        obj.contains_key("roles"),
    ) {
        (ApiVersion::V1, true, _) => {
            return Err(fail(FileProblem::Version {
                found: ApiVersion::V2,
                field: "control",
            }));
        }
        (ApiVersion::V2, false, true) => {
            return Err(fail(FileProblem::Version {
                found: ApiVersion::V1,
                field: "roles",
            }));
        }
        _ => {}
    }
    if let Some(t) = obj.get("type")
        && t.as_str() != Some(kind.as_str())
    {
        return Err(field(
            "type".into(),
            &format!("must be \"{}\"", kind.as_str()),
        ));
    }
    let check = Check { field: &field };
    match version {
        ApiVersion::V1 => {
            check.role_list(obj.get("roles"), "roles")?;
            let resources = check.list(obj.get("resources"), "resources")?;
            for (i, r) in resources.iter().enumerate() {
                check.attributes(
                    r.get("attributes"),
                    &format!("resources[{i}].attributes"),
                    "name",
                )?;
            }
            if kind == PolicyType::Authorization {
                let subjects = check.list(obj.get("subjects"), "subjects")?;
                for (i, s) in subjects.iter().enumerate() {
                    check.attributes(
                        s.get("attributes"),
                        &format!("subjects[{i}].attributes"),
                        "name",
                    )?;
                }
            }
        }
        ApiVersion::V2 => {
            let control = check.object(obj.get("control"), "control")?;
            let grant = check.object(control.get("grant"), "control.grant")?;
            check.role_list(grant.get("roles"), "control.grant.roles")?;
            let resource = check.object(obj.get("resource"), "resource")?;
            check.attributes(resource.get("attributes"), "resource.attributes", "key")?;
            if kind == PolicyType::Authorization {
                let subject = check.object(obj.get("subject"), "subject")?;
                check.attributes(subject.get("attributes"), "subject.attributes", "key")?;
            }
        }
    }
    Ok(obj)
}

struct Check<'a, F: Fn(String, &str) -> PolicyFileError> {
    field: &'a F,
}

impl<F: Fn(String, &str) -> PolicyFileError> Check<'_, F> {
    fn object<'v>(
        &self,
        v: Option<&'v Value>,
        at: &str,
    ) -> Result<&'v Map<String, Value>, PolicyFileError> {
        match v {
            None | Some(Value::Null) => Err((self.field)(at.into(), "is missing")),
            Some(Value::Object(o)) => Ok(o),
            Some(_) => Err((self.field)(at.into(), "must be an object")),
        }
    }

    fn list<'v>(&self, v: Option<&'v Value>, at: &str) -> Result<&'v Vec<Value>, PolicyFileError> {
        match v {
            None | Some(Value::Null) => Err((self.field)(at.into(), "is missing")),
            Some(Value::Array(a)) if a.is_empty() => Err((self.field)(at.into(), "is empty")),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err((self.field)(at.into(), "must be a list")),
        }
    }

    fn string(&self, v: Option<&Value>, at: &str) -> Result<(), PolicyFileError> {
        match v {
            None | Some(Value::Null) => Err((self.field)(at.into(), "is missing")),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err((self.field)(at.into(), "is empty"))
            }
            Some(Value::String(_)) => Ok(()),
            Some(_) => Err((self.field)(at.into(), "must be a string")),
        }
    }

    fn role_list(&self, v: Option<&Value>, at: &str) -> Result<(), PolicyFileError> {
        for (i, r) in self.list(v, at)?.iter().enumerate() {
            let here = format!("{at}[{i}]");
            if !r.is_object() {
                return Err((self.field)(here, "must be an object with a role_id"));
            }
            self.string(r.get("role_id"), &format!("{here}.role_id"))?;
        }
        Ok(())
    }

    fn attributes(&self, v: Option<&Value>, at: &str, key: &str) -> Result<(), PolicyFileError> {
        for (i, a) in self.list(v, at)?.iter().enumerate() {
            let here = format!("{at}[{i}]");
            if !a.is_object() {
                return Err((self.field)(here, "must be an object"));
            }
            self.string(a.get(key), &format!("{here}.{key}"))?;
            match a.get("value") {
                None | Some(Value::Null) => {
                    return Err((self.field)(format!("{here}.value"), "is missing"));
                }
                Some(_) => {}
            }
            if let Some(op) = a.get("operator")
                && !op.is_string()
            {
                return Err((self.field)(format!("{here}.operator"), "must be a string"));
            }
        }
        Ok(())
    }
}

/// A checked file's policy with the command's subject and account: an access policy's
/// subject is the one the command names (whatever the file says), and a resource without an
/// `accountId` gets the current account's.
pub fn file_body(
    mut obj: Map<String, Value>,
    version: ApiVersion,
    kind: PolicyType,
    subject: Option<&[Attr]>,
    account_id: &str,
) -> Value {
    obj.insert("type".into(), json!(kind.as_str()));
    match version {
        ApiVersion::V1 => {
            if let Some(s) = subject {
                obj.insert(
                    "subjects".into(),
                    json!([{ "attributes": s.iter().map(Attr::v1).collect::<Vec<_>>() }]),
                );
            }
            if let Some(Value::Array(resources)) = obj.get_mut("resources") {
                for r in resources {
                    add_account(r, "name", |a| a.v1(), account_id);
                }
            }
        }
        ApiVersion::V2 => {
            if let Some(s) = subject {
                obj.insert(
                    "subject".into(),
                    json!({ "attributes": s.iter().map(Attr::v2).collect::<Vec<_>>() }),
                );
            }
            if let Some(r) = obj.get_mut("resource") {
                add_account(r, "key", |a| a.v2(), account_id);
            }
        }
    }
    Value::Object(obj)
}

fn add_account(resource: &mut Value, key: &str, shape: impl Fn(&Attr) -> Value, account_id: &str) {
    if let Some(Value::Array(attrs)) = resource.get_mut("attributes")
        && !attrs
            .iter()
            .any(|a| a.get(key).and_then(Value::as_str) == Some("accountId"))
    {
        attrs.insert(0, shape(&Attr::new("accountId", account_id)));
    }
}

/// What text output shows of a policy, from either API version's shape.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct View {
    pub id: String,
    pub kind: String,
    pub description: String,
    /// Display names (the role CRN's last part when IAM gave no name).
    pub roles: Vec<String>,
    pub subject: Vec<Attr>,
    pub resource: Vec<Attr>,
    pub tags: Vec<Tag>,
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn attrs(list: Option<&Value>, key: &str) -> Vec<Attr> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| Attr {
                    key: text(x, key),
                    value: text(x, "value"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The display name of a role: IAM's `display_name`, else the CRN's last segment.
pub fn role_name(role: &Value) -> String {
    let name = text(role, "display_name");
    if !name.is_empty() {
        return name;
    }
    let id = text(role, "role_id");
    id.rsplit(':').next().unwrap_or(&id).to_string()
}

pub fn view(policy: &Value) -> View {
    let v2 = policy.get("control").is_some();
    let roles = if v2 {
        policy.pointer("/control/grant/roles")
    } else {
        policy.get("roles")
    };
    let roles = roles
        .and_then(Value::as_array)
        .map(|a| a.iter().map(role_name).collect())
        .unwrap_or_default();
    let (subject, resource, tags) = if v2 {
        (
            attrs(policy.pointer("/subject/attributes"), "key"),
            attrs(policy.pointer("/resource/attributes"), "key"),
            policy.pointer("/resource/tags"),
        )
    } else {
        (
            attrs(policy.pointer("/subjects/0/attributes"), "name"),
            attrs(policy.pointer("/resources/0/attributes"), "name"),
            policy.pointer("/resources/0/tags"),
        )
    };
    let tag_key = if v2 { "key" } else { "name" };
    let tags = tags
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|t| Tag {
                    name: text(t, tag_key),
                    value: text(t, "value"),
                })
                .collect()
        })
        .unwrap_or_default();
    View {
        id: text(policy, "id"),
        kind: text(policy, "type"),
        description: text(policy, "description"),
        roles,
        subject,
        resource,
        tags,
    }
}

/// How IBM's CLI labels a resource attribute in text output.
pub fn attr_label(key: &str) -> String {
    match key {
        "serviceName" => "Service Name".into(),
        "serviceInstance" => "Service Instance".into(),
        "serviceType" => "Service Type".into(),
        "region" => "Region".into(),
        "resourceType" => "Resource Type".into(),
        "resource" => "Resource".into(),
        "resourceGroupId" => "Resource Group ID".into(),
        "accountId" => "Account ID".into(),
        "service_group_id" => "Service Group ID".into(),
        other => other.to_string(),
    }
}

/// The value of the first attribute with this key.
pub fn attr<'a>(list: &'a [Attr], key: &str) -> Option<&'a str> {
    list.iter().find(|a| a.key == key).map(|a| a.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            kind: PolicyType::Access,
            subject: vec![Attr::new("iam_id", "iam-ServiceId-1")],
            roles: vec!["crn:v1:bluemix:public:iam::::serviceRole:Writer".into()],
            resource: vec![
                Attr::new("accountId", "acc"),
                Attr::new("serviceName", "kms"),
                Attr::new("resourceGroupId", "*"),
            ],
            tags: vec![Tag {
                name: "env".into(),
                value: "dev".into(),
            }],
            description: None,
        }
    }

    #[test]
    fn v1_bodies_have_ibms_shape() {
        assert_eq!(
            draft().body(ApiVersion::V1),
            json!({
                "type": "access",
                "subjects": [{"attributes": [{"name": "iam_id", "value": "iam-ServiceId-1"}]}],
                "roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Writer"}],
                "resources": [{
                    "attributes": [
                        {"name": "accountId", "value": "acc"},
                        {"name": "serviceName", "value": "kms"},
                        {"name": "resourceGroupId", "value": "*", "operator": "stringMatch"}
                    ],
                    "tags": [{"name": "env", "value": "dev", "operator": "stringEquals"}]
                }]
            })
        );
    }

    #[test]
    fn v2_bodies_have_ibms_shape_and_read_back() {
        let body = draft().body(ApiVersion::V2);
        assert_eq!(
            body["control"],
            json!({"grant": {"roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Writer"}]}})
        );
        assert_eq!(
            body["subject"],
            json!({"attributes": [{"key": "iam_id", "operator": "stringEquals", "value": "iam-ServiceId-1"}]})
        );
        assert_eq!(body["resource"]["attributes"][2]["operator"], "stringMatch");
        for version in [ApiVersion::V1, ApiVersion::V2] {
            let v = view(&draft().body(version));
            assert_eq!(v.roles, ["Writer"]);
            assert_eq!(attr(&v.resource, "serviceName"), Some("kms"));
            assert_eq!(attr(&v.subject, "iam_id"), Some("iam-ServiceId-1"));
            assert_eq!(v.tags.len(), 1);
        }
    }

    fn check(text: &str, version: ApiVersion) -> Result<Map<String, Value>, String> {
        check_file(
            Path::new("p.json"),
            text.as_bytes(),
            version,
            PolicyType::Access,
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn policy_files_name_the_field_at_fault() {
        let ok = r#"{"roles":[{"role_id":"crn:r"}],"resources":[{"attributes":[{"name":"serviceName","value":"kms"}]}]}"#;
        assert!(check(ok, ApiVersion::V1).is_ok());
        for (text, want) in [
            (
                "{",
                "The policy file p.json is not valid JSON: EOF while parsing an object at line 1 column 1.",
            ),
            (
                "[]",
                "The policy file p.json is not valid: '(top level)' must be a JSON object.",
            ),
            (
                r#"{"resources":[]}"#,
                "The policy file p.json is not valid: 'roles' is missing.",
            ),
            (
                r#"{"roles":[]}"#,
                "The policy file p.json is not valid: 'roles' is empty.",
            ),
            (
                r#"{"roles":[{"role":"x"}]}"#,
                "The policy file p.json is not valid: 'roles[0].role_id' is missing.",
            ),
            (
                r#"{"roles":[{"role_id":7}]}"#,
                "The policy file p.json is not valid: 'roles[0].role_id' must be a string.",
            ),
            (
                r#"{"roles":[{"role_id":"r"}]}"#,
                "The policy file p.json is not valid: 'resources' is missing.",
            ),
            (
                r#"{"roles":[{"role_id":"r"}],"resources":[{"attributes":[{"name":"serviceName"}]}]}"#,
                "The policy file p.json is not valid: 'resources[0].attributes[0].value' is missing.",
            ),
            (
                r#"{"type":"authorization","roles":[{"role_id":"r"}]}"#,
                "The policy file p.json is not valid: 'type' must be \"access\".",
            ),
            (
                r#"{"control":{}}"#,
                "The policy file p.json holds a v2 policy (it has 'control').",
            ),
        ] {
            assert_eq!(
                check(text, ApiVersion::V1).err().as_deref(),
                Some(want),
                "{text}"
            );
        }
        assert_eq!(
            check(ok, ApiVersion::V2).err().as_deref(),
            Some("The policy file p.json holds a v1 policy (it has 'roles').")
        );
        let v2 = r#"{"control":{"grant":{"roles":[{"role_id":"r"}]}},"resource":{"attributes":[{"key":"serviceName","operator":"stringEquals","value":"kms"}]}}"#;
        assert!(check(v2, ApiVersion::V2).is_ok());
        assert_eq!(
            check(
                r#"{"control":{"grant":{"roles":[{"role_id":"r"}]}},"resource":{}}"#,
                ApiVersion::V2
            )
            .err()
            .as_deref(),
            Some("The policy file p.json is not valid: 'resource.attributes' is missing.")
        );
    }

    #[test]
    fn file_bodies_get_the_commands_subject_and_the_account() {
        let text = r#"{"subjects":[{"attributes":[{"name":"iam_id","value":"someone-else"}]}],"roles":[{"role_id":"r"}],"resources":[{"attributes":[{"name":"serviceName","value":"kms"}]}]}"#;
        let obj = check(text, ApiVersion::V1).unwrap_or_else(|e| panic!("{e}"));
        let subject = [Attr::new("iam_id", "me")];
        let body = file_body(
            obj,
            ApiVersion::V1,
            PolicyType::Access,
            Some(&subject),
            "acc",
        );
        assert_eq!(body["type"], "access");
        assert_eq!(body["subjects"][0]["attributes"][0]["value"], "me");
        assert_eq!(
            body["resources"][0]["attributes"][0],
            json!({"name": "accountId", "value": "acc"})
        );
    }

    #[test]
    fn views_fall_back_to_the_role_crn() {
        let v = view(
            &json!({"id": "p", "roles": [{"role_id": "crn:v1:bluemix:public:iam::::role:Viewer"}]}),
        );
        assert_eq!(v.roles, ["Viewer"]);
        assert_eq!(v.id, "p");
        assert!(v.resource.is_empty());
    }

    #[test]
    fn subjects_are_told_apart_as_ibms_access_policies_type_names_them() {
        let kind = |key: &str, value: &str| SubjectKind::of(&[Attr::new(key, value)]);
        assert_eq!(kind("iam_id", "IBMid-6650001DMO"), Some(SubjectKind::User));
        assert_eq!(
            kind("iam_id", "iam-ServiceId-5e0b3c0a"),
            Some(SubjectKind::ServiceId)
        );
        assert_eq!(
            kind("iam_id", "iam-Profile-9b1c2d3e"),
            Some(SubjectKind::TrustedProfile)
        );
        assert_eq!(
            kind("access_group_id", "AccessGroupId-PublicAccess"),
            Some(SubjectKind::AccessGroup)
        );
        // An authorization's subject is a service: no kind of access subject.
        assert_eq!(kind("serviceName", "kms"), None);
        let names: Vec<&str> = SubjectKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            ["user", "service_id", "access_group", "trusted_profile"]
        );
    }
}
