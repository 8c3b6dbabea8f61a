//! Where iamctl speaks `ibmcloud` exactly (issue 13): the passcode login IBM's console hands
//! out, `target --output json` in IBM's shape, full account IDs, regions newer than the
//! binary, IBM's key files, `--uuid`; and the docs and messages a newcomer copies from, run
//! as written: the headless keyring recipe, `@~/`, the exit-code table, headless SSO, the CI
//! recipes' `-a`, `IAM_ENDPOINT`, `IAMCTL_TRACE=`, the locked-entity tip, `--help`.
#![cfg(unix)]

use crate::fixtures::*;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn guide() -> String {
    std::fs::read_to_string(repo().join("docs/user-guide.md")).unwrap_or_else(|e| panic!("{e}"))
}

/// The text of a `## TITLE` section of a Markdown document, up to the next `## `.
fn section(doc: &str, title: &str) -> String {
    let start = doc
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title:?}"));
    let rest = &doc[start + 1..];
    let end = rest[3..].find("\n## ").map(|e| e + 3).unwrap_or(rest.len());
    rest[..end].to_string()
}

/// The bodies of the fenced code blocks of a text, with the fence's info string.
fn code_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| l.trim_start() != "```")
            .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
            .collect();
        blocks.push((info.to_string(), body.join("\n")));
    }
    blocks
}

fn write(path: &Path, content: impl AsRef<[u8]>) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, content).unwrap_or_else(|e| panic!("{e}"));
}

// ---- 1. -u passcode -p CODE --------------------------------------------------------------

#[test]
fn the_console_command_logs_in_with_the_one_time_code() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let code = env.passcode(&info.sso_user);
    // What IBM's console hands out: `ibmcloud login -a URL -u passcode -p CODE`.
    let url = env.url();
    let out = env
        .iamctl(["login", "-a", &url, "-u", "passcode", "-p", &code])
        .args(["-c", PARTNER_ACCOUNT, "--no-region"])
        .run()
        .success()
        .stdout_contains("User:             sso@example.com");
    assert!(!out.stdout.contains(&code) && !out.stderr.contains(&code));
    assert_eq!(env.grants("urn:ibm:params:oauth:grant-type:passcode"), 1);
    assert_eq!(env.grants("password"), 0);
    assert_eq!(env.session()["login"]["method"], "sso");

    // Without -p (or with `-p -`), as with --sso: where to get a code, then the code from
    // stdin.
    for (grants, p) in [(2, &[][..]), (3, &["-p", "-"])] {
        let code = env.passcode(&info.sso_user);
        env.iamctl(["login", "-a", &url, "-u", "passcode"])
            .args(p)
            .args(["-c", PARTNER_ACCOUNT, "--no-region"])
            .stdin(format!("{code}\n"))
            .run()
            .success()
            .stderr_contains("Get a one-time code from <URL>/identity/passcode to proceed.");
        assert_eq!(
            env.grants("urn:ibm:params:oauth:grant-type:passcode"),
            grants
        );
    }
}

// ---- 2. target --output json -------------------------------------------------------------

