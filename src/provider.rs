//! The `kafkamirror` provider: its configuration schema (named `cluster "<alias>" { }`
//! blocks), parsed into [`Clusters`], and the resources and data sources it registers.
//! Nothing connects here: resources ask [`Clusters`] for the clients they need, so one
//! cluster whose address is unknown at plan time does not affect the others.

use crate::clusters::{Clusters, Ownership, DEFAULT_CLAIMS_TOPIC};
use crate::kafka::config::{ClusterConnection, SaslMechanism, SaslSettings, TlsSettings};
use crate::resources::cluster_link::ClusterLinkFlow;
use crate::resources::engine::{FlowDataSource, FlowResource};
use crate::resources::mm2::Mm2Flow;
use crate::secret::Secret;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tfplugin::{
    Attr, AttributePath, Block, BlockDecl, DataSource, Diagnostic, Diagnostics, Field, Object,
    Provider, Resource, Schema,
};
use tokio_util::sync::CancellationToken;

/// The provider's local name: `provider "kafkamirror" { }`, the prefix of every type name.
pub const PROVIDER_NAME: &str = "kafkamirror";

/// The provider's full source address, as Terraform names it (used by `--debug`).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/kafkamirror/kafkamirror";

const DEFAULT_TIMEOUT_SECONDS: i64 = 30;
const MAX_TIMEOUT_SECONDS: i64 = 3600;

