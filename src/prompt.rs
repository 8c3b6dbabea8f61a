//! Terminal detection and prompts that read exactly like IBM's:
//! `Open the URL in the default browser? [Y/n] > `, `One-time code > `, `Enter a number> `,
//! `Password> `, `API key> `. Prompts are drawn on stderr so stdout stays data.
//!
//! Non-interactive means stdin is not a terminal: then nothing here is ever called, and the
//! commands fail naming the flag instead of hanging.

use crate::error::{CliError, Result};
use dialoguer::console::Term;
use dialoguer::theme::Theme;
use std::fmt;
use std::io::IsTerminal;

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// A terminal to draw prompts on (stderr, else stdout), if stdin is a terminal too.
pub fn terminal() -> Option<Term> {
    if !stdin_is_terminal() {
        return None;
    }
    if std::io::stderr().is_terminal() {
        Some(Term::stderr())
    } else if std::io::stdout().is_terminal() {
        Some(Term::stdout())
    } else {
        None
    }
}

/// Whether a browser could show a page here.
pub fn has_display() -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return std::env::var_os("SSH_CONNECTION").is_none();
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// IBM's prompt style: the caller passes the whole prompt text (`"Enter a number> "`).
/// A confirmation's default rides along because dialoguer's redraw after the answer does not
/// pass it, and `[y/N]` must not turn into `[Y/n]` once answered.
#[derive(Default)]
struct IbmTheme {
    confirm_default: Option<bool>,
}

impl IbmTheme {
    fn hint(default: Option<bool>) -> &'static str {
        match default {
            Some(false) => "[y/N]",
            _ => "[Y/n]",
        }
    }
}

impl Theme for IbmTheme {
    fn format_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        write!(f, "{prompt}")
    }

    fn format_confirm_prompt(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        default: Option<bool>,
    ) -> fmt::Result {
        write!(f, "{prompt} {} > ", Self::hint(default))
    }

    fn format_confirm_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        selection: Option<bool>,
    ) -> fmt::Result {
        let answer = match selection {
            Some(true) => "y",
            Some(false) => "n",
            None => "",
        };
        write!(
            f,
            "{prompt} {} > {answer}",
            Self::hint(self.confirm_default)
        )
    }

    fn format_input_prompt(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        _default: Option<&str>,
    ) -> fmt::Result {
        write!(f, "{prompt}")
    }

    fn format_input_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        sel: &str,
    ) -> fmt::Result {
        write!(f, "{prompt}{sel}")
    }

    fn format_password_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        write!(f, "{prompt}")
    }

    fn format_password_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
    ) -> fmt::Result {
        // The prompt stays on screen, the secret never appears.
        write!(f, "{}", prompt.trim_end())
    }
}

/// Ctrl-C at a prompt: the hidden-input prompt has turned echo off and the menus hide the
/// cursor, and the default SIGINT death would leave the terminal that way. The handler puts
/// the terminal back as it was before the first prompt and exits 130.
#[cfg(unix)]
mod interrupt {
    use std::sync::{Once, OnceLock};

    static SAVED: OnceLock<libc::termios> = OnceLock::new();

    extern "C" fn on_sigint(_: libc::c_int) {
        // Only async-signal-safe calls here.
        if let Some(t) = SAVED.get() {
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, t) };
        }
        let msg = b"\x1b[?25h\n";
        unsafe {
            libc::write(libc::STDERR_FILENO, msg.as_ptr().cast(), msg.len());
            libc::_exit(130);
        }
    }

    pub fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let mut t = std::mem::MaybeUninit::<libc::termios>::uninit();
            // SAFETY: tcgetattr fills `t` when it returns 0; the handler only reads SAVED.
            unsafe {
                if libc::tcgetattr(libc::STDIN_FILENO, t.as_mut_ptr()) == 0 {
                    let _ = SAVED.set(t.assume_init());
                }
                let handler: extern "C" fn(libc::c_int) = on_sigint;
                libc::signal(libc::SIGINT, handler as libc::sighandler_t);
            }
        });
    }
}

fn guard_terminal() {
    #[cfg(unix)]
    interrupt::install();
}

fn prompt_error(e: dialoguer::Error) -> CliError {
    let dialoguer::Error::IO(io) = e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        CliError::interrupted()
    } else {
        CliError::failed(format!("Could not read from the terminal: {io}"))
    }
}

/// `PROMPT [Y/n] > `, answered with y/n and Enter.
pub fn confirm(term: &Term, prompt: &str, default: bool) -> Result<bool> {
    guard_terminal();
    let theme = IbmTheme {
        confirm_default: Some(default),
    };
    dialoguer::Confirm::with_theme(&theme)
        .with_prompt(prompt)
        .default(default)
        .wait_for_newline(true)
        .interact_on(term)
        .map_err(prompt_error)
}

/// Hidden input (`One-time code > `, `Password> `, `API key> `).
pub fn secret(term: &Term, prompt: &str) -> Result<String> {
    guard_terminal();
    dialoguer::Password::with_theme(&IbmTheme::default())
        .with_prompt(prompt)
        .interact_on(term)
        .map_err(prompt_error)
}

/// Visible input (`Email> `).
pub fn text(term: &Term, prompt: &str, allow_empty: bool) -> Result<String> {
    guard_terminal();
    dialoguer::Input::<String>::with_theme(&IbmTheme::default())
        .with_prompt(prompt)
        .allow_empty(allow_empty)
        .interact_text_on(term)
        .map_err(prompt_error)
}

/// IBM's numbered menu: the title, `1. item` lines, then `Enter a number> `.
/// With `skippable`, an empty answer returns `None`.
pub fn choose(
    term: &Term,
    title: &str,
    items: &[String],
    skippable: bool,
) -> Result<Option<usize>> {
    let mut menu = format!("{title}\n");
    for (i, item) in items.iter().enumerate() {
        menu.push_str(&format!("{}. {item}\n", i + 1));
    }
    term.write_str(&menu)
        .map_err(|e| CliError::failed(format!("Could not write to the terminal: {e}")))?;
    loop {
        let answer = text(term, "Enter a number> ", skippable)?;
        let answer = answer.trim();
        if answer.is_empty() && skippable {
            return Ok(None);
        }
        match answer.parse::<usize>() {
            Ok(n) if (1..=items.len()).contains(&n) => return Ok(Some(n - 1)),
            _ => {
                let _ = term.write_line(&format!(
                    "Please enter a number between 1 and {}.",
                    items.len()
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redraw(default: bool, answer: bool) -> String {
        let theme = IbmTheme {
            confirm_default: Some(default),
        };
        let mut out = String::new();
        theme
            .format_confirm_prompt_selection(&mut out, "Delete?", Some(answer))
            .expect("formatting into a String cannot fail");
        out
    }

    #[test]
    fn the_answered_prompt_keeps_the_question_default() {
        assert_eq!(redraw(false, true), "Delete? [y/N] > y");
        assert_eq!(redraw(true, false), "Delete? [Y/n] > n");
    }
}
