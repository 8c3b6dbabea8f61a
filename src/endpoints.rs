//! API endpoint -> service URLs.
//!
//! `https://cloud.ibm.com` (and its `test.` and `private.` variants) map to IBM's per-service
//! hosts; any other URL (the emulator, a proxy) serves every service on its own origin.
//! `IAM_ENDPOINT` overrides the IAM URL. Plain `http://` is only accepted for loopback hosts.

use url::{Host, Url};

/// Where an endpoint came from; the command layer names the flag or variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    ApiEndpoint,
    /// The IAM endpoint that overrides the one the API endpoint implies.
    IamEndpoint,
    /// The VPC instance metadata service.
    MetadataService,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Place::ApiEndpoint => "the API endpoint",
            Place::IamEndpoint => "the IAM endpoint",
            Place::MetadataService => "the metadata service URL",
        })
    }
}

/// An endpoint iamctl refuses, and where it came from.
#[derive(Debug)]
pub enum EndpointError {
    Empty {
        place: Place,
    },
    Invalid {
        input: String,
        place: Place,
        source: url::ParseError,
    },
    /// Plain http to a host that is not loopback.
    PlainHttp {
        input: String,
        place: Place,
    },
    Scheme {
        scheme: String,
        input: String,
        place: Place,
    },
    NoHost {
        input: String,
        place: Place,
    },
    /// A private endpoint on Classic infrastructure without one of the regions that serve it.
    PrivateRegion {
        input: String,
        region: Option<String>,
    },
    /// The VPC's private endpoints asked for with an endpoint that is not private.
    VpcNotPrivate {
        input: String,
    },
}

/// The regions whose Classic private endpoints serve the CLI (IBM's "Using private endpoints").
pub const CLASSIC_PRIVATE_REGIONS: [&str; 2] = ["us-south", "us-east"];

/// How a private API endpoint (`private.cloud.ibm.com`) is reached: from Classic
/// infrastructure, per region, or from a VPC, through IBM's global private endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach<'a> {
    /// Not said: a private endpoint maps to the global private hosts (for showing one).
    Any,
    Classic {
        region: Option<&'a str>,
    },
    Vpc,
}

impl EndpointError {
    pub fn place(&self) -> Place {
        match self {
            EndpointError::Empty { place }
            | EndpointError::Invalid { place, .. }
            | EndpointError::PlainHttp { place, .. }
            | EndpointError::Scheme { place, .. }
            | EndpointError::NoHost { place, .. } => *place,
            EndpointError::PrivateRegion { .. } | EndpointError::VpcNotPrivate { .. } => {
                Place::ApiEndpoint
            }
        }
    }

    /// The refusal, naming where the endpoint came from as `from` says it.
    pub fn describe(&self, from: &str) -> String {
        match self {
            EndpointError::Empty { .. } => format!("The endpoint given with {from} is empty."),
            EndpointError::Invalid { input, source, .. } => {
                format!("'{input}' given with {from} is not a valid URL: {source}.")
            }
            EndpointError::PlainHttp { input, .. } => format!(
                "Refusing plain http:// for '{input}' ({from}): tokens and secrets would cross \
                 the network unencrypted."
            ),
            EndpointError::Scheme { scheme, input, .. } => {
                format!("Unsupported URL scheme '{scheme}' in '{input}' ({from}).")
            }
            EndpointError::NoHost { input, .. } => {
                format!("'{input}' given with {from} has no host.")
            }
            EndpointError::PrivateRegion {
                input,
                region: None,
            } => format!(
                "The private endpoint '{input}' ({from}) serves Classic infrastructure per \
                 region, and no region is targeted."
            ),
            EndpointError::PrivateRegion {
                input,
                region: Some(r),
            } => format!(
                "The private endpoint '{input}' ({from}) serves Classic infrastructure in {} \
                 only, not in {r}.",
                CLASSIC_PRIVATE_REGIONS.join(" and ")
            ),
            EndpointError::VpcNotPrivate { input } => format!(
                "--vpc reaches IBM's private endpoints from a VPC, but '{input}' ({from}) is \
                 not a private endpoint."
            ),
        }
    }
}

impl std::fmt::Display for EndpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe(&self.place().to_string()))
    }
}

impl std::error::Error for EndpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EndpointError::Invalid { source, .. } => Some(source),
            _ => None,
        }
    }
}

