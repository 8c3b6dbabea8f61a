//! The credentials layer: the one place that knows what a login is.
//!
//! A login has a kind (`session::LoginKind`: API key, password, SSO one-time code), secrets it
//! keeps in the secret store (a refresh token; for API-key logins also the key) and one rule
//! for renewing its token (`renew.rs`). Commands go through [`Credentials`] to start a login
//! (`start.rs`), to get a fresh token, to re-scope it to an account, and to end it
//! (`end.rs`: logout and session-delete share one path). They never build a secret's name or
//! touch the secret store: `vault.rs` does, and so does `stored_keys.rs` for keys kept with
//! `--keyring`. Adding a login kind is a `LoginKind` variant, its first grant in `start.rs`
//! and its renewal rule in `renew.rs`.

mod delegate;
mod end;
mod renew;
mod start;
pub mod stored_keys;
mod vault;

pub use crate::secrets::StoreKind;
pub use start::{Credential, NewLogin, authenticate, rescope};
pub use vault::open_vault_in_background;

use crate::config::ConfigError;
use crate::home::{Home, NoHome};
use crate::iam::errors::ApiError;
use crate::iam::{Client, IamError, TokenResponse, jwt};
use crate::secrets::SecretError;
use crate::session::{Login, Session, SessionError, SessionLock, SessionStore};
use std::path::PathBuf;

