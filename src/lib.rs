//! iamctl: parse, dispatch, render errors, exit with the documented codes.
//!
//! A library only so that the fuzz targets (`fuzz/`) can call the parsers, through `fuzz`;
//! the binary (`src/main.rs`) is `main` below and nothing else. Every other module is
//! private to the crate.

mod auth;
mod cli;
mod commands;
mod complete;
mod completion_cache;
mod config;
mod endpoints;
mod error;
mod home;
mod iam;
mod man;
mod output;
mod progress;
mod prompt;
mod regions;
mod secrets;
mod session;

#[doc(hidden)]
pub mod fuzz;

use clap::{CommandFactory, FromArgMatches};
use cli::{Cli, Command, IamCommand, TokenCommand};
use error::CliError;
use output::{Format, Out};

/// `IBMCLOUD_QUIET` for the oauth-tokens shortcut, which answers without clap (where the
/// variable is declared on `-q`); the same values count as true.
fn quiet_from_env() -> bool {
    std::env::var("IBMCLOUD_QUIET").is_ok_and(|v| {
        !matches!(
            v.to_ascii_lowercase().as_str(),
            "" | "n" | "no" | "f" | "false" | "off" | "0"
        )
    })
}

fn fail(out: &Out, e: &CliError) -> ! {
    use std::io::Write;
    let text = format!("{}{}", out.failed_header(), e.render());
    let _ = std::io::stderr().write_all(text.as_bytes());
    std::process::exit(e.exit_code());
}

fn run_iam(cmd: &IamCommand, out: &Out) -> error::Result<()> {
    use commands::{api_keys, service_ids, stored_keys, trusted_profiles};
    match cmd {
        IamCommand::OauthTokens(a) => commands::oauth_tokens::run(a, out),
        IamCommand::ServiceIdCreate(a) => service_ids::create(a, out),
        IamCommand::ServiceIds(a) => service_ids::list(a, out),
        IamCommand::ServiceId(a) => service_ids::show(a, out),
        IamCommand::ServiceIdUpdate(a) => service_ids::update(a, out),
        IamCommand::ServiceIdDelete(a) => service_ids::delete(a, out),
        IamCommand::ServiceIdLock(a) => service_ids::lock(a, out),
        IamCommand::ServiceIdUnlock(a) => service_ids::unlock(a, out),
        IamCommand::ServiceApiKeyCreate(a) => api_keys::service_create(a, out),
        IamCommand::ServiceApiKeys(a) => api_keys::service_list(a, out),
        IamCommand::ServiceApiKey(a) => api_keys::service_show(a, out),
        IamCommand::ServiceApiKeyUpdate(a) => api_keys::service_update(a, out),
        IamCommand::ServiceApiKeyDelete(a) => api_keys::service_delete(a, out),
        IamCommand::ServiceApiKeyLock(a) => api_keys::service_lock(a, out),
        IamCommand::ServiceApiKeyUnlock(a) => api_keys::service_unlock(a, out),
        IamCommand::ApiKeyCreate(a) => api_keys::user_create(a, out),
        IamCommand::ApiKeys(a) => api_keys::user_list(a, out),
        IamCommand::ApiKey(a) => api_keys::user_show(a, out),
        IamCommand::ApiKeyUpdate(a) => api_keys::user_update(a, out),
        IamCommand::ApiKeyDelete(a) => api_keys::user_delete(a, out),
        IamCommand::ApiKeyLock(a) => api_keys::user_lock(a, out),
        IamCommand::ApiKeyUnlock(a) => api_keys::user_unlock(a, out),
        IamCommand::StoredKeys(a) => stored_keys::list(a, out),
        IamCommand::StoredKeyDelete(a) => stored_keys::delete(a, out),
        IamCommand::TrustedProfileCreate(a) => trusted_profiles::create(a, out),
        IamCommand::TrustedProfiles(a) => trusted_profiles::list(a, out),
        IamCommand::TrustedProfile(a) => trusted_profiles::show(a, out),
        IamCommand::TrustedProfileUpdate(a) => trusted_profiles::update(a, out),
        IamCommand::TrustedProfileDelete(a) => trusted_profiles::delete(a, out),
        IamCommand::TrustedProfileLinkCreate(a) => trusted_profiles::link_create(a, out),
        IamCommand::TrustedProfileLinks(a) => trusted_profiles::links(a, out),
        IamCommand::TrustedProfileLinkDelete(a) => trusted_profiles::link_delete(a, out),
        IamCommand::TrustedProfileIdentityCreate(a) => trusted_profiles::identity_create(a, out),
        IamCommand::TrustedProfileIdentities(a) => trusted_profiles::identities(a, out),
        IamCommand::TrustedProfileIdentityDelete(a) => trusted_profiles::identity_delete(a, out),
    }
}

