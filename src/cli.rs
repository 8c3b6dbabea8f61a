//! Every clap definition: the single source for help, completions and man pages.
//!
//! Argument structs only; the behaviour lives in `commands/`. The `iam` namespace is one
//! enum, `IamCommand`, reachable as `iamctl iam <cmd>` and flattened as `iamctl <cmd>`, so
//! new IAM commands are one variant each.

use crate::complete::{
    CompletionShell, access_group_candidates, account_candidates, api_key_candidates,
    policy_candidates, profile_candidates, region_candidates, resource_group_candidates,
    role_candidates, service_id_candidates, service_name_candidates, session_candidates,
    stored_key_candidates,
};
use crate::output::{Format, TokenFormat};
use clap::{Args, CommandFactory, Parser, Subcommand};
use clap_complete::engine::ArgValueCandidates;
use std::ffi::OsString;

#[derive(Debug, Parser)]
#[command(
    name = "iamctl",
    version,
    about = "A fast, safe, scriptable command line for IBM Cloud IAM",
    long_about = "A fast, safe, scriptable command line for IBM Cloud Identity and Access Management.\n\n\
                  Log in once (API key, password, SSO one-time code, or a workload's identity as a \
                  trusted profile), then get fresh IAM tokens \
                  with 'iamctl oauth-tokens'. Secrets live in the OS keyring.",
    max_term_width = 100,
    after_help = "Examples:\n  \
        iamctl login --apikey @apikey.json --no-region\n  \
        iamctl --session prod oauth-tokens --output raw\n  \
        IAMCTL_TRACE=/tmp/iam.trace iamctl target\n\n\
        Environment (the user guide's \"Environment variables\" says more):\n  \
        IBMCLOUD_API_KEY=KEY|@FILE  the API key 'login' uses when no credential flag is given\n  \
        IAMCTL_SESSION=NAME         the session to use (--session wins)\n  \
        IAMCTL_HOME=DIR             where sessions live (default: the platform's config dir)\n  \
        IAMCTL_SECRET_STORE=file    secrets in a plain 0600 file instead of the OS keyring\n  \
        IAMCTL_TRACE, IBMCLOUD_TRACE=true|PATH\n                              \
        trace HTTP to stderr or PATH, secrets hidden (IAMCTL_TRACE wins)\n  \
        IAM_ENDPOINT=URL            the IAM 'login' uses instead of the one -a implies\n  \
        IAMCTL_CA_CERT=FILE         CA certificates 'login' trusts beside the system's (--ca-cert)\n  \
        Also read: IBMCLOUD_HTTP_TIMEOUT, IAMCTL_KEYRING_TIMEOUT, IBMCLOUD_QUIET, IBMCLOUD_COLOR,\n  \
        NO_COLOR, TERM, IBMCLOUD_CR_TOKEN, IBMCLOUD_CR_PROFILE, IBMCLOUD_CR_VPC_URL, HTTPS_PROXY,\n  \
        HTTP_PROXY, ALL_PROXY, NO_PROXY, SSL_CERT_FILE, SSL_CERT_DIR, DISPLAY, WAYLAND_DISPLAY,\n  \
        SSH_CONNECTION, BROWSER, DBUS_SESSION_BUS_ADDRESS, XDG_CONFIG_HOME, XDG_RUNTIME_DIR, HOME,\n  \
        TZ, GITHUB_ENV, IAMCTL_COMPLETE"
)]
pub struct Cli {
    /// Print only data and errors
    #[arg(
        short,
        long,
        global = true,
        env = "IBMCLOUD_QUIET",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub quiet: bool,

    /// Use the named session for this command (the flag wins over the variable and over
    /// 'iamctl session-switch')
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        env = "IAMCTL_SESSION",
        add = ArgValueCandidates::new(session_candidates)
    )]
    pub session: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to IBM Cloud with an API key, a password, an SSO one-time code, or a workload's
    /// identity (compute-resource token, VPC instance identity, assumed trusted profile)
    Login(LoginArgs),
    /// Log out: forget the tokens and delete the session's secrets from the keyring
    Logout(LogoutArgs),
    /// Show or change the targeted account, region and resource group
    Target(TargetArgs),
    /// Run a command with a fresh IAM token in its environment
    Exec(ExecArgs),
    /// Inspect access tokens
    #[command(
        subcommand,
        after_help = "Examples:\n  \
            iamctl token decode\n  \
            iamctl iam oauth-tokens | iamctl token decode - --output json"
    )]
    Token(TokenCommand),
    /// List the named sessions (accounts, environments) and which one is active
    Sessions(SessionsArgs),
    /// Make a named session the active one, without logging in again
    #[command(name = "session-switch")]
    SessionSwitch(SessionSwitchArgs),
    /// Log out of a named session and remove it
    #[command(name = "session-delete")]
    SessionDelete(SessionDeleteArgs),
    /// Show or change iamctl's settings
    #[command(
        subcommand,
        after_help = "Examples:\n  \
            iamctl config secret-store\n  \
            iamctl config secret-store file"
    )]
    Config(ConfigCommand),
    /// Hand fresh tokens to other tools: kubectl (exec credential plugin) and container
    /// registry clients (Docker credential helper)
    #[command(
        subcommand,
        after_help = "Examples:\n  \
            iamctl credential kubectl --install --cluster mycluster --kubeconfig ~/.kube/config\n  \
            iamctl credential docker --install ~/.local/bin"
    )]
    Credential(CredentialCommand),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish
    Completion(CompletionArgs),
    /// IAM commands (each is also available without the `iam` prefix)
    #[command(
        subcommand,
        after_help = "Examples:\n  \
            iamctl iam oauth-tokens\n  \
            iamctl iam service-ids --output json | jq -r '.[].name'\n  \
            iamctl iam service-api-key-create deploy-key my-service-id -d \"CI deploy\" --file key.json"
    )]
    Iam(IamCommand),
    #[command(flatten)]
    IamFlat(IamCommand),
}

