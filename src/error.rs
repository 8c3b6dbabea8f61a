//! `CliError`: what went wrong, which exit code it maps to, and the hints that fix it.
//!
//! Every failure a user can cause or meet ends up here and is rendered by `main` as
//! `FAILED`, a one-line cause, then `Tip: ...` lines. Messages never contain secrets: the
//! constructors take already-safe text, and IAM error bodies are reduced to their code and
//! message before they get here. The layers below the commands have typed errors of their
//! own; `commands/errors.rs` is the one place that turns them into a `CliError`.

use std::fmt;

/// Text from outside (a file's value, a server's answer, a parser's message quoting them)
/// as it may appear in a one-line error: control characters, line breaks included, are
/// shown escaped (`\n`, `\u{1b}`) instead of breaking the line or driving the terminal.
pub fn one_line(text: impl fmt::Display) -> String {
    let text = text.to_string();
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The documented exit codes (docs/architecture.md, docs/user-guide.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// IAM refused the request, a file cannot be written, ...
    Failed,
    /// Bad flags or arguments, or a needed choice without a terminal.
    Usage,
    /// Not logged in, or the session expired and cannot be renewed.
    LoginRequired,
    /// IAM rejected the credentials given to `login`.
    Auth,
    /// IAM unreachable, TLS failure, timeout, a redirect (never followed).
    Network,
    /// No OS keyring reachable and no explicit file-store opt-in.
    SecretStore,
    /// Ctrl-C at a prompt.
    Interrupted,
    /// `exec`: the command exists but cannot be run (a shell's 126).
    CannotExecute,
    /// `exec`: the command was not found (a shell's 127).
    CommandNotFound,
    /// A bug in iamctl: a state it should never reach (EX_SOFTWARE).
    Internal,
}

impl ErrorKind {
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Failed => 1,
            ErrorKind::Usage => 2,
            ErrorKind::LoginRequired => 3,
            ErrorKind::Auth => 4,
            ErrorKind::Network => 5,
            ErrorKind::SecretStore => 6,
            ErrorKind::Interrupted => 130,
            ErrorKind::CannotExecute => 126,
            ErrorKind::CommandNotFound => 127,
            ErrorKind::Internal => 70,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CliError {
    pub kind: ErrorKind,
    pub message: String,
    pub hints: Vec<String>,
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

impl CliError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CliError {
            kind,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failed, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }

    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Auth, message)
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Network, message)
    }

    pub fn secret_store(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::SecretStore, message)
    }

    /// A state iamctl should never reach; the message says which, and asks for a report.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::Internal,
            format!("Internal error: {}", message.into()),
        )
        .hint("this is a bug in iamctl; please report it with the command you ran")
    }

    pub fn interrupted() -> Self {
        Self::new(ErrorKind::Interrupted, "Interrupted.")
    }

    /// The message IBM's CLI prints, with our binary name.
    pub fn not_logged_in() -> Self {
        Self::new(
            ErrorKind::LoginRequired,
            "Not logged in. Use 'iamctl login' to log in.",
        )
    }

    pub fn session_expired(detail: &str) -> Self {
        Self::new(
            ErrorKind::LoginRequired,
            format!("Session expired and could not be renewed: {detail}"),
        )
        .hint("run 'iamctl login' to log in again")
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }

    /// The text printed on stderr after `FAILED`.
    /// The message, then a `Tip:` line a hint; whatever outside text they quote cannot
    /// break a line or reach the terminal as a control sequence.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&one_line(self.message.trim_end()));
        out.push('\n');
        for hint in &self.hints {
            out.push_str("Tip: ");
            out.push_str(&one_line(hint.trim_end()));
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_match_the_architecture_table() {
        assert_eq!(ErrorKind::Failed.exit_code(), 1);
        assert_eq!(ErrorKind::Usage.exit_code(), 2);
        assert_eq!(ErrorKind::LoginRequired.exit_code(), 3);
        assert_eq!(ErrorKind::Auth.exit_code(), 4);
        assert_eq!(ErrorKind::Network.exit_code(), 5);
        assert_eq!(ErrorKind::SecretStore.exit_code(), 6);
        assert_eq!(ErrorKind::Interrupted.exit_code(), 130);
        assert_eq!(ErrorKind::CannotExecute.exit_code(), 126);
        assert_eq!(ErrorKind::CommandNotFound.exit_code(), 127);
        assert_eq!(ErrorKind::Internal.exit_code(), 70);
    }

    #[test]
    fn render_puts_hints_after_the_cause() {
        let e = CliError::usage("No account chosen.").hint("pass -c ACCOUNT_ID");
        assert_eq!(e.render(), "No account chosen.\nTip: pass -c ACCOUNT_ID\n");
    }
}
