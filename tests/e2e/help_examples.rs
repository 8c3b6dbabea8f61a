//! Every command's `--help` ends with realistic examples, and every example is accepted by
//! the real binary's parser.
//!
//! The command tree is read from the binary itself (the `Commands:` section of each
//! `--help`, recursively), so a command added without an `Examples:` section fails here.
//! Each example's `iamctl` invocations are then run against an empty `IAMCTL_HOME` with
//! stdin not a terminal: not logged in, they stop at "Not logged in" (or a missing file)
//! before doing anything, and the test only asserts that clap did not reject the words.

use crate::fixtures::TestEnv;
use std::collections::BTreeSet;

/// Nothing an example does may reach a network: IAM and every proxy point at a closed port.
const NOWHERE: &str = "http://127.0.0.1:9";

/// `iamctl PATH... --help`, checked to exit 0; its stdout.
fn help(env: &TestEnv, path: &[String]) -> String {
    let out = env.iamctl(path.iter().chain([&"--help".to_string()])).run();
    assert_eq!(
        out.code,
        Some(0),
        "iamctl {} --help failed:\n{}",
        path.join(" "),
        out.stderr
    );
    out.stdout
}

/// The names in the `Commands:` section (without clap's own `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        // Names are indented by two spaces; wrapped descriptions by more.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The lines of the `Examples:` section, unindented.
fn examples(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

/// The simple commands of one shell line, as words: quotes and backslashes as `sh` reads
/// them, split at `|`, `||`, `&&` and `;`, redirections (`> FILE`, `2>&1`, `< FILE`) and a
/// `#` comment dropped. No expansion happens; callers skip lines with substitutions.
fn simple_commands(line: &str) -> Vec<Vec<String>> {
    struct Words {
        commands: Vec<Vec<String>>,
        word: Option<String>,
        /// The word being read is a redirection's target, not an argument.
        target: bool,
    }
    impl Words {
        fn end_word(&mut self) {
            if let Some(w) = self.word.take()
                && !std::mem::take(&mut self.target)
                && let Some(current) = self.commands.last_mut()
            {
                current.push(w);
            }
        }
        fn push(&mut self, c: char) {
            self.word.get_or_insert_with(String::new).push(c);
        }
    }
    let mut w = Words {
        commands: vec![Vec::new()],
        word: None,
        target: false,
    };
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => w.end_word(),
            '#' if w.word.is_none() => break,
            '|' | '&' | ';' => {
                w.end_word();
                if (c == '|' || c == '&') && chars.peek() == Some(&c) {
                    chars.next();
                }
                w.commands.push(Vec::new());
            }
            '>' | '<' => {
                // In `2>`, the digits name a file descriptor, not an argument.
                if w.word
                    .as_ref()
                    .is_some_and(|d| d.chars().all(|d| d.is_ascii_digit()))
                {
                    w.word = None;
                }
                w.end_word();
                while chars.next_if(|n| *n == '>' || *n == '&').is_some() {}
                w.target = true;
            }
            '\'' => {
                w.word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '"' => {
                w.word.get_or_insert_with(String::new);
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            w.word.get_or_insert_with(String::new).extend(chars.next());
                        }
                        _ => w.push(q),
                    }
                }
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    w.push(n);
                }
            }
            _ => w.push(c),
        }
    }
    w.end_word();
    w.commands.retain(|c| !c.is_empty());
    w.commands
}

