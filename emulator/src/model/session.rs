//! What refresh tokens and delegated refresh tokens stand for: the records the running
//! server checks them against and the state file keeps.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What a refresh token stands for. Refresh tokens are opaque random strings; this record
/// is the truth about them (and is persisted with `--state`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub session_id: String,
    pub iam_id: String,
    pub account_id: String,
    pub client_id: String,
    pub expires_at: i64,
    /// The grant that started the session (the `grant_type` claim keeps naming it).
    pub origin_grant: String,
    pub amr: Vec<String>,
    /// Set when the session began with an API key: disabling or deleting the key ends it.
    pub apikey_id: Option<String>,
    #[serde(default)]
    pub revoked: bool,
}

/// What a delegated refresh token stands for: the delegator's session (whose `client_id` is
/// the client that asked for the token and whose `expires_at` is the token's own expiry) and
/// the clients that may redeem it. Opaque random strings like refresh tokens, kept apart from
/// them so one can never pass for the other (persisted with `--state`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delegation {
    pub session: Session,
    pub receivers: Vec<String>,
}

/// Delegated refresh token -> delegation.
pub type Delegations = HashMap<Arc<str>, Arc<Delegation>>;

/// Refresh token -> session. Shared pointers so the state writer can copy the map in a
/// fraction of the time a deep clone of tens of thousands of sessions would hold the lock.
pub type Sessions = HashMap<Arc<str>, Arc<Session>>;
