//! The user guide's transcripts (fenced blocks that start with `$ `), run as written against
//! the emulator and compared with what they show. Each transcript gets a fresh environment and
//! the state its text assumes (a login, a service ID, a file); what differs between runs is
//! normalised on both sides (IDs, times, tokens, the emulator's port), everything else must
//! match line by line. A line `...` stands for any lines, and `...` inside a line for any text.
//!
//! A transcript this file does not know fails the test, so a new example cannot drift
//! unnoticed; the few that cannot run here are listed with the reason and the test that
//! covers them instead.
#![cfg(unix)]

use crate::fixtures::*;
use std::path::{Path, PathBuf};

/// Where the guide's transcripts were made: the emulator on its documented port.
const GUIDE_URL: &str = "http://127.0.0.1:8080";

/// Transcripts that need what a pipe cannot give, and the tests that cover them.
const NOT_REPLAYED: &[(&str, &str)] = &[(
    "iamctl login -a http://127.0.0.1:8080 --sso",
    "answers prompts on a terminal: pty_login.rs drives this login through a pseudo-terminal",
)];

struct Step {
    command: String,
    output: Vec<String>,
}

struct Transcript {
    line: usize,
    steps: Vec<Step>,
}

impl Transcript {
    fn first(&self) -> &str {
        &self.steps[0].command
    }
}

fn transcripts(doc: &str) -> Vec<Transcript> {
    let mut found = Vec::new();
    let mut lines = doc.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let body: Vec<&str> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| *l != "```")
            .collect();
        if !info.is_empty() || !body.first().is_some_and(|l| l.starts_with("$ ")) {
            continue;
        }
        let mut steps: Vec<Step> = Vec::new();
        for l in body {
            match (l.strip_prefix("$ "), steps.last_mut()) {
                (Some(command), _) => steps.push(Step {
                    command: command.to_string(),
                    output: Vec::new(),
                }),
                (None, Some(step)) => step.output.push(l.to_string()),
                (None, None) => {}
            }
        }
        found.push(Transcript { line: n + 2, steps });
    }
    found
}