/// The arguments of each `iamctl` invocation in a line (after any `VAR=value` prefixes).
fn invocations(line: &str) -> Vec<Vec<String>> {
    simple_commands(line)
        .into_iter()
        .filter_map(|words| {
            let mut words = words.into_iter().skip_while(|w| {
                w.split_once('=').is_some_and(|(name, _)| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            });
            (words.next()? == "iamctl").then(|| words.collect())
        })
        .collect()
}

/// Whether an invocation runs the command at `path`: its words after the global options
/// begin with the path. An IAM command's help may show it as `iamctl iam <cmd>`.
fn names(args: &[String], path: &[String]) -> bool {
    let mut rest = args;
    loop {
        match rest {
            [flag, _, tail @ ..] if flag == "--session" => rest = tail,
            [flag, tail @ ..]
                if flag == "-q" || flag == "--quiet" || flag.starts_with("--session=") =>
            {
                rest = tail
            }
            _ => break,
        }
    }
    rest.starts_with(path)
        || (path.first().is_some_and(|p| p != "iam")
            && rest.first().is_some_and(|w| w == "iam")
            && rest[1..].starts_with(path))
}

#[test]
fn the_shell_splitting_reads_examples_like_sh() {
    assert_eq!(
        simple_commands(r#"iamctl iam oauth-tokens | grep IAM | cut -d \: -f 2 | sed 's/^ *//'"#),
        [
            vec!["iamctl", "iam", "oauth-tokens"],
            vec!["grep", "IAM"],
            vec!["cut", "-d", ":", "-f", "2"],
            vec!["sed", "s/^ *//"],
        ]
    );
    assert_eq!(
        invocations(r#"X=1 iamctl a -d "CI \"deploy\"" && iamctl b --x='' ; echo # c"#),
        [vec!["a", "-d", r#"CI "deploy""#], vec!["b", "--x="]]
    );
    assert_eq!(
        invocations("iamctl completion bash > ~/.bash_completion.d/iamctl 2>&1"),
        [vec!["completion", "bash"]]
    );
    assert_eq!(
        invocations("iamctl login --apikey - --no-region <key.txt"),
        [vec!["login", "--apikey", "-", "--no-region"]]
    );
    let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    assert!(names(
        &args("--session prod iam oauth-tokens"),
        &args("oauth-tokens")
    ));
    assert!(names(&args("-q iam service-ids"), &args("iam service-ids")));
    assert!(names(&args("iam service-ids"), &args("iam")));
    assert!(!names(&args("service-ids"), &args("iam")));
    assert!(!names(&args("token decode"), &args("oauth-tokens")));
}

#[test]
fn every_command_shows_examples_that_parse() {
    let env = TestEnv::without_keyring_check();

    // Walk the tree: every command path, root first.
    let mut commands: Vec<Vec<String>> = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    let mut helps = Vec::new();
    while let Some(path) = todo.pop() {
        let text = help(&env, &path);
        for sub in subcommands(&text) {
            let mut child = path.clone();
            child.push(sub);
            todo.push(child);
        }
        commands.push(path.clone());
        helps.push(text);
    }
    // The tree really was walked: flattened and `iam` forms, and the nested groups.
    for expected in [
        "login",
        "iam",
        "iam oauth-tokens",
        "service-api-key-create",
        "iam stored-key-delete",
        "token decode",
        "config secret-store",
        "session-switch",
        "exec",
    ] {
        assert!(
            commands.iter().any(|c| c.join(" ") == expected),
            "{expected:?} not found in the command tree: {commands:?}"
        );
    }

    let mut problems = Vec::new();
    let mut to_run: BTreeSet<Vec<String>> = BTreeSet::new();
    for (path, text) in commands.iter().zip(&helps) {
        let shown = format!("iamctl {}", path.join(" ")).trim_end().to_string();
        let lines = examples(text);
        if lines.is_empty() {
            problems.push(format!("{shown}: no Examples: section in --help"));
            continue;
        }
        let mut runnable = 0;
        for line in &lines {
            // Substitutions are not expanded here; their lines are for reading only.
            if line.contains("$(") || line.contains("<(") || line.contains('`') {
                continue;
            }
            let found = invocations(line);
            if found.is_empty() {
                continue;
            }
            if !found.iter().any(|args| names(args, path)) {
                problems.push(format!("{shown}: example does not run it: {line}"));
            }
            runnable += 1;
            to_run.extend(found);
        }
        if runnable == 0 {
            problems.push(format!(
                "{shown}: no example that runs iamctl without a substitution"
            ));
        }
    }

    for args in &to_run {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cwd = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut cmd = env
            .iamctl(args)
            .env("IAMCTL_HOME", home.path())
            .env("IAMCTL_SECRET_STORE", "file")
            .env("IAM_ENDPOINT", NOWHERE)
            // A refused connection is retried until this deadline: keep it short.
            .env("IBMCLOUD_HTTP_TIMEOUT", "1")
            .env("HTTPS_PROXY", NOWHERE)
            .env("HTTP_PROXY", NOWHERE)
            .env("ALL_PROXY", NOWHERE);
        cmd.cmd.current_dir(cwd.path());
        let out = cmd.run();
        let shown = format!("iamctl {}", args.join(" "));
        // clap's rejections print `error: ...`, `Usage: ...` and a pointer to --help;
        // iamctl's own usage errors (also exit 2) print FAILED and a Tip instead.
        let clap_rejected = out.stderr.starts_with("error:")
            || out.stderr.contains("\nUsage: ")
            || out.stderr.contains("For more information, try '--help'");
        if clap_rejected
            || out.code.is_none()
            || (out.code == Some(2) && !out.stderr.contains("FAILED"))
        {
            problems.push(format!(
                "{shown}: not accepted (exit {:?})\n{}",
                out.code, out.stderr
            ));
        }
        if out.stdout.contains("Usage:") {
            problems.push(format!("{shown}: printed help instead of running"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) with --help examples:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    assert!(
        to_run.len() > 40,
        "only {} example invocations ran",
        to_run.len()
    );
}
