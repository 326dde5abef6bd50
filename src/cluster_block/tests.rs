//! Parsing `cluster` blocks: diagnostics on their attribute, unknown values, secrets,
//! the environment fallback for credentials, the provider's principal and ownership.

use super::*;
use tfplugin::{PathStep, Value};

fn parse_clusters_without_env(config: &Object, diags: &mut Diagnostics) -> Clusters {
    parse_clusters(config, &|_| None, Credentials::Required, diags)
}

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
    let state = parse_clusters_without_env(
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
    parse_clusters_without_env(
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
    parse_clusters_without_env(
        &config(vec![("c", tls(Value::Null, Value::string("KEY")))]),
        &mut diags,
    );
    let paths: Vec<String> = diags
        .iter()
        .map(|d| d.path.clone().unwrap().to_string())
        .collect();
    assert_eq!(paths, [r#"cluster["c"].tls.client_key"#]);

    let mut diags = Diagnostics::new();
    let state = parse_clusters_without_env(
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
    let state = parse_clusters_without_env(
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
        "a client certificate that does not parse names no principal"
    );
    assert_eq!(state.provider_principal("missing"), None);
}

#[test]
fn unknown_cluster_settings_do_not_break_other_clusters() {
    let mut diags = Diagnostics::new();
    let state = parse_clusters_without_env(
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

fn sasl(fields: Vec<(&str, Value)>) -> Value {
    cluster(vec![
        ("bootstrap_servers", strings(&["a:9092"])),
        ("sasl", object(fields)),
    ])
}

#[test]
fn credentials_left_out_come_from_the_environment_of_their_cluster() {
    let env = |name: &str| match name {
        "KAFKAMIRROR_PRIMARY_SASL_PASSWORD" => Some("from-env".to_string()),
        "KAFKAMIRROR_DR_2_OAUTH_CLIENT_SECRET" => Some("oauth-env".to_string()),
        _ => None,
    };
    let oauth = object(vec![
        ("token_endpoint_url", Value::string("https://idp/token")),
        ("client_id", Value::string("ci")),
    ]);
    let mut diags = Diagnostics::new();
    let state = parse_clusters(
        &config(vec![
            (
                "primary",
                sasl(vec![
                    ("mechanism", Value::string("SCRAM-SHA-256")),
                    ("username", Value::string("terraform")),
                ]),
            ),
            (
                "dr-2",
                sasl(vec![
                    ("mechanism", Value::string("OAUTHBEARER")),
                    ("oauth", oauth),
                ]),
            ),
        ]),
        &env,
        Credentials::Required,
        &mut diags,
    );
    assert!(!diags.has_errors(), "{diags:?}");
    let primary = state.cluster("primary").unwrap();
    assert_eq!(primary.sasl.as_ref().unwrap().password.expose(), "from-env");
    let dr = state.cluster("dr-2").unwrap();
    let oauth = dr.oauth.as_ref().unwrap();
    assert_eq!(oauth.client_secret.expose(), "oauth-env");
    assert_eq!(oauth.client_id, "ci");
    assert_eq!(
        env_name("dr-2", "oauth", "client_secret"),
        "KAFKAMIRROR_DR_2_OAUTH_CLIENT_SECRET"
    );
}

#[test]
fn a_value_in_hcl_wins_and_an_unknown_one_leaves_the_cluster_pending() {
    let env = |_: &str| Some("from-env".to_string());
    let mut diags = Diagnostics::new();
    let state = parse_clusters(
        &config(vec![
            (
                "known",
                sasl(vec![
                    ("mechanism", Value::string("PLAIN")),
                    ("username", Value::string("u")),
                    ("password", Value::string("from-hcl")),
                ]),
            ),
            (
                "later",
                sasl(vec![
                    ("mechanism", Value::string("PLAIN")),
                    ("username", Value::string("u")),
                    ("password", Value::Unknown),
                ]),
            ),
        ]),
        &env,
        Credentials::Required,
        &mut diags,
    );
    assert!(!diags.has_errors(), "{diags:?}");
    let known = state.cluster("known").unwrap();
    assert_eq!(known.sasl.as_ref().unwrap().password.expose(), "from-hcl");
    assert!(state.is_pending("later"));
}

#[test]
fn missing_and_misplaced_sasl_settings_are_diagnostics_on_their_attribute() {
    let mut diags = Diagnostics::new();
    parse_clusters_without_env(
        &config(vec![
            (
                "nopw",
                sasl(vec![
                    ("mechanism", Value::string("SCRAM-SHA-512")),
                    ("username", Value::string("u")),
                ]),
            ),
            (
                "oauth_without_block",
                sasl(vec![("mechanism", Value::string("OAUTHBEARER"))]),
            ),
            (
                "oauth_with_password",
                sasl(vec![
                    ("mechanism", Value::string("OAUTHBEARER")),
                    ("password", Value::string("p")),
                    (
                        "oauth",
                        object(vec![
                            ("token_endpoint_url", Value::string("ftp://idp")),
                            ("client_id", Value::string("c")),
                            ("client_secret", Value::string("s")),
                            (
                                "extensions",
                                Value::Map([("auth".to_string(), Value::string("x"))].into()),
                            ),
                        ]),
                    ),
                ]),
            ),
        ]),
        &mut diags,
    );
    let found: Vec<(String, String)> = diags
        .iter()
        .map(|d| (d.path.clone().unwrap().to_string(), d.summary.clone()))
        .collect();
    let expected = [
        (
            r#"cluster["nopw"].sasl.password"#,
            "Missing SASL credential",
        ),
        (
            r#"cluster["oauth_with_password"].sasl.oauth.token_endpoint_url"#,
            "Invalid token endpoint",
        ),
        (
            r#"cluster["oauth_with_password"].sasl.oauth.extensions"#,
            "Invalid SASL extension",
        ),
        (
            r#"cluster["oauth_with_password"].sasl.password"#,
            "Not used with OAUTHBEARER",
        ),
        (
            r#"cluster["oauth_without_block"].sasl.mechanism"#,
            "OAUTHBEARER needs an oauth block",
        ),
    ];
    for (path, summary) in expected {
        assert!(
            found.iter().any(|(p, s)| p == path && s == summary),
            "{path}: {summary} not in {found:#?}"
        );
    }
    let detail = diags
        .iter()
        .find(|d| d.summary == "Missing SASL credential")
        .unwrap();
    assert!(detail.detail.contains("KAFKAMIRROR_NOPW_SASL_PASSWORD"));
}

#[test]
fn validation_leaves_missing_credentials_to_configure() {
    let cluster = sasl(vec![
        ("mechanism", Value::string("SCRAM-SHA-512")),
        ("username", Value::string("u")),
    ]);
    let mut diags = Diagnostics::new();
    let state = parse_clusters(
        &config(vec![("c", cluster)]),
        &|_| None,
        Credentials::MaySetLater,
        &mut diags,
    );
    assert!(!diags.has_errors(), "{diags:?}");
    assert!(state.is_pending("c"));
}

#[test]
fn ownership_defaults_to_the_claims_topic_and_bad_settings_point_at_their_attribute() {
    let servers = ("bootstrap_servers", strings(&["a:9092"]));
    let mut diags = Diagnostics::new();
    let state = parse_clusters_without_env(
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
    parse_clusters_without_env(
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
