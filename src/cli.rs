//! Every clap definition: the single source for help, completions and man pages.
//!
//! Argument structs only; the behaviour lives in `commands/`. The `iam` namespace is one
//! enum, `IamCommand`, reachable as `iamctl iam <cmd>` and flattened as `iamctl <cmd>`, so
//! new IAM commands are one variant each.

use crate::output::Format;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "iamctl",
    version,
    about = "A fast, safe, scriptable command line for IBM Cloud IAM",
    long_about = "A fast, safe, scriptable command line for IBM Cloud Identity and Access Management.\n\n\
                  Log in once (API key, password or SSO one-time code), then get fresh IAM tokens \
                  with 'iamctl oauth-tokens'. Secrets live in the OS keyring.",
    max_term_width = 100
)]
pub struct Cli {
    /// Print only data and errors (also IBMCLOUD_QUIET=true)
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to IBM Cloud with an API key, a password or an SSO one-time code
    Login(LoginArgs),
    /// Log out: forget the tokens and delete the session's secrets from the keyring
    Logout(LogoutArgs),
    /// Show or change the targeted account, region and resource group
    Target(TargetArgs),
    /// Show or change iamctl's settings
    #[command(subcommand)]
    Config(ConfigCommand),
    /// IAM commands (each is also available without the `iam` prefix)
    #[command(subcommand)]
    Iam(IamCommand),
    #[command(flatten)]
    IamFlat(IamCommand),
}

#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Print the current IAM access token, refreshing it first if it is about to expire
    #[command(name = "oauth-tokens")]
    OauthTokens(OauthTokensArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Show or set where secrets are kept: the OS keyring (default) or a plain file
    #[command(name = "secret-store")]
    SecretStore(SecretStoreArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SecretStoreChoice {
    /// The OS keyring (Secret Service, Keychain, Credential Manager)
    Keyring,
    /// secrets.json in the iamctl home, mode 0600, unencrypted (warns on every use)
    File,
}

#[derive(Debug, Args)]
pub struct SecretStoreArgs {
    /// The store to use from now on; without it, print the current one
    #[arg(value_enum)]
    pub store: Option<SecretStoreChoice>,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format: text or json
    #[arg(long, value_name = "FORMAT", value_enum, ignore_case = true, default_value_t = Format::Text)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// API endpoint (default https://cloud.ibm.com; remembered)
    #[arg(short = 'a', long = "api-endpoint", value_name = "URL")]
    pub api_endpoint: Option<String>,

    /// API key: the key, @FILE, or - to read it from stdin (also IBMCLOUD_API_KEY)
    #[arg(long, value_name = "KEY|@FILE|-", conflicts_with_all = ["sso", "username"])]
    pub apikey: Option<String>,

    /// Log in with a one-time code from the SSO passcode page (read from stdin without a terminal)
    #[arg(long, conflicts_with = "username")]
    pub sso: bool,

    /// User name (email) for a password login
    #[arg(short = 'u', value_name = "USER")]
    pub username: Option<String>,

    /// Password (prompted for, hidden, when omitted on a terminal; read from stdin otherwise)
    #[arg(short = 'p', value_name = "PASSWORD", requires = "username")]
    pub password: Option<String>,

    /// Account to target
    #[arg(short = 'c', value_name = "ACCOUNT_ID", conflicts_with = "no_account")]
    pub account: Option<String>,

    /// Do not target an account
    #[arg(long)]
    pub no_account: bool,

    /// Region to target
    #[arg(short = 'r', value_name = "REGION", conflicts_with = "no_region")]
    pub region: Option<String>,

    /// Do not target a region (and do not ask for one)
    #[arg(long)]
    pub no_region: bool,

    /// Resource group to target (name or ID; default: the account's default group)
    #[arg(short = 'g', value_name = "RESOURCE_GROUP")]
    pub resource_group: Option<String>,

    /// Do not offer to open the SSO page in a browser (the URL is printed either way)
    #[arg(long)]
    pub no_browser: bool,

    /// Do not verify TLS certificates (remembered; warns on every use)
    #[arg(long)]
    pub skip_ssl_validation: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {}

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Switch to another account (the token is re-scoped to it)
    #[arg(short = 'c', value_name = "ACCOUNT_ID")]
    pub account: Option<String>,

    /// Target a region
    #[arg(short = 'r', value_name = "REGION", conflicts_with = "unset_region")]
    pub region: Option<String>,

    /// Target a resource group (name or ID)
    #[arg(
        short = 'g',
        value_name = "RESOURCE_GROUP",
        conflicts_with = "unset_resource_group"
    )]
    pub resource_group: Option<String>,

    /// Stop targeting a region
    #[arg(long)]
    pub unset_region: bool,

    /// Stop targeting a resource group
    #[arg(long)]
    pub unset_resource_group: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

impl TargetArgs {
    pub fn changes_anything(&self) -> bool {
        self.account.is_some()
            || self.region.is_some()
            || self.resource_group.is_some()
            || self.unset_region
            || self.unset_resource_group
    }
}

#[derive(Debug, Args)]
pub struct OauthTokensArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("iamctl").chain(args.iter().copied()))
    }

    #[test]
    fn oauth_tokens_is_reachable_with_and_without_iam() {
        for argv in [&["oauth-tokens"][..], &["iam", "oauth-tokens"][..]] {
            let cli = parse(argv).unwrap_or_else(|e| panic!("{e}"));
            assert!(matches!(
                cli.command,
                Command::Iam(IamCommand::OauthTokens(_))
                    | Command::IamFlat(IamCommand::OauthTokens(_))
            ));
        }
        let cli = parse(&["oauth-tokens", "--output", "JSON"]).unwrap_or_else(|e| panic!("{e}"));
        let Command::IamFlat(IamCommand::OauthTokens(a)) = cli.command else {
            panic!("wrong command")
        };
        assert_eq!(a.output.output, Format::Json);
    }

    #[test]
    fn api_key_starting_with_a_dash_works_with_equals() {
        let cli = parse(&["login", "--apikey=-abc"]).unwrap_or_else(|e| panic!("{e}"));
        let Command::Login(a) = cli.command else {
            panic!("wrong command")
        };
        assert_eq!(a.apikey.as_deref(), Some("-abc"));
        let cli = parse(&["login", "--apikey", "-"]).unwrap_or_else(|e| panic!("{e}"));
        let Command::Login(a) = cli.command else {
            panic!("wrong command")
        };
        assert_eq!(a.apikey.as_deref(), Some("-"));
    }

    #[test]
    fn conflicting_flags_are_usage_errors() {
        for argv in [
            &["login", "--apikey", "k", "--sso"][..],
            &["login", "-c", "a", "--no-account"][..],
            &["login", "-p", "pw"][..],
            &["target", "-r", "us-south", "--unset-region"][..],
            &["oauth-tokens", "--output", "yaml"][..],
        ] {
            let err = match parse(argv) {
                Err(e) => e,
                Ok(_) => panic!("{argv:?} accepted"),
            };
            assert_eq!(err.exit_code(), 2, "{argv:?}");
        }
    }
}
