//! Man pages, one per command, rendered by clap_mangen from the clap definition.
//!
//! `iamctl generate-man DIR` writes them (scripts/gen-docs; the committed `docs/man/` is
//! drift-tested against it). It is a maintainer's tool, so it is not part of the clap tree:
//! `main` dispatches it before clap, which keeps it out of `--help`, out of TAB completion and
//! out of the man pages themselves.
//!
//! The IAM commands are reachable twice (`iamctl iam service-ids` and `iamctl service-ids`);
//! they get one page each, under the `iam` namespace (`iamctl-iam-service-ids.1`), and
//! `iamctl.1` lists the `iam` page instead of repeating them.

use std::ffi::OsString;
use std::path::PathBuf;

/// The first argument that selects this tool.
pub const COMMAND: &str = "generate-man";

/// Every page: file name (`iamctl-login.1`) and roff text.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut root = crate::cli::command().disable_help_subcommand(true);
    root.build();
    let flattened: Vec<String> = root
        .find_subcommand("iam")
        .map(|iam| {
            iam.get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect()
        })
        .unwrap_or_default();
    // The top-level copies of the IAM commands: hidden on iamctl.1, no pages of their own.
    for name in &flattened {
        root = root.mut_subcommand(name, |c| c.hide(true));
    }
    let mut pages = Vec::new();
    collect(&root, &mut pages);
    pages
}

fn collect(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
    // No date, so the pages only change when the CLI does. It is written as an explicit empty
    // argument (`""`): left empty, .TH would shift the source and manual into its place.
    let man = clap_mangen::Man::new(cmd.clone().override_usage(synopsis(cmd)))
        .date("\"\"")
        .source(format!("iamctl {}", env!("CARGO_PKG_VERSION")))
        .manual("iamctl manual");
    pages.push((man.get_filename(), render(&man, cmd)));
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        collect(sub, pages);
    }
}

/// The SYNOPSIS line, with each option's value as `--help` shows it. clap_mangen's own names
/// no values, and leaves an empty placeholder behind a short-only option (`[-u  ]`).
fn synopsis(cmd: &clap::Command) -> String {
    let mut line = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
    let shown = |a: &&clap::Arg| !a.is_hide_set();
    let (required, optional): (Vec<&clap::Arg>, Vec<&clap::Arg>) = cmd
        .get_arguments()
        .filter(|a| !a.is_positional())
        .filter(shown)
        .partition(|a| a.is_required_set());
    for arg in optional.iter().chain(&required) {
        let (open, close) = if arg.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        let names = [
            arg.get_short().map(|s| format!("-{s}")),
            arg.get_long().map(|l| format!("--{l}")),
        ];
        let names: Vec<String> = names.into_iter().flatten().collect();
        line.push_str(&format!(" {open}{}{}{close}", names.join("|"), value(arg)));
    }
    for arg in cmd.get_positionals().filter(shown) {
        let (open, close) = if arg.is_required_set() {
            ("<", ">")
        } else {
            ("[", "]")
        };
        let name = arg
            .get_value_names()
            .map(|v| v.join(" "))
            .unwrap_or_else(|| arg.get_id().to_string());
        line.push_str(&format!(" {open}{name}{close}"));
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        line.push_str(if cmd.is_subcommand_required_set() {
            " <COMMAND>"
        } else {
            " [COMMAND]"
        });
    }
    line
}

/// An option's value in the synopsis: ` <URL>`, or ` [<TOKEN>]` when it may be left out.
fn value(arg: &clap::Arg) -> String {
    let Some(names) = arg.get_value_names() else {
        return String::new();
    };
    let names = names
        .iter()
        .map(|n| format!("<{n}>"))
        .collect::<Vec<_>>()
        .join(" ");
    match arg.get_num_args() {
        Some(n) if n.min_values() == 0 && n.takes_values() => format!(" [{names}]"),
        Some(n) if !n.takes_values() => String::new(),
        _ => format!(" {names}"),
    }
}

