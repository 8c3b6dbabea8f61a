//! Output conventions: `OK` and data on stdout, `FAILED`/warnings on stderr, colour only on
//! a terminal (`NO_COLOR` and `IBMCLOUD_COLOR` respected), `-q` silencing progress text,
//! JSON rendering, and the summary block `login`/`target` print.

use serde::Serialize;
use std::io::{IsTerminal, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// `oauth-tokens --output`: the two shared formats plus the two that only a token has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TokenFormat {
    /// `IAM token:  Bearer <jwt>` (IBM's exact line)
    #[default]
    Text,
    /// `{"iam_token": "Bearer <jwt>", "expiration": N}`
    Json,
    /// The bare JWT, no `Bearer`
    Raw,
    /// `export IBMCLOUD_IAM_TOKEN='Bearer <jwt>'` and the same for `IC_IAM_TOKEN`
    Env,
    /// In a GitHub Actions step: `::add-mask::` for the token, then both variables into
    /// `$GITHUB_ENV` for the later steps (the token never reaches the log)
    GithubActions,
}

impl TokenFormat {
    /// The `Out` format: JSON silences progress text, everything else behaves like text.
    pub fn base(self) -> Format {
        match self {
            TokenFormat::Json => Format::Json,
            _ => Format::Text,
        }
    }
}

/// How a command talks to the user.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub quiet: bool,
    pub format: Format,
    color_stdout: bool,
    color_stderr: bool,
}

const GREEN: &str = "\x1b[32;1m";
const RED: &str = "\x1b[31;1m";
const YELLOW: &str = "\x1b[33;1m";
const CYAN: &str = "\x1b[36;1m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Colour decision for one stream: `IBMCLOUD_COLOR=false` or `NO_COLOR` turn it off,
/// `IBMCLOUD_COLOR=true` forces it on, otherwise only on a terminal.
fn color_for(is_tty: bool) -> bool {
    if let Ok(v) = std::env::var("IBMCLOUD_COLOR") {
        match v.to_ascii_lowercase().as_str() {
            "false" | "0" | "no" | "off" => return false,
            "true" | "1" | "yes" | "on" => return std::env::var_os("NO_COLOR").is_none(),
            _ => {}
        }
    }
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    is_tty
}

impl Out {
    pub fn new(quiet: bool, format: Format) -> Out {
        Out {
            quiet,
            format,
            color_stdout: color_for(std::io::stdout().is_terminal()),
            color_stderr: color_for(std::io::stderr().is_terminal()),
        }
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Progress and confirmation text (suppressed by `-q` and by `--output json`).
    pub fn say(&self, line: &str) {
        if !self.quiet && !self.json() {
            write_stdout(&format!("{line}\n"));
        }
    }

    pub fn blank(&self) {
        self.say("");
    }

    pub fn ok(&self) {
        if self.color_stdout {
            self.say(&format!("{GREEN}OK{RESET}"));
        } else {
            self.say("OK");
        }
    }

    /// Highlights a value (account or group name) in progress lines.
    pub fn em(&self, value: &str) -> String {
        let value = shown(value);
        if self.color_stdout {
            format!("{CYAN}{value}{RESET}")
        } else {
            value.to_string()
        }
    }

    /// A warning on stderr; never suppressed, because warnings are about safety.
    pub fn warn(&self, message: &str) {
        warn_with(self.color_stderr, message);
    }

    /// Data output: always printed, whatever `-q` says.
    pub fn data(&self, text: &str) {
        write_stdout(text);
    }

    /// IDs alone, one per line (`--uuid`), for `$(...)` in scripts.
    pub fn ids<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let text: String = ids
            .into_iter()
            .map(|id| format!("{}\n", shown(id)))
            .collect();
        write_stdout(&text);
    }

    /// `key_values` with this output's colour decision.
    pub fn key_values(&self, rows: &[(&str, String)]) -> String {
        key_values(rows, self.color_stdout)
    }

    /// `table` with this output's colour decision.
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) -> String {
        table(headers, rows, self.color_stdout)
    }

    pub fn print_json<T: Serialize>(&self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(s) => write_stdout(&format!("{s}\n")),
            Err(e) => self.warn(&format!("could not render JSON: {e}")),
        }
    }

    pub fn failed_header(&self) -> String {
        if self.color_stderr {
            format!("{RED}FAILED{RESET}\n")
        } else {
            "FAILED\n".to_string()
        }
    }
}

/// Warns on stderr without needing an `Out` (used by the secret store).
pub fn warn(message: &str) {
    warn_with(color_for(std::io::stderr().is_terminal()), message);
}