#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Print the current IAM access token, refreshing it first if it is about to expire
    #[command(name = "oauth-tokens")]
    OauthTokens(OauthTokensArgs),
    /// Print the current IAM access token alone (no 'Bearer'), refreshing it first if it is
    /// about to expire
    #[command(
        name = "bearer-token",
        after_help = "Examples:\n  \
            iamctl iam bearer-token | cut -d . -f 2\n  \
            printf 'Authorization: Bearer %s\\n' \"$(iamctl iam bearer-token)\" | curl -sH @- https://iam.cloud.ibm.com/v1/apikeys"
    )]
    BearerToken(BearerTokenArgs),

    /// Create a service ID in the current account
    #[command(
        name = "service-id-create",
        after_help = "Examples:\n  \
            iamctl iam service-id-create my-service-id -d \"Deploys from CI\"\n  \
            iamctl iam service-id-create my-service-id --lock --output json | jq -r .id"
    )]
    ServiceIdCreate(ServiceIdCreateArgs),
    /// List the service IDs of the current account
    #[command(
        name = "service-ids",
        after_help = "Examples:\n  \
            iamctl iam service-ids\n  \
            iamctl iam service-ids --uuid\n  \
            iamctl iam service-ids -n deploy\n  \
            iamctl iam service-ids --output json | jq -r '.[] | select(.name == \"my-service-id\") | .id'"
    )]
    ServiceIds(UuidListArgs),
    /// Show a service ID (every service ID with that name, since names are not unique)
    #[command(
        name = "service-id",
        after_help = "Examples:\n  \
            iamctl iam service-id my-service-id\n  \
            iamctl iam service-id my-service-id --uuid\n  \
            iamctl iam service-id ServiceId-7a4f1e2c-0b9d-4c1e-9f3a-2d6b8e5c1a07 --output json | jq -r '.[0].iam_id'"
    )]
    ServiceId(ServiceIdShowArgs),
    /// Rename a service ID or change its description
    #[command(
        name = "service-id-update",
        after_help = "Examples:\n  \
            iamctl iam service-id-update my-service-id -n ci-deployer\n  \
            iamctl iam service-id-update ci-deployer -d \"Deploys from GitHub Actions\""
    )]
    ServiceIdUpdate(ServiceIdUpdateArgs),
    /// Delete a service ID and its API keys
    #[command(
        name = "service-id-delete",
        after_help = "Examples:\n  \
            iamctl iam service-id-delete my-service-id\n  \
            iamctl iam service-id-delete ServiceId-7a4f1e2c-0b9d-4c1e-9f3a-2d6b8e5c1a07 -f"
    )]
    ServiceIdDelete(ServiceIdChangeArgs),
    /// Lock a service ID so that it cannot be changed or deleted
    #[command(
        name = "service-id-lock",
        after_help = "Examples:\n  \
            iamctl iam service-id-lock my-service-id\n  \
            iamctl iam service-id-lock ServiceId-7a4f1e2c-0b9d-4c1e-9f3a-2d6b8e5c1a07 -f"
    )]
    ServiceIdLock(ServiceIdChangeArgs),
    /// Unlock a service ID
    #[command(
        name = "service-id-unlock",
        after_help = "Examples:\n  \
            iamctl iam service-id-unlock my-service-id\n  \
            iamctl iam service-id-unlock ServiceId-7a4f1e2c-0b9d-4c1e-9f3a-2d6b8e5c1a07 -f"
    )]
    ServiceIdUnlock(ServiceIdChangeArgs),

    /// Create an API key for a service ID
    #[command(
        name = "service-api-key-create",
        after_help = "Examples:\n  \
            iamctl iam service-api-key-create deploy-key my-service-id -d \"CI deploy\" --file key.json\n  \
            iamctl iam service-api-key-create deploy-key my-service-id --keyring deploy-key --action-if-leaked delete\n  \
            iamctl iam service-api-key-create deploy-key my-service-id --output json | jq -r .apikey"
    )]
    ServiceApiKeyCreate(ServiceApiKeyCreateArgs),
    /// List the API keys of a service ID
    #[command(
        name = "service-api-keys",
        after_help = "Examples:\n  \
            iamctl iam service-api-keys my-service-id\n  \
            iamctl iam service-api-keys --all -n deploy\n  \
            iamctl iam service-api-keys my-service-id --output json | jq -r '.[].id'"
    )]
    ServiceApiKeys(ServiceApiKeysArgs),
    /// Show an API key of a service ID
    #[command(
        name = "service-api-key",
        after_help = "Examples:\n  \
            iamctl iam service-api-key deploy-key my-service-id\n  \
            iamctl iam service-api-key deploy-key my-service-id --uuid\n  \
            iamctl iam service-api-key deploy-key my-service-id --output json | jq -r .id"
    )]
    ServiceApiKey(ServiceApiKeyShowArgs),
    /// Rename an API key of a service ID or change its description
    #[command(
        name = "service-api-key-update",
        after_help = "Examples:\n  \
            iamctl iam service-api-key-update deploy-key my-service-id -n deploy-key-2025\n  \
            iamctl iam service-api-key-update deploy-key-2025 my-service-id -d \"Replaced, delete after the next release\""
    )]
    ServiceApiKeyUpdate(ServiceApiKeyUpdateArgs),
    /// Delete an API key of a service ID
    #[command(
        name = "service-api-key-delete",
        after_help = "Examples:\n  \
            iamctl iam service-api-key-delete deploy-key-2025 my-service-id\n  \
            iamctl iam service-api-key-delete ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 my-service-id -f"
    )]
    ServiceApiKeyDelete(ServiceApiKeyChangeArgs),
    /// Lock an API key of a service ID so that it cannot be changed or deleted
    #[command(
        name = "service-api-key-lock",
        after_help = "Examples:\n  \
            iamctl iam service-api-key-lock deploy-key my-service-id\n  \
            iamctl iam service-api-key-lock ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 my-service-id -f"
    )]
    ServiceApiKeyLock(ServiceApiKeyChangeArgs),
    /// Unlock an API key of a service ID
    #[command(
        name = "service-api-key-unlock",
        after_help = "Examples:\n  \
            iamctl iam service-api-key-unlock deploy-key my-service-id\n  \
            iamctl iam service-api-key-unlock ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 my-service-id -f"
    )]
    ServiceApiKeyUnlock(ServiceApiKeyChangeArgs),
    /// Disable an API key of a service ID: it can no longer log in until enabled again
    #[command(
        name = "service-api-key-disable",
        after_help = "Examples:\n  \
            iamctl iam service-api-key-disable deploy-key my-service-id\n  \
            iamctl iam service-api-key-disable ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 my-service-id -f"
    )]
    ServiceApiKeyDisable(ServiceApiKeyChangeArgs),
    /// Enable a disabled API key of a service ID
    #[command(
        name = "service-api-key-enable",
        after_help = "Examples:\n  \
            iamctl iam service-api-key-enable deploy-key my-service-id\n  \
            iamctl iam service-api-key-enable ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 my-service-id -f"
    )]
    ServiceApiKeyEnable(ServiceApiKeyChangeArgs),

    /// Create an API key for yourself (the logged-in identity)
    #[command(
        name = "api-key-create",
        after_help = "Examples:\n  \
            iamctl iam api-key-create laptop-key -d \"My laptop\" --file laptop-key.json\n  \
            iamctl iam api-key-create terraform --keyring terraform && iamctl login --keyring terraform"
    )]
    ApiKeyCreate(ApiKeyCreateArgs),
    /// List your API keys in the current account
    #[command(
        name = "api-keys",
        after_help = "Examples:\n  \
            iamctl iam api-keys\n  \
            iamctl iam api-keys --uuid\n  \
            iamctl iam api-keys -d laptop\n  \
            iamctl iam api-keys --output json | jq -r '.[] | select(.locked | not) | .name'"
    )]
    ApiKeys(UuidListArgs),
    /// Show one of your API keys
    #[command(
        name = "api-key",
        after_help = "Examples:\n  \
            iamctl iam api-key laptop-key\n  \
            iamctl iam api-key ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 --output json | jq -r .crn"
    )]
    ApiKey(ApiKeyShowArgs),
    /// Rename one of your API keys or change its description
    #[command(
        name = "api-key-update",
        after_help = "Examples:\n  \
            iamctl iam api-key-update laptop-key -n old-laptop-key -d \"Replaced in June\""
    )]
    ApiKeyUpdate(ApiKeyUpdateArgs),
    /// Delete one of your API keys
    #[command(
        name = "api-key-delete",
        after_help = "Examples:\n  \
            iamctl iam api-key-delete old-laptop-key\n  \
            iamctl iam api-key-delete ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 -f"
    )]
    ApiKeyDelete(ApiKeyChangeArgs),
    /// Lock one of your API keys so that it cannot be changed or deleted
    #[command(
        name = "api-key-lock",
        after_help = "Examples:\n  \
            iamctl iam api-key-lock laptop-key\n  \
            iamctl iam api-key-lock ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 -f"
    )]
    ApiKeyLock(ApiKeyChangeArgs),
    /// Unlock one of your API keys
    #[command(
        name = "api-key-unlock",
        after_help = "Examples:\n  \
            iamctl iam api-key-unlock laptop-key\n  \
            iamctl iam api-key-unlock ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 -f"
    )]
    ApiKeyUnlock(ApiKeyChangeArgs),
    /// Disable one of your API keys: it can no longer log in until enabled again
    #[command(
        name = "api-key-disable",
        after_help = "Examples:\n  \
            iamctl iam api-key-disable laptop-key\n  \
            iamctl iam api-key-disable ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 -f"
    )]
    ApiKeyDisable(ApiKeyChangeArgs),
    /// Enable one of your disabled API keys
    #[command(
        name = "api-key-enable",
        after_help = "Examples:\n  \
            iamctl iam api-key-enable laptop-key\n  \
            iamctl iam api-key-enable ApiKey-3c9e5b1d-8f2a-4e7b-a6d0-1b4c7e9f2a58 -f"
    )]
    ApiKeyEnable(ApiKeyChangeArgs),

    /// Create a trusted profile in the current account
    #[command(
        name = "trusted-profile-create",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-create ci-workload -d \"Pods of the CI cluster\"\n  \
            iamctl iam trusted-profile-create ci-workload --output json | jq -r .id"
    )]
    TrustedProfileCreate(TrustedProfileCreateArgs),
    /// List the trusted profiles of the current account
    #[command(
        name = "trusted-profiles",
        after_help = "Examples:\n  \
            iamctl iam trusted-profiles\n  \
            iamctl iam trusted-profiles --id\n  \
            iamctl iam trusted-profiles --can-assume\n  \
            iamctl iam trusted-profiles --output json | jq -r '.[].name'"
    )]
    TrustedProfiles(ProfileListArgs),
    /// Show a trusted profile
    #[command(
        name = "trusted-profile",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile ci-workload\n  \
            iamctl iam trusted-profile ci-workload --id\n  \
            iamctl iam trusted-profile ci-workload --output json | jq -r .iam_id"
    )]
    TrustedProfile(TrustedProfileShowArgs),
    /// Rename a trusted profile or change its description
    #[command(
        name = "trusted-profile-update",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-update ci-workload -n ci-deployer\n  \
            iamctl iam trusted-profile-update ci-deployer -d \"Deploys from the CI cluster\""
    )]
    TrustedProfileUpdate(TrustedProfileUpdateArgs),
    /// Delete a trusted profile, its links and its trusted identities
    #[command(
        name = "trusted-profile-delete",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-delete ci-workload\n  \
            iamctl iam trusted-profile-delete Profile-0b9c3f6e-2a1d-4e8b-9c7f-5a3d1e2b4c6f -f"
    )]
    TrustedProfileDelete(TrustedProfileChangeArgs),
    /// Link a trusted profile to a compute resource, whose workloads may then log in as it
    #[command(
        name = "trusted-profile-link-create",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-link-create ci-workload --name ci-pods --cr-type IKS_SA --link-crn crn:v1:bluemix:public:containers-kubernetes:us-south:a/b0281c1d6e0b4a49a6f0d4c6c9a4f793:c1a2b3c4d5e6f7g8h9i0:: --link-namespace ci --link-name deployer"
    )]
    TrustedProfileLinkCreate(TrustedProfileLinkCreateArgs),
    /// List the compute-resource links of a trusted profile
    #[command(
        name = "trusted-profile-links",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-links ci-workload\n  \
            iamctl iam trusted-profile-links ci-workload --id\n  \
            iamctl iam trusted-profile-links ci-workload --output json | jq -r '.[].link.crn'"
    )]
    TrustedProfileLinks(TrustedProfileLinksArgs),
    /// Delete a compute-resource link of a trusted profile
    #[command(
        name = "trusted-profile-link-delete",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-link-delete ci-workload ci-pods\n  \
            iamctl iam trusted-profile-link-delete ci-workload ProfileLink-2f4e6a8c-1b3d-4f5a-9c7e-0d2b4f6a8c1e -f"
    )]
    TrustedProfileLinkDelete(TrustedProfileLinkDeleteArgs),
    /// Let an identity (a user, a service ID or a CRN) assume a trusted profile
    #[command(
        name = "trusted-profile-identity-create",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-identity-create deployer --id-type serviceid --id ServiceId-7a4f1e2c-0b9d-4c1e-9f3a-2d6b8e5c1a07\n  \
            iamctl iam trusted-profile-identity-create deployer --id-type user --id IBMid-6650001ABC --account b0281c1d6e0b4a49a6f0d4c6c9a4f793"
    )]
    TrustedProfileIdentityCreate(TrustedProfileIdentityCreateArgs),
    /// List the identities that may assume a trusted profile
    #[command(
        name = "trusted-profile-identities",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-identities deployer\n  \
            iamctl iam trusted-profile-identities deployer --id-type serviceid --id\n  \
            iamctl iam trusted-profile-identities deployer --output json | jq -r '.[].iam_id'"
    )]
    TrustedProfileIdentities(TrustedProfileIdentitiesArgs),
    /// Show one identity that may assume a trusted profile
    #[command(
        name = "trusted-profile-identity",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-identity deployer ServiceId-7a4f1e2c-0b9d-4c1e-9f3a-2d6b8e5c1a07 --id-type serviceid\n  \
            iamctl iam trusted-profile-identity deployer IBMid-6650001ABC --id-type user --output json"
    )]
    TrustedProfileIdentity(TrustedProfileIdentityArgs),
    /// Stop letting an identity assume a trusted profile
    #[command(
        name = "trusted-profile-identity-delete",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-identity-delete deployer ServiceId-7a4f1e2c-0b9d-4c1e-9f3a-2d6b8e5c1a07 --id-type serviceid -f"
    )]
    TrustedProfileIdentityDelete(TrustedProfileIdentityDeleteArgs),
    /// Assume a trusted profile, or show the one the session has assumed
    #[command(
        name = "trusted-profile-assume",
        long_about = "Assume a trusted profile: the session's tokens become the profile's (for \
                      oauth-tokens, exec and every IAM command), renewed with the caller's \
                      login, which the session keeps to return to with \
                      'iamctl trusted-profile-leave'. The profile must trust the caller \
                      ('iamctl trusted-profile-identity-create'); a name is looked up in the \
                      targeted account. Assuming another profile switches to it; the caller \
                      stays the same.\n\n\
                      Without NAME|ID: show the trusted profile the session has assumed.",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-assume deployer\n  \
            iamctl iam trusted-profile-assume Profile-0b9c3f6e-2a1d-4e8b-9c7f-5a3d1e2b4c6f -q\n  \
            iamctl iam trusted-profile-assume\n  \
            iamctl iam trusted-profile-assume --output json | jq -r .trusted_profile.id"
    )]
    TrustedProfileAssume(TrustedProfileAssumeArgs),
    /// Leave the trusted profile the session assumed, returning to its caller
    #[command(
        name = "trusted-profile-leave",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-leave\n  \
            iamctl iam trusted-profile-leave -q"
    )]
    TrustedProfileLeave(TrustedProfileLeaveArgs),

    /// Create an access policy for a user in the current account
    #[command(
        name = "user-policy-create",
        after_help = "Examples:\n  \
            iamctl iam user-policy-create name@example.com --roles Viewer --service-name kms\n  \
            iamctl iam user-policy-create name@example.com --roles Editor,Manager --service-name kms --region us-south\n  \
            iamctl iam user-policy-create IBMid-6650001DMO --roles Viewer --resource-group-name Default\n  \
            iamctl iam user-policy-create name@example.com --file @policy.json"
    )]
    UserPolicyCreate(PolicyCreateArgs<UserSubject>),
    /// Replace an access policy of a user
    #[command(
        name = "user-policy-update",
        after_help = "Examples:\n  \
            iamctl iam user-policy-update name@example.com 0bb730daa --roles Editor --service-name kms\n  \
            iamctl iam user-policy-update name@example.com 0bb730daa --file @policy.json"
    )]
    UserPolicyUpdate(PolicyUpdateArgs<UserSubject>),
    /// Delete an access policy of a user
    #[command(
        name = "user-policy-delete",
        after_help = "Examples:\n  \
            iamctl iam user-policy-delete name@example.com 0bb730daa\n  \
            iamctl iam user-policy-delete name@example.com 0bb730daa -f"
    )]
    UserPolicyDelete(PolicyDeleteArgs<UserSubject>),
    /// List the access policies of a user
    #[command(
        name = "user-policies",
        after_help = "Examples:\n  \
            iamctl iam user-policies name@example.com\n  \
            iamctl iam user-policies name@example.com --output json | jq -r '.[].id'"
    )]
    UserPolicies(PoliciesArgs<UserSubject>),
    /// Show an access policy of a user
    #[command(
        name = "user-policy",
        after_help = "Examples:\n  \
            iamctl iam user-policy name@example.com 0bb730daa\n  \
            iamctl iam user-policy name@example.com 0bb730daa --api-version v2 --output json"
    )]
    UserPolicy(PolicyShowArgs<UserSubject>),

    /// Create an access policy for a service ID
    #[command(
        name = "service-policy-create",
        after_help = "Examples:\n  \
            iamctl iam service-policy-create my-service-id --roles Writer --service-name kms\n  \
            iamctl iam service-policy-create my-service-id --roles Administrator --account-management\n  \
            iamctl iam service-policy-create my-service-id --roles Viewer --service-name is --attributes \"instanceId=*\"\n  \
            iamctl iam service-policy-create ServiceId-cb258cb9-8de3-4ac0-9aec-b2b2d27ac976 --file @policy.json"
    )]
    ServicePolicyCreate(PolicyCreateArgs<ServiceIdSubject>),
    /// Replace an access policy of a service ID
    #[command(
        name = "service-policy-update",
        after_help = "Examples:\n  \
            iamctl iam service-policy-update my-service-id 140798e2-8ea7db3 --roles Reader,Writer --service-name kms\n  \
            iamctl iam service-policy-update my-service-id 140798e2-8ea7db3 --file @policy.json"
    )]
    ServicePolicyUpdate(PolicyUpdateArgs<ServiceIdSubject>),
    /// Delete an access policy of a service ID
    #[command(
        name = "service-policy-delete",
        after_help = "Examples:\n  \
            iamctl iam service-policy-delete my-service-id 140798e2-8ea7db3\n  \
            iamctl iam service-policy-delete ServiceId-cb258cb9-8de3-4ac0-9aec-b2b2d27ac976 140798e2-8ea7db3 -f"
    )]
    ServicePolicyDelete(PolicyDeleteArgs<ServiceIdSubject>),
    /// List the access policies of a service ID
    #[command(
        name = "service-policies",
        after_help = "Examples:\n  \
            iamctl iam service-policies my-service-id\n  \
            iamctl iam service-policies my-service-id --api-version v2 --output json | jq -r '.[].id'"
    )]
    ServicePolicies(PoliciesArgs<ServiceIdSubject>),
    /// Show an access policy of a service ID
    #[command(
        name = "service-policy",
        after_help = "Examples:\n  \
            iamctl iam service-policy my-service-id 140798e2-8ea7db3\n  \
            iamctl iam service-policy my-service-id 140798e2-8ea7db3 --output json"
    )]
    ServicePolicy(PolicyShowArgs<ServiceIdSubject>),

    /// Create an access policy for a trusted profile
    #[command(
        name = "trusted-profile-policy-create",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-policy-create my-profile --roles Viewer\n  \
            iamctl iam trusted-profile-policy-create my-profile --roles Viewer --resource-group-name Default\n  \
            iamctl iam trusted-profile-policy-create my-profile --file @policy.json"
    )]
    TrustedProfilePolicyCreate(PolicyCreateArgs<ProfileSubject>),
    /// Replace an access policy of a trusted profile
    #[command(
        name = "trusted-profile-policy-update",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-policy-update my-profile 85f3a4d6-c2e1-417e-b2d5-7199d610c160 --roles Administrator --account-management\n  \
            iamctl iam trusted-profile-policy-update my-profile bdf62c30-35dd-4852-bcb8-2f0dd3929701 --file @policy.json"
    )]
    TrustedProfilePolicyUpdate(PolicyUpdateArgs<ProfileSubject>),
    /// Delete an access policy of a trusted profile
    #[command(
        name = "trusted-profile-policy-delete",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-policy-delete my-profile bdf62c30-35dd-4852-bcb8-2f0dd3929701 -f"
    )]
    TrustedProfilePolicyDelete(PolicyDeleteArgs<ProfileSubject>),
    /// List the access policies of a trusted profile
    #[command(
        name = "trusted-profile-policies",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-policies my-profile\n  \
            iamctl iam trusted-profile-policies Profile-bdf62c30-35dd-4852-bcb8-2f0dd3929701 --output json"
    )]
    TrustedProfilePolicies(PoliciesArgs<ProfileSubject>),
    /// Show an access policy of a trusted profile
    #[command(
        name = "trusted-profile-policy",
        after_help = "Examples:\n  \
            iamctl iam trusted-profile-policy my-profile bdf62c30-35dd-4852-bcb8-2f0dd3929701"
    )]
    TrustedProfilePolicy(PolicyShowArgs<ProfileSubject>),

    /// List the roles of a service (without --service, the platform roles)
    #[command(
        name = "roles",
        after_help = "Examples:\n  \
            iamctl iam roles\n  \
            iamctl iam roles --service kms\n  \
            iamctl iam roles --service cloud-object-storage --roles Writer --output json\n  \
            iamctl iam roles --source-service cloud-object-storage --service kms"
    )]
    Roles(RolesArgs),
    /// Create a custom role: a name for a set of actions of one service, which policies on
    /// that service can then grant
    #[command(
        name = "role-create",
        after_help = "Examples:\n  \
            iamctl iam role-create KeyWrapper --display-name \"Key Wrapper\" --service-name kms --actions kms.secrets.wrap,kms.secrets.unwrap\n  \
            iamctl iam role-create ServiceIDCreator --display-name \"Service ID Creator\" --service-name iam-identity --actions iam-identity.serviceid.create --description \"Can only create service IDs\"\n  \
            iamctl iam role-create PreviewCDCI --display-name \"Preview Toolchains\" --service-name toolchain -a toolchain.dashboard.view --output json | jq -r .crn"
    )]
    RoleCreate(RoleCreateArgs),
    /// List the access policies of the current account: of users, service IDs, access
    /// groups and trusted profiles
    #[command(
        name = "access-policies",
        after_help = "Examples:\n  \
            iamctl iam access-policies\n  \
            iamctl iam access-policies --type service_id\n  \
            iamctl iam access-policies --type user --sort-by -last_modified_at\n  \
            iamctl iam access-policies -t trusted_profile --api-version v2 --output json | jq -r '.[].id'"
    )]
    AccessPolicies(AccessPoliciesArgs),
    /// List every policy of the current account: access and authorization policies
    #[command(
        name = "account-policies",
        after_help = "Examples:\n  \
            iamctl iam account-policies\n  \
            iamctl iam account-policies -t auth\n  \
            iamctl iam account-policies -t access --output json | jq -r '.[].id'"
    )]
    AccountPolicies(AccountPoliciesArgs),

    /// List the access groups of the current account (or those an identity belongs to)
    #[command(
        name = "access-groups",
        after_help = "Examples:\n  \
            iamctl iam access-groups\n  \
            iamctl iam access-groups -s my-service-id\n  \
            iamctl iam access-groups -p test_profile --output json | jq -r '.[].name'"
    )]
    AccessGroups(AccessGroupsArgs),
    /// Show an access group
    #[command(
        name = "access-group",
        after_help = "Examples:\n  \
            iamctl iam access-group example_group\n  \
            iamctl iam access-group example_group --id"
    )]
    AccessGroup(AccessGroupShowArgs),
    /// Create an access group
    #[command(
        name = "access-group-create",
        after_help = "Examples:\n  \
            iamctl iam access-group-create example_group -d \"example access group\"\n  \
            iamctl iam access-group-create deployers --output json | jq -r .id"
    )]
    AccessGroupCreate(AccessGroupCreateArgs),
    /// Rename an access group or change its description
    #[command(
        name = "access-group-update",
        after_help = "Examples:\n  \
            iamctl iam access-group-update example_group --name hello_world_group\n  \
            iamctl iam access-group-update example_group -d \"Deploys from CI\""
    )]
    AccessGroupUpdate(AccessGroupUpdateArgs),
    /// Delete an access group
    #[command(
        name = "access-group-delete",
        after_help = "Examples:\n  \
            iamctl iam access-group-delete example_group\n  \
            iamctl iam access-group-delete example_group --force --recursive"
    )]
    AccessGroupDelete(AccessGroupDeleteArgs),
    /// Add users to an access group
    #[command(
        name = "access-group-user-add",
        after_help = "Examples:\n  \
            iamctl iam access-group-user-add example_group name@example.com\n  \
            iamctl iam access-group-user-add example_group --iam-ids IBMid-6650001DMO,IBMid-6650003OTH"
    )]
    AccessGroupUserAdd(AccessGroupUserAddArgs),
    /// Remove a user from an access group
    #[command(
        name = "access-group-user-remove",
        after_help = "Examples:\n  \
            iamctl iam access-group-user-remove example_group name@example.com"
    )]
    AccessGroupUserRemove(AccessGroupUserRemoveArgs),
    /// Remove a user from every access group of the account
    #[command(
        name = "access-group-user-purge",
        after_help = "Examples:\n  \
            iamctl iam access-group-user-purge name@example.com -f"
    )]
    AccessGroupUserPurge(AccessGroupUserPurgeArgs),
    /// List the users of an access group
    #[command(
        name = "access-group-users",
        after_help = "Examples:\n  \
            iamctl iam access-group-users example_group\n  \
            iamctl iam access-group-users example_group --output json | jq -r '.[].email'"
    )]
    AccessGroupUsers(AccessGroupArgs),
    /// Add service IDs to an access group
    #[command(
        name = "access-group-service-id-add",
        after_help = "Examples:\n  \
            iamctl iam access-group-service-id-add example_group example-service\n  \
            iamctl iam access-group-service-id-add example_group ServiceId-cb258cb9-8de3-4ac0-9aec-b2b2d27ac976 other-service"
    )]
    AccessGroupServiceIdAdd(AccessGroupServiceIdAddArgs),
    /// Remove a service ID from an access group
    #[command(
        name = "access-group-service-id-remove",
        after_help = "Examples:\n  \
            iamctl iam access-group-service-id-remove example_group example-service"
    )]
    AccessGroupServiceIdRemove(AccessGroupServiceIdRemoveArgs),
    /// Remove a service ID from every access group of the account
    #[command(
        name = "access-group-service-id-purge",
        after_help = "Examples:\n  \
            iamctl iam access-group-service-id-purge example-service --force"
    )]
    AccessGroupServiceIdPurge(AccessGroupServiceIdPurgeArgs),
    /// List the service IDs of an access group
    #[command(
        name = "access-group-service-ids",
        after_help = "Examples:\n  \
            iamctl iam access-group-service-ids example_group\n  \
            iamctl iam access-group-service-ids example_group --output json | jq -r '.[].iam_id'"
    )]
    AccessGroupServiceIds(AccessGroupArgs),
    /// Add trusted profiles to an access group
    #[command(
        name = "access-group-trusted-profile-add",
        after_help = "Examples:\n  \
            iamctl iam access-group-trusted-profile-add example_group my-profile\n  \
            iamctl iam access-group-trusted-profile-add example_group Profile-bdf62c30-35dd-4852-bcb8-2f0dd3929701 --output json"
    )]
    AccessGroupTrustedProfileAdd(AccessGroupProfileAddArgs),
    /// Remove a trusted profile from an access group
    #[command(
        name = "access-group-trusted-profile-remove",
        after_help = "Examples:\n  \
            iamctl iam access-group-trusted-profile-remove example_group my-profile"
    )]
    AccessGroupTrustedProfileRemove(AccessGroupProfileRemoveArgs),
    /// Remove a trusted profile from every access group of the account
    #[command(
        name = "access-group-trusted-profile-purge",
        after_help = "Examples:\n  \
            iamctl iam access-group-trusted-profile-purge my-profile -f"
    )]
    AccessGroupTrustedProfilePurge(AccessGroupProfilePurgeArgs),
    /// List the trusted profiles of an access group
    #[command(
        name = "access-group-trusted-profiles",
        after_help = "Examples:\n  \
            iamctl iam access-group-trusted-profiles example_group"
    )]
    AccessGroupTrustedProfiles(AccessGroupArgs),
    /// Create an access policy for an access group
    #[command(
        name = "access-group-policy-create",
        after_help = "Examples:\n  \
            iamctl iam access-group-policy-create example_group --roles Administrator --service-name kms\n  \
            iamctl iam access-group-policy-create example_group --roles Viewer --resource-group-name Default\n  \
            iamctl iam access-group-policy-create example_group -f @policy.json"
    )]
    AccessGroupPolicyCreate(GroupPolicyCreateArgs),
    /// Replace an access policy of an access group
    #[command(
        name = "access-group-policy-update",
        after_help = "Examples:\n  \
            iamctl iam access-group-policy-update example_group b8638ceb-5c4d-4d58-ae06-7ad95a10c4d4 --roles Viewer\n  \
            iamctl iam access-group-policy-update example_group b8638ceb-5c4d-4d58-ae06-7ad95a10c4d4 -f @policy.json"
    )]
    AccessGroupPolicyUpdate(GroupPolicyUpdateArgs),
    /// Delete an access policy of an access group
    #[command(
        name = "access-group-policy-delete",
        after_help = "Examples:\n  \
            iamctl iam access-group-policy-delete example_group 51b9717e-76b0-4f6a-bda7-b8132431f926 -f"
    )]
    AccessGroupPolicyDelete(PolicyDeleteArgs<GroupSubject>),
    /// List the access policies of an access group
    #[command(
        name = "access-group-policies",
        after_help = "Examples:\n  \
            iamctl iam access-group-policies example_group\n  \
            iamctl iam access-group-policies example_group --output json | jq -r '.[].id'"
    )]
    AccessGroupPolicies(PoliciesArgs<GroupSubject>),
    /// Show an access policy of an access group
    #[command(
        name = "access-group-policy",
        after_help = "Examples:\n  \
            iamctl iam access-group-policy example_group 51b9717e-76b0-4f6a-bda7-b8132431f926"
    )]
    AccessGroupPolicy(PolicyShowArgs<GroupSubject>),

    /// Let a service (or its instances) access another service: an authorization policy
    #[command(
        name = "authorization-policy-create",
        after_help = "Examples:\n  \
            iamctl iam authorization-policy-create cloud-object-storage kms Reader\n  \
            iamctl iam authorization-policy-create cloud-object-storage kms Reader --source-service-instance-id 123e4567-e89b-12d3-a456-426614174000\n  \
            iamctl iam authorization-policy-create --file @authorization.json"
    )]
    AuthorizationPolicyCreate(AuthorizationPolicyCreateArgs),
    /// Delete an authorization policy
    #[command(
        name = "authorization-policy-delete",
        after_help = "Examples:\n  \
            iamctl iam authorization-policy-delete 5a1e3c5d-8f2a-4e7b-a6d0-1b4c7e9f2a58 -f"
    )]
    AuthorizationPolicyDelete(AuthorizationPolicyDeleteArgs),
    /// Show an authorization policy
    #[command(
        name = "authorization-policy",
        after_help = "Examples:\n  \
            iamctl iam authorization-policy 5a1e3c5d-8f2a-4e7b-a6d0-1b4c7e9f2a58\n  \
            iamctl iam authorization-policy 5a1e3c5d-8f2a-4e7b-a6d0-1b4c7e9f2a58 --output json"
    )]
    AuthorizationPolicy(AuthorizationPolicyShowArgs),
    /// List the authorization policies of the current account
    #[command(
        name = "authorization-policies",
        after_help = "Examples:\n  \
            iamctl iam authorization-policies\n  \
            iamctl iam authorization-policies --output json | jq -r '.[].id'"
    )]
    AuthorizationPolicies(AuthorizationPoliciesArgs),

    /// List the API keys kept in the OS keyring with --keyring (never their secrets)
    #[command(
        name = "stored-keys",
        after_help = "Examples:\n  \
            iamctl iam stored-keys\n  \
            iamctl iam stored-keys --output json | jq -r '.[].name'"
    )]
    StoredKeys(ListArgs),
    /// Remove an API key kept with --keyring from this machine (the key stays valid in IAM)
    #[command(
        name = "stored-key-delete",
        long_about = "Remove an API key kept with --keyring from this machine: its secret leaves the \
                      OS keyring and its entry leaves stored-keys.json.\n\n\
                      The key itself is NOT deleted in IAM and stays valid: delete it with \
                      'iamctl service-api-key-delete' or 'iamctl api-key-delete'.",
        after_help = "Examples:\n  \
            iamctl iam stored-key-delete deploy-key\n  \
            iamctl iam stored-key-delete terraform -f"
    )]
    StoredKeyDelete(StoredKeyDeleteArgs),
}

