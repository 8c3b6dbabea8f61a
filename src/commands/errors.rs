//! The one place where the typed errors of the layers below (credentials, IAM client,
//! session, secrets, configuration, files) become a `CliError`: an exit code, a one-line
//! cause, and hints naming the flag or command that fixes it. Only the command layer knows
//! the flags, so only here do hints name them.

use super::accounts_hint;
use crate::auth::stored_keys::StoredKeyError;
use crate::auth::{AuthError, Credentials, Ending};
use crate::config::ConfigError;
use crate::context::Context;
use crate::endpoints::{EndpointError, Place};
use crate::error::{CliError, ErrorKind};
use crate::home::{FileError, Home, NoHome};
use crate::iam::trust::{CaError, CaSource};
use crate::iam::{IamError, TlsFailure};
use crate::regions::UnknownRegion;
use crate::secrets::{HAS_SECRET_SERVICE, SecretError};
use crate::session::{Selection, SessionError};

impl From<crate::context::Invalid> for CliError {
    fn from(e: crate::context::Invalid) -> Self {
        use crate::context::Invalid;
        match e {
            Invalid::Http(e) => CliError::from(e)
                .hint("set it to the seconds a request may take with its retries, e.g. IBMCLOUD_HTTP_TIMEOUT=30 (or 1.5)"),
            Invalid::Keyring(e) => e.into(),
        }
    }
}

impl From<NoHome> for CliError {
    fn from(e: NoHome) -> Self {
        CliError::failed(e.to_string()).hint("set IAMCTL_HOME to a directory iamctl may use")
    }
}

impl From<FileError> for CliError {
    fn from(e: FileError) -> Self {
        use crate::home::{Distrust, Refusal};
        let err = CliError::failed(e.to_string());
        if let Some(why) = &e.distrust {
            let path = e.path.display();
            let fix = match why {
                Distrust::Link | Distrust::NotRegular | Distrust::TooLarge(_) => format!(
                    "iamctl did not write what is at {path}: remove it (iamctl makes it again), or point IAMCTL_HOME at a directory of your own"
                ),
                Distrust::OtherOwner => format!(
                    "what decides where your credentials go must be yours: 'chown $(id -un) {path}', or point IAMCTL_HOME at a directory of your own"
                ),
                Distrust::Writable(_) => format!(
                    "whoever may write it could send your credentials elsewhere: 'chmod go-w {path}', or point IAMCTL_HOME at a directory of your own"
                ),
            };
            return err.hint(fix);
        }
        let Some(refusal) = e.refusal() else {
            return err;
        };
        let fix = match refusal {
            Refusal::SizeLimit => {
                "a file-size limit ('ulimit -f') stopped the write: raise it ('ulimit -f unlimited') and try again"
            }
            Refusal::DiskFull => "its file system is full: free some space and try again",
            Refusal::Quota => "your disk quota there is used up: free some space and try again",
            Refusal::ReadOnly => "its file system is mounted read-only",
            Refusal::Denied => "you may not write there: check the owner and mode of its directory",
            Refusal::NotADirectory => "a part of its path is a file, not a directory",
        };
        // A file in the home can be moved by moving the home; a file the user named (a key
        // file, a kubeconfig, a trace) by naming another path.
        let in_home = Home::locate().is_ok_and(|h| e.path.starts_with(&h.dir));
        let elsewhere = if in_home {
            "or point IAMCTL_HOME at a directory you can write (iamctl keeps its state there)"
        } else {
            "or choose a path on a writable file system"
        };
        match refusal {
            // The limit is the process's, wherever it writes: moving does not help.
            Refusal::SizeLimit => err.hint(fix),
            // Freeing space is the fix; moving is a way round.
            Refusal::DiskFull | Refusal::Quota => err.hint(fix).hint(elsewhere),
            _ => err.hint(format!("{fix}; {elsewhere}")),
        }
    }
}

