//! A policy in IBM's two shapes: read from a v1 body (`subjects`, `roles`, `resources` with
//! `name`d attributes) or a v2 body (`subject`, `control.grant.roles`, `resource` with `key`ed
//! attributes and operators, `rule`, `pattern`), and written out in either, so that a policy
//! made through one API version reads in the other.

use serde_json::{Map, Value, json};

use crate::http::errors::{self as codes, ApiError};
use crate::http::params::opt_string;
use crate::model::access::{Attr, Origin, Policy, PolicyKind, Tag};
use crate::model::catalog;
use crate::model::clock::timestamp;
use crate::model::world::World;

/// What a create or replace body asks for.
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: PolicyKind,
    pub description: Option<String>,
    pub subject: Vec<Attr>,
    pub resource: Vec<Attr>,
    pub tags: Vec<Tag>,
    pub roles: Vec<String>,
    pub rule: Option<Value>,
    pub pattern: Option<String>,
}

pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::access(
        axum::http::StatusCode::BAD_REQUEST,
        codes::INVALID_BODY,
        message,
    )
}

fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a Value, ApiError> {
    body.get(name)
        .filter(|v| !v.is_null())
        .ok_or_else(|| invalid(format!("Property '{name}' is required.")))
}

fn object<'a>(v: &'a Value, name: &str) -> Result<&'a Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| invalid(format!("Property '{name}' must be an object.")))
}

fn array<'a>(v: &'a Value, name: &str) -> Result<&'a Vec<Value>, ApiError> {
    v.as_array()
        .ok_or_else(|| invalid(format!("Property '{name}' must be an array.")))
}

fn text(m: &Map<String, Value>, key: &str, within: &str) -> Result<String, ApiError> {
    m.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            invalid(format!(
                "Property '{within}.{key}' must be a non-empty string."
            ))
        })
}

fn opt_text(m: &Map<String, Value>, key: &str, within: &str) -> Result<Option<String>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!(
            "Property '{within}.{key}' must be a string."
        ))),
    }
}

fn kind(body: &Map<String, Value>) -> Result<PolicyKind, ApiError> {
    let t = field(body, "type")?
        .as_str()
        .ok_or_else(|| invalid("Property 'type' must be a string."))?;
    PolicyKind::parse(t).ok_or_else(|| {
        invalid(format!(
            "Invalid value '{t}' for 'type'; valid values: access, authorization."
        ))
    })
}

fn description(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    opt_string(body, "description").map_err(|_| invalid("Property 'description' must be a string."))
}

/// `[{"role_id": CRN}, ...]`, at least one.
fn roles(v: &Value, name: &str) -> Result<Vec<String>, ApiError> {
    let items = array(v, name)?;
    if items.is_empty() {
        return Err(invalid(format!(
            "Property '{name}' must name at least one role."
        )));
    }
    items
        .iter()
        .map(|r| text(object(r, name)?, "role_id", name))
        .collect()
}

/// The one element of a v1 `subjects` or `resources` list (IBM takes exactly one).
fn single<'a>(
    body: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a Map<String, Value>, ApiError> {
    match array(field(body, name)?, name)?.as_slice() {
        [only] => object(only, name),
        _ => Err(invalid(format!(
            "Property '{name}' must hold exactly one element."
        ))),
    }
}

fn attributes(
    m: &Map<String, Value>,
    within: &str,
    key_name: &str,
    with_operator: bool,
) -> Result<Vec<Attr>, ApiError> {
    let name = format!("{within}.attributes");
    let list = array(
        field(m, "attributes").map_err(|_| invalid(format!("Property '{name}' is required.")))?,
        &name,
    )?;
    if list.is_empty() {
        return Err(invalid(format!("Property '{name}' must not be empty.")));
    }
    list.iter()
        .map(|a| {
            let a = object(a, &name)?;
            let key = text(a, key_name, &name)?;
            let value = a
                .get("value")
                .filter(|v| !v.is_null())
                .cloned()
                .ok_or_else(|| invalid(format!("Property '{name}.value' is required.")))?;
            let operator = if with_operator {
                opt_text(a, "operator", &name)?
            } else {
                None
            };
            Ok(Attr {
                key,
                operator,
                value,
            })
        })
        .collect()
}

fn tags(m: &Map<String, Value>, within: &str, key_name: &str) -> Result<Vec<Tag>, ApiError> {
    let name = format!("{within}.tags");
    match m.get("tags") {
        None | Some(Value::Null) => Ok(vec![]),
        Some(v) => array(v, &name)?
            .iter()
            .map(|t| {
                let t = object(t, &name)?;
                Ok(Tag {
                    name: text(t, key_name, &name)?,
                    value: text(t, "value", &name)?,
                    operator: opt_text(t, "operator", &name)?,
                })
            })
            .collect(),
    }
}

/// A v1 body: `type`, `subjects`, `roles`, `resources`, `description`.
pub fn from_v1(body: &Map<String, Value>) -> Result<Draft, ApiError> {
    let kind = kind(body)?;
    let subject = single(body, "subjects")?;
    let resource = single(body, "resources")?;
    Ok(Draft {
        kind,
        description: description(body)?,
        subject: attributes(subject, "subjects", "name", false)?,
        roles: roles(field(body, "roles")?, "roles")?,
        resource: attributes(resource, "resources", "name", true)?,
        tags: tags(resource, "resources", "name")?,
        rule: None,
        pattern: None,
    })
}