impl IamCommand {
    /// The `--output` format the command was given (text for commands without one).
    pub fn format(&self) -> Format {
        use IamCommand as C;
        match self {
            C::OauthTokens(a) => a.output.base(),
            C::BearerToken(_) => Format::Text,
            C::ServiceIdCreate(a) => a.output.output,
            C::ServiceIds(a) | C::ApiKeys(a) => a.output.output,
            C::StoredKeys(a) => a.output.output,
            C::ServiceId(a) => a.output.output,
            C::ServiceIdUpdate(a) => a.output.output,
            C::ServiceIdDelete(a) | C::ServiceIdLock(a) | C::ServiceIdUnlock(a) => a.output.output,
            C::ServiceApiKeyCreate(a) => a.key.output.output,
            C::ServiceApiKeys(a) => a.output.output,
            C::ServiceApiKey(a) => a.output.output,
            C::ServiceApiKeyUpdate(a) => a.output.output,
            C::ServiceApiKeyDelete(a)
            | C::ServiceApiKeyLock(a)
            | C::ServiceApiKeyUnlock(a)
            | C::ServiceApiKeyDisable(a)
            | C::ServiceApiKeyEnable(a) => a.output.output,
            C::ApiKeyCreate(a) => a.key.output.output,
            C::ApiKey(a) => a.output.output,
            C::ApiKeyUpdate(a) => a.output.output,
            C::ApiKeyDelete(a)
            | C::ApiKeyLock(a)
            | C::ApiKeyUnlock(a)
            | C::ApiKeyDisable(a)
            | C::ApiKeyEnable(a) => a.output.output,
            C::StoredKeyDelete(a) => a.output.output,
            C::TrustedProfileCreate(a) => a.output.output,
            C::TrustedProfiles(a) => a.output.output,
            C::TrustedProfile(a) => a.output.output,
            C::TrustedProfileUpdate(a) => a.output.output,
            C::TrustedProfileDelete(a) => a.output.output,
            C::TrustedProfileLinkCreate(a) => a.output.output,
            C::TrustedProfileLinks(a) => a.output.output,
            C::TrustedProfileIdentities(a) => a.output.output,
            C::TrustedProfileIdentity(a) => a.output.output,
            C::TrustedProfileLinkDelete(a) => a.output.output,
            C::TrustedProfileIdentityCreate(a) => a.output.output,
            C::TrustedProfileIdentityDelete(a) => a.output.output,
            C::UserPolicyCreate(a) => a.output.output,
            C::ServicePolicyCreate(a) => a.output.output,
            C::TrustedProfilePolicyCreate(a) => a.output.output,
            C::UserPolicyUpdate(a) => a.output.output,
            C::ServicePolicyUpdate(a) => a.output.output,
            C::TrustedProfilePolicyUpdate(a) => a.output.output,
            C::UserPolicyDelete(a) => a.output.output,
            C::ServicePolicyDelete(a) => a.output.output,
            C::TrustedProfilePolicyDelete(a) => a.output.output,
            C::AccessGroupPolicyDelete(a) => a.output.output,
            C::UserPolicies(a) => a.output.output,
            C::ServicePolicies(a) => a.output.output,
            C::TrustedProfilePolicies(a) => a.output.output,
            C::AccessGroupPolicies(a) => a.output.output,
            C::UserPolicy(a) => a.output.output,
            C::ServicePolicy(a) => a.output.output,
            C::TrustedProfilePolicy(a) => a.output.output,
            C::AccessGroupPolicy(a) => a.output.output,
            C::Roles(a) => a.output.output,
            C::RoleCreate(a) => a.output.output,
            C::AccessPolicies(a) => a.output.output,
            C::AccountPolicies(a) => a.output.output,
            C::AccessGroups(a) => a.output.output,
            C::AccessGroup(a) => a.output.output,
            C::AccessGroupCreate(a) => a.output.output,
            C::AccessGroupUpdate(a) => a.output.output,
            C::AccessGroupDelete(a) => a.output.output,
            C::AccessGroupUserAdd(a) => a.output.output,
            C::AccessGroupUserRemove(a) => a.output.output,
            C::AccessGroupUserPurge(a) => a.output.output,
            C::AccessGroupUsers(a)
            | C::AccessGroupServiceIds(a)
            | C::AccessGroupTrustedProfiles(a) => a.output.output,
            C::AccessGroupServiceIdAdd(a) => a.output.output,
            C::AccessGroupServiceIdRemove(a) => a.output.output,
            C::AccessGroupServiceIdPurge(a) => a.output.output,
            C::AccessGroupTrustedProfileAdd(a) => a.output.output,
            C::AccessGroupTrustedProfileRemove(a) => a.output.output,
            C::AccessGroupTrustedProfilePurge(a) => a.output.output,
            C::AccessGroupPolicyCreate(a) => a.output.output,
            C::AccessGroupPolicyUpdate(a) => a.output.output,
            C::AuthorizationPolicyCreate(a) => a.output.output,
            C::AuthorizationPolicyDelete(a) => a.output.output,
            C::AuthorizationPolicy(a) => a.output.output,
            C::AuthorizationPolicies(a) => a.output.output,
            C::TrustedProfileAssume(a) => a.output.output,
            C::TrustedProfileLeave(_) => Format::Text,
        }
    }
}