/// A fresh environment in the state a transcript assumes; `vars` are the shell variables its
/// commands use.
struct Scene {
    env: TestEnv,
    work: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Scene {
    fn new(env: TestEnv) -> Scene {
        let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let key = env.apikey();
        std::fs::write(work.path().join("apikey.txt"), &key).unwrap_or_else(|e| panic!("{e}"));
        Scene {
            env,
            work,
            vars: vec![("KEY".into(), key)],
        }
    }

    fn fresh() -> Scene {
        Scene::new(TestEnv::new())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    fn run(&self, args: &[&str]) -> &Scene {
        self.env.iamctl(args).cwd(self.work.path()).run().success();
        self
    }

    fn logged_in(extra: &[&str]) -> Scene {
        let scene = Scene::fresh();
        scene.env.login_with(Creds::ApiKey, extra).run().success();
        scene
    }
}

/// The state each transcript's text assumes, by its first command.
fn scene_for(t: &Transcript) -> Scene {
    let demo = [
        "iamctl login -a http://127.0.0.1:8080 --apikey @apikey.txt -r us-south",
        "iamctl login -a http://127.0.0.1:8080 -u sso@example.com -p x",
        "iamctl login -a http://127.0.0.1:8080 -u demo@example.com -p demo-password",
        "iamctl login -a http://iam.example.com --apikey x",
    ];
    let first = t.first();
    let says = |text: &str| t.steps[0].output.iter().any(|l| l.contains(text));
    match first {
        f if demo.contains(&f) => Scene::fresh(),
        "iamctl oauth-tokens" if says("Not logged in") => Scene::fresh(),
        "iamctl oauth-tokens" if says("could not be renewed") => {
            // A password login keeps no API key to fall back on once IAM revokes the refresh
            // token; its access token expired an hour ago (issued by a clock two hours back).
            let scene = Scene::fresh();
            scene.env.advance_clock(-7200);
            scene.env.login_by_password();
            scene.env.advance_clock(7200);
            scene.env.revoke_refresh_tokens();
            scene
        }
        "echo \"$CODE\" | iamctl login -a http://127.0.0.1:8080 --sso -c b028e1c4a7d94f3e8c6f2a1d5e7b9793 -r eu-de" =>
        {
            let mut scene = Scene::fresh();
            let code = scene.env.passcode(&scene.env.info().sso_user.clone());
            scene.vars.push(("CODE".into(), code));
            scene
        }
        "iamctl login -a http://127.0.0.1:8080 --cr-token @/var/run/secrets/tokens/sa-token --profile demo-workload -r us-south" =>
        {
            let scene = Scene::fresh();
            let token = scene.env.cr_token(3600);
            std::fs::write(scene.path("sa-token"), token).unwrap_or_else(|e| panic!("{e}"));
            scene
        }
        "iamctl target -g dev"
        | "iamctl --session staging login -a http://127.0.0.1:8080 --apikey @apikey.txt -c e4432bd6f0a84c21a9e7d3c5b1f08e89 --no-region" => {
            Scene::logged_in(&["-r", "us-south"])
        }
        "iamctl trusted-profile-links demo-workload" => Scene::logged_in(&["--no-region"]),
        "iamctl trusted-profile-assume demo-workload" => Scene::logged_in(&["-r", "us-south"]),
        "iamctl credential kubectl --install --cluster mycluster --kubeconfig ~/.kube/config" => {
            let scene = Scene::logged_in(&["--no-region"]);
            let kube = scene.env.user_home().join(".kube");
            std::fs::create_dir_all(&kube).unwrap_or_else(|e| panic!("{e}"));
            let config = "apiVersion: v1\nkind: Config\nclusters:\n- name: mycluster\n  cluster:\n    server: https://127.0.0.1:6443\ncontexts:\n- name: mycluster\n  context:\n    cluster: mycluster\n    user: admin\nusers:\n- name: admin\n  user: {}\ncurrent-context: mycluster\n";
            std::fs::write(kube.join("config"), config).unwrap_or_else(|e| panic!("{e}"));
            scene
        }
        "iamctl oauth-tokens"
        | "export IAM_TOKEN=$(iamctl oauth-tokens --output json | jq -r .iam_token)"
        | "echo us.icr.io | iamctl credential docker get"
        | "iamctl token decode"
        | "iamctl service-id-create ci-deployer -d 'Deploys from CI'" => {
            Scene::logged_in(&["-r", "us-south"])
        }
        "iamctl exec -- sh -c 'printf \"Authorization: %s\\n\" \"$IC_IAM_TOKEN\" | curl -s -H @- http://127.0.0.1:8080/coe/v2/accounts | jq -r \".resources[].entity.name\"'" => {
            Scene::logged_in(&["--no-region"])
        }
        "iamctl service-id-delete tmp-sid </dev/null" => {
            let scene = Scene::logged_in(&["--no-region"]);
            scene.run(&["service-id-create", "tmp-sid"]);
            scene
        }
        "iamctl service-id-delete ci-deployer -f" => {
            let scene = Scene::logged_in(&["--no-region"]);
            scene.run(&["service-id-create", "ci-deployer"]).run(&[
                "service-id-lock",
                "ci-deployer",
                "-f",
            ]);
            scene
        }
        "iamctl service-api-key-create second ci-deployer"
        | "iamctl service-api-key-create ci-key ci-deployer -d \"CI key\" --file ci-key.json" => {
            let scene = Scene::logged_in(&["--no-region"]);
            scene.run(&["service-id-create", "ci-deployer"]);
            scene
        }
        "iamctl api-key-create mine --file mine.json" => {
            let scene = Scene::logged_in(&["--no-region"]);
            std::fs::write(scene.path("mine.json"), "{}").unwrap_or_else(|e| panic!("{e}"));
            scene
        }
        "iamctl service-api-key-create deploy-key deployer --keyring deployer" => {
            let scene = Scene::logged_in(&["--no-region"]);
            scene.run(&["service-id-create", "deployer"]);
            scene
        }
        "iamctl --session deployer login --keyring deployer --no-region"
        | "iamctl stored-key-delete deployer -f" => {
            let scene = Scene::logged_in(&["--no-region"]);
            scene.run(&["service-id-create", "deployer"]).run(&[
                "service-api-key-create",
                "deploy-key",
                "deployer",
                "--keyring",
                "deployer",
            ]);
            scene
        }
        "printf '%s' \"$KEY\" | iamctl login -a http://127.0.0.1:8080 --apikey - --no-region" => {
            let mut scene = Scene::new(TestEnv::without_keyring_check());
            scene.vars.push((
                "DBUS_SESSION_BUS_ADDRESS".into(),
                "unix:path=/run/user/1000/bus".into(),
            ));
            scene
        }
        "printf '%s' \"$KEY\" | IAMCTL_TRACE=/tmp/iam.trace iamctl -q login -a http://127.0.0.1:8080 --apikey - --no-region --no-account" => {
            Scene::fresh()
        }
        other => panic!(
            "docs/user-guide.md has a transcript this test does not know, starting `$ {other}`: \
             give it a scene in tests/e2e/guide_transcripts.rs (or, if a pipe cannot run \
             it, list it in NOT_REPLAYED with the test that covers it)"
        ),
    }
}

/// Runs every step in one shell (so `export` carries over), each step's stdout and stderr
/// together as a terminal shows them, between markers.
fn replay(scene: &Scene, t: &Transcript) -> Vec<Vec<String>> {
    const MARK: &str = "@@iamctl-guide-step@@";
    let url = scene.env.url();
    let mut script = String::new();
    for step in &t.steps {
        let command = localise(&step.command, scene, &url);
        script.push_str(&format!("printf '%s\\n' '{MARK}'\n{{ {command}\n}} 2>&1\n"));
    }
    let mut cmd = scene.env.sh(&script).cwd(scene.work.path());
    for (k, v) in &scene.vars {
        cmd = cmd.env(k, v);
    }
    let out = cmd.run();
    let mut steps: Vec<Vec<String>> = Vec::new();
    for line in out.stdout.lines() {
        match (line == MARK, steps.last_mut()) {
            (true, _) => steps.push(Vec::new()),
            (false, Some(step)) => step.push(line.to_string()),
            (false, None) => {}
        }
    }
    assert_eq!(
        steps.len(),
        t.steps.len(),
        "the transcript at docs/user-guide.md:{} stopped early:\n{}{}",
        t.line,
        out.stdout,
        out.stderr
    );
    steps
}

/// The guide's places, made this machine's: the emulator's real port, files in the scene's
/// work directory.
fn localise(text: &str, scene: &Scene, url: &str) -> String {
    text.replace(GUIDE_URL, url)
        .replace(
            "/var/run/secrets/tokens/sa-token",
            &scene.path("sa-token").display().to_string(),
        )
        .replace(
            "/tmp/iam.trace",
            &scene.path("iam.trace").display().to_string(),
        )
}

/// What differs between runs, made the same on both sides.
fn normalise(text: &str, scene: &Scene) -> String {
    let mut s = text
        .replace(&scene.env.url(), GUIDE_URL)
        .replace(
            &scene.path("sa-token").display().to_string(),
            "/var/run/secrets/tokens/sa-token",
        )
        .replace(
            &scene.env.home().display().to_string(),
            "/home/me/.config/iamctl",
        )
        .replace(&scene.env.user_home().display().to_string(), "/home/me")
        .replace(BIN, "/usr/local/bin/iamctl");
    let port = scene
        .env
        .url()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    s = s.replace(&format!("127.0.0.1:{port}"), "127.0.0.1:8080");
    let rules: &[(&str, &str)] = &[
        (r"eyJ[A-Za-z0-9_.-]*(\.\.\.)?", "<jwt>"),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "<uuid>",
        ),
        (r"\b\d+-[0-9a-f]{32}\b", "<version>"),
        (
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\+\d{2}:?\d{2}|Z| UTC)?",
            "<time>",
        ),
        (
            r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
            "<date>",
        ),
        (r"[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}", "<date>"),
        (r"\b1[789]\d{8}\b", "<epoch>"),
        (r"valid \d+m", "valid <n>m"),
        (r"\((now|in [^)]*|[^)]* ago)\)", "(<when>)"),
        (r"Elapsed: \d+ms", "Elapsed: <n>ms"),
        (r"Content-Length: \d+", "Content-Length: <n>"),
        (r"(?m)^(-[rwx-]{9}) \d+ \S+ \S+ ", "$1 1 <owner> <group> "),
        (r"(?m)^API Key( +)\S+$", "API Key$1<apikey>"),
        ("  +", "  "),
        (r"(?m)[ \t]+$", ""),
    ];
    for (pattern, with) in rules {
        let re = regex::Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"));
        s = re.replace_all(&s, *with).into_owned();
    }
    s
}

