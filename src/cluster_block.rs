//! The provider's `cluster "<alias>" { }` block: its schema and its parsing into
//! [`ClusterConnection`]s. Each cluster is checked on its own: errors and unknown values in
//! one do not hide the others.
//!
//! Every attribute holding a credential can come from an environment variable when it is
//! null in the configuration: `KAFKAMIRROR_<ALIAS>_<BLOCK>_<ATTRIBUTE>`, the alias upper-cased
//! with every character other than a letter or digit written `_`, e.g.
//! `KAFKAMIRROR_PRIMARY_SASL_PASSWORD` for `cluster "primary" { sasl { password } }`
//! ([`env_name`]; the list is [`CREDENTIALS`]). A value set in HCL, even an unknown one,
//! wins over the environment.

use crate::clusters::{Clusters, Ownership, DEFAULT_CLAIMS_TOPIC};
use crate::kafka::config::{
    ClusterConnection, OAuthSettings, SaslMechanism, SaslSettings, TlsSettings,
};
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::time::Duration;
use tfplugin::{Attr, AttributePath, Block, BlockDecl, Diagnostic, Diagnostics, Field, Object};

/// Reads an environment variable (the process environment in the provider, a table in tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Whether a credential that is neither in HCL nor in the environment is an error. Not when
/// validating: `terraform validate` often runs where the credentials are not set (CI
/// without secrets); configure, which plan and apply run, checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    Required,
    MaySetLater,
}

const DEFAULT_TIMEOUT_SECONDS: i64 = 30;
const MAX_TIMEOUT_SECONDS: i64 = 3600;

/// The mechanism that takes an `oauth` block instead of a username and password.
const OAUTHBEARER: &str = "OAUTHBEARER";

pub const CLUSTER: BlockDecl = BlockDecl::map("cluster", cluster_block);
const BOOTSTRAP_SERVERS: Attr<Vec<String>> = Attr::required(
    "bootstrap_servers",
    "Brokers to bootstrap from, as host:port.",
);
const TIMEOUT_SECONDS: Attr<i64> = Attr::optional(
    "timeout_seconds",
    "Upper bound in seconds for connecting and for each admin request (default 30). An \
     unreachable cluster is reported once per provider process, after at most this long; a \
     TLS or authentication failure is reported at once.",
);
const CLAIMS_TOPIC: Attr<String> = Attr::optional(
    "claims_topic",
    "The compacted topic on this cluster that records which resource needs which binding and \
     internal topic (default `_kafkamirror-claims`), shared by every state that manages the \
     cluster: a binding or topic is deleted only when no resource claims it any more. The \
     provider's principal needs CREATE, READ, WRITE and DESCRIBE on it.",
);
const OWNERSHIP: Attr<String> = Attr::optional(
    "ownership",
    "`claims` (default): ownership is shared through `claims_topic`. `state`: each resource \
     owns what it created, as recorded in its own state, and nothing is written to the \
     cluster; resources (in one configuration or in several states) that need the same \
     binding can then delete it from under each other.",
);
const PRINCIPAL: Attr<String> = Attr::optional(
    "principal",
    "The principal the brokers name the provider's connection, e.g. `User:terraform`. Only \
     for the self-lockout guard, which refuses to delete the provider's own ACLs. By default \
     it follows Kafka's defaults: `User:<username>` with SASL PLAIN/SCRAM, `User:<sub claim>` \
     with OAUTHBEARER, `User:<subject DN in RFC 2253 form>` with mutual TLS, `User:ANONYMOUS` \
     otherwise. Set it when the brokers map names differently (`ssl.principal.mapping.rules`, \
     `sasl.oauthbearer.sub.claim.name`, a custom principal builder).",
);
const TLS: BlockDecl = BlockDecl::single("tls", tls_block);
const CA_CERT: Attr<String> = Attr::optional(
    "ca_cert",
    "PEM CA certificate(s) that sign the brokers' certificates (default: the system trust store; on macOS the bundle the OS keeps at `/etc/ssl/cert.pem`, not the Keychain).",
);
const CLIENT_CERT: Attr<String> = Attr::optional(
    "client_cert",
    "PEM client certificate for mutual TLS. Environment fallback: KAFKAMIRROR_<ALIAS>_TLS_CLIENT_CERT.",
);
const CLIENT_KEY: Attr<String> = Attr::optional(
    "client_key",
    "PEM private key of client_cert. Sensitive: hidden in plans, never logged. Environment \
     fallback: KAFKAMIRROR_<ALIAS>_TLS_CLIENT_KEY.",
)
.sensitive();
const INSECURE_SKIP_VERIFY: Attr<bool> = Attr::optional(
    "insecure_skip_verify",
    "Do not verify the brokers' certificates (testing only).",
);
const SASL: BlockDecl = BlockDecl::single("sasl", sasl_block);
const MECHANISM: Attr<String> = Attr::required(
    "mechanism",
    "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (which takes an `oauth` block).",
);
const USERNAME: Attr<String> = Attr::optional(
    "username",
    "SASL user name (PLAIN and SCRAM). Environment fallback: KAFKAMIRROR_<ALIAS>_SASL_USERNAME.",
);
const PASSWORD: Attr<String> = Attr::optional(
    "password",
    "SASL password (PLAIN and SCRAM). Sensitive: hidden in plans, never logged. Environment \
     fallback: KAFKAMIRROR_<ALIAS>_SASL_PASSWORD.",
)
.sensitive();
const OAUTH: BlockDecl = BlockDecl::single("oauth", oauth_block);
const TOKEN_ENDPOINT_URL: Attr<String> = Attr::required(
    "token_endpoint_url",
    "OAuth 2.0 token endpoint (https, or http on a loopback address) for the client-credentials grant.",
);
const CLIENT_ID: Attr<String> = Attr::optional(
    "client_id",
    "OAuth client id. Environment fallback: KAFKAMIRROR_<ALIAS>_OAUTH_CLIENT_ID.",
);
const CLIENT_SECRET: Attr<String> = Attr::optional(
    "client_secret",
    "OAuth client secret. Sensitive: hidden in plans, never logged. Environment fallback: \
     KAFKAMIRROR_<ALIAS>_OAUTH_CLIENT_SECRET.",
)
.sensitive();
const SCOPE: Attr<String> = Attr::optional("scope", "Scope to request (space-separated).");
const EXTENSIONS: Attr<BTreeMap<String, String>> = Attr::optional(
    "extensions",
    "SASL extensions sent with the token, e.g. Confluent Cloud's `logicalCluster` and `identityPoolId`.",
);
const OAUTH_CA_CERT: Attr<String> = Attr::optional(
    "ca_cert",
    "PEM CA certificate(s) for the token endpoint's https (default: the system trust store; on macOS the bundle the OS keeps at `/etc/ssl/cert.pem`, not the Keychain).",
);