/// The whole command tree: what parses, and what completions and man pages are made from.
pub fn command() -> clap::Command {
    Cli::command()
}

/// The commands other programs call in loops (scripts, kubectl, container registry
/// clients), answered past clap: building the whole command tree (every IAM command, twice:
/// under `iam` and flattened) costs more than the rest of a cached run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FastCommand {
    OauthTokens(TokenFormat),
    Kubectl,
    Docker(DockerAction),
}

/// A shortcut command and the `--session` it was given, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fast {
    pub session: Option<String>,
    pub command: FastCommand,
}

/// `[--session NAME] oauth-tokens [--output FORMAT]` and `bearer-token` (also under `iam`),
/// `[--session NAME] credential kubectl` and `[--session NAME] credential docker ACTION`, and
/// nothing else. Anything else, including `-q` and every error, goes through clap as usual;
/// a unit test keeps this in step with clap's parse.
pub fn fast_path(args: &[OsString]) -> Option<Fast> {
    use clap::ValueEnum;
    let args: Vec<&str> = args.iter().map(|a| a.to_str()).collect::<Option<_>>()?;
    let (session, rest) = match args.as_slice() {
        // clap takes a word after --session as its value only if it is not a flag.
        ["--session", name, rest @ ..] if !name.starts_with('-') => (Some(*name), rest),
        [first, rest @ ..] if first.starts_with("--session=") => {
            (first.strip_prefix("--session="), rest)
        }
        rest => (None, rest),
    };
    let command = match rest {
        ["credential", "kubectl"] => FastCommand::Kubectl,
        ["credential", "docker", action] => {
            FastCommand::Docker(DockerAction::from_str(action, false).ok()?)
        }
        ["bearer-token"] | ["iam", "bearer-token"] => FastCommand::OauthTokens(TokenFormat::Raw),
        ["oauth-tokens", rest @ ..] | ["iam", "oauth-tokens", rest @ ..] => {
            let value = match rest {
                [] => "text",
                ["--output", v] => v,
                [one] => one.strip_prefix("--output=")?,
                _ => return None,
            };
            FastCommand::OauthTokens(TokenFormat::from_str(value, true).ok()?)
        }
        _ => return None,
    };
    Some(Fast {
        session: session.map(str::to_string),
        command,
    })
}

/// What clap makes of a shortcut's command line, as `fast_path` would say it (`None` for
/// anything else): the unit test and the `argv` fuzz target hold the two to each other.
pub fn clap_fast(argv: &[&str]) -> Option<Fast> {
    let cli = Cli::try_parse_from(std::iter::once("iamctl").chain(argv.iter().copied())).ok()?;
    if cli.quiet {
        return None;
    }
    let command = match cli.command {
        Command::Iam(IamCommand::OauthTokens(a)) | Command::IamFlat(IamCommand::OauthTokens(a)) => {
            FastCommand::OauthTokens(a.output)
        }
        Command::Iam(IamCommand::BearerToken(_)) | Command::IamFlat(IamCommand::BearerToken(_)) => {
            FastCommand::OauthTokens(TokenFormat::Raw)
        }
        Command::Credential(CredentialCommand::Kubectl(a)) if !a.install => FastCommand::Kubectl,
        Command::Credential(CredentialCommand::Docker(DockerArgs {
            action: Some(action),
            install: None,
            ..
        })) => FastCommand::Docker(action),
        _ => return None,
    };
    Some(Fast {
        session: cli.session,
        command,
    })
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Show or set where secrets are kept: the OS keyring (default) or a plain file
    #[command(
        name = "secret-store",
        after_help = "Examples:\n  \
            iamctl config secret-store\n  \
            iamctl config secret-store file   # a CI container without a keyring\n  \
            iamctl config secret-store keyring"
    )]
    SecretStore(SecretStoreArgs),
    /// Show, add or remove the container registries the Docker credential helper answers for
    /// besides IBM Container Registry (icr.io and *.icr.io)
    #[command(after_help = "Examples:\n  \
            iamctl config registries\n  \
            iamctl config registries add registry.example.com:5000\n  \
            iamctl config registries remove registry.example.com:5000")]
    Registries(RegistriesArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegistryChange {
    Add,
    Remove,
}

#[derive(Debug, Args)]
pub struct RegistriesArgs {
    /// add or remove a host; without it, list the hosts
    #[arg(value_enum, requires = "host")]
    pub change: Option<RegistryChange>,

    /// The registry host as clients name it, with its port if it has one
    #[arg(value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// kubectl's exec credential plugin: print an ExecCredential with a fresh token for the
    /// cluster, or install the plugin in a kubeconfig
    #[command(
        long_about = "kubectl's exec credential plugin.\n\n\
            Without --install, prints a client.authentication.k8s.io/v1 ExecCredential whose \
            token is the one IBM Cloud Kubernetes Service clusters accept: an IAM token issued \
            to the cluster's client ('kube'), obtained through a delegated refresh token. It is \
            cached in the session and renewed single-flight, so kubectl's frequent calls cost \
            about what 'iamctl oauth-tokens' costs.\n\n\
            With --install, writes a user with this plugin into the kubeconfig given with \
            --kubeconfig (and nowhere else), and points the contexts of --cluster at it.",
        after_help = "Examples:\n  \
            iamctl credential kubectl --install --cluster mycluster --kubeconfig ~/.kube/config\n  \
            iamctl --session prod credential kubectl"
    )]
    Kubectl(KubectlArgs),
    /// A Docker credential helper for IBM Container Registry: get, store, erase, list (or
    /// install it as docker-credential-iamctl)
    #[command(
        long_about = "A Docker credential helper (docker, podman, skopeo, buildah) for IBM \
            Container Registry: icr.io, *.icr.io and the hosts added with 'iamctl config \
            registries add'.\n\n\
            'get' reads a registry host on stdin and prints {\"ServerURL\", \"Username\": \
            \"iambearer\", \"Secret\": <access token>}; other hosts, or no login, get the \
            protocol's 'credentials not found' answer. 'store' and 'erase' accept and keep \
            nothing; 'list' prints an empty object. Clients call it as docker-credential-iamctl: \
            --install DIR makes that name (a link to this iamctl) in DIR, which must be on PATH.",
        after_help = "Examples:\n  \
            iamctl credential docker --install ~/.local/bin\n  \
            echo us.icr.io | iamctl credential docker get"
    )]
    Docker(DockerArgs),
}