const CLUSTER: BlockDecl = BlockDecl::map("cluster", cluster_block);
const BOOTSTRAP_SERVERS: Attr<Vec<String>> = Attr::required(
    "bootstrap_servers",
    "Brokers to bootstrap from, as host:port.",
);
const TIMEOUT_SECONDS: Attr<i64> = Attr::optional(
    "timeout_seconds",
    "Upper bound in seconds for connecting and for each admin request (default 30).",
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
const TLS: BlockDecl = BlockDecl::single("tls", tls_block);
const CA_CERT: Attr<String> = Attr::optional(
    "ca_cert",
    "PEM CA certificate(s) that sign the brokers' certificates.",
);
const CLIENT_CERT: Attr<String> =
    Attr::optional("client_cert", "PEM client certificate for mutual TLS.");
const CLIENT_KEY: Attr<String> = Attr::optional(
    "client_key",
    "PEM private key of client_cert. Sensitive: hidden in plans, never logged.",
)
.sensitive();
const INSECURE_SKIP_VERIFY: Attr<bool> = Attr::optional(
    "insecure_skip_verify",
    "Do not verify the brokers' certificates (testing only).",
);
const SASL: BlockDecl = BlockDecl::single("sasl", sasl_block);
const MECHANISM: Attr<String> =
    Attr::required("mechanism", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.");
const USERNAME: Attr<String> = Attr::required("username", "SASL user name.");
const PASSWORD: Attr<String> = Attr::required(
    "password",
    "SASL password. Sensitive: hidden in plans, never logged.",
)
.sensitive();

fn cluster_block() -> Block {
    Block::new("How to reach one Kafka cluster; the label is the alias resources refer to.")
        .attr(&BOOTSTRAP_SERVERS)
        .attr(&TIMEOUT_SECONDS)
        .attr(&CLAIMS_TOPIC)
        .attr(&OWNERSHIP)
        .block(&TLS)
        .block(&SASL)
}

fn tls_block() -> Block {
    Block::new("TLS to the brokers.")
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
}

pub struct KafkamirrorProvider;

/// Reads one `cluster` block. Problems go to `diags` on their attribute; unknown values make
/// the result `None` (validated again once known).
fn parse_cluster(
    alias: &str,
    cluster: &Object,
    path: &AttributePath,
    diags: &mut Diagnostics,
) -> Option<(ClusterConnection, Ownership)> {
    let mut complete = true;

    let claims_topic = diags
        .take(CLAIMS_TOPIC.get_in(cluster, path))
        .and_then(|f| known(f, &mut complete));
    if let Some(topic) = &claims_topic {
        if let Err(problem) = check_topic_name(topic) {
            diags.push(
                Diagnostic::error("Invalid claims topic", format!("{topic:?} {problem}"))
                    .at(path.attr(CLAIMS_TOPIC.name)),
            );
        }
    }
    let ownership_mode = diags
        .take(OWNERSHIP.get_in(cluster, path))
        .and_then(|f| known(f, &mut complete));
    let ownership = match ownership_mode.as_deref() {
        None | Some("claims") => Ownership::Claims(
            claims_topic
                .clone()
                .unwrap_or_else(|| DEFAULT_CLAIMS_TOPIC.to_string()),
        ),
        Some("state") => {
            if claims_topic.is_some() {
                diags.push(
                    Diagnostic::error(
                        "claims_topic without claims",
                        "claims_topic has no effect with ownership = \"state\"; remove one",
                    )
                    .at(path.attr(CLAIMS_TOPIC.name)),
                );
            }
            Ownership::State
        }
        Some(other) => {
            diags.push(
                Diagnostic::error(
                    "Invalid ownership",
                    format!("{other:?} is not an ownership mode; use \"claims\" or \"state\""),
                )
                .at(path.attr(OWNERSHIP.name)),
            );
            Ownership::State
        }
    };

    let servers = diags
        .take(BOOTSTRAP_SERVERS.get_in(cluster, path))
        .and_then(|f| known(f, &mut complete));
    if let Some(servers) = &servers {
        if servers.iter().all(|s| s.trim().is_empty()) {
            diags.push(
                Diagnostic::error(
                    "No bootstrap servers",
                    format!("cluster {alias:?} needs at least one host:port in bootstrap_servers"),
                )
                .at(path.attr(BOOTSTRAP_SERVERS.name)),
            );
        }
    }

    let timeout = diags
        .take(TIMEOUT_SECONDS.get_in(cluster, path))
        .and_then(|f| known(f, &mut complete));
    if let Some(seconds) = timeout {
        if !(1..=MAX_TIMEOUT_SECONDS).contains(&seconds) {
            diags.push(
                Diagnostic::error(
                    "Invalid timeout",
                    format!("timeout_seconds must be between 1 and {MAX_TIMEOUT_SECONDS}, got {seconds}"),
                )
                .at(path.attr(TIMEOUT_SECONDS.name)),
            );
        }
    }

    let tls = match diags.take(TLS.get_single(cluster, path)) {
        Some(Field::Known((block, tls_path))) => {
            let ca = diags
                .take(CA_CERT.get_in(block, &tls_path))
                .and_then(|f| known(f, &mut complete));
            // An unknown cert or key counts as set: it will have a value.
            let cert_field = diags.take(CLIENT_CERT.get_in(block, &tls_path));
            let key_field = diags.take(CLIENT_KEY.get_in(block, &tls_path));
            let cert_set = !matches!(cert_field, Some(Field::Null));
            let key_set = !matches!(key_field, Some(Field::Null));
            let cert = cert_field.and_then(|f| known(f, &mut complete));
            let key = key_field.and_then(|f| known(f, &mut complete));
            let skip = diags
                .take(INSECURE_SKIP_VERIFY.get_in(block, &tls_path))
                .and_then(|f| known(f, &mut complete));
            if cert_set && !key_set {
                diags.push(
                    Diagnostic::error(
                        "Client certificate without key",
                        "tls.client_cert needs tls.client_key",
                    )
                    .at(tls_path.attr(CLIENT_CERT.name)),
                );
            }
            if key_set && !cert_set {
                diags.push(
                    Diagnostic::error(
                        "Client key without certificate",
                        "tls.client_key needs tls.client_cert",
                    )
                    .at(tls_path.attr(CLIENT_KEY.name)),
                );
            }
            Some(TlsSettings {
                ca_cert_pem: ca,
                client_cert_pem: cert,
                client_key_pem: key.map(Secret::new),
                insecure_skip_verify: skip.unwrap_or(false),
            })
        }
        Some(Field::Unknown) => {
            complete = false;
            None
        }
        _ => None,
    };

    let sasl = match diags.take(SASL.get_single(cluster, path)) {
        Some(Field::Known((block, sasl_path))) => {
            let mechanism_name = diags
                .take(MECHANISM.get_in(block, &sasl_path))
                .and_then(|f| known(f, &mut complete));
            let mechanism = mechanism_name.and_then(|name| {
                let parsed = SaslMechanism::parse(&name);
                if parsed.is_none() {
                    let allowed: Vec<&str> =
                        SaslMechanism::ALL.iter().map(|m| m.as_str()).collect();
                    diags.push(
                        Diagnostic::error(
                            "Unknown SASL mechanism",
                            format!(
                                "{name:?} is not supported; use one of {}",
                                allowed.join(", ")
                            ),
                        )
                        .at(sasl_path.attr(MECHANISM.name)),
                    );
                }
                parsed
            });
            let username = diags
                .take(USERNAME.get_in(block, &sasl_path))
                .and_then(|f| known(f, &mut complete));
            let password = diags
                .take(PASSWORD.get_in(block, &sasl_path))
                .and_then(|f| known(f, &mut complete));
            match (mechanism, username, password) {
                (Some(mechanism), Some(username), Some(password)) => Some(SaslSettings {
                    mechanism,
                    username,
                    password: Secret::new(password),
                }),
                _ => None,
            }
        }
        Some(Field::Unknown) => {
            complete = false;
            None
        }
        _ => None,
    };

    if !complete || diags.has_errors() {
        return None;
    }
    let connection = ClusterConnection {
        alias: alias.to_string(),
        bootstrap_servers: servers?,
        tls,
        sasl,
        timeout: Duration::from_secs(timeout.unwrap_or(DEFAULT_TIMEOUT_SECONDS) as u64),
    };
    Some((connection, ownership))
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

/// The value of a field; an unknown one clears `complete` (it is validated once known).
fn known<T>(field: Field<T>, complete: &mut bool) -> Option<T> {
    match field {
        Field::Unknown => {
            *complete = false;
            None
        }
        Field::Null => None,
        Field::Known(value) => Some(value),
    }
}

/// Parses every cluster block. Each cluster is checked on its own: errors and unknowns in one
/// do not hide the others.
fn parse_clusters(config: &Object, diags: &mut Diagnostics) -> Clusters {
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
        match parse_cluster(entry.key, cluster, &entry.path, &mut cluster_diags) {
            Some((connection, ownership)) => state.insert(connection, ownership),
            None if !cluster_diags.has_errors() => state.insert_pending(entry.key),
            None => {}
        }
        diags.extend(cluster_diags);
    }
    state
}

#[async_trait]
impl Provider for KafkamirrorProvider {
    type State = Clusters;

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block::new(
                "Grants Kafka replication flows (MirrorMaker 2, Confluent Cluster Linking) exactly \
                 the ACLs and internal topics they need. Declare one `cluster` block per Kafka \
                 cluster; resources and data sources name clusters by the block's label. Nothing \
                 connects at configuration time: a resource connects to the clusters it names.",
            )
            .block(&CLUSTER),
        }
    }

    fn validate(&self, config: &Object, diags: &mut Diagnostics) {
        parse_clusters(config, diags);
    }

    async fn configure(
        &self,
        config: &Object,
        _cancel: &CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Clusters> {
        let state = parse_clusters(config, diags);
        let (ready, pending) = state.aliases();
        log::debug!("configured clusters: ready {ready:?}, pending {pending:?}");
        (!diags.has_errors()).then_some(state)
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Clusters>>> {
        vec![
            Arc::new(FlowResource::<Mm2Flow>::new()),
            Arc::new(FlowResource::<ClusterLinkFlow>::new()),
            #[cfg(feature = "test-resources")]
            Arc::new(crate::test_resources::TestNote),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Clusters>>> {
        vec![
            Arc::new(FlowDataSource::<Mm2Flow>::new()),
            Arc::new(FlowDataSource::<ClusterLinkFlow>::new()),
            Arc::new(crate::resources::mm2_config::Mm2ConfigDataSource),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::{PathStep, Value};

    fn strings(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect())
    }

    fn config(clusters: Vec<(&str, Value)>) -> Object {
        Object::from([(
            "cluster".to_string(),
            Value::Map(
                clusters
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            ),
        )])
    }

    fn cluster(fields: Vec<(&str, Value)>) -> Value {
        let mut object = Object::from([
            ("bootstrap_servers".to_string(), Value::Null),
            ("timeout_seconds".to_string(), Value::Null),
            ("claims_topic".to_string(), Value::Null),
            ("ownership".to_string(), Value::Null),
            ("tls".to_string(), Value::Null),
            ("sasl".to_string(), Value::Null),
        ]);
        for (k, v) in fields {
            object.insert(k.to_string(), v);
        }
        Value::Object(object)
    }

    fn object(fields: Vec<(&str, Value)>) -> Value {
        Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    #[test]
    fn parses_full_cluster_with_secrets_masked() {
        let mut diags = Diagnostics::new();
        let state = parse_clusters(
            &config(vec![(
                "primary",
                cluster(vec![
                    ("bootstrap_servers", strings(&["a:9092"])),
                    (
                        "sasl",
                        object(vec![
                            ("mechanism", Value::string("SCRAM-SHA-512")),
                            ("username", Value::string("admin")),
                            ("password", Value::string("hunter2")),
                        ]),
                    ),
                ]),
            )]),
            &mut diags,
        );
        assert!(!diags.has_errors(), "{diags:?}");
        let primary = state.cluster("primary").unwrap();
        assert_eq!(primary.timeout, Duration::from_secs(30));
        assert!(!format!("{primary:?}").contains("hunter2"));
        assert!(state.cluster("dr").unwrap_err().detail.contains("primary"));
    }

    #[test]
    fn bad_values_are_diagnostics_on_their_attribute() {
        let mut diags = Diagnostics::new();
        parse_clusters(
            &config(vec![(
                "primary",
                cluster(vec![
                    ("bootstrap_servers", strings(&[])),
                    (
                        "timeout_seconds",
                        Value::Number(tfplugin::Number::from_i64(0)),
                    ),
                    (
                        "sasl",
                        object(vec![
                            ("mechanism", Value::string("GSSAPI")),
                            ("username", Value::string("u")),
                            ("password", Value::string("p")),
                        ]),
                    ),
                    (
                        "tls",
                        object(vec![
                            ("ca_cert", Value::Null),
                            ("client_cert", Value::string("CERT")),
                            ("client_key", Value::Null),
                            ("insecure_skip_verify", Value::Null),
                        ]),
                    ),
                ]),
            )]),
            &mut diags,
        );
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.path.clone().unwrap().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                r#"cluster["primary"].bootstrap_servers"#,
                r#"cluster["primary"].timeout_seconds"#,
                r#"cluster["primary"].tls.client_cert"#,
                r#"cluster["primary"].sasl.mechanism"#,
            ]
        );
        let first = diags.iter().next().unwrap().path.clone().unwrap();
        assert_eq!(first.0[1], PathStep::Key("primary".into()));
    }

    #[test]
    fn key_without_certificate_points_at_the_key_and_unknown_values_are_skipped() {
        let tls = |cert: Value, key: Value| {
            cluster(vec![
                ("bootstrap_servers", strings(&["a:9092"])),
                (
                    "tls",
                    object(vec![
                        ("ca_cert", Value::Null),
                        ("client_cert", cert),
                        ("client_key", key),
                        ("insecure_skip_verify", Value::Null),
                    ]),
                ),
            ])
        };
        let mut diags = Diagnostics::new();
        parse_clusters(
            &config(vec![("c", tls(Value::Null, Value::string("KEY")))]),
            &mut diags,
        );
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.path.clone().unwrap().to_string())
            .collect();
        assert_eq!(paths, [r#"cluster["c"].tls.client_key"#]);

        let mut diags = Diagnostics::new();
        let state = parse_clusters(
            &config(vec![("c", tls(Value::Unknown, Value::string("KEY")))]),
            &mut diags,
        );
        assert!(
            !diags.has_errors(),
            "an unknown certificate is validated later: {diags:?}"
        );
        assert!(state.is_pending("c"));
    }

    #[test]
    fn provider_principal_follows_the_connection_settings() {
        let tls = |cert: Value| {
            object(vec![
                ("ca_cert", Value::Null),
                ("client_cert", cert.clone()),
                (
                    "client_key",
                    if cert.is_null() {
                        Value::Null
                    } else {
                        Value::string("KEY")
                    },
                ),
                ("insecure_skip_verify", Value::Null),
            ])
        };
        let servers = ("bootstrap_servers", strings(&["a:9092"]));
        let mut diags = Diagnostics::new();
        let state = parse_clusters(
            &config(vec![
                (
                    "sasl",
                    cluster(vec![
                        servers.clone(),
                        (
                            "sasl",
                            object(vec![
                                ("mechanism", Value::string("PLAIN")),
                                ("username", Value::string("admin")),
                                ("password", Value::string("p")),
                            ]),
                        ),
                    ]),
                ),
                ("plain", cluster(vec![servers.clone()])),
                (
                    "tls",
                    cluster(vec![servers.clone(), ("tls", tls(Value::Null))]),
                ),
                (
                    "mtls",
                    cluster(vec![servers, ("tls", tls(Value::string("CERT")))]),
                ),
            ]),
            &mut diags,
        );
        assert!(!diags.has_errors(), "{diags:?}");
        assert_eq!(
            state.provider_principal("sasl").as_deref(),
            Some("User:admin")
        );
        assert_eq!(
            state.provider_principal("plain").as_deref(),
            Some("User:ANONYMOUS")
        );
        assert_eq!(
            state.provider_principal("tls").as_deref(),
            Some("User:ANONYMOUS")
        );
        assert_eq!(
            state.provider_principal("mtls"),
            None,
            "the broker maps mTLS names"
        );
        assert_eq!(state.provider_principal("missing"), None);
    }

    #[test]
    fn unknown_cluster_settings_do_not_break_other_clusters() {
        let mut diags = Diagnostics::new();
        let state = parse_clusters(
            &config(vec![
                (
                    "primary",
                    cluster(vec![("bootstrap_servers", strings(&["a:9092"]))]),
                ),
                ("dr", cluster(vec![("bootstrap_servers", Value::Unknown)])),
            ]),
            &mut diags,
        );
        assert!(!diags.has_errors());
        assert!(state.cluster("primary").is_ok());
        assert!(state.is_pending("dr"));
        assert!(state
            .cluster("dr")
            .unwrap_err()
            .summary
            .contains("not known yet"));
    }

    #[test]
    fn ownership_defaults_to_the_claims_topic_and_bad_settings_point_at_their_attribute() {
        let servers = ("bootstrap_servers", strings(&["a:9092"]));
        let mut diags = Diagnostics::new();
        let state = parse_clusters(
            &config(vec![
                ("default", cluster(vec![servers.clone()])),
                (
                    "named",
                    cluster(vec![
                        servers.clone(),
                        ("claims_topic", Value::string("team.claims")),
                    ]),
                ),
                (
                    "per_state",
                    cluster(vec![servers.clone(), ("ownership", Value::string("state"))]),
                ),
            ]),
            &mut diags,
        );
        assert!(!diags.has_errors(), "{diags:?}");
        assert_eq!(
            state.ownership("default").cloned().unwrap(),
            Ownership::Claims(DEFAULT_CLAIMS_TOPIC.to_string())
        );
        assert_eq!(state.claims_log("named").unwrap().topic(), "team.claims");
        assert!(state.claims_log("per_state").is_none());

        let mut diags = Diagnostics::new();
        parse_clusters(
            &config(vec![
                (
                    "bad_mode",
                    cluster(vec![servers.clone(), ("ownership", Value::string("mine"))]),
                ),
                (
                    "bad_topic",
                    cluster(vec![
                        servers.clone(),
                        ("claims_topic", Value::string("a b")),
                    ]),
                ),
                (
                    "both",
                    cluster(vec![
                        servers,
                        ("claims_topic", Value::string("c")),
                        ("ownership", Value::string("state")),
                    ]),
                ),
            ]),
            &mut diags,
        );
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.path.clone().unwrap().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                r#"cluster["bad_mode"].ownership"#,
                r#"cluster["bad_topic"].claims_topic"#,
                r#"cluster["both"].claims_topic"#,
            ]
        );
    }
}