/// The credential attributes with an environment fallback, as `(block, attribute)`.
pub const CREDENTIALS: [(&str, &str); 6] = [
    ("sasl", "username"),
    ("sasl", "password"),
    ("tls", "client_cert"),
    ("tls", "client_key"),
    ("oauth", "client_id"),
    ("oauth", "client_secret"),
];

fn cluster_block() -> Block {
    Block::new("How to reach one Kafka cluster; the label is the alias resources refer to.")
        .attr(&BOOTSTRAP_SERVERS)
        .attr(&TIMEOUT_SECONDS)
        .attr(&CLAIMS_TOPIC)
        .attr(&OWNERSHIP)
        .attr(&PRINCIPAL)
        .block(&TLS)
        .block(&SASL)
}

fn tls_block() -> Block {
    Block::new("TLS to the brokers (SSL, or SASL_SSL with a `sasl` block).")
        .attr(&CA_CERT)
        .attr(&CLIENT_CERT)
        .attr(&CLIENT_KEY)
        .attr(&INSECURE_SKIP_VERIFY)
}

fn sasl_block() -> Block {
    Block::new("SASL authentication.")
        .attr(&MECHANISM)
        .attr(&USERNAME)
        .attr(&PASSWORD)
        .block(&OAUTH)
}

fn oauth_block() -> Block {
    Block::new(
        "SASL/OAUTHBEARER tokens by the OAuth client-credentials grant; the provider fetches \
         them itself (no libcurl) and refreshes them before they expire.",
    )
    .attr(&TOKEN_ENDPOINT_URL)
    .attr(&CLIENT_ID)
    .attr(&CLIENT_SECRET)
    .attr(&SCOPE)
    .attr(&EXTENSIONS)
    .attr(&OAUTH_CA_CERT)
}

/// The environment variable of a credential: `KAFKAMIRROR_<ALIAS>_<BLOCK>_<ATTRIBUTE>`.
pub fn env_name(alias: &str, block: &str, attribute: &str) -> String {
    let upper = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "KAFKAMIRROR_{}_{}_{}",
        upper(alias),
        upper(block),
        upper(attribute)
    )
}

