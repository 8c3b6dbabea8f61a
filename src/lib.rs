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
mod context;
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
mod settings;

#[doc(hidden)]
pub mod fuzz;

use clap::{CommandFactory, FromArgMatches};
use cli::{Cli, Command, TokenCommand};
use context::Context;
use error::CliError;
use output::{Format, Out};
use settings::Settings;

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

/// The context of this run: output, the session `--session` (or `IAMCTL_SESSION`) names, and
/// whether spinners may be drawn. Nothing here touches the network or the keyring: the hot
/// path stays one file read.
fn context(quiet: bool, format: Format, session: Option<&str>, from_env: bool) -> Context {
    let out = Out::new(quiet, format);
    progress::init(quiet, iam::trace::to_stderr());
    let named = match session::named(session, from_env) {
        Ok(n) => n,
        Err(e) => fail(&out, &e.into()),
    };
    match Context::new(out, named, commands::warnings::text) {
        Ok(ctx) => ctx,
        Err(e) => fail(&out, &e.into()),
    }
}

fn run(ctx: &Context, settings: Settings) -> error::Result<()> {
    use commands::{api_keys, service_ids, sessions, stored_keys, trusted_profiles};
    use settings::Settings as S;
    match settings {
        S::Login(s) => commands::login::run(ctx, *s),
        S::Logout => commands::logout::run(ctx),
        S::Target(s) => commands::target::run(ctx, s),
        S::Exec(s) => commands::exec::run(ctx, s),
        S::TokenDecode(s) => commands::token::decode(ctx, s),
        S::Sessions => sessions::list(ctx),
        S::SessionSwitch(name) => sessions::switch(ctx, name),
        S::SessionDelete(name) => sessions::delete(ctx, name),
        S::Config(s) => commands::config::run(ctx, s),
        S::Credential(s) => commands::credential::run(ctx, s),
        S::Completion(shell) => commands::completion::run(shell),
        S::OauthTokens(s) => commands::oauth_tokens::run(ctx, s),
        S::ServiceIdCreate(s) => service_ids::create(ctx, s),
        S::ServiceIds(s) => service_ids::list(ctx, s),
        S::ServiceId(s) => service_ids::show(ctx, s),
        S::ServiceIdUpdate(s) => service_ids::update(ctx, s),
        S::ServiceIdDelete(s) => service_ids::delete(ctx, s),
        S::ServiceIdLock(s) => service_ids::set_lock(ctx, s, true),
        S::ServiceIdUnlock(s) => service_ids::set_lock(ctx, s, false),
        S::ApiKeyCreate(owner, s) => api_keys::create(ctx, owner, s),
        S::ApiKeys(owner, s) => api_keys::list(ctx, owner, s),
        S::ApiKey(owner, s) => api_keys::show(ctx, owner, s),
        S::ApiKeyUpdate(owner, s) => api_keys::update(ctx, owner, s),
        S::ApiKeyDelete(owner, s) => api_keys::delete(ctx, owner, s),
        S::ApiKeyLock(owner, s) => api_keys::set_lock(ctx, owner, s, true),
        S::ApiKeyUnlock(owner, s) => api_keys::set_lock(ctx, owner, s, false),
        S::ApiKeyDisable(owner, s) => api_keys::set_disabled(ctx, owner, s, true),
        S::ApiKeyEnable(owner, s) => api_keys::set_disabled(ctx, owner, s, false),
        S::StoredKeys => stored_keys::list(ctx),
        S::StoredKeyDelete(s) => stored_keys::delete(ctx, s),
        S::ProfileCreate(s) => trusted_profiles::create(ctx, s),
        S::Profiles(s) => trusted_profiles::list(ctx, s),
        S::Profile(s) => trusted_profiles::show(ctx, s),
        S::ProfileUpdate(s) => trusted_profiles::update(ctx, s),
        S::ProfileDelete(s) => trusted_profiles::delete(ctx, s),
        S::LinkCreate(s) => trusted_profiles::link_create(ctx, s),
        S::Links(s) => trusted_profiles::links(ctx, s),
        S::LinkDelete(s) => trusted_profiles::link_delete(ctx, s),
        S::IdentityCreate(s) => trusted_profiles::identity_create(ctx, s),
        S::Identities(s) => trusted_profiles::identities(ctx, s),
        S::Identity(s) => trusted_profiles::identity(ctx, s),
        S::IdentityDelete(s) => trusted_profiles::identity_delete(ctx, s),
        // Access: policies, roles, access groups, authorizations.
        S::PolicyCreate(s) => commands::access::policies::create(ctx, s),
        S::PolicyUpdate(s) => commands::access::policies::update(ctx, s),
        S::PolicyDelete(s) => commands::access::policies::delete(ctx, s),
        S::Policies(s) => commands::access::policies::list(ctx, s),
        S::Policy(s) => commands::access::policies::show(ctx, s),
        S::Roles(s) => commands::access::roles::run(ctx, s),
        S::RoleCreate(s) => commands::access::roles::create(ctx, s),
        S::AccountPolicies(s) => commands::access::policies::list_account(ctx, s),
        S::AccessGroups(s) => commands::access::groups::list(ctx, s),
        S::AccessGroup(s) => commands::access::groups::show(ctx, s),
        S::AccessGroupCreate(s) => commands::access::groups::create(ctx, s),
        S::AccessGroupUpdate(s) => commands::access::groups::update(ctx, s),
        S::AccessGroupDelete(s) => commands::access::groups::delete(ctx, s),
        S::MembersAdd(s) => commands::access::groups::add(ctx, s),
        S::MemberRemove(s) => commands::access::groups::remove(ctx, s),
        S::Members(s) => commands::access::groups::list_members(ctx, s),
        S::MemberPurge(s) => commands::access::groups::purge(ctx, s),
        S::AuthorizationCreate(s) => commands::access::authorizations::create(ctx, s),
        S::AuthorizationDelete(s) => commands::access::authorizations::delete(ctx, s),
        S::Authorization(s) => commands::access::authorizations::show(ctx, s),
        S::Authorizations(v) => commands::access::authorizations::list(ctx, v),
        S::ProfileAssume(s) => commands::assume::assume(ctx, s),
        S::ProfileLeave => commands::assume::leave(ctx),
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
    let ctx = context(quiet, format, fast.session.as_deref(), false);
    let result = match fast.command {
        FastCommand::OauthTokens(format) => settings::tokens::OauthTokens::new(format, None)
            .and_then(|s| commands::oauth_tokens::run(&ctx, s)),
        FastCommand::Kubectl => commands::credential::kubectl::print_credential(&ctx),
        FastCommand::Docker(action) => commands::credential::docker::serve(&ctx, action.into()),
    };
    if let Err(e) = result {
        fail(&ctx.out, &e);
    }
}

/// Run as docker-credential-iamctl (the name registry clients call): the helper protocol
/// and nothing else.
fn run_docker_helper(args: &[std::ffi::OsString]) {
    use clap::ValueEnum;
    let action = match args {
        [one] => one
            .to_str()
            .and_then(|a| cli::DockerAction::from_str(a, false).ok()),
        _ => None,
    };
    let ctx = context(true, Format::Text, None, false);
    let Some(action) = action else {
        fail(
            &ctx.out,
            &CliError::usage("Usage: docker-credential-iamctl <get|store|erase|list|version>"),
        );
    };
    if let Err(e) = commands::credential::docker::serve(&ctx, action.into()) {
        fail(&ctx.out, &e);
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
    // The process holds tokens, refresh tokens and API keys: a crash must not write them
    // into a core file (nor may another process of the user read its memory through /proc).
    // A command `exec` runs is dumpable again, as exec makes every new program.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes one integer argument and changes only this process.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    // A shell asking what TAB offers (IAMCTL_COMPLETE set): answer and exit. Otherwise this
    // is one environment lookup, so the hot path below stays as it was.
    complete::answer_tab_if_asked(cli::command);
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let argv0 = std::env::args_os().next().unwrap_or_default();
    if std::path::Path::new(&argv0).file_name()
        == Some(std::ffi::OsStr::new(
            commands::credential::docker::HELPER_NAME,
        ))
    {
        run_docker_helper(&args);
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
    let ctx = context(cli.quiet, format, cli.session.as_deref(), session_from_env);
    let result = settings::resolve(cli.command, &ctx).and_then(|s| run(&ctx, s));
    if let Err(e) = result {
        fail(&ctx.out, &e);
    }
}