impl From<crate::iam::policy::PolicyFileError> for CliError {
    fn from(e: crate::iam::policy::PolicyFileError) -> Self {
        use crate::iam::policy::FileProblem;
        let hint = match &e.problem {
            FileProblem::Version { found, .. } => {
                format!("pass --api-version {} to send it as it is", found.name())
            }
            FileProblem::Syntax(_) | FileProblem::Field { .. } => {
                "the file holds one policy in the API's shape: {\"roles\": [{\"role_id\": ...}], \"resources\": [{\"attributes\": [...]}]} (v1), or {\"control\": {\"grant\": {\"roles\": [...]}}, \"resource\": {\"attributes\": [...]}} (v2)".to_string()
            }
        };
        CliError::failed(e.to_string()).hint(hint)
    }
}

impl From<SessionError> for CliError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::File(e) => e.into(),
            SessionError::Unreadable(e) if e.distrust.is_some() => e.into(),
            SessionError::Unreadable(e) => {
                let hint = format!(
                    "check the permissions of {} (it should belong to you, mode 0600), or point IAMCTL_HOME elsewhere",
                    e.path.display()
                );
                CliError::from(e).hint(hint)
            }
            e @ SessionError::Corrupt { .. } => CliError::failed(e.to_string())
                .hint("run 'iamctl logout' to reset it (or 'iamctl login' to start over)"),
            e @ SessionError::LockTimeout { .. } => CliError::failed(e.to_string())
                .hint("wait for the other command to finish, then try again"),
            e @ SessionError::InvalidName { .. } => CliError::usage(e.to_string()),
            e @ SessionError::Encode(_) => CliError::internal(e.to_string()),
        }
    }
}

/// How to get a keyring iamctl can use, where the platform has a Secret Service.
fn start_a_keyring(err: CliError) -> CliError {
    if !HAS_SECRET_SERVICE {
        return err;
    }
    // The throwaway XDG_DATA_HOME matters: with the default one, a login keyring made earlier
    // with another password does not unlock, and every keyring call then fails with "prompt
    // dismissed".
    err.hint(
        "start a Secret Service on your D-Bus session (GNOME Keyring, KeePassXC); on a headless box, \
         in a throwaway keyring directory (an existing login keyring with another password would stay locked): \
         d=$(mktemp -d); XDG_DATA_HOME=$d dbus-run-session -- sh -c 'printf PASSWORD | gnome-keyring-daemon --unlock --components=secrets >/dev/null; iamctl login ...'; rm -rf \"$d\"",
    )
}

impl From<SecretError> for CliError {
    fn from(e: SecretError) -> Self {
        match e {
            SecretError::Unreachable { ref home, .. } => {
                let file_store = home.join("secrets.json");
                let err = start_a_keyring(CliError::secret_store(format!(
                    "{e} iamctl keeps refresh tokens and API keys only in a keyring, so it stopped without saving anything."
                )));
                err.hint(format!(
                    "or opt in to an unencrypted file store: IAMCTL_SECRET_STORE=file (secrets in {}, mode 0600, a warning on each use)",
                    file_store.display()
                ))
            }
            e @ SecretError::BadTimeout(_) => CliError::usage(e.to_string())
                .hint("set it to the seconds iamctl may wait for the keyring, e.g. IAMCTL_KEYRING_TIMEOUT=20"),
            e @ SecretError::Descriptors { .. } => CliError::failed(e.to_string()),
            e @ SecretError::Contended { .. } => CliError::failed(e.to_string())
                .hint("run the command again once the other iamctl commands have finished"),
            SecretError::File(e) => e.into(),
            e @ SecretError::Corrupt { .. } => {
                CliError::failed(e.to_string()).hint("delete it and log in again")
            }
            e @ SecretError::Encode(_) => CliError::internal(e.to_string()),
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::File(e) => e.into(),
            e @ ConfigError::Invalid { source: None, .. } => {
                CliError::failed(e.to_string()).hint("fix or delete it, then try again")
            }
            e @ ConfigError::Invalid { .. } => CliError::failed(e.to_string()),
            e @ ConfigError::UnknownStore { .. } => CliError::usage(e.to_string()),
            e @ ConfigError::Encode(_) => CliError::internal(e.to_string()),
        }
    }
}