/// What one cluster block is read with.
struct Reader<'a> {
    alias: &'a str,
    env: Env<'a>,
    credentials: Credentials,
    diags: &'a mut Diagnostics,
    /// Cleared by an unknown value: the cluster is validated again once it is known.
    complete: bool,
}

impl Reader<'_> {
    /// A field's value; `None` when null or unknown (unknown clears `complete`).
    fn value<T>(&mut self, field: Result<Field<T>, Diagnostic>) -> Option<T> {
        match self.diags.take(field)? {
            Field::Unknown => {
                self.complete = false;
                None
            }
            Field::Null => None,
            Field::Known(value) => Some(value),
        }
    }

    /// A credential: its HCL value, else its environment variable. `Err(())` when unknown.
    fn credential(
        &mut self,
        field: Result<Field<String>, Diagnostic>,
        block: &str,
        attribute: &str,
    ) -> Result<Option<String>, ()> {
        match self.diags.take(field) {
            Some(Field::Known(value)) => Ok(Some(value)),
            Some(Field::Unknown) => {
                self.complete = false;
                Err(())
            }
            Some(Field::Null) => match (self.env)(&env_name(self.alias, block, attribute)) {
                Some(value) => Ok(Some(value)),
                None if self.credentials == Credentials::Required => Ok(None),
                // It may be set where plan and apply run: treated as an unknown value.
                None => {
                    self.complete = false;
                    Err(())
                }
            },
            None => Ok(None),
        }
    }

    fn error(&mut self, summary: &str, detail: String, at: AttributePath) {
        self.diags.push(Diagnostic::error(summary, detail).at(at));
    }
}

/// Reads one `cluster` block. Problems go to `diags` on their attribute; unknown values make
/// the result `None` (validated again once known).
fn parse_cluster(
    alias: &str,
    cluster: &Object,
    path: &AttributePath,
    env: Env<'_>,
    credentials: Credentials,
    diags: &mut Diagnostics,
) -> Option<(ClusterConnection, Ownership)> {
    let mut r = Reader {
        alias,
        env,
        credentials,
        diags,
        complete: true,
    };
    let servers = r.value(BOOTSTRAP_SERVERS.get_in(cluster, path));
    if let Some(servers) = &servers {
        if servers.iter().all(|s| s.trim().is_empty()) {
            r.error(
                "No bootstrap servers",
                format!("cluster {alias:?} needs at least one host:port in bootstrap_servers"),
                path.attr(BOOTSTRAP_SERVERS.name),
            );
        }
    }
    let timeout = r.value(TIMEOUT_SECONDS.get_in(cluster, path));
    if let Some(seconds) = timeout {
        if !(1..=MAX_TIMEOUT_SECONDS).contains(&seconds) {
            r.error(
                "Invalid timeout",
                format!(
                    "timeout_seconds must be between 1 and {MAX_TIMEOUT_SECONDS}, got {seconds}"
                ),
                path.attr(TIMEOUT_SECONDS.name),
            );
        }
    }
    let ownership = parse_ownership(&mut r, cluster, path);
    let principal = r.value(PRINCIPAL.get_in(cluster, path));
    if let Some(principal) = &principal {
        if !principal.contains(':') {
            r.error(
                "Invalid principal",
                format!("principal must be TYPE:NAME, e.g. \"User:{principal}\""),
                path.attr(PRINCIPAL.name),
            );
        }
    }
    let tls = match r.diags.take(TLS.get_single(cluster, path)) {
        Some(Field::Known((block, tls_path))) => parse_tls(&mut r, block, &tls_path),
        Some(Field::Unknown) => {
            r.complete = false;
            None
        }
        _ => None,
    };
    let (sasl, oauth) = match r.diags.take(SASL.get_single(cluster, path)) {
        Some(Field::Known((block, sasl_path))) => parse_sasl(&mut r, block, &sasl_path),
        Some(Field::Unknown) => {
            r.complete = false;
            (None, None)
        }
        _ => (None, None),
    };
    if !r.complete || r.diags.has_errors() {
        return None;
    }
    let connection = ClusterConnection {
        alias: alias.to_string(),
        bootstrap_servers: servers?,
        tls,
        sasl,
        oauth,
        principal,
        timeout: Duration::from_secs(timeout.unwrap_or(DEFAULT_TIMEOUT_SECONDS) as u64),
    };
    Some((connection, ownership))
}