#[test]
fn target_json_has_the_shape_of_ibmclouds() {
    let env = TestEnv::new();
    let login = env
        .login_with(Creds::ApiKey, &["-r", "us-south", "--output", "json"])
        .run()
        .success()
        .json();
    let target = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    for json in [&login, &target] {
        assert_eq!(json["api_endpoint"], env.url(), "{json:#}");
        assert_eq!(json["region"]["name"], "us-south", "{json:#}");
        assert_eq!(json["user"]["user_email"], DEMO_USER, "{json:#}");
        assert_eq!(json["user"]["display_name"], DEMO_USER, "{json:#}");
        assert_eq!(json["account"]["guid"], DEMO_ACCOUNT, "{json:#}");
        assert_eq!(json["account"]["name"], "Demo Account", "{json:#}");
        assert_eq!(json["account"]["owner"], DEMO_USER, "{json:#}");
        assert_eq!(json["resource_group"]["name"], "Default", "{json:#}");
        assert_eq!(json["resource_group"]["state"], "ACTIVE", "{json:#}");
        assert_eq!(json["resource_group"]["default"], true, "{json:#}");
        for field in ["guid", "quota_id"] {
            let v = json["resource_group"][field].as_str().unwrap_or_default();
            assert!(!v.is_empty(), "resource_group.{field}: {json:#}");
        }
        // iamctl's own fields stay, where IBM has none.
        assert_eq!(json["login"]["method"], "apikey", "{json:#}");
        assert_eq!(json["account"]["ims_account_id"], "1234567", "{json:#}");
    }
    // What scripts written for ibmcloud do.
    env.sh("iamctl target --output json | jq -r '.account.guid, .region.name, .user.user_email, .resource_group.name'")
        .run()
        .success()
        .stdout_is("<ACCOUNT:Demo Account>\nus-south\ndemo@example.com\nDefault\n");

    // Nothing targeted: still objects, with empty values, as IBM's structs print.
    env.iamctl(["target", "--unset-region", "--unset-resource-group"])
        .run()
        .success();
    let json = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["region"], json!({"name": ""}));
    assert_eq!(json["resource_group"]["name"], "");
    assert_eq!(json["resource_group"]["default"], false);

    // A service ID has no email: IBM shows its subject as the display name.
    let sid = env
        .iamctl(["--session", "svc", "login", "-a", &env.url()])
        .args(["--apikey", "-", "--no-region", "--output", "json"])
        .stdin(env.info().service_apikey.clone())
        .run()
        .success()
        .json();
    assert_eq!(sid["user"]["user_email"], "", "{sid:#}");
    let shown = sid["user"]["display_name"].as_str().unwrap_or_default();
    assert!(shown.starts_with("ServiceId-"), "{sid:#}");
}

// ---- 3. full account IDs -----------------------------------------------------------------

#[test]
fn account_ids_are_printed_in_full_where_ibmcloud_prints_them() {
    let env = TestEnv::new();
    let out = env
        .login_with(Creds::ApiKey, &["--no-region"])
        .run()
        .success();
    let label = format!("Demo Account ({DEMO_ACCOUNT}) <-> 1234567");
    assert!(
        out.stdout
            .contains(&format!("\nTargeted account {label}\n")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("\nAccount:          {label}\n")),
        "{}",
        out.stdout
    );
    // Scripts cut the ID out of the text.
    let cut = env
        .sh("iamctl target | sed -n 's/^Account: .*(\\(.*\\)).*/\\1/p'")
        .run()
        .success();
    assert_eq!(cut.stdout.trim(), DEMO_ACCOUNT);
    let switched = env
        .iamctl(["target", "-c", STAGING_ACCOUNT])
        .run()
        .success();
    assert!(
        switched.stdout.contains(&format!(
            "Targeted account Staging Account ({STAGING_ACCOUNT})\n"
        )),
        "{}",
        switched.stdout
    );
}

// ---- 4. regions --------------------------------------------------------------------------

#[test]
fn madrid_and_montreal_are_known_to_validation_and_tab() {
    let env = TestEnv::new();
    env.login_with(Creds::ApiKey, &["-r", "eu-es"])
        .run()
        .success()
        .stdout_contains("Targeted region eu-es")
        .stderr_is("");
    env.iamctl(["target", "-r", "ca-mon"])
        .run()
        .success()
        .stdout_contains("Region:           ca-mon")
        .stderr_is("");
    // TAB offers them, with their cities (fish shows value<TAB>description).
    let tab = env
        .iamctl(["--", "iamctl", "target", "-r", ""])
        .env("IAMCTL_COMPLETE", "fish")
        .run()
        .success();
    for line in ["eu-es\tMadrid", "ca-mon\tMontreal", "us-south\tDallas"] {
        assert!(
            tab.stdout.lines().any(|l| l == line),
            "{line:?} not offered:\n{}",
            tab.stdout
        );
    }
}