type Result<T, E = EndpointError> = std::result::Result<T, E>;

pub const DEFAULT_API_ENDPOINT: &str = "https://cloud.ibm.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The API endpoint as the user sees it (normalised, no trailing slash).
    pub api: String,
    pub iam: String,
    pub accounts: String,
    pub resource_controller: String,
}

impl Endpoints {
    /// Resolves the service URLs for an API endpoint. `iam_override` is `IAM_ENDPOINT`.
    pub fn resolve(api_endpoint: &str, iam_override: Option<&str>) -> Result<Endpoints> {
        Self::resolve_on(api_endpoint, iam_override, Reach::Any)
    }

    /// As `resolve`, with IBM's rules for private endpoints: Classic ones are per region
    /// (`private.us-south.iam.cloud.ibm.com`), VPC ones global (`private.iam.cloud.ibm.com`).
    pub fn resolve_on(
        api_endpoint: &str,
        iam_override: Option<&str>,
        reach: Reach<'_>,
    ) -> Result<Endpoints> {
        let api = parse_endpoint(api_endpoint, Place::ApiEndpoint)?;
        let api_str = origin_string(&api);
        let (iam, accounts, resource_controller) = match ibm_hosts(&api, reach)? {
            Some(hosts) => hosts,
            None => (api_str.clone(), api_str.clone(), api_str.clone()),
        };
        let iam = match iam_override.map(str::trim).filter(|s| !s.is_empty()) {
            Some(url) => origin_string(&parse_endpoint(url, Place::IamEndpoint)?),
            None => iam,
        };
        Ok(Endpoints {
            api: api_str,
            iam,
            accounts,
            resource_controller,
        })
    }
}

fn is_ibm_host(host: &str) -> bool {
    host == "cloud.ibm.com" || host.ends_with(".cloud.ibm.com")
}

/// `cloud.ibm.com`, `test.cloud.ibm.com`, `private.cloud.ibm.com`,
/// `private.test.cloud.ibm.com` (and the legacy `api.` prefix) -> the service hosts.
fn ibm_hosts(api: &Url, reach: Reach<'_>) -> Result<Option<(String, String, String)>> {
    let input = origin_string(api);
    let Some(host) = api.host_str().map(str::to_ascii_lowercase) else {
        return Ok(None);
    };
    let ibm = is_ibm_host(&host);
    let (private, rest) = match host.strip_prefix("private.") {
        Some(rest) => (true, rest.to_string()),
        None => (false, host.clone()),
    };
    if reach == Reach::Vpc && !(ibm && private) {
        return Err(EndpointError::VpcNotPrivate { input });
    }
    if !ibm {
        return Ok(None);
    }
    let prefix = match (private, reach) {
        (false, _) => String::new(),
        (true, Reach::Any | Reach::Vpc) => "private.".to_string(),
        (true, Reach::Classic { region: Some(r) }) if CLASSIC_PRIVATE_REGIONS.contains(&r) => {
            format!("private.{r}.")
        }
        (true, Reach::Classic { region }) => {
            return Err(EndpointError::PrivateRegion {
                input,
                region: region.map(str::to_string),
            });
        }
    };
    let base = rest.strip_prefix("api.").unwrap_or(&rest).to_string();
    let port = api.port().map(|p| format!(":{p}")).unwrap_or_default();
    let svc = |name: &str| format!("https://{prefix}{name}.{base}{port}");
    Ok(Some((
        svc("iam"),
        svc("accounts"),
        svc("resource-controller"),
    )))
}

/// Whether an API endpoint (as given: the scheme may be missing) is one of IBM's private ones.
pub fn is_private(api_endpoint: &str) -> bool {
    parse_endpoint(api_endpoint, Place::ApiEndpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|h| is_ibm_host(&h) && h.starts_with("private."))
}

/// Whether an API endpoint is IBM's private one reached from Classic infrastructure, whose
/// service hosts depend on the targeted region.
pub fn is_classic_private(api_endpoint: &str, iam_endpoint: &str) -> bool {
    is_private(api_endpoint)
        && CLASSIC_PRIVATE_REGIONS
            .iter()
            .any(|r| iam_endpoint.contains(&format!("://private.{r}.")))
}