/// Whether `actual` is what `expected` shows, `...` lines standing for any lines.
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == "..." => (0..=actual.len()).any(|k| matches(rest, &actual[k..])),
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, more)| line_matches(e, a) && matches(rest, more)),
    }
}

fn line_matches(expected: &str, actual: &str) -> bool {
    if expected == actual {
        return true;
    }
    if !expected.contains("...") {
        return false;
    }
    let pattern = expected
        .split("...")
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join(".*");
    regex::Regex::new(&format!("^{pattern}$")).is_ok_and(|re| re.is_match(actual))
}

fn trimmed(lines: Vec<String>) -> Vec<String> {
    let mut lines = lines;
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines
}

#[test]
fn the_guides_transcripts_run_as_written() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/user-guide.md"))
            .unwrap_or_else(|e| panic!("{e}"));
    let all = transcripts(&doc);
    assert!(all.len() >= 20, "the guide has {} transcripts", all.len());
    let mut replayed = 0;
    let mut drift = Vec::new();
    for t in &all {
        if NOT_REPLAYED.iter().any(|(first, _)| *first == t.first()) {
            continue;
        }
        let scene = scene_for(t);
        let outputs = replay(&scene, t);
        for (step, got) in t.steps.iter().zip(outputs) {
            let norm = |lines: &[String]| -> Vec<String> {
                trimmed(
                    normalise(&lines.join("\n"), &scene)
                        .lines()
                        .map(str::to_string)
                        .collect(),
                )
            };
            let want = norm(&step.output);
            let got = norm(&got);
            if !matches(&want, &got) {
                drift.push(format!(
                    "docs/user-guide.md:{}: `$ {}` shows\n{}\n--- but prints (normalised)\n{}\n",
                    t.line,
                    step.command,
                    want.join("\n"),
                    got.join("\n")
                ));
            }
        }
        replayed += 1;
    }
    for (first, _) in NOT_REPLAYED {
        assert!(
            all.iter().any(|t| t.first() == *first),
            "NOT_REPLAYED names a transcript the guide no longer has: {first}"
        );
    }
    assert_eq!(replayed + NOT_REPLAYED.len(), all.len());
    assert!(drift.is_empty(), "{}", drift.join("\n"));
}

#[test]
fn ellipses_stand_for_lines_and_text_and_nothing_else() {
    let v = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    assert!(matches(&v("a\n...\nd"), &v("a\nb\nc\nd")));
    assert!(matches(&v("a\n...\nd"), &v("a\nd")));
    assert!(!matches(&v("a\n...\nd"), &v("a\nb")));
    assert!(matches(
        &v("API Key  Llg4...\nx"),
        &v("API Key  Llg4lHAZ\nx")
    ));
    assert!(!matches(
        &v("API Key  Llg4...\nx"),
        &v("API Key  Mlg4lHAZ\nx")
    ));
    assert!(!matches(&v("a\nb"), &v("a\nb\nc")));
}