/// What can stop the credentials layer.
#[derive(Debug)]
pub enum AuthError {
    NotLoggedIn,
    /// The session's token expired and cannot be renewed: why, and what fixes it when that is
    /// more than logging in again.
    Expired {
        why: String,
        fix: Option<String>,
    },
    /// IAM refused the credentials given to `login` (the first grant).
    Refused(ApiError),
    /// IAM would not re-scope the session to this account.
    /// IAM would not let the caller assume this trusted profile.
    ProfileRefused {
        profile: String,
        source: ApiError,
    },
    AccountRefused {
        account: String,
        source: ApiError,
    },
    /// IAM gave no refresh token, so the session cannot change accounts.
    NoRefreshToken,
    /// Delegated refresh tokens come from a refresh token, which this session does not have
    /// (it renews another way, said in `renewal`).
    NoDelegation {
        renewal: String,
    },
    /// IAM answered with a server error or could not be reached while renewing or logging in.
    Unavailable(IamError),
    /// Another IAM failure, with what iamctl was doing.
    Iam {
        doing: &'static str,
        source: IamError,
    },
    /// The HTTP client could not be set up (`IBMCLOUD_HTTP_TIMEOUT`, TLS).
    Http(IamError),
    /// Ending a login could not delete every secret; `retry` is the command that finishes it.
    SecretsLeft {
        source: Box<AuthError>,
        retry: String,
    },
    Session(SessionError),
    Secrets(SecretError),
    Config(ConfigError),
    NoHome(NoHome),
    /// A state iamctl should never reach.
    Internal(&'static str),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::NotLoggedIn => f.write_str("Not logged in."),
            AuthError::Expired { why, .. } => {
                write!(f, "Session expired and could not be renewed: {why}")
            }
            AuthError::Refused(api) => write!(f, "Unable to authenticate: {}", api.line()),
            AuthError::ProfileRefused { profile, source } => write!(
                f,
                "IAM did not let this identity assume trusted profile {profile}: {}",
                source.line()
            ),
            AuthError::AccountRefused { account, source } => write!(
                f,
                "IAM did not let this session switch to account {account}: {}",
                source.line()
            ),
            AuthError::NoDelegation { renewal } => write!(
                f,
                "Tokens for other clients come from a delegated refresh token, and this session has no refresh token (it renews by {renewal})."
            ),
            AuthError::NoRefreshToken => f.write_str(
                "IAM issued no refresh token, so the session cannot be scoped to an account.",
            ),
            AuthError::Unavailable(IamError::Rejected(api)) => {
                write!(f, "IAM is unavailable: {}", api.line())
            }
            AuthError::Unavailable(e) => e.fmt(f),
            AuthError::Iam { doing, source } => write!(f, "{doing}: {source}"),
            AuthError::Http(e) => e.fmt(f),
            AuthError::SecretsLeft { source, .. } => source.fmt(f),
            AuthError::Session(e) => e.fmt(f),
            AuthError::Secrets(e) => e.fmt(f),
            AuthError::Config(e) => e.fmt(f),
            AuthError::NoHome(e) => e.fmt(f),
            AuthError::Internal(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthError::Unavailable(e) | AuthError::Http(e) | AuthError::Iam { source: e, .. } => {
                Some(e)
            }
            AuthError::SecretsLeft { source, .. } => Some(&**source),
            AuthError::Secrets(e) => Some(e),
            AuthError::Session(e) => Some(e),
            AuthError::Config(e) => Some(e),
            AuthError::NoHome(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SessionError> for AuthError {
    fn from(e: SessionError) -> Self {
        AuthError::Session(e)
    }
}

impl From<SecretError> for AuthError {
    fn from(e: SecretError) -> Self {
        AuthError::Secrets(e)
    }
}

impl From<ConfigError> for AuthError {
    fn from(e: ConfigError) -> Self {
        AuthError::Config(e)
    }
}

impl From<NoHome> for AuthError {
    fn from(e: NoHome) -> Self {
        AuthError::NoHome(e)
    }
}

pub type Result<T, E = AuthError> = std::result::Result<T, E>;

/// The login of one named session.
#[derive(Debug, Clone)]
pub struct Credentials {
    store: SessionStore,
}

impl Credentials {
    /// The active session (`--session`, `IAMCTL_SESSION`, `current`, else `default`).
    pub fn active() -> Result<Credentials> {
        let home = Home::locate()?;
        Ok(Credentials {
            store: SessionStore::active(home)?,
        })
    }

    /// The session called `name` in `home` (which need not exist yet).
    pub fn named(home: &Home, name: &str) -> Result<Credentials> {
        Ok(Credentials {
            store: home.store(name)?,
        })
    }

    pub fn home(&self) -> &Home {
        &self.store.home
    }

    pub fn name(&self) -> &str {
        &self.store.name
    }

    /// The session file.
    pub fn path(&self) -> PathBuf {
        self.store.path()
    }

    /// The logged-in session as it is on disk, even with an expired token (no renewal).
    pub fn logged_in(&self) -> Result<(Session, Login)> {
        logged_in(self.store.load()?)
    }

    /// The session before a new login replaces it; a corrupt file counts as none (`true`).
    pub fn previous(&self) -> Result<(Option<Session>, bool)> {
        Ok(self.store.load_lenient()?)
    }

    /// The logged-in session under the session lock, for a change that is saved with
    /// [`Edit::save`]. The token should be fresh first ([`Credentials::fresh`]).
    pub fn edit(&self) -> Result<Edit> {
        let lock = self.store.lock()?;
        let (session, login) = self.logged_in()?;
        Ok(Edit {
            creds: self.clone(),
            lock,
            session,
            login,
        })
    }
}

/// An HTTP client for the session's endpoints.
fn client(session: &Session) -> Result<Client> {
    Client::new(session.endpoints(), session.skip_ssl_validation).map_err(AuthError::Http)
}

/// Puts a new token into a login (identity fields stay).
fn apply_tokens(login: &mut Login, tokens: &TokenResponse) {
    let claims = jwt::decode(&tokens.access_token).unwrap_or_default();
    let (iat, exp) = tokens.times(&claims);
    login.access_token = tokens.access_token.clone();
    login.token_issued_at = iat;
    login.token_expires_at = exp;
    if tokens.refresh_token_expiration.is_some() {
        login.refresh_token_expires_at = tokens.refresh_token_expiration;
    }
}

/// The session and its login, or `NotLoggedIn`.
fn logged_in(session: Option<Session>) -> Result<(Session, Login)> {
    match session {
        Some(s) => match s.login.clone() {
            Some(l) => Ok((s, l)),
            None => Err(AuthError::NotLoggedIn),
        },
        None => Err(AuthError::NotLoggedIn),
    }
}

/// A logged-in session being changed under its lock (by `target`).
pub struct Edit {
    creds: Credentials,
    lock: SessionLock,
    pub session: Session,
    pub login: Login,
}

impl Edit {
    /// Writes the change; the lock is released afterwards.
    pub fn save(mut self) -> Result<Session> {
        self.session.login = Some(self.login);
        self.creds.store.save(&self.lock, &self.session)?;
        Ok(self.session)
    }

    /// A new token in place of the login's, which IAM refused (401) although it looked
    /// valid. Only before `switch_account`: the token must still be the saved one. Changes
    /// made so far stay; the renewal itself is saved at once, as `fresh` saves its own.
    pub fn renew_refused(&mut self) -> Result<()> {
        let rejected = self.login.access_token.clone();
        let (_, renewed) = self.creds.renew_locked(&self.lock, Some(&rejected))?;
        let login = &mut self.login;
        login.access_token = renewed.access_token;
        login.token_issued_at = renewed.token_issued_at;
        login.token_expires_at = renewed.token_expires_at;
        login.refresh_token_expires_at = renewed.refresh_token_expires_at;
        login.secrets = renewed.secrets;
        Ok(())
    }
}