impl From<EndpointError> for CliError {
    fn from(e: EndpointError) -> Self {
        let hint = match &e {
            EndpointError::PlainHttp { .. } => {
                Some("use https://, or http:// only for a local server (127.0.0.1, ::1, localhost)")
            }
            EndpointError::Scheme { .. } => Some("use an https:// URL"),
            EndpointError::PrivateRegion { .. } => Some(
                "target one with -r us-south or -r us-east, or add --vpc to use the private endpoints from a VPC",
            ),
            EndpointError::VpcNotPrivate { .. } => {
                Some("use -a private.cloud.ibm.com --vpc, or leave out --vpc")
            }
            _ => None,
        };
        let from = match e.place() {
            Place::ApiEndpoint => "-a/--api-endpoint",
            Place::IamEndpoint => "IAM_ENDPOINT",
            Place::MetadataService => "IBMCLOUD_CR_VPC_URL",
        };
        let err = CliError::usage(e.describe(from));
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    }
}

/// Every region iamctl is given comes with `-r`.
impl From<UnknownRegion> for CliError {
    fn from(e: UnknownRegion) -> Self {
        CliError::usage(format!(
            "Invalid region '{}' given with -r: IBM Cloud region names are lower-case words joined by '-', like us-south.",
            e.given
        ))
        .hint(format!(
            "use one of: {} (a newer region's name works too, with a warning)",
            crate::regions::names().collect::<Vec<_>>().join(", ")
        ))
    }
}

/// An IAM failure with nothing more to say about it than IAM's own words.
impl From<IamError> for CliError {
    fn from(e: IamError) -> Self {
        match e {
            IamError::Unreachable {
                tls: Some(TlsFailure::Certificate),
                ..
            } => CliError::network(e.to_string()).hint(
                "if the server's certificate is signed by your own CA (iam-emulator's ca_file, a company proxy's), trust it: 'iamctl login --ca-cert FILE' or IAMCTL_CA_CERT=FILE (SSL_CERT_FILE replaces the system's CAs); --skip-ssl-validation only as a last resort",
            ),
            IamError::Unreachable {
                tls: Some(TlsFailure::Protocol),
                ref url,
                ..
            } => {
                let plain = url.replacen("https://", "http://", 1);
                let origin = plain.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
                CliError::network(e.to_string()).hint(format!(
                    "TLS failed: a server that speaks plain http needs http:// in -a (only loopback may: -a {origin}); otherwise check the server's certificate"
                ))
            }
            e @ IamError::Unreachable { .. } => CliError::network(e.to_string())
                .hint("check the API endpoint (-a), your network, and IBMCLOUD_HTTP_TIMEOUT"),
            e @ IamError::Redirected { .. } => CliError::network(e.to_string()).hint(
                "check the API endpoint: 'iamctl login -a URL' (IBM Cloud's is https://cloud.ibm.com)",
            ),
            e @ IamError::BadTimeout(_) => CliError::usage(e.to_string()),
            IamError::Ca(e) => ca_error(e),
            e @ (IamError::Rejected(_) | IamError::Unexpected { .. } | IamError::Setup(_)) => {
                CliError::failed(e.to_string())
            }
        }
    }
}

/// A CA file that cannot be used, with where it came from and how to fix it.
fn ca_error(e: CaError) -> CliError {
    let path = e.path.display();
    match e.source {
        CaSource::Session => CliError::failed(format!(
            "Could not use the CA certificate file {path} remembered from login --ca-cert: {}",
            e.problem
        ))
        .hint(
            "log in again with --ca-cert FILE naming a PEM file of CA certificates (or with -a and without it, to trust the system's only)",
        ),
        CaSource::SslCertFile => CliError::failed(format!(
            "Could not use the CA certificate file {path} named by SSL_CERT_FILE: {}",
            e.problem
        ))
        .hint("set SSL_CERT_FILE to a PEM file of CA certificates, or unset it to use the system's"),
    }
}

