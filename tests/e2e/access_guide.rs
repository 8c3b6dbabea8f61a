//! The user guide's "Access" section runs as written: every `$ ` line of its `console`
//! blocks is run in order, in one shell (variables and files carry over, stdin is not a
//! terminal), against an emulator that enforces access, as the demo user (the account's
//! owner); what each prints (stdout and stderr) is what the guide shows, once IDs,
//! versions and times are normalised.

use crate::access_policies::access_stable;
use crate::fixtures::*;

/// The guide's emulator URL, replaced by this test's.
const GUIDE_URL: &str = "http://127.0.0.1:8080";

fn section(doc: &str, title: &str) -> String {
    let start = doc
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title:?}"));
    let rest = &doc[start + 1..];
    let end = rest[3..].find("\n## ").map(|e| e + 3).unwrap_or(rest.len());
    rest[..end].to_string()
}

/// The `console` blocks' commands, each with the lines the guide shows after it.
fn transcript(section: &str) -> Vec<(String, String)> {
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut in_console = false;
    for line in section.lines() {
        if let Some(info) = line.strip_prefix("```") {
            in_console = !in_console && info.trim() == "console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            steps.push((cmd.to_string(), String::new()));
        } else if let Some((_, out)) = steps.last_mut() {
            out.push_str(line);
            out.push('\n');
        }
    }
    steps
}

#[test]
fn the_guides_access_examples_run_as_written() {
    let guide = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/user-guide.md"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let steps = transcript(&section(
        &guide,
        "Access: policies, roles, access groups, authorizations",
    ));
    assert!(
        steps.len() >= 15,
        "only {} examples in the Access section",
        steps.len()
    );

    let env = TestEnv::enforcing();
    env.login();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // One shell runs every step, as a reader would type them: variables and files carry
    // over. Each step's output (stdout and stderr) follows a marker line.
    let mut script = String::new();
    for (i, (cmd, _)) in steps.iter().enumerate() {
        script.push_str(&format!(
            "echo '@@step {i}@@'\n{{ {}\n}} </dev/null 2>&1\n",
            cmd.replace(GUIDE_URL, &env.url())
        ));
    }
    let out = env.sh(&script).cwd(dir.path()).run();
    let printed = out.stdout.replace(&env.url(), GUIDE_URL);
    let mut outputs: Vec<&str> = printed.split("@@step ").skip(1).collect();
    for o in outputs.iter_mut() {
        *o = o.split_once("@@\n").map(|(_, rest)| rest).unwrap_or("");
    }
    assert_eq!(
        outputs.len(),
        steps.len(),
        "the steps did not all run:\n{printed}\n{}",
        out.stderr
    );
    let mut problems = Vec::new();
    for ((cmd, want), got) in steps.iter().zip(outputs) {
        let (got, want) = (access_stable(&env, got), access_stable(&env, want));
        if got != want {
            problems.push(format!(
                "$ {cmd}\n--- the guide shows:\n{want}--- it printed:\n{got}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} example(s) of the Access section print something else:\n\n{}",
        problems.len(),
        problems.join("\n")
    );
}
