//! What IAM and the platform APIs describe and iamctl keeps: accounts, resource groups, and
//! a trusted profile as the user named it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub guid: String,
    pub name: String,
    #[serde(default)]
    pub owner: String,
    /// Linked classic-infrastructure account, shown as `<-> NNN`.
    #[serde(default)]
    pub ims: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResourceGroup {
    pub guid: String,
    pub name: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub default: bool,
    /// The group's quota, shown by `target --output json` as IBM's CLI does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub quota_id: String,
}

/// A trusted profile as the user named it: `Profile-...` is an ID, `crn:...` a CRN, anything
/// else a name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProfileRef {
    Id(String),
    Crn(String),
    Name(String),
}

impl ProfileRef {
    pub fn parse(s: &str) -> ProfileRef {
        let s = s.trim();
        if s.starts_with("Profile-") {
            ProfileRef::Id(s.to_string())
        } else if s.starts_with("crn:") {
            ProfileRef::Crn(s.to_string())
        } else {
            ProfileRef::Name(s.to_string())
        }
    }

    pub fn value(&self) -> &str {
        match self {
            ProfileRef::Id(v) | ProfileRef::Crn(v) | ProfileRef::Name(v) => v,
        }
    }
}

impl std::fmt::Display for ProfileRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_told_apart_by_their_form() {
        assert_eq!(
            ProfileRef::parse("Profile-1"),
            ProfileRef::Id("Profile-1".into())
        );
        assert_eq!(
            ProfileRef::parse("crn:v1:a"),
            ProfileRef::Crn("crn:v1:a".into())
        );
        assert_eq!(ProfileRef::parse(" ci "), ProfileRef::Name("ci".into()));
    }
}
