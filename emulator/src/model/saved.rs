//! What a reset restores (`POST /emulator/reset`): the world and everything else a test can
//! change that is not thrown away on every reset anyway (faults, passcodes, stats and the
//! journal are): refresh sessions, delegated refresh tokens, the clock's offset and the
//! lifetimes of what is issued. One is taken at start; tests name more (snapshots).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::session::{Delegations, Sessions};
use crate::model::world::World;

/// Named snapshots kept at once: each is a copy of the world.
pub const MAX_SNAPSHOTS: usize = 16;
/// The longest snapshot name.
pub const MAX_SNAPSHOT_NAME: usize = 64;

/// What the admin API has added to the world (`POST /emulator/accounts`, ...): how many
/// things and how many bytes of request bodies. Kept with the world, so that going back to a
/// snapshot does not make room for more than one budget's worth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Added {
    pub count: usize,
    pub bytes: usize,
}

#[derive(Debug, Clone)]
pub struct Saved {
    pub added: Added,
    pub world: World,
    pub sessions: Sessions,
    pub delegations: Delegations,
    pub clock_offset: i64,
    pub token_ttl: u64,
    pub refresh_ttl: u64,
    pub passcode_ttl: u64,
    /// When it was taken, on the emulator's clock (epoch seconds).
    pub taken_at: i64,
}

/// The start and the named snapshots.
#[derive(Debug, Default)]
pub struct Snapshots {
    pub start: Option<Arc<Saved>>,
    pub named: BTreeMap<String, Arc<Saved>>,
}

/// Why a snapshot name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong,
    /// Only letters, digits, `-`, `_` and `.`: names show up in URLs and logs.
    Character(char),
}

impl std::fmt::Display for NameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameError::Empty => f.write_str("a snapshot needs a 'name'"),
            NameError::TooLong => write!(
                f,
                "a snapshot name is at most {MAX_SNAPSHOT_NAME} characters"
            ),
            NameError::Character(c) => write!(
                f,
                "a snapshot name holds only letters, digits, '-', '_' and '.', not {c:?}"
            ),
        }
    }
}

impl std::error::Error for NameError {}

pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_SNAPSHOT_NAME {
        return Err(NameError::TooLong);
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        Some(c) => Err(NameError::Character(c)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_and_short() {
        assert_eq!(check_name("after-setup_1.2"), Ok(()));
        assert_eq!(check_name(""), Err(NameError::Empty));
        assert_eq!(check_name(&"a".repeat(65)), Err(NameError::TooLong));
        assert_eq!(check_name("a/b"), Err(NameError::Character('/')));
    }
}