impl IamError {
    /// What iamctl was doing, then IAM's words: a refusal exits 1, an expired or revoked
    /// token 3 (log in again), anything else as `From` says.
    pub fn into_cli(self, doing: &str) -> CliError {
        match self {
            IamError::Rejected(e) if e.status == 401 => {
                CliError::new(ErrorKind::LoginRequired, format!("{doing}: {}", e.line()))
                    .hint("run 'iamctl login' to log in again")
            }
            IamError::Rejected(e) => CliError::failed(format!("{doing}: {}", e.line())),
            other => other.into(),
        }
    }
}

impl From<AuthError> for CliError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::NotLoggedIn => CliError::not_logged_in(),
            AuthError::Expired(why) => {
                let hints = crate::settings::login::expired_hints(&why);
                if hints.is_empty() {
                    CliError::session_expired(&why.to_string())
                } else {
                    let mut err = CliError::new(
                        ErrorKind::LoginRequired,
                        format!("Session expired and could not be renewed: {why}"),
                    );
                    for h in hints {
                        err = err.hint(h);
                    }
                    err
                }
            }
            AuthError::NoRefreshTokenToSwitch => CliError::session_expired(
                "no refresh token is stored to switch accounts with",
            ),
            AuthError::Refused(api) => {
                // IAM's code for a federated user's password: the user must use SSO.
                if api.has_code("BXNIM0608E") {
                    CliError::auth(format!(
                        "This user ID is federated, so IAM does not accept a password for it{}.",
                        api.code
                            .as_deref()
                            .map(|c| format!(" ({c})"))
                            .unwrap_or_default()
                    ))
                    .hint("log in with a one-time code: 'iamctl login --sso'")
                    .hint("or with an API key: 'iamctl login --apikey @FILE' (or IBMCLOUD_API_KEY)")
                } else {
                    CliError::auth(AuthError::Refused(api).to_string())
                }
            }
            e @ AuthError::NoDelegation { .. } => CliError::failed(e.to_string()).hint(
                "log in with an API key, a password or SSO (with --profile to act as a trusted profile)",
            ),
            // The profile is part of what `login` was given, as the credential is: whichever
            // kind of login names one IAM does not know, the exit code is the same.
            e @ AuthError::ProfileRefused { .. } => CliError::auth(e.to_string()),
            // The session is as it was; only another command changes what it is.
            e @ AuthError::NotAssumed { acts_as: None, .. } => CliError::failed(e.to_string())
                .hint("'iamctl trusted-profile-assume' with no argument shows what the session acts as"),
            e @ AuthError::NotAssumed { .. } => CliError::failed(e.to_string())
                .hint("to act as a user or service ID instead, log in as one: 'iamctl login'"),
            e @ (AuthError::AccountRefused { .. } | AuthError::NoRefreshToken) => {
                CliError::failed(e.to_string())
            }
            e @ AuthError::Unavailable(IamError::Rejected(_)) => CliError::network(e.to_string())
                .hint("try again later; IBMCLOUD_HTTP_TIMEOUT bounds how long iamctl retries"),
            AuthError::Unavailable(e) | AuthError::Http(e) => e.into(),
            AuthError::Iam { doing, source } => source.into_cli(doing),
            AuthError::SecretsLeft { source, ending } => {
                let retry = match ending {
                    Ending::Logout => "iamctl logout".to_string(),
                    Ending::Delete { session } => format!("iamctl session-delete {session}"),
                };
                let again = format!(
                    "the token was removed from disk; run '{retry}' again once the keyring is reachable to delete the secrets"
                );
                match *source {
                    // Ending a login saves nothing: the way out is the keyring, not a file
                    // store the secrets were never in.
                    AuthError::Secrets(e @ SecretError::Unreachable { .. }) => start_a_keyring(
                        CliError::secret_store(format!(
                            "{e} The session's secrets are still in it, listed to delete later."
                        ))
                        .hint(again),
                    ),
                    other => CliError::from(other).hint(again),
                }
            }
            AuthError::Session(e) => e.into(),
            AuthError::Secrets(e) => e.into(),
            AuthError::Config(e) => e.into(),
            AuthError::NoHome(e) => e.into(),
            e @ AuthError::UnusableToken(_) => CliError::failed(e.to_string()),
            AuthError::NoSuchAccount { want, accounts } => CliError::usage(format!(
                "Account '{want}' (given with -c) is not one this user can use."
            ))
            .hint(accounts_hint(&accounts))
            .hint("invited to it? accept the invitation from its email first (iamctl cannot accept invitations, even with --accept)"),
            AuthError::AccountChoiceNeeded { accounts } => CliError::usage(format!(
                "This user can use {} accounts; without a terminal iamctl cannot ask which one.",
                accounts.len()
            ))
            .hint("choose one with -c ACCOUNT_ID (or --no-account)")
            .hint(accounts_hint(&accounts)),
            AuthError::ProfileInOtherAccount { own, want } => CliError::usage(format!(
                "The trusted profile belongs to account {own}; -c {want} cannot move its session to another account."
            ))
            .hint(format!("leave -c out, or use a profile of account {want}")),
            e @ AuthError::NoSuchResourceGroup { .. } => {
                let available = match &e {
                    AuthError::NoSuchResourceGroup { groups, .. } => groups
                        .iter()
                        .map(|g| g.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => String::new(),
                };
                CliError::failed(e.to_string()).hint(format!("available: {available}"))
            }
            AuthError::Internal(what) => CliError::internal(what),
        }
    }
}

