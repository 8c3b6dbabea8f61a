//! iamctl: parse, dispatch, render errors, exit with the documented codes.

mod cli;
mod commands;
mod endpoints;
mod error;
mod iam;
mod output;
mod prompt;
mod secrets;
mod session;

use clap::Parser;
use cli::{Cli, Command, IamCommand};
use output::{Format, Out};

fn quiet_from_env() -> bool {
    std::env::var("IBMCLOUD_QUIET")
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
        .unwrap_or(false)
}

fn main() {
    // Usage errors exit 2 (clap), --help/--version exit 0.
    let cli = Cli::parse();
    let quiet = cli.quiet || quiet_from_env();
    let format = match &cli.command {
        Command::Login(a) => a.output.output,
        Command::Target(a) => a.output.output,
        Command::Iam(IamCommand::OauthTokens(a)) | Command::IamFlat(IamCommand::OauthTokens(a)) => {
            a.output.output
        }
        Command::Logout(_) | Command::Config(_) => Format::Text,
    };
    let out = Out::new(quiet, format);
    let result = match &cli.command {
        Command::Login(a) => commands::login::run(a, &out),
        Command::Logout(a) => commands::logout::run(a, &out),
        Command::Config(c) => commands::config::run(c, &out),
        Command::Target(a) => commands::target::run(a, &out),
        Command::Iam(IamCommand::OauthTokens(a)) | Command::IamFlat(IamCommand::OauthTokens(a)) => {
            commands::oauth_tokens::run(a, &out)
        }
    };
    if let Err(e) = result {
        use std::io::Write;
        let text = format!("{}{}", out.failed_header(), e.render());
        let _ = std::io::stderr().write_all(text.as_bytes());
        std::process::exit(e.exit_code());
    }
}