/// The commands other programs call in loops, without building the clap tree.
fn run_fast(fast: cli::Fast) {
    use cli::FastCommand;
    let quiet = quiet_from_env();
    let format = match fast.command {
        FastCommand::OauthTokens(f) => f.base(),
        FastCommand::Kubectl | FastCommand::Docker(_) => Format::Text,
    };
    let out = Out::new(quiet, format);
    progress::init(quiet);
    if let Some(name) = &fast.session
        && let Err(e) = session::set_session_flag(name, false)
    {
        fail(&out, &e.into());
    }
    let result = match fast.command {
        FastCommand::OauthTokens(output) => commands::oauth_tokens::run(
            &cli::OauthTokensArgs {
                output,
                delegate_to: None,
            },
            &out,
        ),
        FastCommand::Kubectl => commands::credential::kubectl::print_credential(),
        FastCommand::Docker(action) => commands::credential::docker::serve(action),
    };
    if let Err(e) = result {
        fail(&out, &e);
    }
}

/// The whole program; `src/main.rs` calls it.
pub fn main() {
    // Past the file-size limit (`ulimit -f`) the kernel kills a writer with SIGXFSZ, so the
    // user would learn nothing; ignored, the write fails with EFBIG and the error names the
    // file. (`exec` restores the default for the command it runs.)
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    // A shell asking what TAB offers (IAMCTL_COMPLETE set): answer and exit. Otherwise this
    // is one environment lookup, so the hot path below stays as it was.
    complete::answer_tab_if_asked(cli::command);
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    // Run as docker-credential-iamctl (the name registry clients call): the helper protocol
    // and nothing else.
    let argv0 = std::env::args_os().next().unwrap_or_default();
    if std::path::Path::new(&argv0).file_name()
        == Some(std::ffi::OsStr::new(
            commands::credential::docker::HELPER_NAME,
        ))
    {
        let out = Out::new(true, Format::Text);
        let Some(action) = commands::credential::docker::action_from_args(&args) else {
            fail(
                &out,
                &CliError::usage("Usage: docker-credential-iamctl <get|store|erase|list>"),
            );
        };
        if let Err(e) = commands::credential::docker::serve(action) {
            fail(&out, &e);
        }
        return;
    }
    if let Some(fast) = cli::fast_path(&args) {
        run_fast(fast);
        return;
    }
    if args.first().is_some_and(|a| a == man::COMMAND) {
        man::run(&args[1..]);
    }
    // Usage errors exit 2 (clap), --help/--version exit 0.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let session_from_env =
        matches.value_source("session") == Some(clap::parser::ValueSource::EnvVariable);
    let quiet = cli.quiet;
    let format = match &cli.command {
        Command::Login(a) => a.output.output,
        Command::Target(a) => a.output.output,
        Command::Iam(c) | Command::IamFlat(c) => c.format(),
        Command::Token(TokenCommand::Decode(a)) => a.output.output,
        Command::Sessions(a) => a.output.output,
        Command::Logout(_)
        | Command::Config(_)
        | Command::Exec(_)
        | Command::SessionSwitch(_)
        | Command::SessionDelete(_)
        | Command::Completion(_)
        | Command::Credential(_) => Format::Text,
    };
    let out = Out::new(quiet, format);
    // Nothing here touches the network or the keyring: the hot path stays one file read.
    progress::init(quiet);
    if let Some(name) = &cli.session
        && let Err(e) = session::set_session_flag(name, session_from_env)
    {
        fail(&out, &e.into());
    }
    let result = match &cli.command {
        Command::Login(a) => commands::login::run(a, &out),
        Command::Logout(a) => commands::logout::run(a, &out),
        Command::Config(c) => commands::config::run(c, &out),
        Command::Target(a) => commands::target::run(a, &out),
        Command::Exec(a) => commands::exec::run(a, &out),
        Command::Token(t) => commands::token::run(t, &out),
        Command::Sessions(a) => commands::sessions::list(a, &out),
        Command::SessionSwitch(a) => commands::sessions::switch(a, &out),
        Command::SessionDelete(a) => commands::sessions::delete(a, &out),
        Command::Completion(a) => commands::completion::run(a),
        Command::Credential(c) => commands::credential::run(c, &out),
        Command::Iam(c) | Command::IamFlat(c) => run_iam(c, &out),
    };
    if let Err(e) = result {
        fail(&out, &e);
    }
}