/// clap_mangen's sections, except the text after the options (`after_help`): clap_mangen
/// puts it in one filled EXTRA paragraph, which runs example command lines together. Here
/// each `Heading:` block becomes its own section (EXAMPLES, ENVIRONMENT) in no-fill mode, so
/// examples stay one per line, as in `--help`.
fn render(man: &clap_mangen::Man, cmd: &clap::Command) -> Vec<u8> {
    type Section = fn(&clap_mangen::Man, &mut dyn std::io::Write) -> std::io::Result<()>;
    let mut sections: Vec<Section> = vec![
        clap_mangen::Man::render_title,
        clap_mangen::Man::render_name_section,
        clap_mangen::Man::render_synopsis_section,
        clap_mangen::Man::render_description_section,
    ];
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        sections.push(clap_mangen::Man::render_options_section);
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        sections.push(clap_mangen::Man::render_subcommands_section);
    }
    let mut pieces: Vec<Vec<u8>> = sections
        .into_iter()
        .map(|section| {
            let mut piece = Vec::new();
            // Rendering into a Vec cannot fail.
            let _ = section(man, &mut piece);
            piece
        })
        .collect();
    if let Some(after) = cmd.get_after_long_help().or_else(|| cmd.get_after_help()) {
        pieces.push(
            after_help_sections(&after.to_string())
                .render()
                .into_bytes(),
        );
    }
    if cmd.get_version().is_some() {
        let mut piece = Vec::new();
        let _ = man.render_version_section(&mut piece);
        pieces.push(piece);
    }
    // Each piece starts with roff's apostrophe preamble; the page needs it once.
    let mut text = Vec::new();
    for piece in pieces {
        let piece = match piece.strip_prefix(ROFF_PREAMBLE.as_bytes()) {
            Some(rest) if !text.is_empty() => rest.to_vec(),
            _ => piece,
        };
        text.extend_from_slice(&piece);
    }
    text
}

/// What `roff::Roff::render` puts before every document.
const ROFF_PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

fn after_help_sections(after: &str) -> clap_mangen::roff::Roff {
    use clap_mangen::roff::{Roff, roman};
    let mut roff = Roff::default();
    let mut open = false;
    for line in after.lines() {
        let heading = line
            .strip_suffix(':')
            .filter(|h| !h.is_empty() && !h.starts_with(' ') && !h.contains(':'));
        if let Some(h) = heading {
            if open {
                roff.control("fi", []);
            }
            roff.control("SH", [h.to_uppercase().as_str()]);
            roff.control("nf", []);
            open = true;
            continue;
        }
        if !open {
            roff.control("SH", ["NOTES"]);
            roff.control("nf", []);
            open = true;
        }
        roff.text([roman(line)]);
    }
    if open {
        roff.control("fi", []);
    }
    roff
}

/// `iamctl generate-man DIR`: writes every page into DIR (created if needed). Exits.
pub fn run(args: &[OsString]) -> ! {
    let cmd = clap::Command::new(COMMAND)
        .bin_name("iamctl generate-man")
        .about("Write iamctl's man pages (one per command) into DIR")
        .arg(
            clap::Arg::new("dir")
                .value_name("DIR")
                .required(true)
                .value_parser(clap::value_parser!(PathBuf)),
        );
    let matches = cmd
        .try_get_matches_from(std::iter::once(OsString::from(COMMAND)).chain(args.iter().cloned()))
        .unwrap_or_else(|e| e.exit());
    let Some(dir) = matches.get_one::<PathBuf>("dir") else {
        std::process::exit(2)
    };
    let result = std::fs::create_dir_all(dir).and_then(|()| {
        pages()
            .into_iter()
            .try_for_each(|(name, text)| std::fs::write(dir.join(name), text))
    });
    if let Err(e) = result {
        eprintln!(
            "FAILED\nCould not write the man pages to {}: {e}",
            dir.display()
        );
        std::process::exit(1);
    }
    std::process::exit(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_help_blocks_become_no_fill_sections() {
        let roff =
            after_help_sections("Examples:\n  iamctl a\n\nEnvironment:\n  X=1   what").to_roff();
        assert_eq!(
            roff,
            ".SH EXAMPLES\n.nf\n  iamctl a\n\n.fi\n.SH ENVIRONMENT\n.nf\n  X=1   what\n.fi\n"
        );
    }

    #[test]
    fn synopses_name_each_options_value() {
        let pages = pages();
        let page = |name: &str| {
            let (_, text) = pages
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no page {name}"));
            String::from_utf8_lossy(text).into_owned()
        };
        let login = page("iamctl-login.1");
        for want in [
            r"[\-u <USER>]",
            r"[\-a|\-\-api\-endpoint <URL>]",
            r"[\-\-cr\-token [<TOKEN|@FILE|\->]]",
            r"[\-\-sso]",
        ] {
            assert!(login.contains(want), "{want} not in {login}");
        }
        for (name, text) in &pages {
            let text = String::from_utf8_lossy(text);
            assert!(
                !text.contains(r" \fR]") && !text.contains(" ]"),
                "{name}: {text}"
            );
        }
    }

    #[test]
    fn one_page_per_command_and_none_twice() {
        let pages = pages();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        for want in [
            "iamctl.1",
            "iamctl-login.1",
            "iamctl-completion.1",
            "iamctl-token-decode.1",
            "iamctl-config-secret-store.1",
            "iamctl-iam.1",
            "iamctl-iam-service-id-create.1",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        for unwanted in [
            "iamctl-service-id-create.1",
            "iamctl-help.1",
            "iamctl-iam-help.1",
        ] {
            assert!(!names.contains(&unwanted), "{unwanted} in {names:?}");
        }
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert!(!names.iter().any(|n| n.contains(COMMAND)));
    }
}