/// A v2 body: `type`, `control.grant.roles`, `subject`, `resource`, `rule`, `pattern`,
/// `description`.
pub fn from_v2(body: &Map<String, Value>) -> Result<Draft, ApiError> {
    let kind = kind(body)?;
    let control = object(field(body, "control")?, "control")?;
    let grant = object(
        control
            .get("grant")
            .ok_or_else(|| invalid("Property 'control.grant' is required."))?,
        "control.grant",
    )?;
    let roles = roles(
        grant
            .get("roles")
            .ok_or_else(|| invalid("Property 'control.grant.roles' is required."))?,
        "control.grant.roles",
    )?;
    let subject = object(field(body, "subject")?, "subject")?;
    let resource = object(field(body, "resource")?, "resource")?;
    let rule = match body.get("rule") {
        None | Some(Value::Null) => None,
        Some(r @ Value::Object(_)) => Some(r.clone()),
        Some(_) => return Err(invalid("Property 'rule' must be an object.")),
    };
    let pattern =
        opt_string(body, "pattern").map_err(|_| invalid("Property 'pattern' must be a string."))?;
    if rule.is_some() && pattern.is_none() {
        return Err(invalid(
            "Property 'pattern' is required when 'rule' is provided.",
        ));
    }
    let with_operators = |attrs: Vec<Attr>, within: &str| -> Result<Vec<Attr>, ApiError> {
        match attrs.iter().find(|a| a.operator.is_none()) {
            Some(a) => Err(invalid(format!(
                "Property '{within}.attributes.operator' is required (attribute '{}').",
                a.key
            ))),
            None => Ok(attrs),
        }
    };
    Ok(Draft {
        kind,
        description: description(body)?,
        subject: with_operators(attributes(subject, "subject", "key", true)?, "subject")?,
        resource: with_operators(attributes(resource, "resource", "key", true)?, "resource")?,
        tags: tags(resource, "resource", "key")?,
        roles,
        rule,
        pattern,
    })
}

