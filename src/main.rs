//! iamctl: parse, dispatch, render errors, exit with the documented codes.

mod cli;
mod commands;
mod endpoints;
mod error;
mod iam;
mod output;
mod progress;
mod prompt;
mod secrets;
mod session;

use clap::Parser;
use cli::{Cli, Command, IamCommand, TokenCommand};
use error::CliError;
use output::{Format, Out};

fn quiet_from_env() -> bool {
    std::env::var("IBMCLOUD_QUIET")
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
        .unwrap_or(false)
}

fn fail(out: &Out, e: &CliError) -> ! {
    use std::io::Write;
    let text = format!("{}{}", out.failed_header(), e.render());
    let _ = std::io::stderr().write_all(text.as_bytes());
    std::process::exit(e.exit_code());
}

fn main() {
    // Usage errors exit 2 (clap), --help/--version exit 0.
    let cli = Cli::parse();
    let quiet = cli.quiet || quiet_from_env();
    let format = match &cli.command {
        Command::Login(a) => a.output.output,
        Command::Target(a) => a.output.output,
        Command::Iam(IamCommand::OauthTokens(a)) | Command::IamFlat(IamCommand::OauthTokens(a)) => {
            a.output.base()
        }
        Command::Token(TokenCommand::Decode(a)) => a.output.output,
        Command::Sessions(a) => a.output.output,
        Command::Logout(_)
        | Command::Exec(_)
        | Command::SessionSwitch(_)
        | Command::SessionDelete(_) => Format::Text,
    };
    let out = Out::new(quiet, format);
    // Nothing here touches the network or the keyring: the hot path stays one file read.
    progress::init(quiet);
    if let Some(name) = &cli.session
        && let Err(e) = session::set_session_flag(name)
    {
        fail(&out, &e);
    }
    let result = match &cli.command {
        Command::Login(a) => commands::login::run(a, &out),
        Command::Logout(a) => commands::logout::run(a, &out),
        Command::Target(a) => commands::target::run(a, &out),
        Command::Exec(a) => commands::exec::run(a, &out),
        Command::Token(t) => commands::token::run(t, &out),
        Command::Sessions(a) => commands::sessions::list(a, &out),
        Command::SessionSwitch(a) => commands::sessions::switch(a, &out),
        Command::SessionDelete(a) => commands::sessions::delete(a, &out),
        Command::Iam(IamCommand::OauthTokens(a)) | Command::IamFlat(IamCommand::OauthTokens(a)) => {
            commands::oauth_tokens::run(a, &out)
        }
    };
    if let Err(e) = result {
        fail(&out, &e);
    }
}