/// `claims_topic` and `ownership`: where the cluster's shared ownership record lives, if any.
fn parse_ownership(r: &mut Reader<'_>, cluster: &Object, path: &AttributePath) -> Ownership {
    let claims_topic = r.value(CLAIMS_TOPIC.get_in(cluster, path));
    if let Some(topic) = &claims_topic {
        if let Err(problem) = check_topic_name(topic) {
            r.error(
                "Invalid claims topic",
                format!("{topic:?} {problem}"),
                path.attr(CLAIMS_TOPIC.name),
            );
        }
    }
    match r.value(OWNERSHIP.get_in(cluster, path)).as_deref() {
        None | Some("claims") => {
            Ownership::Claims(claims_topic.unwrap_or_else(|| DEFAULT_CLAIMS_TOPIC.to_string()))
        }
        Some("state") => {
            if claims_topic.is_some() {
                r.error(
                    "claims_topic without claims",
                    "claims_topic has no effect with ownership = \"state\"; remove one".to_string(),
                    path.attr(CLAIMS_TOPIC.name),
                );
            }
            Ownership::State
        }
        Some(other) => {
            r.error(
                "Invalid ownership",
                format!("{other:?} is not an ownership mode; use \"claims\" or \"state\""),
                path.attr(OWNERSHIP.name),
            );
            Ownership::State
        }
    }
}

