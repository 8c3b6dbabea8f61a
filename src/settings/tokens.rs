//! The settings of the commands that hand out tokens: `oauth-tokens`, `exec`, `token
//! decode`, and `credential kubectl|docker`.

use crate::cli::{CredentialCommand, DockerAction, ExecArgs, OauthTokensArgs, TokenCommand};
use crate::error::{CliError, Result};
use crate::output::TokenFormat;
use std::ffi::OsString;
use std::path::PathBuf;

pub struct OauthTokens {
    pub format: TokenFormat,
    /// `--delegate-to`: the OAuth clients a delegated refresh token is for.
    pub delegate_to: Option<Vec<String>>,
}

impl OauthTokens {
    /// Also what the shortcut past clap builds.
    pub fn new(format: TokenFormat, delegate_to: Option<&str>) -> Result<OauthTokens> {
        let delegate_to = match delegate_to {
            Some(receivers) => Some(receivers_of(receivers, format)?),
            None => None,
        };
        Ok(OauthTokens {
            format,
            delegate_to,
        })
    }
}

pub fn oauth_tokens(args: OauthTokensArgs) -> Result<OauthTokens> {
    OauthTokens::new(args.output, args.delegate_to.as_deref())
}

/// `--delegate-to CLIENT[,CLIENT]`, and a format a token to hand over can take.
fn receivers_of(receivers: &str, format: TokenFormat) -> Result<Vec<String>> {
    let clients: Vec<String> = receivers
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    if clients.is_empty()
        || !clients.iter().all(|c| {
            c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
        })
    {
        return Err(CliError::usage(format!(
            "'{receivers}' given with --delegate-to is not a comma list of OAuth client IDs."
        )));
    }
    if matches!(format, TokenFormat::Env | TokenFormat::GithubActions) {
        return Err(CliError::usage(
            "--delegate-to prints a token to hand over, as text, raw or json.",
        ));
    }
    Ok(clients)
}

pub struct Exec {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub with_refresh_token: bool,
    /// Variables holding API keys that the command does not get (unless `--keep-env`).
    pub withheld: Vec<&'static str>,
}

/// The variables that hold an API key: a long-lived credential the command of `exec` has no
/// need for, since it gets a token.
pub const API_KEY_VARS: [&str; 4] = [
    "IBMCLOUD_API_KEY",
    "IC_API_KEY",
    "BLUEMIX_API_KEY",
    "BM_API_KEY",
];

pub fn exec(args: ExecArgs) -> Result<Exec> {
    let mut words = args.command.into_iter();
    let Some(program) = words.next() else {
        return Err(CliError::usage("No command given.").hint("iamctl exec -- COMMAND ARGS..."));
    };
    let withheld = API_KEY_VARS
        .into_iter()
        .filter(|v| !args.keep_env.iter().any(|k| k == v))
        .collect();
    Ok(Exec {
        program,
        args: words.collect(),
        with_refresh_token: args.with_refresh_token,
        withheld,
    })
}

pub enum TokenSource {
    /// The session's cached token.
    Session,
    Stdin,
    Given(String),
}

pub struct TokenDecode {
    pub token: TokenSource,
}

pub fn token(cmd: TokenCommand) -> TokenDecode {
    match cmd {
        TokenCommand::Decode(a) => TokenDecode {
            token: match a.token {
                None => TokenSource::Session,
                Some(t) if t == "-" => TokenSource::Stdin,
                Some(t) => TokenSource::Given(t),
            },
        },
    }
}

/// The Docker credential helper protocol's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelperAction {
    Get,
    Store,
    Erase,
    List,
    Version,
}

impl From<DockerAction> for HelperAction {
    fn from(a: DockerAction) -> HelperAction {
        match a {
            DockerAction::Get => HelperAction::Get,
            DockerAction::Store => HelperAction::Store,
            DockerAction::Erase => HelperAction::Erase,
            DockerAction::List => HelperAction::List,
            DockerAction::Version => HelperAction::Version,
        }
    }
}

pub enum Credential {
    /// Print kubectl's ExecCredential.
    Kubectl,
    /// Write the plugin into a kubeconfig.
    KubectlInstall {
        cluster: String,
        kubeconfig: PathBuf,
    },
    Docker(HelperAction),
    /// Make `docker-credential-iamctl` in a directory.
    DockerInstall {
        dir: PathBuf,
        force: bool,
    },
}

pub fn credential(cmd: CredentialCommand) -> Result<Credential> {
    Ok(match cmd {
        CredentialCommand::Kubectl(a) if a.install => match (a.cluster, a.kubeconfig) {
            (Some(cluster), Some(kubeconfig)) => Credential::KubectlInstall {
                cluster,
                kubeconfig,
            },
            _ => {
                return Err(CliError::usage(
                    "--install needs --cluster and --kubeconfig.",
                ));
            }
        },
        CredentialCommand::Kubectl(_) => Credential::Kubectl,
        CredentialCommand::Docker(a) => match (a.install, a.action) {
            (Some(dir), _) => Credential::DockerInstall {
                dir,
                force: a.force,
            },
            (None, Some(action)) => Credential::Docker(action.into()),
            (None, None) => {
                return Err(CliError::usage("No action given.")
                    .hint("iamctl credential docker get|store|erase|list"));
            }
        },
    })
}