#[derive(Debug, Args)]
pub struct KubectlArgs {
    /// Write the plugin into a kubeconfig instead of printing a credential
    #[arg(long, requires_all = ["cluster", "kubeconfig"])]
    pub install: bool,

    /// With --install: the cluster (as named in the kubeconfig) whose contexts use iamctl
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// With --install: the kubeconfig to change
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DockerAction {
    Get,
    Store,
    Erase,
    List,
    /// The helper's name and version (the protocol's `version`)
    Version,
}

#[derive(Debug, Args)]
pub struct DockerArgs {
    /// The helper protocol's action (its input comes on stdin)
    #[arg(value_enum, required_unless_present = "install")]
    pub action: Option<DockerAction>,

    /// Make docker-credential-iamctl (a link to this iamctl) in DIR
    #[arg(long, value_name = "DIR", conflicts_with = "action")]
    pub install: Option<std::path::PathBuf>,

    /// With --install: replace an existing docker-credential-iamctl
    #[arg(short, long, requires = "install")]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SecretStoreChoice {
    /// The OS keyring (Secret Service, Keychain, Credential Manager)
    Keyring,
    /// secrets.json in the iamctl home, mode 0600, unencrypted (warns on every use)
    File,
}

#[derive(Debug, Args)]
pub struct SecretStoreArgs {
    /// The store to use from now on; without it, print the current one
    #[arg(value_enum)]
    pub store: Option<SecretStoreChoice>,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format: text or json
    #[arg(long, value_name = "FORMAT", value_enum, ignore_case = true, default_value_t = Format::Text)]
    pub output: Format,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    iamctl login --sso\n  \
    iamctl login -a https://cloud.ibm.com -u passcode -p CODE   # IBM console's command\n  \
    iamctl login -a https://cloud.ibm.com --apikey @apikey.json -r us-south -g Default\n  \
    iamctl --session ci login --keyring deploy-key --no-region\n  \
    iamctl login --cr-token --profile my-workload --no-region\n  \
    iamctl login --vpc-cri --profile Profile-7e6c1f2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b\n  \
    iamctl login --apikey @apikey.json --profile deployer")]
pub struct LoginArgs {
    /// API endpoint (default https://cloud.ibm.com; remembered)
    #[arg(short = 'a', long = "api-endpoint", value_name = "URL")]
    pub api_endpoint: Option<String>,

    /// API key: the key, @FILE, or - to read it from stdin (also IBMCLOUD_API_KEY)
    #[arg(long, value_name = "KEY|@FILE|-", conflicts_with_all = ["sso", "username"])]
    pub apikey: Option<String>,

    /// Log in as a trusted profile with this workload's compute-resource token: the token,
    /// @FILE, - (stdin), or no value for the platform's default token file (also
    /// IBMCLOUD_CR_TOKEN); needs --profile
    #[arg(
        long,
        value_name = "TOKEN|@FILE|-",
        num_args = 0..=1,
        default_missing_value = "",
        conflicts_with_all = ["apikey", "sso", "username", "keyring", "vpc_cri"]
    )]
    pub cr_token: Option<String>,

    /// Log in with this VPC virtual server's identity, from its metadata service
    /// (IBMCLOUD_CR_VPC_URL names another one), optionally as --profile ID|CRN
    #[arg(long, conflicts_with_all = ["apikey", "sso", "username", "keyring"])]
    pub vpc_cri: bool,

    /// Trusted profile: the one a --cr-token or --vpc-cri login becomes (also
    /// IBMCLOUD_CR_PROFILE), or, with any other login, the one to assume
    #[arg(long, value_name = "ID|NAME|CRN")]
    pub profile: Option<String>,

    /// Log in with a one-time code from the SSO passcode page (read from stdin without a terminal)
    #[arg(long, conflicts_with = "username")]
    pub sso: bool,

    /// Log in with an API key kept in the OS keyring by 'api-key-create --keyring NAME' or
    /// 'service-api-key-create --keyring NAME' (see 'iamctl stored-keys')
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with_all = ["apikey", "sso", "username"],
        add = ArgValueCandidates::new(stored_key_candidates)
    )]
    pub keyring: Option<String>,

    /// User name (email) for a password login; 'passcode' makes -p a one-time code, as in
    /// the command IBM's console hands out
    #[arg(short = 'u', value_name = "USER")]
    pub username: Option<String>,

    /// Password, or with -u passcode the one-time code (when omitted or -: prompted for,
    /// hidden, on a terminal; read from stdin otherwise)
    #[arg(short = 'p', value_name = "PASSWORD", requires = "username")]
    pub password: Option<String>,

    /// Account to target
    #[arg(
        short = 'c',
        value_name = "ACCOUNT_ID",
        conflicts_with = "no_account",
        add = ArgValueCandidates::new(account_candidates)
    )]
    pub account: Option<String>,

    /// Do not target an account
    #[arg(long)]
    pub no_account: bool,

    /// Accept an invitation to join the account given with -c
    #[arg(long, requires = "account")]
    pub accept: bool,

    /// Region to target (IBM documents -r; --region is the same)
    #[arg(
        short = 'r',
        long = "region",
        value_name = "REGION",
        conflicts_with = "no_region",
        add = ArgValueCandidates::new(region_candidates)
    )]
    pub region: Option<String>,

    /// Do not target a region (and do not ask for one)
    #[arg(long)]
    pub no_region: bool,

    /// Resource group to target (name or ID; default: the account's default group)
    #[arg(
        short = 'g',
        value_name = "RESOURCE_GROUP",
        add = ArgValueCandidates::new(resource_group_candidates)
    )]
    pub resource_group: Option<String>,

    /// Do not offer to open the SSO page in a browser (the URL is printed either way)
    #[arg(long)]
    pub no_browser: bool,

    /// Do not verify TLS certificates (remembered; warns on every use)
    #[arg(long)]
    pub skip_ssl_validation: bool,

    /// Also trust the CA certificates in this PEM file, such as iam-emulator's (remembered)
    #[arg(long, value_name = "FILE", env = "IAMCTL_CA_CERT", value_hint = clap::ValueHint::FilePath)]
    pub ca_cert: Option<std::path::PathBuf>,

    /// Reach a private API endpoint (-a private.cloud.ibm.com) from VPC: IBM's global
    /// private endpoints, instead of Classic infrastructure's per-region ones
    #[arg(long)]
    pub vpc: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    iamctl logout\n  \
    iamctl --session staging logout")]
pub struct LogoutArgs {}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    iamctl target -r eu-de -g Default\n  \
    iamctl target -c b0281c1d6e0b4a49a6f0d4c6c9a4f793\n  \
    iamctl target --output json | jq -r .account.guid")]
pub struct TargetArgs {
    /// Switch to another account (the token is re-scoped to it)
    #[arg(
        short = 'c',
        value_name = "ACCOUNT_ID",
        add = ArgValueCandidates::new(account_candidates)
    )]
    pub account: Option<String>,

    /// Target a region (IBM documents -r; --region is the same)
    #[arg(
        short = 'r',
        long = "region",
        value_name = "REGION",
        conflicts_with = "unset_region",
        add = ArgValueCandidates::new(region_candidates)
    )]
    pub region: Option<String>,

    /// Target a resource group (name or ID)
    #[arg(
        short = 'g',
        value_name = "RESOURCE_GROUP",
        conflicts_with = "unset_resource_group",
        add = ArgValueCandidates::new(resource_group_candidates)
    )]
    pub resource_group: Option<String>,

    /// Stop targeting a region
    #[arg(long)]
    pub unset_region: bool,

    /// Stop targeting a resource group
    #[arg(long)]
    pub unset_resource_group: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    iamctl iam oauth-tokens | grep IAM | cut -d \\: -f 2 | sed 's/^ *//'\n  \
    iamctl iam oauth-tokens --output json | jq -r '\"Authorization: \" + .iam_token' | curl -H @- https://iam.cloud.ibm.com/v1/apikeys\n  \
    eval \"$(iamctl iam oauth-tokens --output env)\"   # sets IBMCLOUD_IAM_TOKEN and IC_IAM_TOKEN")]
pub struct OauthTokensArgs {
    /// Output format: text ('IAM token:  Bearer <jwt>'), json, raw (the bare token, no
    /// 'Bearer'), or env (export lines for IBMCLOUD_IAM_TOKEN and IC_IAM_TOKEN, valued
    /// 'Bearer <jwt>')
    #[arg(long, value_name = "FORMAT", value_enum, ignore_case = true, default_value_t = TokenFormat::Text)]
    pub output: TokenFormat,

    /// Print a delegated refresh token that only these OAuth clients (comma list, e.g. kube)
    /// can redeem, for handing to another service; never the session's own refresh token
    #[arg(long, value_name = "CLIENT[,CLIENT]")]
    pub delegate_to: Option<String>,
}

/// `bearer-token`: IBM documents no flags.
#[derive(Debug, Args)]
pub struct BearerTokenArgs {}

#[derive(Debug, Args)]
#[command(
    long_about = "Run a command with a fresh IAM token in its environment, and keep it \
        supplied for as long as it runs.\n\n\
        The token is renewed first if it is about to expire, then COMMAND runs with \
        IBMCLOUD_IAM_TOKEN and IC_IAM_TOKEN (read by the IBM Terraform provider) set to \
        'Bearer <jwt>', IAMCTL_SESSION set to the session used, and IAMCTL_TOKEN_FILE naming \
        a private file (mode 0600) with the bare token, which iamctl rewrites before each \
        expiry while COMMAND runs and removes when it ends: long-running tools that re-read \
        it never run out. Standard input, output and error are the command's own; iamctl \
        prints nothing on success, never the token. Signals sent to iamctl go on to the \
        command, and the exit status is the command's (a command killed by a signal makes \
        iamctl die of the same signal). A command that cannot be found exits 127, one that \
        cannot be run exits 126, like a shell.",
    after_help = "Examples:\n  \
        iamctl exec -- terraform plan\n  \
        iamctl --session prod exec -- sh -c 'printf \"Authorization: %s\\n\" \"$IBMCLOUD_IAM_TOKEN\" | curl -sH @- https://iam.cloud.ibm.com/v1/apikeys'\n  \
        iamctl exec -- sh -c 'while sleep 600; do printf \"Authorization: Bearer %s\\n\" \"$(cat \"$IAMCTL_TOKEN_FILE\")\" | curl -sH @- https://iam.cloud.ibm.com/v1/apikeys; done'"
)]
pub struct ExecArgs {
    /// Also pass the session's refresh token as IC_IAM_REFRESH_TOKEN, for the IBM Terraform
    /// provider to renew by itself (anything the command runs can then read it: only for
    /// commands you trust)
    #[arg(long)]
    pub with_refresh_token: bool,

    /// Leave this variable of iamctl's environment to the command although it holds an API
    /// key (IBMCLOUD_API_KEY, IC_API_KEY, BLUEMIX_API_KEY and BM_API_KEY are removed: the
    /// command gets a token instead); repeatable
    #[arg(long, value_name = "VAR")]
    pub keep_env: Vec<String>,

    /// The command to run and its arguments (after '--')
    #[arg(
        value_name = "COMMAND",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<OsString>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Show a token's claims and when it expires (no signature check, no network)
    #[command(
        long_about = "Show an access token's claims and when it expires, in local time.\n\n\
            Decodes the JWT payload only: the signature is NOT checked, so the output says \
            what the token claims, not that IAM issued it. Nothing is sent over the network. \
            Without TOKEN, the session's current token is shown as it is (even expired; run \
            'iamctl oauth-tokens' to renew it).",
        after_help = "Examples:\n  \
            iamctl token decode\n  \
            iamctl token decode --output json | jq .account.bss\n  \
            iamctl --session prod iam oauth-tokens | iamctl token decode -"
    )]
    Decode(TokenDecodeArgs),
}