/// Parses a user-given endpoint: adds `https://` when no scheme is given, refuses
/// anything but https, except http on loopback hosts.
pub fn parse_endpoint(input: &str, place: Place) -> Result<Url> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(EndpointError::Empty { place });
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let input = trimmed.to_string();
    let url = Url::parse(&with_scheme).map_err(|source| EndpointError::Invalid {
        input: input.clone(),
        place,
        source,
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(EndpointError::PlainHttp { input, place }),
        other => {
            return Err(EndpointError::Scheme {
                scheme: other.to_string(),
                input,
                place,
            });
        }
    }
    if url.host().is_none() {
        return Err(EndpointError::NoHost { input, place });
    }
    Ok(url)
}

/// The VPC instance metadata service's base URL (`IBMCLOUD_CR_VPC_URL`). The one exception
/// to "plain http only on loopback": the metadata service is link-local to the virtual
/// server and speaks plain http, and the token it hands out is bound to that server.
pub fn metadata_url(input: &str) -> Result<String> {
    let place = Place::MetadataService;
    let trimmed = input.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("http://{trimmed}")
    };
    let url = Url::parse(&with_scheme).map_err(|source| EndpointError::Invalid {
        input: trimmed.to_string(),
        place,
        source,
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(EndpointError::Scheme {
            scheme: url.scheme().to_string(),
            input: trimmed.to_string(),
            place,
        });
    }
    if url.host().is_none() {
        return Err(EndpointError::NoHost {
            input: trimmed.to_string(),
            place,
        });
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Whether an endpoint given as `HOST[:PORT]` (no scheme, so iamctl assumes `https://`)
/// names a loopback host, where a local server most likely speaks plain http.
pub fn https_assumed_on_loopback(input: &str) -> bool {
    let input = input.trim();
    !input.contains("://") && Url::parse(&format!("https://{input}")).is_ok_and(|u| is_loopback(&u))
}

/// The host and port of an endpoint named `localhost` or `*.localhost`: loopback by
/// definition (RFC 6761), so the HTTP client connects to 127.0.0.1 or ::1 for it and never
/// asks DNS, which could answer with any address.
pub fn loopback_name(endpoint: &str) -> Option<(String, u16)> {
    let url = Url::parse(endpoint).ok()?;
    match url.host()? {
        Host::Domain(_) if is_loopback(&url) => {
            Some((url.host_str()?.to_string(), url.port_or_known_default()?))
        }
        _ => None,
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// `scheme://host[:port]`, without path or trailing slash.
fn origin_string(url: &Url) -> String {
    let mut s = format!("{}://", url.scheme());
    match url.host() {
        Some(Host::Ipv6(ip)) => s.push_str(&format!("[{ip}]")),
        Some(h) => s.push_str(&h.to_string().to_ascii_lowercase()),
        None => {}
    }
    if let Some(port) = url.port() {
        s.push_str(&format!(":{port}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(api: &str) -> Endpoints {
        match Endpoints::resolve(api, None) {
            Ok(e) => e,
            Err(e) => panic!("{api}: {e}"),
        }
    }

    #[test]
    fn production_maps_to_service_hosts() {
        let e = r("https://cloud.ibm.com");
        assert_eq!(e.api, "https://cloud.ibm.com");
        assert_eq!(e.iam, "https://iam.cloud.ibm.com");
        assert_eq!(e.accounts, "https://accounts.cloud.ibm.com");
        assert_eq!(
            e.resource_controller,
            "https://resource-controller.cloud.ibm.com"
        );
    }

    #[test]
    fn scheme_defaults_to_https_and_trailing_slash_goes() {
        assert_eq!(r("cloud.ibm.com").api, "https://cloud.ibm.com");
        assert_eq!(r("https://cloud.ibm.com/").api, "https://cloud.ibm.com");
        assert_eq!(
            r("https://api.cloud.ibm.com").iam,
            "https://iam.cloud.ibm.com"
        );
    }

    #[test]
    fn test_and_private_variants() {
        let t = r("https://test.cloud.ibm.com");
        assert_eq!(t.iam, "https://iam.test.cloud.ibm.com");
        assert_eq!(t.accounts, "https://accounts.test.cloud.ibm.com");
        assert_eq!(
            t.resource_controller,
            "https://resource-controller.test.cloud.ibm.com"
        );
        let p = r("https://private.cloud.ibm.com");
        assert_eq!(p.iam, "https://private.iam.cloud.ibm.com");
        assert_eq!(p.accounts, "https://private.accounts.cloud.ibm.com");
        assert_eq!(
            p.resource_controller,
            "https://private.resource-controller.cloud.ibm.com"
        );
        let pt = r("https://private.test.cloud.ibm.com");
        assert_eq!(pt.iam, "https://private.iam.test.cloud.ibm.com");
    }

    #[test]
    fn private_endpoints_follow_ibms_rules_for_classic_and_vpc() {
        let on = |api: &str, reach| Endpoints::resolve_on(api, None, reach);
        let classic = |region| Reach::Classic { region };
        let e = match on("private.cloud.ibm.com", classic(Some("us-east"))) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(e.iam, "https://private.us-east.iam.cloud.ibm.com");
        assert_eq!(e.accounts, "https://private.us-east.accounts.cloud.ibm.com");
        assert!(is_classic_private(&e.api, &e.iam));
        let v = match on("private.cloud.ibm.com", Reach::Vpc) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(v.iam, "https://private.iam.cloud.ibm.com");
        assert!(!is_classic_private(&v.api, &v.iam));
        assert!(matches!(
            on("private.cloud.ibm.com", classic(None)),
            Err(EndpointError::PrivateRegion { region: None, .. })
        ));
        assert!(matches!(
            on("private.cloud.ibm.com", classic(Some("eu-de"))),
            Err(EndpointError::PrivateRegion {
                region: Some(_),
                ..
            })
        ));
        assert!(matches!(
            on("cloud.ibm.com", Reach::Vpc),
            Err(EndpointError::VpcNotPrivate { .. })
        ));
        assert!(matches!(
            on("http://127.0.0.1:8080", Reach::Vpc),
            Err(EndpointError::VpcNotPrivate { .. })
        ));
        // Public endpoints and other servers need no region.
        assert!(on("cloud.ibm.com", classic(None)).is_ok());
        assert!(on("http://127.0.0.1:8080", classic(None)).is_ok());
    }

    #[test]
    fn other_hosts_serve_everything_on_their_origin() {
        let e = r("http://127.0.0.1:8080/some/path");
        assert_eq!(e.api, "http://127.0.0.1:8080");
        assert_eq!(e.iam, "http://127.0.0.1:8080");
        assert_eq!(e.accounts, "http://127.0.0.1:8080");
        assert_eq!(e.resource_controller, "http://127.0.0.1:8080");
        let e = r("https://iam.example.org:9443");
        assert_eq!(e.iam, "https://iam.example.org:9443");
        // A look-alike domain is not IBM's.
        assert_eq!(
            r("https://evilcloud.ibm.com.example").iam,
            "https://evilcloud.ibm.com.example"
        );
    }

    #[test]
    fn iam_endpoint_overrides_only_iam() {
        let e = match Endpoints::resolve(
            "https://cloud.ibm.com",
            Some("https://iam.test.cloud.ibm.com/"),
        ) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(e.iam, "https://iam.test.cloud.ibm.com");
        assert_eq!(e.accounts, "https://accounts.cloud.ibm.com");
        assert!(
            Endpoints::resolve("https://cloud.ibm.com", Some("http://iam.example.com")).is_err()
        );
    }

    #[test]
    fn the_metadata_service_may_be_plain_http_anywhere() {
        assert_eq!(
            metadata_url("http://api.metadata.cloud.ibm.com/")
                .ok()
                .as_deref(),
            Some("http://api.metadata.cloud.ibm.com")
        );
        assert_eq!(
            metadata_url("127.0.0.1:8080").ok().as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert!(metadata_url("ftp://x").is_err());
        assert!(metadata_url("").is_err());
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:1",
            "http://127.1.2.3",
            "http://[::1]:8080",
            "http://localhost:3000",
            "http://LOCALHOST",
        ] {
            assert!(Endpoints::resolve(ok, None).is_ok(), "{ok}");
        }
        for bad in [
            "http://cloud.ibm.com",
            "http://10.0.0.1",
            "http://192.168.1.1:80",
            "http://localhost.example.com",
            "http://[::2]",
            "ftp://cloud.ibm.com",
        ] {
            assert!(Endpoints::resolve(bad, None).is_err(), "{bad} accepted");
        }
    }
}
