//! `iamctl exec -- COMMAND ARGS...`: runs COMMAND with a fresh token, and keeps it supplied
//! for as long as it runs.
//!
//! The command gets `IBMCLOUD_IAM_TOKEN` and `IC_IAM_TOKEN` (the IBM Terraform provider's
//! variables, `Bearer <jwt>`), `IAMCTL_SESSION` (so an iamctl inside uses the same session),
//! and `IAMCTL_TOKEN_FILE`: a 0600 file in a private (0700) runtime directory holding the bare
//! token, which iamctl rewrites atomically before each expiry while the command runs and
//! removes when it ends. Tools that read a variable once get an hour; tools that re-read the
//! file never run out. iamctl waits for the command, passes on the signals sent to iamctl
//! (the terminal's Ctrl-C reaches the command directly), and exits with the command's status,
//! or dies of the same signal. The token is never printed; the refresh token leaves the
//! secret store only with `--with-refresh-token`.

use super::errors::login_needed;
use super::oauth_tokens::{TOKEN_VARS, bearer};
use crate::auth::Login;
use crate::context::Context;
use crate::error::{CliError, ErrorKind, Result};
use crate::session::now;
use crate::settings::tokens::Exec;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::mpsc;
use std::time::Duration;

/// The variable naming the token file.
pub const TOKEN_FILE_VAR: &str = "IAMCTL_TOKEN_FILE";
/// The IBM Terraform provider's refresh-token variable (renewed with the `bx` client).
const REFRESH_VAR: &str = "IC_IAM_REFRESH_TOKEN";
/// A renewal that failed is tried again this much later (the old token stays until it
/// expires).
const RETRY: Duration = Duration::from_secs(15);

pub fn run(ctx: &Context, args: Exec) -> Result<()> {
    let out = &ctx.out;
    let (program, rest) = (&args.program, &args.args);
    let creds = ctx.credentials()?;
    let (_, login) = creds.fresh().map_err(|e| login_needed(ctx, &creds, e))?;
    let runtime = RuntimeDir::create()?;
    let token_file = runtime.path.join("token");
    write_token(&runtime.path, &token_file, &login)?;
    let mut cmd = Command::new(program);
    cmd.args(rest);
    for var in &args.withheld {
        cmd.env_remove(var);
    }
    let value = bearer(&login.access_token);
    for var in TOKEN_VARS {
        cmd.env(var, &value);
    }
    cmd.env("IAMCTL_SESSION", creds.name());
    cmd.env(TOKEN_FILE_VAR, &token_file);
    if args.with_refresh_token {
        match creds.export_refresh_token()? {
            Some(rt) => {
                cmd.env(REFRESH_VAR, rt);
            }
            None => out.warn(&format!(
                "this session has no refresh token (it renews without one), so {REFRESH_VAR} is not set"
            )),
        }
    }
    signals::default_file_size_signal(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| spawn_error(program, &e))?;
    signals::forward_to(child.id());
    let (done_tx, done) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    let mut login = login;
    let status = loop {
        let wait = renew_in(&login);
        match done.recv_timeout(wait) {
            Ok(status) => break status,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Err(std::io::Error::other("lost track of the command"));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                match creds
                    .fresh()
                    .map_err(CliError::from)
                    .and_then(|(_, l)| write_token(&runtime.path, &token_file, &l).map(|()| l))
                {
                    Ok(l) => login = l,
                    Err(e) => {
                        out.warn(&format!(
                            "could not renew the token in {} ({}); trying again in {} s",
                            token_file.display(),
                            e.message,
                            RETRY.as_secs()
                        ));
                        // Pretend the token was issued now, so the next try comes after RETRY.
                        login.token_issued_at = now() + RETRY.as_secs() as i64;
                        login.token_expires_at = login.token_issued_at + 1;
                    }
                }
            }
        }
    };
    let _ = waiter.join();
    drop(runtime);
    let status = status.map_err(|e| {
        CliError::failed(format!(
            "Lost track of '{}': {e}",
            program.to_string_lossy()
        ))
    })?;
    exit_like(status)
}

/// How long until the token should be renewed (its refresh window), at least a second.
fn renew_in(login: &Login) -> Duration {
    let lifetime = (login.token_expires_at - login.token_issued_at).max(0);
    let at = (login.token_issued_at + lifetime * 8 / 10).min(login.token_expires_at - 10);
    Duration::from_secs((at - now()).max(1) as u64)
}

fn write_token(dir: &Path, file: &Path, login: &Login) -> Result<()> {
    let mut text = login.access_token.clone();
    text.push('\n');
    Ok(crate::home::write_atomic(dir, file, text.as_bytes())?)
}

/// A private directory for the token file, removed when the command ends. In
/// `XDG_RUNTIME_DIR` (a tmpfs only the user can read) when there is one.
struct RuntimeDir {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl RuntimeDir {
    fn create() -> Result<RuntimeDir> {
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|p| p.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let mut builder = tempfile::Builder::new();
        builder.prefix("iamctl-exec-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o700));
        }
        let dir = builder.tempdir_in(&base).map_err(|e| {
            CliError::from(crate::home::FileError::new(
                "create a private directory in",
                &base,
                e,
            ))
        })?;
        Ok(RuntimeDir {
            path: dir.path().to_path_buf(),
            _dir: dir,
        })
    }
}

/// Exits as the command did: its code, or (Unix) the same signal.
fn exit_like(status: ExitStatus) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            signals::die_of(sig);
        }
    }
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

#[cfg(unix)]
mod signals {
    use std::sync::atomic::{AtomicI32, Ordering};

    static CHILD: AtomicI32 = AtomicI32::new(0);

    extern "C" fn forward(sig: libc::c_int) {
        let pid = CHILD.load(Ordering::Relaxed);
        if pid > 0 {
            // kill(2) is async-signal-safe.
            unsafe { libc::kill(pid, sig) };
        }
    }

    /// Signals sent to iamctl go on to the command. Ctrl-C and Ctrl-\ from the terminal
    /// already reach the command (same process group), so iamctl ignores those rather than
    /// deliver them twice.
    pub fn forward_to(pid: u32) {
        CHILD.store(pid as i32, Ordering::Relaxed);
        let handler: extern "C" fn(libc::c_int) = forward;
        unsafe {
            for sig in [libc::SIGTERM, libc::SIGHUP, libc::SIGUSR1, libc::SIGUSR2] {
                libc::signal(sig, handler as libc::sighandler_t);
            }
            for sig in [libc::SIGINT, libc::SIGQUIT] {
                libc::signal(sig, libc::SIG_IGN);
            }
        }
    }

    /// iamctl ignores SIGXFSZ (main), and an ignored signal stays ignored across exec: give
    /// the command the default back, so it behaves as it would without iamctl.
    pub fn default_file_size_signal(cmd: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        // Runs between fork and exec: signal(2) is async-signal-safe there.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_DFL);
                Ok(())
            });
        }
    }

    /// Dies of `sig`, so the caller sees what it would have seen without iamctl in between.
    pub fn die_of(sig: i32) -> ! {
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::kill(libc::getpid(), sig);
        }
        // Signals that do not kill by default (or are blocked) end here.
        std::process::exit(128 + sig);
    }
}

#[cfg(not(unix))]
mod signals {
    pub fn forward_to(_pid: u32) {}
    pub fn default_file_size_signal(_cmd: &mut std::process::Command) {}
}