#[derive(Debug, Args)]
pub struct TokenDecodeArgs {
    /// The token, with or without 'Bearer ', or - to read it from stdin (safer: arguments
    /// are visible to other users in the process list); default: the session's token
    #[arg(value_name = "TOKEN|-", allow_hyphen_values = true)]
    pub token: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(
    long_about = "List the named sessions: name, user, account, API endpoint and whether the \
        access token is still valid. The active session (chosen by --session, else \
        IAMCTL_SESSION, else 'iamctl session-switch', else 'default') is marked with '*'.\n\n\
        Create a session with 'iamctl --session NAME login ...'.",
    after_help = "Examples:\n  \
        iamctl sessions\n  \
        iamctl sessions --output json | jq -r '.[] | select(.active) | .name'"
)]
pub struct SessionsArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(
    long_about = "Make a named session the active one for every later command that has no \
        --session flag and no IAMCTL_SESSION variable. Nothing is sent to IBM Cloud: the \
        session keeps its own login, account and tokens.",
    after_help = "Examples:\n  \
        iamctl session-switch staging\n  \
        iamctl session-switch default"
)]
pub struct SessionSwitchArgs {
    /// The session to make active (see 'iamctl sessions')
    #[arg(value_name = "NAME", add = ArgValueCandidates::new(session_candidates))]
    pub name: String,
}

#[derive(Debug, Args)]
#[command(
    long_about = "Log out of a named session (its refresh token and API key leave the \
        keyring) and remove its file. 'iamctl logout' only clears a session: its API \
        endpoint and region stay, and it is still listed.",
    after_help = "Examples:\n  \
        iamctl session-delete staging"
)]
pub struct SessionDeleteArgs {
    /// The session to remove (see 'iamctl sessions')
    #[arg(value_name = "NAME", add = ArgValueCandidates::new(session_candidates))]
    pub name: String,
}

#[derive(Debug, Args)]
#[command(
    long_about = "Print the shell completion script for bash, zsh, fish, powershell or elvish.\n\n\
        The script asks iamctl what to offer on every TAB, so completions always match the \
        installed iamctl: commands, flags, and values such as account IDs, resource groups, \
        service-ID names and session names. Those values come from a cache that commands \
        fill as they fetch them; TAB never contacts IBM Cloud and never opens the keyring.",
    after_help = "Examples:\n  \
        iamctl completion bash > ~/.local/share/bash-completion/completions/iamctl\n  \
        source <(iamctl completion zsh)          # in ~/.zshrc, after compinit\n  \
        iamctl completion fish > ~/.config/fish/completions/iamctl.fish"
)]
pub struct CompletionArgs {
    /// The shell to print the script for
    #[arg(value_name = "SHELL", value_enum)]
    pub shell: CompletionShell,
}

/// Skips the confirmation prompt.
#[derive(Debug, Clone, Args)]
pub struct ForceArgs {
    /// Do not ask for confirmation (needed without a terminal)
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

/// IBM's list filters: keep the entries whose name or description includes a string.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Only those whose name includes STRING (case-sensitive)
    #[arg(short = 'n', long = "name", value_name = "STRING")]
    pub name: Option<String>,

    /// Only those whose description includes STRING (case-sensitive)
    #[arg(short = 'd', long = "description", value_name = "STRING")]
    pub description: Option<String>,
}

/// A list whose IDs alone `--uuid` prints, as `ibmcloud iam service-ids --uuid` does.
#[derive(Debug, Args)]
pub struct UuidListArgs {
    /// Print only the IDs, one per line
    #[arg(long, conflicts_with = "output")]
    pub uuid: bool,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `trusted-profiles`: IBM's flag for the IDs alone is `--id` here (`--uuid` works too).
#[derive(Debug, Args)]
pub struct ProfileListArgs {
    /// Print only the IDs, one per line
    #[arg(long, alias = "uuid", conflicts_with = "output")]
    pub id: bool,

    /// Only the profiles you (the logged-in identity) may assume
    #[arg(long)]
    pub can_assume: bool,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ServiceIdCreateArgs {
    /// Name of the new service ID (names need not be unique)
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Description of the service ID
    #[arg(short, long, value_name = "DESCRIPTION")]
    pub description: Option<String>,

    /// Lock the service ID so that it cannot be changed or deleted until unlocked
    #[arg(long)]
    pub lock: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ServiceIdShowArgs {
    /// Name or ID (ServiceId-...) of the service ID
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: String,

    /// Print only the ID (one line per service ID with that name)
    #[arg(long, conflicts_with = "output")]
    pub uuid: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("change").required(true).multiple(true).args(["new_name", "description"]))]
pub struct ServiceIdUpdateArgs {
    /// Name or ID (ServiceId-...) of the service ID
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: String,

    /// New name
    #[arg(short = 'n', long = "name", value_name = "NEW_NAME")]
    pub new_name: Option<String>,

    /// New description
    #[arg(short, long, value_name = "DESCRIPTION")]
    pub description: Option<String>,

    /// Accepted for compatibility with ibmcloud scripts; updates do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Delete, lock, unlock.
#[derive(Debug, Args)]
pub struct ServiceIdChangeArgs {
    /// Name or ID (ServiceId-...) of the service ID
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LeakAction {
    None,
    Disable,
    Delete,
}

impl LeakAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LeakAction::None => "none",
            LeakAction::Disable => "disable",
            LeakAction::Delete => "delete",
        }
    }
}

/// What both key-creating commands accept.
#[derive(Debug, Args)]
pub struct KeyCreateArgs {
    /// Name of the new API key
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Description of the API key
    #[arg(short, long, value_name = "DESCRIPTION")]
    pub description: Option<String>,

    /// Save the key in a new file, mode 0600, as IBM's CLI does (JSON with name, description,
    /// apikey, createdAt, locked, uuid); the secret is then not printed
    #[arg(long, value_name = "FILE", conflicts_with = "keyring")]
    pub file: Option<std::path::PathBuf>,

    /// Keep the key in the OS keyring under NAME (see 'iamctl stored-keys', 'iamctl login
    /// --keyring NAME'); the secret is never printed, and reaches disk only if you opted in
    /// to the file secret store (IAMCTL_SECRET_STORE=file)
    #[arg(long, value_name = "NAME")]
    pub keyring: Option<String>,

    /// Replace an existing --file, or an existing --keyring entry of that name
    #[arg(long)]
    pub replace: bool,

    /// Create without confirmation (IBM's flag; iamctl never asks before creating a key,
    /// so it changes nothing: --replace is what overwrites)
    #[arg(short, long)]
    pub force: bool,

    /// Lock the API key so that it cannot be changed or deleted until unlocked
    #[arg(long)]
    pub lock: bool,

    /// What IAM does if it finds the key leaked
    #[arg(long, value_name = "ACTION", value_enum, ignore_case = true)]
    pub action_if_leaked: Option<LeakAction>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ServiceApiKeyCreateArgs {
    #[command(flatten)]
    pub key: KeyCreateArgs,

    /// Name or ID (ServiceId-...) of the service ID that owns the key
    #[arg(value_name = "SERVICE_ID", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: String,
}

#[derive(Debug, Args)]
pub struct ApiKeyCreateArgs {
    #[command(flatten)]
    pub key: KeyCreateArgs,
}

#[derive(Debug, Args)]
pub struct ServiceApiKeysArgs {
    /// Name or ID (ServiceId-...) of the service ID
    #[arg(
        value_name = "SERVICE_ID",
        required_unless_present = "all",
        add = ArgValueCandidates::new(service_id_candidates)
    )]
    pub service_id: Option<String>,

    /// The API keys of every service ID of the account
    #[arg(short, long, conflicts_with = "service_id")]
    pub all: bool,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Accepted for compatibility with ibmcloud scripts; listing never asks for confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ServiceApiKeyShowArgs {
    /// Name or ID (ApiKey-...) of the API key
    #[arg(value_name = "NAME|ID")]
    pub key: String,

    /// Name or ID (ServiceId-...) of the service ID that owns the key
    #[arg(value_name = "SERVICE_ID", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: String,

    /// Print only the key's ID
    #[arg(long, conflicts_with = "output")]
    pub uuid: bool,

    /// Accepted for compatibility with ibmcloud scripts; showing never asks for confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("change").required(true).multiple(true).args(["new_name", "description", "action_if_leaked"]))]
pub struct ServiceApiKeyUpdateArgs {
    /// Name or ID (ApiKey-...) of the API key
    #[arg(value_name = "NAME|ID")]
    pub key: String,

    /// Name or ID (ServiceId-...) of the service ID that owns the key
    #[arg(value_name = "SERVICE_ID", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: String,

    /// New name
    #[arg(short = 'n', long = "name", value_name = "NEW_NAME")]
    pub new_name: Option<String>,

    /// New description
    #[arg(short, long, value_name = "DESCRIPTION")]
    pub description: Option<String>,

    /// What IAM does if it finds the key leaked
    #[arg(long, value_name = "ACTION", value_enum, ignore_case = true)]
    pub action_if_leaked: Option<LeakAction>,

    /// Accepted for compatibility with ibmcloud scripts; updates do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ServiceApiKeyChangeArgs {
    /// Name or ID (ApiKey-...) of the API key
    #[arg(value_name = "NAME|ID")]
    pub key: String,

    /// Name or ID (ServiceId-...) of the service ID that owns the key
    #[arg(value_name = "SERVICE_ID", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ApiKeyShowArgs {
    /// Name or ID (ApiKey-...) of the API key
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(api_key_candidates))]
    pub key: String,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("change").required(true).multiple(true).args(["new_name", "description", "action_if_leaked"]))]
pub struct ApiKeyUpdateArgs {
    /// Name or ID (ApiKey-...) of the API key
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(api_key_candidates))]
    pub key: String,

    /// New name
    #[arg(short = 'n', long = "name", value_name = "NEW_NAME")]
    pub new_name: Option<String>,

    /// New description
    #[arg(short, long, value_name = "DESCRIPTION")]
    pub description: Option<String>,

    /// What IAM does if it finds the key leaked
    #[arg(long, value_name = "ACTION", value_enum, ignore_case = true)]
    pub action_if_leaked: Option<LeakAction>,

    /// Accepted for compatibility with ibmcloud scripts; updates do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ApiKeyChangeArgs {
    /// Name or ID (ApiKey-...) of the API key
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(api_key_candidates))]
    pub key: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct StoredKeyDeleteArgs {
    /// Name the key was stored under with --keyring
    #[arg(value_name = "NAME", add = ArgValueCandidates::new(stored_key_candidates))]
    pub name: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TrustedProfileCreateArgs {
    /// Name of the new trusted profile (unique in the account)
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Description of the trusted profile
    #[arg(short, long, value_name = "DESCRIPTION")]
    pub description: Option<String>,

    /// Email address of the trusted profile
    #[arg(short, long, value_name = "EMAIL_ADDRESS")]
    pub email: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TrustedProfileShowArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// Print only the profile's ID (IBM's flag; --uuid works too)
    #[arg(long, alias = "uuid", conflicts_with = "output")]
    pub id: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// A command about one trusted profile's links or identities.
#[derive(Debug, Args)]
pub struct TrustedProfileArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("change").required(true).multiple(true).args(["new_name", "description", "email"]))]
pub struct TrustedProfileUpdateArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// New name
    #[arg(short = 'n', long = "name", value_name = "NEW_NAME")]
    pub new_name: Option<String>,

    /// New description
    #[arg(short, long, value_name = "DESCRIPTION")]
    pub description: Option<String>,

    /// New email address (empty removes it)
    #[arg(short, long, value_name = "EMAIL_ADDRESS")]
    pub email: Option<String>,

    /// Accepted for compatibility with ibmcloud scripts; updates do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TrustedProfileChangeArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `trusted-profile-links`.
#[derive(Debug, Args)]
pub struct TrustedProfileLinksArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// Print only the links' IDs, one per line
    #[arg(long, conflicts_with = "output")]
    pub id: bool,

    /// Fail if several profiles have the name (IBM's flag; iamctl always does)
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `trusted-profile-identities`.
#[derive(Debug, Args)]
pub struct TrustedProfileIdentitiesArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// Only identities of this kind
    #[arg(long, value_name = "TYPE", value_enum, ignore_case = true)]
    pub id_type: Option<IdentityType>,

    /// Print only the identities' identifiers, one per line
    #[arg(long, conflicts_with = "output")]
    pub id: bool,

    /// Fail if several profiles have the name (IBM's flag; iamctl always does)
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `trusted-profile-identity`: one identity, by its identifier.
#[derive(Debug, Args)]
pub struct TrustedProfileIdentityArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// The identity: a user's IAM ID, a service ID's ID, or a CRN
    #[arg(value_name = "IDENTIFIER")]
    pub identifier: String,

    /// Kind of identity
    #[arg(long, value_name = "TYPE", value_enum, ignore_case = true)]
    pub id_type: IdentityType,

    /// Print only the identity's identifier
    #[arg(long, conflicts_with = "output")]
    pub id: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// The kinds of compute resource a trusted profile can be linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CrType {
    /// A VPC virtual server instance
    #[value(name = "VSI")]
    Vsi,
    /// A Power Virtual Server instance
    #[value(name = "PVS")]
    Pvs,
    /// A bare metal server
    #[value(name = "BMS")]
    Bms,
    /// A service account of an IBM Kubernetes Service cluster
    #[value(name = "IKS_SA")]
    IksSa,
    /// A service account of a Red Hat OpenShift cluster
    #[value(name = "ROKS_SA")]
    RoksSa,
    /// A Code Engine component
    #[value(name = "CE")]
    Ce,
}