/// Kafka's topic name rules (`Topic.validate` in Apache Kafka's `clients`): 1 to 249
/// characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
fn check_topic_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name == "." || name == ".." {
        return Err("is not a valid topic name");
    }
    if name.len() > 249 {
        return Err("is longer than 249 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("may only contain ASCII letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

fn parse_tls(r: &mut Reader<'_>, block: &Object, path: &AttributePath) -> Option<TlsSettings> {
    let ca = r.value(CA_CERT.get_in(block, path));
    // An unknown certificate or key counts as set: it will have a value.
    let cert = r.credential(CLIENT_CERT.get_in(block, path), "tls", CLIENT_CERT.name);
    let key = r.credential(CLIENT_KEY.get_in(block, path), "tls", CLIENT_KEY.name);
    let skip = r.value(INSECURE_SKIP_VERIFY.get_in(block, path));
    let set = |field: &Result<Option<String>, ()>| !matches!(field, Ok(None));
    let alias = r.alias;
    if set(&cert) && !set(&key) {
        r.error(
            "Client certificate without key",
            format!(
                "tls.client_cert needs tls.client_key (or the environment variable {})",
                env_name(alias, "tls", CLIENT_KEY.name)
            ),
            path.attr(CLIENT_CERT.name),
        );
    }
    if set(&key) && !set(&cert) {
        r.error(
            "Client key without certificate",
            format!(
                "tls.client_key needs tls.client_cert (or the environment variable {})",
                env_name(alias, "tls", CLIENT_CERT.name)
            ),
            path.attr(CLIENT_KEY.name),
        );
    }
    Some(TlsSettings {
        ca_cert_pem: ca,
        client_cert_pem: cert.ok().flatten(),
        client_key_pem: key.ok().flatten().map(Secret::new),
        insecure_skip_verify: skip.unwrap_or(false),
    })
}

fn parse_sasl(
    r: &mut Reader<'_>,
    block: &Object,
    path: &AttributePath,
) -> (Option<SaslSettings>, Option<OAuthSettings>) {
    let name = r.value(MECHANISM.get_in(block, path));
    let username = r.credential(USERNAME.get_in(block, path), "sasl", USERNAME.name);
    let password = r.credential(PASSWORD.get_in(block, path), "sasl", PASSWORD.name);
    let oauth = match r.diags.take(OAUTH.get_single(block, path)) {
        Some(Field::Known((oauth, oauth_path))) => Some(parse_oauth(r, oauth, &oauth_path)),
        Some(Field::Unknown) => {
            r.complete = false;
            Some(None)
        }
        _ => None,
    };
    let Some(name) = name else {
        return (None, None);
    };
    if name == OAUTHBEARER {
        // Only values set in HCL: an environment variable for another mechanism is ignored.
        for attr in [&USERNAME, &PASSWORD] {
            if matches!(attr.get_in(block, path), Ok(Field::Known(_))) {
                r.error(
                    "Not used with OAUTHBEARER",
                    format!("sasl.{} is for PLAIN and SCRAM; OAUTHBEARER takes its credentials from the oauth block", attr.name),
                    path.attr(attr.name),
                );
            }
        }
        return match oauth {
            Some(oauth) => (None, oauth),
            None => {
                r.error(
                    "OAUTHBEARER needs an oauth block",
                    "add sasl { oauth { token_endpoint_url, client_id, client_secret } }".into(),
                    path.attr(MECHANISM.name),
                );
                (None, None)
            }
        };
    }
    let Some(mechanism) = SaslMechanism::parse(&name) else {
        let mut allowed: Vec<&str> = SaslMechanism::ALL.iter().map(|m| m.as_str()).collect();
        allowed.push(OAUTHBEARER);
        r.error(
            "Unknown SASL mechanism",
            format!(
                "{name:?} is not supported; use one of {}",
                allowed.join(", ")
            ),
            path.attr(MECHANISM.name),
        );
        return (None, None);
    };
    if oauth.is_some() {
        r.error(
            "oauth block without OAUTHBEARER",
            format!("the oauth block is only used with mechanism = \"OAUTHBEARER\", not {name:?}"),
            path.attr(MECHANISM.name),
        );
    }
    let (Ok(username), Ok(password)) = (username, password) else {
        return (None, None);
    };
    let alias = r.alias;
    for (value, attr) in [(&username, &USERNAME), (&password, &PASSWORD)] {
        if value.is_none() {
            r.error(
                "Missing SASL credential",
                format!(
                    "{name} needs sasl.{}: set it, or the environment variable {}",
                    attr.name,
                    env_name(alias, "sasl", attr.name)
                ),
                path.attr(attr.name),
            );
        }
    }
    match (username, password) {
        (Some(username), Some(password)) => (
            Some(SaslSettings {
                mechanism,
                username,
                password: Secret::new(password),
            }),
            None,
        ),
        _ => (None, None),
    }
}

fn parse_oauth(r: &mut Reader<'_>, block: &Object, path: &AttributePath) -> Option<OAuthSettings> {
    let url = r.value(TOKEN_ENDPOINT_URL.get_in(block, path));
    let client_id = r.credential(CLIENT_ID.get_in(block, path), "oauth", CLIENT_ID.name);
    let client_secret = r.credential(
        CLIENT_SECRET.get_in(block, path),
        "oauth",
        CLIENT_SECRET.name,
    );
    let scope = r.value(SCOPE.get_in(block, path));
    let extensions = r.value(EXTENSIONS.get_in(block, path)).unwrap_or_default();
    let ca_cert_pem = r.value(OAUTH_CA_CERT.get_in(block, path));
    if let Some(url) = &url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            r.error(
                "Invalid token endpoint",
                format!("token_endpoint_url must be an https:// (or http://) URL, got {url:?}"),
                path.attr(TOKEN_ENDPOINT_URL.name),
            );
        }
    }
    for key in extensions.keys() {
        // RFC 7628 section 3.1: key = 1*(ALPHA); "auth" is the token itself.
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphabetic()) || key == "auth" {
            r.error(
                "Invalid SASL extension",
                format!("extension name {key:?} must be letters only and not \"auth\""),
                path.attr(EXTENSIONS.name),
            );
        }
    }
    let (Ok(client_id), Ok(client_secret)) = (client_id, client_secret) else {
        return None;
    };
    let alias = r.alias;
    for (value, attr) in [(&client_id, &CLIENT_ID), (&client_secret, &CLIENT_SECRET)] {
        if value.is_none() {
            r.error(
                "Missing OAuth credential",
                format!(
                    "OAUTHBEARER needs oauth.{}: set it, or the environment variable {}",
                    attr.name,
                    env_name(alias, "oauth", attr.name)
                ),
                path.attr(attr.name),
            );
        }
    }
    Some(OAuthSettings {
        token_endpoint_url: url?,
        client_id: client_id?,
        client_secret: Secret::new(client_secret?),
        scope,
        extensions,
        ca_cert_pem,
    })
}

/// Parses every cluster block; `env` supplies credentials left null in HCL.
pub fn parse_clusters(
    config: &Object,
    env: Env<'_>,
    credentials: Credentials,
    diags: &mut Diagnostics,
) -> Clusters {
    let mut state = Clusters::default();
    let root = AttributePath::root();
    let entries = match diags.take(CLUSTER.get_map(config, &root)) {
        Some(Field::Known(entries)) => entries,
        _ => return state,
    };
    for entry in entries {
        let Field::Known(cluster) = entry.object else {
            state.insert_pending(entry.key);
            continue;
        };
        let mut cluster_diags = Diagnostics::new();
        match parse_cluster(
            entry.key,
            cluster,
            &entry.path,
            env,
            credentials,
            &mut cluster_diags,
        ) {
            Some((connection, ownership)) => state.insert(connection, ownership),
            None if !cluster_diags.has_errors() => state.insert_pending(entry.key),
            None => {}
        }
        diags.extend(cluster_diags);
    }
    state
}
#[cfg(test)]
mod tests;