/// A command that needs a login met `e`. When the session was chosen by name
/// (`--session`, `IAMCTL_SESSION`, `session-switch`) and has no file at all, the name is
/// wrong rather than the login gone: a usage error (exit 2), as `session-switch` gives for
/// the same name. A session that exists but is logged out, and the default session before
/// the first login however it was named (the kubeconfig `credential kubectl --install`
/// writes names it), stay "not logged in" (exit 3).
pub fn login_needed(ctx: &Context, creds: &Credentials, e: AuthError) -> CliError {
    if matches!(e, AuthError::NotLoggedIn)
        && creds.name() != crate::session::DEFAULT_SESSION
        && !creds.path().exists()
        && let Ok((name, selection)) = ctx.active_session(creds.home())
        && selection != Selection::Default
        && name == creds.name()
    {
        return no_such_session(creds.home(), &name);
    }
    e.into()
}

/// A session name that has no session: a usage error (exit 2) naming the ones there are.
pub fn no_such_session(home: &Home, name: &str) -> CliError {
    let known = match home.session_names() {
        Ok(names) if !names.is_empty() => format!("known sessions: {}", names.join(", ")),
        _ => "there are no sessions yet".to_string(),
    };
    CliError::usage(format!("There is no session named '{name}'."))
        .hint(known)
        .hint(format!(
            "create it with 'iamctl --session {name} login ...'"
        ))
}