impl CrType {
    pub fn as_str(self) -> &'static str {
        match self {
            CrType::Vsi => "VSI",
            CrType::Pvs => "PVS",
            CrType::Bms => "BMS",
            CrType::IksSa => "IKS_SA",
            CrType::RoksSa => "ROKS_SA",
            CrType::Ce => "CE",
        }
    }
}

#[derive(Debug, Args)]
pub struct TrustedProfileLinkCreateArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// Name of the link
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// Kind of compute resource
    #[arg(long, value_name = "TYPE", value_enum, ignore_case = true)]
    pub cr_type: CrType,

    /// CRN of the compute resource (for Kubernetes: the cluster's CRN)
    #[arg(long, value_name = "CRN")]
    pub link_crn: String,

    /// Kubernetes namespace of the service account (IKS_SA, ROKS_SA)
    #[arg(long, value_name = "NAMESPACE")]
    pub link_namespace: Option<String>,

    /// Name of the service account (IKS_SA, ROKS_SA) or Code Engine component
    #[arg(long, value_name = "NAME")]
    pub link_name: Option<String>,

    /// Fail if several profiles have the name (IBM's flag; iamctl always does)
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TrustedProfileLinkDeleteArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// Name or ID of the link
    #[arg(value_name = "LINK")]
    pub link: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// The kinds of identity that may assume a trusted profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IdentityType {
    /// A user, by IAM ID (IBMid-...)
    User,
    /// A service ID, by its ID (ServiceId-...)
    Serviceid,
    /// A service instance, by CRN
    Crn,
}

impl IdentityType {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityType::User => "user",
            IdentityType::Serviceid => "serviceid",
            IdentityType::Crn => "crn",
        }
    }
}

#[derive(Debug, Args)]
pub struct TrustedProfileIdentityCreateArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// Kind of identity
    #[arg(long, value_name = "TYPE", value_enum, ignore_case = true)]
    pub id_type: IdentityType,

    /// The identity: a user's IAM ID, a service ID's ID, or a CRN (IBM's flag; --identifier
    /// works too)
    #[arg(long = "id", alias = "identifier", value_name = "IDENTIFIER")]
    pub identifier: String,

    /// For a user: an account from which the user may assume the profile (repeatable)
    #[arg(long = "account", value_name = "ACCOUNT_ID")]
    pub accounts: Vec<String>,

    /// Description of the identity
    #[arg(short, long, value_name = "DESCRIPTION")]
    pub description: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TrustedProfileIdentityDeleteArgs {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// The identity: a user's IAM ID, a service ID's ID, or a CRN
    #[arg(value_name = "IDENTIFIER", required_unless_present = "old_identifier")]
    pub identifier: Option<String>,

    /// The identity, as earlier iamctl releases took it
    #[arg(
        long = "identifier",
        value_name = "IDENTIFIER",
        hide = true,
        conflicts_with = "identifier"
    )]
    pub old_identifier: Option<String>,

    /// Kind of identity
    #[arg(long, value_name = "TYPE", value_enum, ignore_case = true)]
    pub id_type: IdentityType,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

// ---- Access: policies, roles, access groups, authorizations (issue 20) ----------------------

/// `--api-version`: which Policy Management API a policy command uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyApiVersion {
    V1,
    V2,
}

/// The flags every policy command shares.
#[derive(Debug, Args)]
pub struct PolicyApiArgs {
    /// Version of the access policy API: v1 (/v1/policies) or v2 (/v2/policies)
    #[arg(long, value_name = "v1|v2", value_enum, ignore_case = true, default_value_t = PolicyApiVersion::V1)]
    pub api_version: PolicyApiVersion,
}

/// A user, by user name (email) or IAM ID.
#[derive(Debug, Args)]
pub struct UserSubject {
    /// The user: user name (email) or IAM ID (IBMid-...)
    #[arg(value_name = "USER_NAME")]
    pub user: String,
}

/// A service ID, by name or ID.
#[derive(Debug, Args)]
pub struct ServiceIdSubject {
    /// Name or ID (ServiceId-...) of the service ID
    #[arg(value_name = "SERVICE_ID", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: String,
}

/// A trusted profile, by name or ID.
#[derive(Debug, Args)]
pub struct ProfileSubject {
    /// Name or ID (Profile-...) of the trusted profile
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,
}

/// An access group, by name or ID.
#[derive(Debug, Args)]
pub struct GroupSubject {
    /// Name or ID (AccessGroupId-...) of the access group
    #[arg(value_name = "GROUP_NAME", add = ArgValueCandidates::new(access_group_candidates))]
    pub group: String,
}

/// What a policy grants, from flags (exclusive with --file).
#[derive(Debug, Args)]
pub struct PolicyDefinitionArgs {
    /// Role names of the policy definition, comma-separated ('iamctl roles --service
    /// SERVICE_NAME' lists a service's roles)
    #[arg(
        short = 'r',
        long,
        value_name = "ROLE_NAME1,ROLE_NAME2...",
        value_delimiter = ',',
        conflicts_with = "file",
        add = ArgValueCandidates::new(role_candidates)
    )]
    pub roles: Vec<String>,

    /// Service name of the policy definition
    #[arg(
        long,
        value_name = "SERVICE_NAME",
        conflicts_with_all = ["file", "account_management"],
        add = ArgValueCandidates::new(service_name_candidates)
    )]
    pub service_name: Option<String>,

    /// GUID of the service instance of the policy definition
    #[arg(long, value_name = "SERVICE_INSTANCE_GUID", conflicts_with = "file")]
    pub service_instance: Option<String>,

    /// Region of the policy definition
    #[arg(long, value_name = "REGION", conflicts_with = "file", add = ArgValueCandidates::new(region_candidates))]
    pub region: Option<String>,

    /// Resource type of the policy definition
    #[arg(long, value_name = "RESOURCE_TYPE", conflicts_with = "file")]
    pub resource_type: Option<String>,

    /// Resource of the policy definition
    #[arg(long, value_name = "RESOURCE", conflicts_with = "file")]
    pub resource: Option<String>,

    /// Name of the resource group ('*': all resource groups)
    #[arg(
        long,
        value_name = "RESOURCE_GROUP_NAME",
        conflicts_with_all = ["file", "resource_group_id"],
        add = ArgValueCandidates::new(resource_group_candidates)
    )]
    pub resource_group_name: Option<String>,

    /// ID of the resource group ('*': all resource groups)
    #[arg(long, value_name = "RESOURCE_GROUP_ID", conflicts_with = "file")]
    pub resource_group_id: Option<String>,

    /// Give access to all account management services
    #[arg(long, conflicts_with = "file")]
    pub account_management: bool,

    /// Resource attributes, as name=value,name=value... ('*' in a value is a wildcard)
    #[arg(long, value_name = "name=value,name=value...", conflicts_with = "file")]
    pub attributes: Option<String>,

    /// Access tags of the resource, as name:value,name:value...
    #[arg(long, value_name = "name:value,name:value...", conflicts_with = "file")]
    pub tags: Option<String>,
}

#[derive(Debug, Args)]
pub struct PolicyCreateArgs<S: clap::Args> {
    #[command(flatten)]
    pub subject: S,

    #[command(flatten)]
    pub definition: PolicyDefinitionArgs,

    /// JSON file of the policy definition, in the API's shape (@FILE or FILE); exclusive
    /// with the flags above
    #[arg(long, value_name = "@JSON_FILE")]
    pub file: Option<String>,

    /// Accepted for compatibility with ibmcloud scripts; creating asks for no confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PolicyUpdateArgs<S: clap::Args> {
    #[command(flatten)]
    pub subject: S,

    /// ID of the policy
    #[arg(value_name = "POLICY_ID", add = ArgValueCandidates::new(policy_candidates))]
    pub policy_id: String,

    #[command(flatten)]
    pub definition: PolicyDefinitionArgs,

    /// JSON file of the policy definition, in the API's shape (@FILE or FILE); exclusive
    /// with the flags above
    #[arg(long, value_name = "@JSON_FILE")]
    pub file: Option<String>,

    /// Accepted for compatibility with ibmcloud scripts; updating asks for no confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `access-group-policy-create`: IBM's `-f` is `--file` here.
#[derive(Debug, Args)]
pub struct GroupPolicyCreateArgs {
    #[command(flatten)]
    pub subject: GroupSubject,

    #[command(flatten)]
    pub definition: PolicyDefinitionArgs,

    /// JSON file of the policy definition, in the API's shape (@FILE or FILE); exclusive
    /// with the flags above
    #[arg(short = 'f', long, value_name = "@JSON_FILE")]
    pub file: Option<String>,

    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `access-group-policy-update`: IBM's `-f` is `--file` here.
#[derive(Debug, Args)]
pub struct GroupPolicyUpdateArgs {
    #[command(flatten)]
    pub subject: GroupSubject,

    /// ID of the policy
    #[arg(value_name = "POLICY_ID", add = ArgValueCandidates::new(policy_candidates))]
    pub policy_id: String,

    #[command(flatten)]
    pub definition: PolicyDefinitionArgs,

    /// JSON file of the policy definition, in the API's shape (@FILE or FILE); exclusive
    /// with the flags above
    #[arg(short = 'f', long, value_name = "@JSON_FILE")]
    pub file: Option<String>,

    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PolicyDeleteArgs<S: clap::Args> {
    #[command(flatten)]
    pub subject: S,

    /// ID of the policy
    #[arg(value_name = "POLICY_ID", add = ArgValueCandidates::new(policy_candidates))]
    pub policy_id: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PoliciesArgs<S: clap::Args> {
    #[command(flatten)]
    pub subject: S,

    /// Accepted for compatibility with ibmcloud scripts; listing asks for no confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PolicyShowArgs<S: clap::Args> {
    #[command(flatten)]
    pub subject: S,

    /// ID of the policy
    #[arg(value_name = "POLICY_ID", add = ArgValueCandidates::new(policy_candidates))]
    pub policy_id: String,

    /// Accepted for compatibility with ibmcloud scripts; showing asks for no confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RolesArgs {
    /// Name of the service (without it: the platform roles only)
    #[arg(long, value_name = "SERVICE_NAME", add = ArgValueCandidates::new(service_name_candidates))]
    pub service: Option<String>,

    /// Show only these roles, comma-separated
    #[arg(long, value_name = "ROLE_NAME1,ROLE_NAME2...", value_delimiter = ',', add = ArgValueCandidates::new(role_candidates))]
    pub roles: Vec<String>,

    /// Roles of a resource type of --service: not supported (IAM's role listing takes no
    /// resource type); refused, naming the listing without it
    #[arg(long, value_name = "RESOURCE_TYPE", requires = "service")]
    pub resource_type: Option<String>,
    /// The source service of an authorization: list the roles it may be given on --service
    #[arg(long, value_name = "SOURCE_SERVICE_NAME", requires = "service", add = ArgValueCandidates::new(service_name_candidates))]
    pub source_service: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RoleCreateArgs {
    /// Name of the role, used in its CRN: alphanumeric, starting with a capital letter
    #[arg(value_name = "ROLE_NAME")]
    pub name: String,

    /// The name of the role that the console shows
    #[arg(long, value_name = "DISPLAY_NAME", required = true)]
    pub display_name: String,

    /// The service whose actions the role grants
    #[arg(long, value_name = "SERVICE_NAME", required = true, add = ArgValueCandidates::new(service_name_candidates))]
    pub service_name: String,

    /// The actions the role grants, comma-separated (at least one; the actions of a
    /// service's roles: 'iamctl roles --service SERVICE_NAME --output json')
    #[arg(
        short,
        long,
        value_name = "ROLE_ACTION1,ROLE_ACTION2...",
        value_delimiter = ','
    )]
    pub actions: Vec<String>,

    /// Description of the role
    #[arg(short, long, value_name = "DESCRIPTION")]
    pub description: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessPoliciesArgs {
    /// Only the policies of one kind of subject
    #[arg(
        short = 't',
        long = "type",
        value_name = "user|service_id|access_group|trusted_profile",
        add = ArgValueCandidates::new(crate::complete::subject_kind_candidates)
    )]
    pub subject_type: Option<String>,

    /// Sort by id, type, href, created_at, created_by_id, last_modified_at,
    /// last_modified_by_id or state; a '-' before the field reverses the order
    #[arg(
        long,
        value_name = "ATTRIBUTE",
        allow_hyphen_values = true,
        add = ArgValueCandidates::new(crate::complete::policy_sort_candidates)
    )]
    pub sort_by: Option<String>,

    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccountPoliciesArgs {
    /// Only the policies of one type: access, or auth (authorization)
    #[arg(
        short = 't',
        long = "type",
        value_name = "access|auth",
        add = ArgValueCandidates::new(crate::complete::policy_type_candidates)
    )]
    pub policy_type: Option<String>,

    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("member").multiple(false).args(["user", "service_id", "profile"]))]