#[test]
fn a_well_formed_unknown_region_is_used_with_a_warning() {
    let env = TestEnv::new();
    env.login();
    let out = env
        .iamctl(["target", "-r", "xx-yyy"])
        .run()
        .success()
        .stdout_contains("Targeted region xx-yyy");
    assert_eq!(
        out.stderr,
        "WARNING: region 'xx-yyy' is not one iamctl knows; using it as given\n"
    );
    let json = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["region"]["name"], "xx-yyy");
    env.login_with(Creds::ApiKey, &["-r", "mx-qro2"])
        .run()
        .success()
        .stdout_contains("Targeted region mx-qro2")
        .stderr_contains("WARNING: region 'mx-qro2'");
    // A name no IBM region could have stays a usage error, and changes nothing.
    let before = std::fs::read(env.session_file()).unwrap_or_default();
    for bad in ["xx yyy", "xx_yyy", "us--south", "9x-abc", "eu-de;"] {
        env.iamctl(["target", "-r", bad])
            .run()
            .code(2)
            .stderr_contains(&format!("Invalid region '{bad}'"));
    }
    assert_eq!(
        std::fs::read(env.session_file()).unwrap_or_default(),
        before
    );
}

// ---- 5. API-key files --------------------------------------------------------------------

#[test]
fn key_files_are_ibms_and_the_output_says_what_ibm_says() {
    let env = TestEnv::logged_in();
    env.iamctl(["service-id-create", "ci"]).run().success();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("ci-key.json");
    env.iamctl(["service-api-key-create", "ci-key", "ci", "-d", "CI key", "--file"])
        .arg(&path)
        .run()
        .success()
        .stdout_is(&format!(
            "Creating API key ci-key of service ID ci under account <ACCOUNT:Demo Account> as demo@example.com...\n\
             OK\n\
             Service ID API key ci-key is created\n\
             Successfully save API key information to {}\n",
            path.display()
        ));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    // IBM's fields first, in IBM's order, tab-indented.
    let fields: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("\t\""))
        .filter_map(|l| l.split('"').next())
        .collect();
    assert_eq!(
        fields[..6],
        [
            "name",
            "description",
            "apikey",
            "createdAt",
            "locked",
            "uuid"
        ],
        "{text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(v["name"], "ci-key");
    assert_eq!(v["description"], "CI key");
    assert_eq!(v["locked"], false);
    assert!(
        v["uuid"].as_str().is_some_and(|u| u.starts_with("ApiKey-")),
        "{text}"
    );
    assert!(
        v["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with("+0000")),
        "{text}"
    );
    let key = v["apikey"].as_str().unwrap_or_default().to_string();
    assert!(key.len() > 20, "{text}");
    // The file logs in, in another session (whose first login must name the endpoint).
    let url = env.url();
    env.iamctl([
        "--session",
        "ci",
        "login",
        "-a",
        &url,
        "--no-region",
        "--apikey",
    ])
    .arg(format!("@{}", path.display()))
    .run()
    .success()
    .stdout_contains("User:             ServiceId-");

    // `api-key-create --file` says IBM's words too.
    let mine = dir.path().join("mine.json");
    env.iamctl(["api-key-create", "mine", "--file"])
        .arg(&mine)
        .run()
        .success()
        .stdout_contains(&format!(
            "OK\nAPI key mine was created\nSuccessfully save API key information to {}\n",
            mine.display()
        ));
}

#[test]
fn every_kind_of_ibm_key_file_logs_in() {
    let env = TestEnv::new();
    let key = env.apikey();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let files = [
        ("plain.txt", format!("{key}\n")),
        // IBM's CLI since 2024 (tab-indented, `createdAt`, `uuid`).
        (
            "ibm-2024.json",
            format!(
                "{{\n\t\"name\": \"k\",\n\t\"description\": \"\",\n\t\"apikey\": \"{key}\",\n\t\"createdAt\": \"2024-05-01T10:00+0000\",\n\t\"locked\": false,\n\t\"uuid\": \"ApiKey-00000000-0000-0000-0000-000000000001\"\n}}"
            ),
        ),
        // Older CLIs: the whole API object.
        (
            "ibm-object.json",
            json!({
                "id": "ApiKey-00000000-0000-0000-0000-000000000001",
                "entity_tag": "1-0123456789abcdef0123456789abcdef",
                "crn": "crn:v1:bluemix:public:iam-identity::a/x::apikey:ApiKey-00000000-0000-0000-0000-000000000001",
                "locked": false,
                "created_at": "2022-03-01T10:00+0000",
                "created_by": "IBMid-x",
                "modified_at": "2022-03-01T10:00+0000",
                "name": "k",
                "description": "",
                "iam_id": "IBMid-x",
                "account_id": DEMO_ACCOUNT,
                "apikey": key,
            })
            .to_string(),
        ),
        // Saved by an editor that starts UTF-8 files with a byte-order mark.
        ("bom.txt", format!("\u{feff}{key}\r\n")),
    ];
    let url = env.url();
    for (name, content) in files {
        let path = dir.path().join(name);
        write(&path, content);
        let at = format!("@{}", path.display());
        env.iamctl(["login", "-a", &url, "--no-region", "--apikey", &at])
            .run()
            .success();
        env.iamctl(["login", "-a", &url, "--no-region"])
            .env("IBMCLOUD_API_KEY", &at)
            .run()
            .success();
    }
    // JSON without a key is not sent to IAM as if it were one.
    let path = dir.path().join("no-key.json");
    write(&path, r#"{"name": "k", "uuid": "ApiKey-1"}"#);
    let before = env.grants("urn:ibm:params:oauth:grant-type:apikey");
    env.iamctl(["login", "-a", &url, "--no-region", "--apikey"])
        .arg(format!("@{}", path.display()))
        .run()
        .code(1)
        .stderr_contains("without an 'apikey' field");
    assert_eq!(env.grants("urn:ibm:params:oauth:grant-type:apikey"), before);
}

// ---- 6. --uuid -----------------------------------------------------------------------------

#[test]
fn uuid_prints_only_the_ids_one_per_line() {
    let env = TestEnv::logged_in();
    let mut sids = Vec::new();
    for _ in 0..2 {
        let v = env
            .iamctl(["service-id-create", "twin", "--output", "json"])
            .run()
            .success()
            .json();
        sids.push(v["id"].as_str().unwrap_or_default().to_string());
    }
    let key = env
        .iamctl(["service-api-key-create", "k", &sids[0], "--output", "json"])
        .run()
        .success()
        .json();
    let key_id = key["id"].as_str().unwrap_or_default().to_string();

    // Names are not unique: every service ID with the name.
    let out = env
        .iamctl(["service-id", "twin", "--uuid"])
        .run()
        .success()
        .stderr_is("");
    let mut shown: Vec<&str> = out.stdout.lines().collect();
    shown.sort();
    let mut want: Vec<&str> = sids.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(shown, want);
    env.iamctl(["service-id", &sids[1], "--uuid"])
        .run()
        .success()
        .stdout_is(&format!("{}\n", sids[1]));
    let all = env.iamctl(["service-ids", "--uuid"]).run().success();
    for sid in &sids {
        assert!(all.stdout.lines().any(|l| l == sid), "{}", all.stdout);
    }
    assert!(
        all.stdout.lines().all(|l| l.starts_with("ServiceId-")),
        "{}",
        all.stdout
    );
    env.iamctl(["service-api-key", "k", &sids[0], "--uuid"])
        .run()
        .success()
        .stdout_is(&format!("{key_id}\n"));
    let own = env.iamctl(["api-keys", "--uuid"]).run().success();
    assert!(
        !own.stdout.is_empty() && own.stdout.lines().all(|l| l.starts_with("ApiKey-")),
        "{}",
        own.stdout
    );
    // In a script, as IBM's docs use it.
    env.sh("SID=$(iamctl iam service-id twin --uuid | head -1) && iamctl service-api-keys \"$SID\" --output json | jq length")
        .run()
        .success();
    // IDs or JSON, not both.
    env.iamctl(["service-ids", "--uuid", "--output", "json"])
        .run()
        .code(2);
}

// ---- 7. the headless keyring recipes ------------------------------------------------------

/// The guide's recipes that start a Secret Service, with what they need to run here: this
/// build's iamctl first on PATH, no keyring of the test's own, the emulator in place of
/// `https://cloud.ibm.com`, and a `./deploy.sh` that checks the token it is given.
#[test]
fn the_guides_keyring_recipes_work_where_a_login_keyring_exists() {
    let env = TestEnv::without_keyring_check();
    for tool in ["dbus-run-session", "gnome-keyring-daemon"] {
        let found = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(found, "{tool} is missing: run the tests with scripts/test");
    }
    let doc = guide();
    let recipes: Vec<String> = code_blocks(&doc)
        .into_iter()
        .filter(|(info, body)| info == "sh" && body.contains("gnome-keyring-daemon --unlock"))
        .map(|(_, body)| body.replace("https://cloud.ibm.com", &env.url()))
        .collect();
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let deploy = work.path().join("deploy.sh");
    write(
        &deploy,
        "#!/bin/sh\ncase \"$IC_IAM_TOKEN\" in 'Bearer eyJ'*) echo deployed;; *) exit 9;; esac\n",
    );
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&deploy, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // A machine that already has a login keyring, made with a password the recipes do not
    // know (the user's desktop, or an earlier run of the other recipe).
    let runtime = work.path().join("run");
    std::fs::create_dir_all(&runtime).unwrap_or_else(|e| panic!("{e}"));
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let run = |script: &str| {
        env.sh(script)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("KEY", env.apikey())
            .env("IBMCLOUD_API_KEY", env.apikey())
            .cwd(work.path())
            .run()
    };
    run("dbus-run-session -- sh -c 'printf the-desktops-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null; printf x | secret-tool store --label=x iamctl-test desktop'")
        .success();
    assert!(env.user_home().join(".local/share/keyrings").is_dir());
    for recipe in &recipes {
        let out = run(recipe);
        assert!(
            out.code == Some(0)
                && (out.stdout.contains("the keyring works") || out.stdout.contains("deployed")),
            "the recipe failed:\n{recipe}\n--- stdout\n{}--- stderr\n{}",
            out.stdout,
            out.stderr
        );
    }
    // The one in "No keyring" and the one in "CI recipes".
    assert_eq!(
        recipes.len(),
        2,
        "the guide's keyring recipes: {recipes:#?}"
    );
    // So does iamctl's own tip (exit 6), pasted with its `...` filled in.
    let tip = env
        .login_with(Creds::ApiKey, &["--no-region"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .code(6);
    let line = tip
        .stderr
        .lines()
        .find(|l| l.contains("gnome-keyring-daemon"))
        .unwrap_or_else(|| panic!("no keyring recipe in the tip:\n{}", tip.stderr));
    let command = line
        .split_once("): ")
        .map(|(_, c)| c)
        .unwrap_or_else(|| panic!("{line}"))
        .replace(
            "iamctl login ...",
            &format!(
                "printf %s \"$KEY\" | iamctl login -a {} --apikey - --no-region && echo the keyring works",
                env.url()
            ),
        );
    let out = run(&command);
    assert!(
        out.code == Some(0) && out.stdout.contains("the keyring works"),
        "the tip failed:\n{command}\n--- stdout\n{}--- stderr\n{}",
        out.stdout,
        out.stderr
    );
}

// ---- 8. @~/ ----------------------------------------------------------------------------------

#[test]
fn a_leading_tilde_after_at_is_the_home_directory() {
    let env = TestEnv::new();
    write(
        &env.user_home().join(".ibmcloud/apikey.json"),
        json!({"name": "k", "apikey": env.apikey()}).to_string(),
    );
    let url = env.url();
    // The guide's example, with the emulator's endpoint.
    env.iamctl([
        "login",
        "-a",
        &url,
        "--apikey",
        "@~/.ibmcloud/apikey.json",
        "--no-region",
    ])
    .run()
    .success();
    env.iamctl(["login", "-a", &url, "--no-region"])
        .env("IBMCLOUD_API_KEY", "@~/.ibmcloud/apikey.json")
        .run()
        .success();
    // --cr-token @~/FILE reads the file from home too (what it holds is checked next).
    write(&env.user_home().join("cr-token"), "not-a-token\n");
    env.iamctl([
        "login",
        "-a",
        &url,
        "--cr-token",
        "@~/cr-token",
        "--profile",
        "p",
    ])
    .run()
    .code(2)
    .stderr_contains("is not a JWT");
}

// ---- 9. the exit-code table ------------------------------------------------------------------

/// Every row of the guide's exit-code table, produced by a real command (70 excepted: it
/// means a bug in iamctl, and no command reaches it without one; `CliError::internal`'s
/// code is pinned by a unit test in src/error.rs).
#[test]
fn every_documented_exit_code_is_what_the_table_says() {
    let env = TestEnv::new();
    let url = env.url();
    let documented: Vec<i32> = section(&guide(), "Exit codes")
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next()?.trim().parse().ok())
        .collect();
    let mut walked = vec![70];

    // 3: not logged in, and a session that exists but is logged out.
    env.iamctl(["oauth-tokens"]).run().code(3);
    env.iamctl([
        "--session",
        "work",
        "login",
        "-a",
        &url,
        "--apikey",
        "-",
        "--no-region",
    ])
    .stdin(env.apikey())
    .run()
    .success();
    env.iamctl(["--session", "work", "logout"]).run().success();
    env.iamctl(["--session", "work", "oauth-tokens"])
        .run()
        .code(3);
    walked.push(3);

    // 0
    env.login();
    env.iamctl(["target"]).run().code(0);
    walked.push(0);

    // 1: IAM says no; a file that cannot be read.
    env.iamctl(["service-id", "no-such-service-id"])
        .run()
        .code(1);
    for spec in ["@/nonexistent/key.json", "@~/no-such-key.json"] {
        env.iamctl(["login", "-a", &url, "--apikey", spec, "--no-region"])
            .run()
            .code(1)
            .stderr_contains("Could not read the API key file");
        env.iamctl(["login", "-a", &url, "--no-region"])
            .env("IBMCLOUD_API_KEY", spec)
            .run()
            .code(1);
    }
    walked.push(1);

    // 2: bad flags, and names this machine does not know, whichever command meets them.
    env.iamctl(["login", "--no-such-flag"]).run().code(2);
    for args in [
        &["--session", "nosuch", "oauth-tokens"][..],
        &["--session", "nosuch", "exec", "--", "true"][..],
        &["--session", "nosuch", "target"][..],
        &["--session", "nosuch", "service-ids"][..],
        &["session-switch", "nosuch"][..],
    ] {
        env.iamctl(args)
            .run()
            .code(2)
            .stderr_contains("There is no session named 'nosuch'.")
            .stderr_contains("known sessions: default, work");
    }
    env.iamctl(["oauth-tokens"])
        .env("IAMCTL_SESSION", "nosuch")
        .run()
        .code(2);
    env.iamctl(["login", "-a", &url, "--keyring", "nosuch"])
        .run()
        .code(2)
        .stderr_contains("iamctl stored-keys");
    env.iamctl(["stored-key-delete", "nosuch", "-f"])
        .run()
        .code(2);
    env.iamctl(["target", "-r", "not a region"]).run().code(2);
    walked.push(2);

    // 4: IAM rejects the credentials.
    env.login_with(Creds::ApiKey, &[])
        .stdin("not-a-real-key")
        .run()
        .code(4);
    walked.push(4);

    // 5: nobody answers.
    env.iamctl([
        "login",
        "-a",
        "http://127.0.0.1:9",
        "--apikey",
        "x",
        "--no-region",
    ])
    .env("IBMCLOUD_HTTP_TIMEOUT", "1")
    .run()
    .code(5);
    walked.push(5);

    // 6: no keyring, no opt-in.
    env.login_with(Creds::ApiKey, &["--no-region"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .code(6);
    walked.push(6);

    // 126 and 127: exec's shell conventions.
    let file = env.home().join("not-executable");
    write(&file, "#!/bin/sh\n");
    env.iamctl(["exec", "--"]).arg(&file).run().code(126);
    env.iamctl(["exec", "--", "no-such-command-iamctl"])
        .run()
        .code(127);
    walked.extend([126, 127]);

    // 130: Ctrl-C at a prompt.
    let mut p = env.iamctl_pty(&["login", "--sso", "--no-browser", "-a", &url], &[]);
    p.expect("One-time code > ");
    p.send_control('c');
    p.finish();
    assert_eq!(p.exit_code(), 130);
    walked.push(130);

    walked.sort();
    assert_eq!(
        walked, documented,
        "the guide's table and this walk disagree"
    );
}

// ---- 10. headless SSO never wastes the code ------------------------------------------------

#[test]
fn headless_sso_without_c_targets_the_tokens_account_and_says_how_to_switch() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let code = env.passcode(&info.sso_user);
    let out = env
        .iamctl(["login", "--sso", "-a", &env.url(), "--no-region"])
        .stdin(format!("{code}\n"))
        .run()
        .success()
        .stdout_contains("Targeted account Demo Account (<ACCOUNT:Demo Account>) <-> 1234567")
        .stderr_contains("WARNING: this user can use 2 accounts")
        .stderr_contains("'iamctl target -c ACCOUNT_ID'")
        .stderr_contains("<ACCOUNT:Partner Account> (Partner Account)")
        .stderr_contains("-c next time");
    assert!(!out.stdout.contains(&code) && !out.stderr.contains(&code));
    assert_eq!(env.grants("urn:ibm:params:oauth:grant-type:passcode"), 1);
    // The login was kept, and switching needs no new code.
    env.iamctl(["target", "-c", PARTNER_ACCOUNT])
        .run()
        .success()
        .stdout_contains("Targeted account Partner Account");
    assert_eq!(env.grants("urn:ibm:params:oauth:grant-type:passcode"), 1);
    // `-u passcode -p CODE` (IBM's console) is a one-time code too.
    let code = env.passcode(&info.sso_user);
    env.iamctl([
        "login",
        "-a",
        &env.url(),
        "-u",
        "passcode",
        "-p",
        &code,
        "--no-region",
    ])
    .run()
    .success()
    .stderr_contains("'iamctl target -c ACCOUNT_ID'");
}

// ---- 11. new sessions and the CI recipes ---------------------------------------------------

#[test]
fn the_docs_say_where_the_endpoint_is_forgotten_and_ci_recipes_pass_a() {
    let doc = guide();
    let ci = section(&doc, "CI recipes");
    let logins: Vec<&str> = ci
        .lines()
        .filter(|l| l.contains("iamctl login"))
        .filter(|l| !l.contains("`iamctl login"))
        .collect();
    assert!(logins.len() >= 5, "{logins:#?}");
    for line in &logins {
        assert!(
            line.contains("iamctl login -a "),
            "a CI recipe logs in without -a: {line}"
        );
    }
    assert!(ci.contains("new `IAMCTL_HOME`"), "{ci}");
    let readme =
        std::fs::read_to_string(repo().join("README.md")).unwrap_or_else(|e| panic!("{e}"));
    let about = readme
        .split("\n\n")
        .find(|p| p.contains("@ci-key.json"))
        .unwrap_or_else(|| panic!("README no longer shows @ci-key.json"));
    assert!(
        about.contains("-a http://127.0.0.1:8080 --apikey @ci-key.json"),
        "{about}"
    );
    assert!(about.contains("https://cloud.ibm.com"), "{about}");

    // What the README warns about, for real: a new session knows no endpoint.
    let env = TestEnv::new();
    env.login();
    env.iamctl([
        "--session",
        "elsewhere",
        "login",
        "--apikey",
        "x",
        "--no-region",
    ])
    .env("IBMCLOUD_HTTP_TIMEOUT", "1")
    .env("HTTPS_PROXY", "http://127.0.0.1:9")
    .run()
    .stdout_contains("API endpoint: https://cloud.ibm.com");
}

// ---- 12. the rest of the newcomer's list ---------------------------------------------------

#[test]
fn iam_endpoint_is_remembered_by_later_logins_without_a() {
    let env = TestEnv::new();
    // Two names for the one emulator: -a gives one, IAM_ENDPOINT the other.
    let api = env.url();
    let iam = api.replace("127.0.0.1", "localhost");
    env.login_with(Creds::ApiKey, &["--no-region"])
        .env("IAM_ENDPOINT", &iam)
        .run()
        .success();
    assert_eq!(env.session()["iam_endpoint"], iam);
    env.iamctl(["login", "--apikey", "-", "--no-region"])
        .stdin(env.apikey())
        .run()
        .success();
    assert_eq!(
        env.session()["iam_endpoint"],
        iam,
        "a later login forgot IAM_ENDPOINT"
    );
    // -a starts over from the IAM it implies.
    env.login_with(Creds::ApiKey, &["--no-region"])
        .run()
        .success();
    assert_eq!(env.session()["iam_endpoint"], api);
}

#[test]
fn an_empty_iamctl_trace_turns_off_ibmcloud_trace() {
    let env = TestEnv::new();
    env.login_with(Creds::ApiKey, &["--no-region"])
        .env("IBMCLOUD_TRACE", "true")
        .env("IAMCTL_TRACE", "")
        .run()
        .success()
        .stderr_is("");
    env.login_with(Creds::ApiKey, &["--no-region"])
        .env("IBMCLOUD_TRACE", "true")
        .run()
        .success()
        .stderr_contains("REQUEST: [");
}

#[test]
fn the_locked_entity_tip_works_pasted_into_a_script() {
    let env = TestEnv::logged_in();
    env.iamctl(["service-id-create", "frozen", "--lock"])
        .run()
        .success();
    let refused = env
        .iamctl(["service-id-delete", "frozen", "-f"])
        .run()
        .code(1);
    let tip = refused
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("Tip: it is locked; unlock it first: '"))
        .and_then(|l| l.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no unlock tip:\n{}", refused.stderr));
    // A script: no terminal to confirm on.
    env.sh(tip).run().success();
    env.iamctl(["service-id-delete", "frozen", "-f"])
        .run()
        .success();

    let key = env
        .iamctl(["api-key-create", "frozen-key", "--lock", "--output", "json"])
        .run()
        .success()
        .json();
    let refused = env
        .iamctl([
            "api-key-delete",
            key["id"].as_str().unwrap_or_default(),
            "-f",
        ])
        .run()
        .code(1);
    let tip = refused
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("Tip: it is locked; unlock it first: '"))
        .and_then(|l| l.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no unlock tip:\n{}", refused.stderr));
    env.sh(tip).run().success();
}

#[test]
fn help_names_every_variable_the_guide_lists() {
    let env = TestEnv::without_keyring_check();
    let help = env.iamctl(["--help"]).run().success().stdout;
    let doc = guide();
    let table = section(&doc, "Environment variables");
    let mut missing = Vec::new();
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let first = row.split(" |").next().unwrap_or_default();
        for name in first.split('`').skip(1).step_by(2) {
            if !help.contains(name) {
                missing.push(name.to_string());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "iamctl --help does not name {missing:?}:\n{help}"
    );
}