impl From<StoredKeyError> for CliError {
    fn from(e: StoredKeyError) -> Self {
        match e {
            e @ StoredKeyError::InvalidName(_) => CliError::usage(e.to_string()),
            // A name of this machine's, like a session name: a usage error (exit 2).
            e @ StoredKeyError::NotFound(_) => {
                CliError::usage(e.to_string()).hint("list them with 'iamctl stored-keys'")
            }
            StoredKeyError::Exists(ref name) => {
                let remove = format!("or remove it first: 'iamctl stored-key-delete {name}'");
                CliError::failed(e.to_string())
                    .hint("pass --replace to replace it (its old secret is then forgotten), or choose another name")
                    .hint(remove)
            }
            StoredKeyError::OtherEndpoint { ref key_api, .. } => {
                let hint = format!("log in with -a {key_api} (or leave -a out)");
                CliError::usage(e.to_string()).hint(hint)
            }
            StoredKeyError::SecretMissing(ref name) => {
                let hint = format!("forget the entry with 'iamctl stored-key-delete {name} -f'");
                CliError::failed(e.to_string()).hint(hint)
            }
            e @ StoredKeyError::Corrupt { .. } => CliError::failed(e.to_string())
                .hint("fix or delete it; the secrets themselves are still in the secret store"),
            e @ StoredKeyError::Encode(_) => CliError::internal(e.to_string()),
            StoredKeyError::File(e) => e.into(),
            StoredKeyError::Store(e) => (*e).into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Expired;
    use crate::auth::kinds::vpc;
    use crate::endpoints::Endpoints;
    use crate::iam::errors::ApiError;

    fn api(status: u16, code: &str, message: &str) -> ApiError {
        ApiError {
            status,
            code: Some(code.into()),
            message: message.into(),
            details: None,
        }
    }

    #[test]
    fn refused_endpoints_are_usage_errors() {
        for bad in ["http://10.0.0.1", "ftp://cloud.ibm.com", "   ", "https://"] {
            let err = match Endpoints::resolve(bad, None) {
                Ok(_) => panic!("{bad} accepted"),
                Err(e) => CliError::from(e),
            };
            assert_eq!(err.exit_code(), 2, "{bad}: {}", err.render());
        }
    }

    #[test]
    fn each_credential_failure_has_its_exit_code() {
        let refused = CliError::from(AuthError::Refused(api(400, "BXNIM0415E", "Nope.")));
        assert_eq!(refused.exit_code(), 4);
        assert_eq!(
            refused.message,
            "Unable to authenticate: Nope. (BXNIM0415E)"
        );
        let federated = CliError::from(AuthError::Refused(api(400, "BXNIM0608E", "x")));
        assert!(federated.render().contains("iamctl login --sso"));
        let down = CliError::from(AuthError::Unavailable(IamError::Rejected(api(
            503, "x", "busy",
        ))));
        assert_eq!(down.exit_code(), 5);
        assert_eq!(down.message, "IAM is unavailable: busy (x)");
        assert_eq!(CliError::from(AuthError::NotLoggedIn).exit_code(), 3);
        // A refresh token refused: log in again, which is all there is to do.
        let plain = CliError::from(AuthError::Expired(Box::new(Expired::RefreshRefused(api(
            400,
            "BXNIM0408E",
            "gone",
        )))));
        assert_eq!(plain.exit_code(), 3);
        assert_eq!(
            plain.render(),
            "Session expired and could not be renewed: gone (BXNIM0408E)\nTip: run 'iamctl login' to log in again\n"
        );
        // A reason of its own gets its own fix instead.
        let relink = CliError::from(AuthError::Expired(Box::new(Expired::VpcCri(
            vpc::Dead::Refused {
                metadata_url: "http://m".into(),
                api: api(400, "x", "gone"),
            },
        ))));
        assert_eq!(relink.exit_code(), 3);
        assert_eq!(
            relink.render(),
            "Session expired and could not be renewed: the metadata service at http://m refused: gone (x)\n\
             Tip: check that this virtual server is still linked to the trusted profile, then 'iamctl login --vpc-cri'\n"
        );
        assert_eq!(CliError::from(AuthError::Internal("bug")).exit_code(), 70);
    }

    #[test]
    fn an_expired_token_during_a_command_asks_for_a_new_login() {
        let e =
            IamError::Rejected(api(401, "BXNIM0407E", "Token expired.")).into_cli("Could not list");
        assert_eq!(e.exit_code(), 3);
        assert_eq!(
            e.render(),
            "Could not list: Token expired. (BXNIM0407E)\nTip: run 'iamctl login' to log in again\n"
        );
    }

    #[test]
    fn secrets_left_behind_name_the_command_that_finishes() {
        let e = CliError::from(AuthError::SecretsLeft {
            source: Box::new(AuthError::Secrets(SecretError::Unreachable {
                detail: "no bus".into(),
                home: "/h".into(),
                source: None,
            })),
            ending: Ending::Delete {
                session: "ci".into(),
            },
        });
        assert_eq!(e.exit_code(), 6);
        assert!(
            e.render().contains("run 'iamctl session-delete ci' again"),
            "{}",
            e.render()
        );
        // Ending a login saves nothing: neither "stopped without saving" nor the file store
        // (which the secrets were never in) fits it.
        assert!(!e.render().contains("secrets.json"), "{}", e.render());
        assert!(!e.render().contains("without saving"), "{}", e.render());
        assert!(e.render().contains("still in it"), "{}", e.render());
    }
}