fn warn_with(color: bool, message: &str) {
    let message = shown(message);
    let text = if color {
        format!("{YELLOW}WARNING:{RESET} {message}\n")
    } else {
        format!("WARNING: {message}\n")
    };
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Text from outside (a name someone in the account chose, an answer of a server) as text
/// output shows it: control characters escaped (`\n`, `\u{1b}`), so that it can neither
/// drive the terminal (titles, hidden text, clipboard writes, screen clears) nor forge a
/// line of its own (a `Tip:`, a `::` workflow command in a CI log). JSON output stays JSON.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        std::borrow::Cow::Owned(crate::error::one_line(text))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A line another program reads from stdout as its answer (a credential for kubectl or a
/// registry client): written and flushed, and a failure is the caller's error, not a panic
/// (`println!` panics when stdout cannot take the line).
pub fn answer(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush())
}

/// Set once stdout's reader has gone away (`| head -1`).
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes to stdout. A closed pipe silences stdout but lets the command finish: a login whose
/// summary nobody reads must still save its session, and no panic reaches the user.
pub fn write_stdout(text: &str) {
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let res = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    if let Err(e) = res
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `label:` padded so that values start 3 spaces after the longest label (IBM's layout).
pub fn aligned(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(l, _)| l.len() + 1).max().unwrap_or(0) + 3;
    let mut s = String::new();
    for (label, value) in rows {
        let value = shown(value);
        let l = format!("{label}:");
        s.push_str(format!("{l:<width$}{value}").trim_end());
        s.push('\n');
    }
    s
}

/// IBM's entity tables: each label left-aligned, its value 3 spaces after the longest label,
/// no colon; labels bold only with colour on.
pub fn key_values(rows: &[(&str, String)], color: bool) -> String {
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        + 3;
    let mut s = String::new();
    for (label, value) in rows {
        let value = shown(value);
        let padded = format!("{label:<width$}");
        let line = if color {
            format!("{BOLD}{label}{RESET}{}{value}", &padded[label.len()..])
        } else {
            format!("{padded}{value}")
        };
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// IBM's list tables: a header row, columns 3 spaces apart, no borders; the header bold only
/// with colour on.
pub fn table(headers: &[&str], rows: &[Vec<String>], color: bool) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| shown(cell).into_owned()).collect())
        .collect();
    let rows = rows.as_slice();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, cell) in cells.enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            let pad = w.saturating_sub(cell.chars().count()) + 3;
            l.push_str(cell);
            l.push_str(&" ".repeat(pad));
        }
        l.trim_end().to_string()
    };
    let mut s = String::new();
    let head = line(&mut headers.iter().copied());
    if color {
        s.push_str(&format!("{BOLD}{head}{RESET}\n"));
    } else {
        s.push_str(&head);
        s.push('\n');
    }
    for row in rows {
        s.push_str(&line(&mut row.iter().map(String::as_str)));
        s.push('\n');
    }
    s
}

/// IBM shows account ids shortened: `b028...9793`.
pub fn short_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 11 {
        return id.to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_values_start_three_spaces_after_the_longest_label() {
        let s = aligned(&[
            ("API endpoint", "https://cloud.ibm.com".into()),
            ("Region", "us-south".into()),
            ("Resource group", "Default".into()),
        ]);
        assert_eq!(
            s,
            "API endpoint:     https://cloud.ibm.com\nRegion:           us-south\nResource group:   Default\n"
        );
    }

    #[test]
    fn empty_values_leave_no_trailing_spaces() {
        assert_eq!(aligned(&[("Region", String::new())]), "Region:\n");
    }

    #[test]
    fn key_values_align_three_spaces_after_the_longest_label() {
        let s = key_values(
            &[
                ("ID", "ApiKey-1".into()),
                ("Description", String::new()),
                ("API Key", "k".into()),
            ],
            false,
        );
        assert_eq!(s, "ID            ApiKey-1\nDescription\nAPI Key       k\n");
        let c = key_values(&[("ID", "x".into())], true);
        assert_eq!(c, format!("{BOLD}ID{RESET}   x\n"));
    }

    #[test]
    fn tables_pad_columns_and_trim_line_ends() {
        let s = table(
            &["ID", "Name", "Locked"],
            &[
                vec!["a".into(), "long name".into(), "false".into()],
                vec!["bbbb".into(), "".into(), "true".into()],
            ],
            false,
        );
        assert_eq!(
            s,
            "ID     Name        Locked\na      long name   false\nbbbb               true\n"
        );
    }

    #[test]
    fn short_ids() {
        assert_eq!(short_id("b0281234567890abcdef9793"), "b028...9793");
        assert_eq!(short_id("short"), "short");
    }
}
