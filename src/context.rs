//! The context every command runs in, built once by `lib.rs` before any command: how it
//! talks to the user, the session this run names, the home, the terminal, and what the
//! credentials layer is given (where its warnings go, how secret stores open). Commands get
//! it by reference beside their resolved settings; nothing here touches the keyring or the
//! network, so the `oauth-tokens` hot path stays one file read.

use crate::auth::{self, AuthError, Credentials, Services, SystemStores};
use crate::home::{Home, NoHome};
use crate::iam::ClientOptions;
use crate::output::Out;
use crate::session::{Named, Selection, SessionError};
use dialoguer::console::Term;
use std::sync::Arc;

pub struct Context {
    pub out: Out,
    /// The session `--session` or `IAMCTL_SESSION` names, if any.
    named: Option<Named>,
    services: Services,
}

impl Context {
    /// `words` says a warning of the layers below (the command layer's `warnings::text`).
    /// The settings every command shares (`IBMCLOUD_HTTP_TIMEOUT`, `IAMCTL_KEYRING_TIMEOUT`)
    /// are read here, once: a malformed one stops the run before any command changes
    /// anything, whether or not it would have needed it.
    pub fn new(
        out: Out,
        named: Option<Named>,
        words: fn(&auth::Warning) -> String,
    ) -> Result<Context, Invalid> {
        let timeouts = Timeouts {
            http: crate::iam::timeout_from_env().map_err(Invalid::Http)?,
            keyring: crate::secrets::keyring_timeout_from_env().map_err(Invalid::Keyring)?,
        };
        Ok(Context {
            out,
            named,
            services: services(out, words, timeouts),
        })
    }

    pub fn home(&self) -> Result<Home, NoHome> {
        Home::locate()
    }

    /// The active session's name and what chose it.
    pub fn active_session(&self, home: &Home) -> Result<(String, Selection), SessionError> {
        home.active_session(self.named.as_ref())
    }

    /// The login of the active session.
    pub fn credentials(&self) -> Result<Credentials, AuthError> {
        let home = self.home()?;
        let (name, _) = self.active_session(&home)?;
        Credentials::named(&home, &name, self.services.clone())
    }

    /// The login of the session called `name`.
    pub fn credentials_named(&self, home: &Home, name: &str) -> Result<Credentials, AuthError> {
        Credentials::named(home, name, self.services.clone())
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// A terminal to prompt on, when stdin is one too.
    pub fn terminal(&self) -> Option<Term> {
        crate::prompt::terminal()
    }
}

/// A setting of the environment that no command may run with.
#[derive(Debug)]
pub enum Invalid {
    Http(crate::iam::IamError),
    Keyring(crate::secrets::SecretError),
}

struct Timeouts {
    http: std::time::Duration,
    keyring: std::time::Duration,
}

/// The credentials layer's services for this run: warnings said on stderr (the file store's
/// once), the machine's secret stores.
fn services(out: Out, words: fn(&auth::Warning) -> String, timeouts: Timeouts) -> Services {
    let said_file_store = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let warn: auth::Warn = Arc::new(move |w| {
        if matches!(w, auth::Warning::PlainFileStore { .. })
            && said_file_store.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        out.warn(&words(&w));
    });
    let http = {
        let warn = warn.clone();
        ClientOptions {
            warn: Arc::new(move |w| warn(auth::Warning::Iam(w))),
            timeout: timeouts.http,
        }
    };
    Services {
        warn,
        stores: Arc::new(SystemStores {
            keyring_timeout: timeouts.keyring,
        }),
        http,
    }
}
