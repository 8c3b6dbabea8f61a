//! `iamctl exec -- COMMAND ARGS...`: runs COMMAND with a fresh token in its environment.
//!
//! Sets `IBMCLOUD_IAM_TOKEN` and `IC_IAM_TOKEN` (the IBM Terraform provider's variables) to
//! `Bearer <jwt>`, and `IAMCTL_SESSION` to the session used, so an `iamctl` inside the
//! command uses the same session even when the outer one was chosen with `--session`.
//! On Unix iamctl replaces itself with the command (`execvp`): the exit status and signals
//! are the command's own with no relay in between, and no iamctl process lingers holding
//! the token. Elsewhere it waits and exits with the command's code. The token is never
//! printed; the refresh token and API key never leave the secret store.

use super::errors::login_needed;
use super::oauth_tokens::{TOKEN_VARS, bearer};
use crate::auth::Credentials;
use crate::cli::ExecArgs;
use crate::error::{CliError, ErrorKind, Result};
use crate::output::Out;
use std::ffi::OsStr;
use std::process::Command;

pub fn run(args: &ExecArgs, _out: &Out) -> Result<()> {
    let Some((program, rest)) = args.command.split_first() else {
        return Err(CliError::usage("No command given.").hint("iamctl exec -- COMMAND ARGS..."));
    };
    let creds = Credentials::active()?;
    let (_, login) = creds.fresh().map_err(|e| login_needed(&creds, e))?;
    let mut cmd = Command::new(program);
    cmd.args(rest);
    let value = bearer(&login.access_token);
    for var in TOKEN_VARS {
        cmd.env(var, &value);
    }
    cmd.env("IAMCTL_SESSION", creds.name());
    launch(cmd, program)
}

#[cfg(unix)]
fn launch(mut cmd: Command, program: &OsStr) -> Result<()> {
    use std::os::unix::process::CommandExt;
    // Returns only if the exec failed. std resets SIGPIPE to its default before exec, so
    // `iamctl exec -- yes | head` ends like `yes | head`.
    let err = cmd.exec();
    Err(spawn_error(program, &err))
}

#[cfg(not(unix))]
fn launch(mut cmd: Command, program: &OsStr) -> Result<()> {
    let status = cmd.status().map_err(|e| spawn_error(program, &e))?;
    std::process::exit(status.code().unwrap_or(1));
}

/// A shell's conventions: 127 when the command does not exist, 126 when it cannot run.
fn spawn_error(program: &OsStr, err: &std::io::Error) -> CliError {
    let name = program.to_string_lossy();
    if err.kind() == std::io::ErrorKind::NotFound {
        CliError::new(
            ErrorKind::CommandNotFound,
            format!("Command '{name}' not found."),
        )
        .hint("check its name and PATH (a shell builtin needs: iamctl exec -- sh -c '...')")
    } else {
        CliError::new(
            ErrorKind::CannotExecute,
            format!("Could not run '{name}': {err}"),
        )
        .hint("check that it is an executable file you may run")
    }
}