/// IBM's policy times: `2019-01-01T12:00:00.000Z`.
pub fn ibm_time(secs: i64) -> String {
    timestamp(secs)
        .strftime("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string()
}

/// v1 attribute values are text; a v2 value that is not (a list, a boolean) is written as its
/// JSON.
fn v1_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A role's name and description as IBM shows them beside its CRN.
fn role_text(world: &World, crn: &str) -> (String, String) {
    if let Some(r) = world.custom_role_by_crn(crn) {
        return (
            r.display_name.clone(),
            r.description.clone().unwrap_or_default(),
        );
    }
    catalog::SYSTEM_ROLES
        .iter()
        .chain(&catalog::GENERIC_SERVICE_ROLES)
        .chain(catalog::SERVICES.iter().flat_map(|s| s.service_roles))
        .find(|r| r.crn == crn)
        .map(|r| (r.display_name.to_owned(), r.description.to_owned()))
        .unwrap_or_else(|| (catalog::role_name(crn).to_owned(), String::new()))
}

/// The actions a role grants on the policy's service, as `format=display` lists them.
fn role_actions(world: &World, p: &Policy, crn: &str) -> Value {
    let service = p.resource_value("serviceName");
    let actions: Vec<String> = match world.custom_role_by_crn(crn) {
        Some(r) => r.actions.clone(),
        None => catalog::actions(service.and_then(catalog::service), crn)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    actions
        .iter()
        .map(|a| json!({"id": a, "display_name": a, "description": ""}))
        .collect()
}

fn times(p: &Policy, url: &str, out: &mut Value) {
    let api = match p.origin {
        Origin::V1 => "v1",
        Origin::V2 => "v2",
    };
    out["href"] = json!(format!("{url}/{api}/policies/{}", p.id));
    out["created_at"] = json!(ibm_time(p.created_at));
    out["created_by_id"] = json!(p.created_by_id);
    out["last_modified_at"] = json!(ibm_time(p.last_modified_at));
    out["last_modified_by_id"] = json!(p.last_modified_by_id);
    out["state"] = json!(p.state.as_str());
}

/// The v1 shape (`Policy` of IBM's SDKs).
pub fn v1_json(world: &World, url: &str, p: &Policy, display: bool) -> Value {
    let roles: Vec<Value> = p
        .roles
        .iter()
        .map(|crn| {
            let (name, description) = role_text(world, crn);
            let mut r = json!({"role_id": crn, "display_name": name, "description": description});
            if display {
                r["actions"] = role_actions(world, p, crn);
            }
            r
        })
        .collect();
    let subject: Vec<Value> = p
        .subject
        .iter()
        .map(|a| json!({"name": a.key, "value": v1_value(&a.value)}))
        .collect();
    let attributes: Vec<Value> = p
        .resource
        .iter()
        .map(|a| {
            let mut v = json!({"name": a.key, "value": v1_value(&a.value)});
            if let Some(op) = &a.operator {
                v["operator"] = json!(op);
            }
            v
        })
        .collect();
    let mut resource = json!({ "attributes": attributes });
    if !p.tags.is_empty() {
        resource["tags"] = p
            .tags
            .iter()
            .map(|t| {
                let mut v = json!({"name": t.name, "value": t.value});
                if let Some(op) = &t.operator {
                    v["operator"] = json!(op);
                }
                v
            })
            .collect();
    }
    let mut out = json!({
        "id": p.id,
        "type": p.kind.as_str(),
        "subjects": [{ "attributes": subject }],
        "roles": roles,
        "resources": [resource],
    });
    if let Some(d) = &p.description {
        out["description"] = json!(d);
    }
    times(p, url, &mut out);
    out
}

fn v2_attributes(attrs: &[Attr]) -> Vec<Value> {
    attrs
        .iter()
        .map(|a| {
            json!({
                "key": a.key,
                "operator": a.operator.as_deref().unwrap_or("stringEquals"),
                "value": a.value,
            })
        })
        .collect()
}

/// The v2 shape (`V2Policy` of IBM's SDKs); with `display`, each role with its name,
/// description and actions (`EnrichedRoles`).
pub fn v2_json(world: &World, url: &str, p: &Policy, display: bool) -> Value {
    let roles: Vec<Value> = p
        .roles
        .iter()
        .map(|crn| {
            if display {
                let (name, description) = role_text(world, crn);
                json!({
                    "role_id": crn,
                    "display_name": name,
                    "description": description,
                    "actions": role_actions(world, p, crn),
                })
            } else {
                json!({ "role_id": crn })
            }
        })
        .collect();
    let mut resource = json!({ "attributes": v2_attributes(&p.resource) });
    if !p.tags.is_empty() {
        resource["tags"] = p
            .tags
            .iter()
            .map(|t| {
                json!({
                    "key": t.name,
                    "value": t.value,
                    "operator": t.operator.as_deref().unwrap_or("stringEquals"),
                })
            })
            .collect();
    }
    let mut out = json!({
        "id": p.id,
        "type": p.kind.as_str(),
        "subject": { "attributes": v2_attributes(&p.subject) },
        "control": { "grant": { "roles": roles } },
        "resource": resource,
    });
    if let Some(d) = &p.description {
        out["description"] = json!(d);
    }
    if let Some(pattern) = &p.pattern {
        out["pattern"] = json!(pattern);
    }
    if let Some(rule) = &p.rule {
        out["rule"] = rule.clone();
    }
    times(p, url, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_v1_body_and_a_v2_body_make_the_same_policy() {
        let v1 = from_v1(&body(json!({
            "type": "access",
            "subjects": [{"attributes": [{"name": "iam_id", "value": "IBMid-1"}]}],
            "roles": [{"role_id": "crn:v1:bluemix:public:iam::::role:Viewer"}],
            "resources": [{"attributes": [
                {"name": "accountId", "value": "a", "operator": "stringEquals"},
                {"name": "serviceName", "value": "kms", "operator": "stringEquals"}]}],
        })))
        .unwrap();
        let v2 = from_v2(&body(json!({
            "type": "access",
            "control": {"grant": {"roles": [{"role_id": "crn:v1:bluemix:public:iam::::role:Viewer"}]}},
            "subject": {"attributes": [{"key": "iam_id", "operator": "stringEquals", "value": "IBMid-1"}]},
            "resource": {"attributes": [
                {"key": "accountId", "operator": "stringEquals", "value": "a"},
                {"key": "serviceName", "operator": "stringEquals", "value": "kms"}]},
        })))
        .unwrap();
        assert_eq!(v1.roles, v2.roles);
        assert_eq!(v1.resource, v2.resource);
        assert_eq!(v1.subject[0].value, v2.subject[0].value);
    }

    #[test]
    fn malformed_bodies_are_refused_with_a_message_naming_the_field() {
        for (b, why) in [
            (json!({"type": "x"}), "'type'"),
            (
                json!({"type": "access", "subjects": [], "roles": [], "resources": []}),
                "subjects",
            ),
            (
                json!({"type": "access", "subjects": [{"attributes": [{"name": "iam_id", "value": "x"}]}],
                       "roles": [], "resources": [{"attributes": [{"name": "a", "value": "b"}]}]}),
                "roles",
            ),
        ] {
            let e = from_v1(&body(b)).unwrap_err();
            assert!(e.message.contains(why), "{why}: {}", e.message);
            assert_eq!(e.code, codes::INVALID_BODY);
        }
        let e = from_v2(&body(json!({"type": "access", "control": {"grant": {"roles": [{"role_id": "r"}]}},
            "subject": {"attributes": [{"key": "iam_id", "value": "x"}]},
            "resource": {"attributes": [{"key": "accountId", "operator": "stringEquals", "value": "a"}]}})))
        .unwrap_err();
        assert!(e.message.contains("operator"), "{}", e.message);
        assert_eq!(ibm_time(1_705_312_800), "2024-01-15T10:00:00.000Z");
    }
}