pub struct AccessGroupsArgs {
    /// Only the access groups this user (user name or IAM ID) belongs to
    #[arg(short = 'u', value_name = "USER_NAME")]
    pub user: Option<String>,

    /// Only the access groups this service ID (name or ID) belongs to
    #[arg(short = 's', value_name = "SERVICE_ID_NAME", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: Option<String>,

    /// Only the access groups this trusted profile (name or ID) belongs to
    #[arg(short = 'p', value_name = "PROFILE_NAME|PROFILE_ID", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupShowArgs {
    #[command(flatten)]
    pub group: GroupSubject,

    /// Print only the group's ID
    #[arg(long, conflicts_with = "output")]
    pub id: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupCreateArgs {
    /// Name of the new access group (unique in the account)
    #[arg(value_name = "GROUP_NAME")]
    pub name: String,

    /// Description of the access group
    #[arg(short, long, value_name = "DESCRIPTION")]
    pub description: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("change").required(true).multiple(true).args(["new_name", "description"]))]
pub struct AccessGroupUpdateArgs {
    #[command(flatten)]
    pub group: GroupSubject,

    /// New name
    #[arg(short = 'n', long = "name", value_name = "NEW_NAME")]
    pub new_name: Option<String>,

    /// New description
    #[arg(short, long, value_name = "NEW_DESCRIPTION")]
    pub description: Option<String>,

    /// Accepted for compatibility with ibmcloud scripts; updates do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupDeleteArgs {
    #[command(flatten)]
    pub group: GroupSubject,

    #[command(flatten)]
    pub force: ForceArgs,

    /// Delete the group even if it has members
    #[arg(short, long)]
    pub recursive: bool,

    /// Delete every access group with this name
    #[arg(short, long)]
    pub all: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// A command about one access group's members.
#[derive(Debug, Args)]
pub struct AccessGroupArgs {
    #[command(flatten)]
    pub group: GroupSubject,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("who").required(true).multiple(true).args(["users", "iam_ids"]))]
pub struct AccessGroupUserAddArgs {
    #[command(flatten)]
    pub group: GroupSubject,

    /// The users to add, by user name (email) or IAM ID
    #[arg(value_name = "USER_NAME")]
    pub users: Vec<String>,

    /// The users to add, by IAM ID, comma-separated
    #[arg(long, value_name = "IAM_ID1,IAM_ID2,...", value_delimiter = ',')]
    pub iam_ids: Vec<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupUserRemoveArgs {
    #[command(flatten)]
    pub group: GroupSubject,

    /// The user to remove, by user name (email) or IAM ID
    #[arg(value_name = "USER_NAME")]
    pub user: String,

    /// Accepted for compatibility with ibmcloud scripts; removing from one group asks for no
    /// confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupUserPurgeArgs {
    /// The user to remove from every access group, by user name (email) or IAM ID
    #[arg(value_name = "USER_NAME")]
    pub user: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupServiceIdAddArgs {
    #[command(flatten)]
    pub group: GroupSubject,

    /// The service IDs to add, by name or ID (ServiceId-...)
    #[arg(value_name = "SERVICE_ID_NAME", required = true, add = ArgValueCandidates::new(service_id_candidates))]
    pub service_ids: Vec<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupServiceIdRemoveArgs {
    #[command(flatten)]
    pub group: GroupSubject,

    /// The service ID to remove, by name or ID (ServiceId-...)
    #[arg(value_name = "SERVICE_ID_NAME", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: String,

    /// Accepted for compatibility with ibmcloud scripts; removing from one group asks for no
    /// confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupServiceIdPurgeArgs {
    /// The service ID to remove from every access group, by name or ID (ServiceId-...)
    #[arg(value_name = "SERVICE_ID_NAME", add = ArgValueCandidates::new(service_id_candidates))]
    pub service_id: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupProfileAddArgs {
    #[command(flatten)]
    pub group: GroupSubject,

    /// The trusted profiles to add, by name or ID (Profile-...)
    #[arg(value_name = "PROFILE_NAME|PROFILE_ID", required = true, add = ArgValueCandidates::new(profile_candidates))]
    pub profiles: Vec<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupProfileRemoveArgs {
    #[command(flatten)]
    pub group: GroupSubject,

    /// The trusted profile to remove, by name or ID (Profile-...)
    #[arg(value_name = "PROFILE_NAME|PROFILE_ID", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    /// Accepted for compatibility with ibmcloud scripts; removing from one group asks for no
    /// confirmation
    #[arg(short, long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AccessGroupProfilePurgeArgs {
    /// The trusted profile to remove from every access group, by name or ID (Profile-...)
    #[arg(value_name = "PROFILE_NAME|PROFILE_ID", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AuthorizationPolicyCreateArgs {
    /// The source service, whose instances are given access
    #[arg(value_name = "SOURCE_SERVICE_NAME", required_unless_present = "file", conflicts_with = "file", add = ArgValueCandidates::new(service_name_candidates))]
    pub source: Option<String>,

    /// The target service, which the source may access
    #[arg(value_name = "TARGET_SERVICE_NAME", required_unless_present = "file", add = ArgValueCandidates::new(service_name_candidates))]
    pub target: Option<String>,

    /// The roles the source gets on the target, comma-separated
    #[arg(value_name = "ROLE_NAME1,ROLE_NAME2...", required_unless_present = "file", value_delimiter = ',', add = ArgValueCandidates::new(role_candidates))]
    pub roles: Vec<String>,

    /// Source service instance ID (default: every instance of the source service)
    #[arg(
        long,
        value_name = "SOURCE_SERVICE_INSTANCE_ID",
        conflicts_with = "source_resource_group_id"
    )]
    pub source_service_instance_id: Option<String>,

    /// Account GUID of the source service, when it is in another account
    #[arg(long, value_name = "ACCOUNT_GUID")]
    pub source_service_account: Option<String>,
    /// Source service instance by name: not supported (IBM's CLI looks names up in the
    /// resource controller, which iamctl does not use); give --source-service-instance-id
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "source_service_instance_id"
    )]
    pub source_service_instance_name: Option<String>,
    /// Target service instance by name: not supported; give --target-service-instance-id
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "target_service_instance_id"
    )]
    pub target_service_instance_name: Option<String>,

    /// Source resource group ID
    #[arg(long, value_name = "RESOURCE_GROUP_ID")]
    pub source_resource_group_id: Option<String>,

    /// Resource type of the source service
    #[arg(long, value_name = "RESOURCE_TYPE")]
    pub source_resource_type: Option<String>,

    /// Resource of the source service
    #[arg(long, value_name = "RESOURCE")]
    pub source_resource: Option<String>,

    /// Target service instance ID (default: every instance of the target service)
    #[arg(
        long,
        value_name = "TARGET_SERVICE_INSTANCE_ID",
        conflicts_with = "target_resource_group_id"
    )]
    pub target_service_instance_id: Option<String>,

    /// Target resource group ID
    #[arg(long, value_name = "RESOURCE_GROUP_ID")]
    pub target_resource_group_id: Option<String>,

    /// Resource type of the target service
    #[arg(long, value_name = "RESOURCE_TYPE")]
    pub target_resource_type: Option<String>,

    /// Resource of the target service
    #[arg(long, value_name = "RESOURCE")]
    pub target_resource: Option<String>,

    /// JSON file of the policy definition, in the v1 API's shape (@FILE or FILE)
    #[arg(long, value_name = "@JSON_FILE")]
    pub file: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AuthorizationPolicyDeleteArgs {
    /// ID of the authorization policy
    #[arg(value_name = "AUTHORIZATION_POLICY_ID", add = ArgValueCandidates::new(policy_candidates))]
    pub policy_id: String,

    #[command(flatten)]
    pub force: ForceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AuthorizationPolicyShowArgs {
    /// ID of the authorization policy
    #[arg(value_name = "AUTHORIZATION_POLICY_ID", add = ArgValueCandidates::new(policy_candidates))]
    pub policy_id: String,

    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AuthorizationPoliciesArgs {
    #[command(flatten)]
    pub api: PolicyApiArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TrustedProfileAssumeArgs {
    /// Name or ID (Profile-...) of the trusted profile to assume; without it, show the one
    /// the session has assumed
    #[arg(value_name = "NAME|ID", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TrustedProfileLeaveArgs {}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("iamctl").chain(args.iter().copied()))
    }

    #[test]
    fn oauth_tokens_is_reachable_with_and_without_iam() {
        for argv in [&["oauth-tokens"][..], &["iam", "oauth-tokens"][..]] {
            let cli = parse(argv).unwrap_or_else(|e| panic!("{e}"));
            assert!(matches!(
                cli.command,
                Command::Iam(IamCommand::OauthTokens(_))
                    | Command::IamFlat(IamCommand::OauthTokens(_))
            ));
        }
        let cli = parse(&["oauth-tokens", "--output", "JSON"]).unwrap_or_else(|e| panic!("{e}"));
        let Command::IamFlat(IamCommand::OauthTokens(a)) = cli.command else {
            panic!("wrong command")
        };
        assert_eq!(a.output, TokenFormat::Json);
    }

    #[test]
    fn the_shortcut_agrees_with_clap() {
        let os = |argv: &[&str]| argv.iter().map(OsString::from).collect::<Vec<_>>();
        for argv in [
            &["oauth-tokens"][..],
            &["iam", "oauth-tokens"][..],
            &["oauth-tokens", "--output", "raw"][..],
            &["oauth-tokens", "--output", "ENV"][..],
            &["iam", "oauth-tokens", "--output=json"][..],
            &["oauth-tokens", "--output=Text"][..],
            &["oauth-tokens", "--output", "github-actions"][..],
            &["--session", "x", "oauth-tokens"][..],
            &["--session=ci", "oauth-tokens", "--output", "raw"][..],
            &["credential", "kubectl"][..],
            &["--session", "prod", "credential", "kubectl"][..],
            &["credential", "docker", "get"][..],
            &["credential", "docker", "list"][..],
        ] {
            let fast = fast_path(&os(argv));
            assert!(fast.is_some(), "{argv:?}");
            assert_eq!(fast, clap_fast(argv), "{argv:?}");
        }
        // Everything else is clap's: other flags, errors, help.
        for argv in [
            &["oauth-tokens", "-q"][..],
            &["oauth-tokens", "--session", "x"][..],
            &["oauth-tokens", "--output", "yaml"][..],
            &["oauth-tokens", "--output"][..],
            &["oauth-tokens", "--help"][..],
            &["oauth-tokens", "--output", "raw", "extra"][..],
            &["credential", "kubectl", "--install"][..],
            &["credential", "docker", "GET"][..],
            &["credential", "docker"][..],
            &["--session", "oauth-tokens"][..],
            &["--session", "-q", "oauth-tokens"][..],
            &["iam"][..],
            &[][..],
        ] {
            assert_eq!(fast_path(&os(argv)), None, "{argv:?}");
        }
    }

    #[test]
    fn exec_takes_everything_after_the_separator() {
        let cli = parse(&["exec", "--", "terraform", "plan", "--output", "json", "-q"])
            .unwrap_or_else(|e| panic!("{e}"));
        let Command::Exec(a) = cli.command else {
            panic!("wrong command")
        };
        assert_eq!(a.command, ["terraform", "plan", "--output", "json", "-q"]);
        assert!(!cli.quiet);
        let cli = parse(&["--session", "prod", "exec", "env"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.session.as_deref(), Some("prod"));
    }

    #[test]
    fn api_key_starting_with_a_dash_works_with_equals() {
        let cli = parse(&["login", "--apikey=-abc"]).unwrap_or_else(|e| panic!("{e}"));
        let Command::Login(a) = cli.command else {
            panic!("wrong command")
        };
        assert_eq!(a.apikey.as_deref(), Some("-abc"));
        let cli = parse(&["login", "--apikey", "-"]).unwrap_or_else(|e| panic!("{e}"));
        let Command::Login(a) = cli.command else {
            panic!("wrong command")
        };
        assert_eq!(a.apikey.as_deref(), Some("-"));
    }

    #[test]
    fn conflicting_flags_are_usage_errors() {
        for argv in [
            &["login", "--apikey", "k", "--sso"][..],
            &["login", "-c", "a", "--no-account"][..],
            &["login", "-p", "pw"][..],
            &["target", "-r", "us-south", "--unset-region"][..],
            &["oauth-tokens", "--output", "yaml"][..],
        ] {
            let err = match parse(argv) {
                Err(e) => e,
                Ok(_) => panic!("{argv:?} accepted"),
            };
            assert_eq!(err.exit_code(), 2, "{argv:?}");
        }
    }
}
