//! Connections as production clusters have them, with real Terraform (both versions) against
//! test brokers whose certificates and token keys are made here: a flow from a SASL_SSL
//! cluster (CA from `tls.ca_cert`, password from the environment) to a mutual-TLS cluster
//! whose certificate DN is the super user; the self-lockout guard knowing the provider's DN;
//! OAUTHBEARER through a local token endpoint; each TLS failure (unknown CA, host-name
//! mismatch, expired certificate, missing client certificate) reported with its own message
//! well before `timeout_seconds`; an unknown credential leaving the other clusters planned.

mod support;

use kafka_testbroker::pki::{CertAndKey, TestCa, TokenSigner};
use kafka_testbroker::token_endpoint::TokenEndpoint;
use kafka_testbroker::{
    AclOperation, AclPermission, AclRecord, BrokerConfig, Jwks, PatternType, ResourceType,
    TestBroker, TlsListener,
};
use std::time::{Duration, Instant};
use support::{for_each_terraform, Run, Workdir};

const HEADER: &str = r#"terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}
"#;

const PASSWORD: &str = "pw-tls-Hq4vX8-never-print-me";
const CLIENT_SECRET: &str = "cs-oauth-Lr2mW6-never-print-me";
const DN_PRINCIPAL: &str = "User:CN=terraform,OU=platform";
/// Long, so that failing "well under timeout_seconds" cannot be a timeout.
const TIMEOUT_SECONDS: u64 = 60;

struct Pki {
    ca: TestCa,
    client: CertAndKey,
}

fn pki() -> Pki {
    let ca = TestCa::new("kafkamirror e2e CA");
    let client = ca.client(&[("OU", "platform"), ("CN", "terraform")]);
    Pki { ca, client }
}

fn start(
    runtime: &tokio::runtime::Runtime,
    cert: &CertAndKey,
    config: BrokerConfig,
    client_ca: Option<&str>,
) -> TestBroker {
    runtime
        .block_on(TestBroker::start(
            "127.0.0.1:0",
            BrokerConfig {
                tls: Some(TlsListener {
                    cert_pem: cert.cert_pem.clone(),
                    key_pem: cert.key_pem.clone(),
                    client_ca_pem: client_ca.map(str::to_string),
                }),
                ..config
            },
        ))
        .expect("start a TLS test broker")
}

/// A SASL_SSL broker with user `terraform` (super user).
fn sasl_ssl_broker(runtime: &tokio::runtime::Runtime, pki: &Pki) -> TestBroker {
    let config = BrokerConfig {
        users: vec![("terraform".into(), PASSWORD.into())],
        super_users: vec!["User:terraform".into()],
        ..BrokerConfig::default()
    };
    start(runtime, &pki.ca.broker(&["127.0.0.1"]), config, None)
}

/// A mutual-TLS broker whose super user is the client certificate's DN.
fn mtls_broker(runtime: &tokio::runtime::Runtime, pki: &Pki) -> TestBroker {
    let config = BrokerConfig {
        super_users: vec![DN_PRINCIPAL.into()],
        ..BrokerConfig::default()
    };
    start(
        runtime,
        &pki.ca.broker(&["127.0.0.1"]),
        config,
        Some(&pki.ca.cert_pem),
    )
}

fn mm2_flow(principal: &str) -> String {
    format!(
        r#"resource "kafkamirror_mm2_replication_permissions" "flow" {{
  source_cluster         = "primary"
  target_cluster         = "dr"
  principal              = "{principal}"
  topics                 = ["orders"]
  groups                 = ["orders-app"]
  manage_internal_topics = false
}}
"#
    )
}

/// `primary` over SASL_SSL (password from the environment), `dr` over mutual TLS.
fn tls_provider(primary: &TestBroker, dr: &TestBroker) -> String {
    format!(
        r#"{HEADER}
provider "kafkamirror" {{
  cluster "primary" {{
    bootstrap_servers = ["{}"]
    timeout_seconds   = {TIMEOUT_SECONDS}
    tls {{
      ca_cert = file("${{path.module}}/ca.pem")
    }}
    sasl {{
      mechanism = "SCRAM-SHA-512"
      username  = "terraform"
    }}
  }}
  cluster "dr" {{
    bootstrap_servers = ["{}"]
    timeout_seconds   = {TIMEOUT_SECONDS}
    tls {{
      ca_cert     = file("${{path.module}}/ca.pem")
      client_cert = file("${{path.module}}/client.pem")
      client_key  = file("${{path.module}}/client.key")
    }}
  }}
}}
"#,
        primary.bootstrap(),
        dr.bootstrap()
    )
}

fn workdir(tf: &support::Terraform, main_tf: &str, pki: &Pki) -> Workdir {
    let mut dir = Workdir::with_dev_overrides(tf, main_tf);
    dir.write("ca.pem", &pki.ca.cert_pem);
    dir.write("client.pem", &pki.client.cert_pem);
    dir.write("client.key", &pki.client.key_pem);
    dir.set_env("KAFKAMIRROR_PRIMARY_SASL_PASSWORD", PASSWORD);
    dir
}

fn errors(run: &Run) -> Vec<String> {
    run.json_diagnostics()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            format!(
                "{}: {}",
                d["summary"].as_str().unwrap_or(""),
                d["detail"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn allow(principal: &str, resource_type: ResourceType, name: &str, op: AclOperation) -> AclRecord {
    AclRecord {
        resource_type,
        name: name.to_string(),
        pattern_type: PatternType::Literal,
        principal: principal.to_string(),
        host: "*".to_string(),
        operation: op,
        permission: AclPermission::Allow,
    }
}

#[test]
fn a_flow_from_sasl_ssl_to_mutual_tls_applies_and_destroys() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pki = pki();
    let (primary, dr) = (sasl_ssl_broker(&runtime, &pki), mtls_broker(&runtime, &pki));
    for_each_terraform(|tf| {
        let dir = workdir(
            tf,
            &(tls_provider(&primary, &dr) + &mm2_flow("User:mm2")),
            &pki,
        );
        dir.apply();
        for broker in [&primary, &dr] {
            assert!(
                broker.acls().iter().any(|acl| acl.principal == "User:mm2"),
                "the apply reached both brokers"
            );
        }
        assert_eq!(dir.plan_exit_code().code, 0, "converged");
        dir.destroy();
        for broker in [&primary, &dr] {
            assert!(!broker.acls().iter().any(|acl| acl.principal == "User:mm2"));
        }
    });
}

/// The provider's principal on `dr` is its certificate's DN: a resource that adopted the
/// DN's own ALTER and DESCRIBE rights and would delete them is refused, and nothing is
/// deleted.
#[test]
fn the_self_lockout_guard_knows_the_mutual_tls_principal() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pki = pki();
    let (primary, dr) = (sasl_ssl_broker(&runtime, &pki), mtls_broker(&runtime, &pki));
    for broker in [&primary, &dr] {
        for operation in [AclOperation::Alter, AclOperation::Describe] {
            broker.add_acl(allow(
                DN_PRINCIPAL,
                ResourceType::Cluster,
                "kafka-cluster",
                operation,
            ));
        }
        broker.add_acl(allow(
            DN_PRINCIPAL,
            ResourceType::Topic,
            "*",
            AclOperation::Describe,
        ));
    }
    let rights = dr.acls();
    for_each_terraform(|tf| {
        let dir = workdir(
            tf,
            &(tls_provider(&primary, &dr) + &mm2_flow(DN_PRINCIPAL)),
            &pki,
        );
        let id = format!("primary:dr:{DN_PRINCIPAL}");
        dir.ok(&[
            "import",
            "-no-color",
            "kafkamirror_mm2_replication_permissions.flow",
            &id,
        ]);
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        let refused = errors(&run);
        let lockout = refused
            .iter()
            .find(|e| e.starts_with("Refusing to lock the provider out"))
            .unwrap_or_else(|| panic!("no lockout refusal in {refused:#?}"));
        assert!(lockout.contains(DN_PRINCIPAL), "{lockout}");
        assert_eq!(dr.acls(), rights, "nothing deleted");
    });
}

/// Each misconfiguration fails the plan well before `timeout_seconds` with its own message,
/// naming its cluster; the good cluster is not blamed.
#[test]
fn each_tls_failure_fails_the_plan_at_once_with_its_own_message() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pki = pki();
    let other_ca = TestCa::new("a CA the brokers do not use");
    let plain = BrokerConfig::default();
    let good = start(
        &runtime,
        &pki.ca.broker(&["127.0.0.1"]),
        BrokerConfig {
            super_users: vec!["User:ANONYMOUS".into()],
            ..plain.clone()
        },
        None,
    );
    let wrong_host = start(
        &runtime,
        &pki.ca.broker(&["kafka.example.com"]),
        plain.clone(),
        None,
    );
    let expired = start(
        &runtime,
        &pki.ca.expired_broker(&["127.0.0.1"]),
        plain.clone(),
        None,
    );
    let mtls = mtls_broker(&runtime, &pki);
    let cases = [
        (
            "unknown_ca",
            good.bootstrap(),
            "other-ca.pem",
            "not signed by a CA in tls.ca_cert",
        ),
        (
            "wrong_host",
            wrong_host.bootstrap(),
            "ca.pem",
            "not valid for host name",
        ),
        (
            "expired",
            expired.bootstrap(),
            "ca.pem",
            "certificate has expired",
        ),
        (
            "no_client_cert",
            mtls.bootstrap(),
            "ca.pem",
            "requires a client certificate",
        ),
    ];
    let mut main_tf = format!("{HEADER}\nprovider \"kafkamirror\" {{\n");
    main_tf += &format!(
        "  cluster \"good\" {{\n    bootstrap_servers = [\"{}\"]\n    timeout_seconds   = {TIMEOUT_SECONDS}\n    tls {{\n      ca_cert = file(\"${{path.module}}/ca.pem\")\n    }}\n  }}\n",
        good.bootstrap()
    );
    for (alias, server, ca, _) in &cases {
        main_tf += &format!(
            "  cluster \"{alias}\" {{\n    bootstrap_servers = [\"{server}\"]\n    timeout_seconds   = {TIMEOUT_SECONDS}\n    tls {{\n      ca_cert = file(\"${{path.module}}/{ca}\")\n    }}\n  }}\n"
        );
    }
    main_tf += "}\n";
    for (alias, _, _, _) in &cases {
        main_tf += &format!(
            "resource \"kafkamirror_mm2_replication_permissions\" \"{alias}\" {{\n  source_cluster         = \"{alias}\"\n  target_cluster         = \"good\"\n  principal              = \"User:mm2\"\n  topics                 = [\"orders\"]\n  groups                 = [\"orders-app\"]\n  manage_internal_topics = false\n}}\n"
        );
    }
    for_each_terraform(|tf| {
        let dir = workdir(tf, &main_tf, &pki);
        dir.write("other-ca.pem", &other_ca.cert_pem);
        let started = Instant::now();
        let run = dir.run(&["plan", "-json"]);
        let elapsed = started.elapsed();
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert!(
            elapsed < Duration::from_secs(TIMEOUT_SECONDS / 2),
            "the plan waited {elapsed:?}, as if for the timeout"
        );
        let failed = errors(&run);
        for (alias, server, _, expected) in &cases {
            assert!(
                failed
                    .iter()
                    .any(|e| e.contains(&format!("cluster \"{alias}\""))
                        && e.contains(server.as_str())
                        && e.contains(expected)),
                "{alias}: no error saying {expected:?} in {failed:#?}"
            );
        }
        assert!(
            !failed.iter().any(|e| e.contains("cluster \"good\"")),
            "the good cluster is not blamed: {failed:#?}"
        );
        assert!(
            !failed.iter().any(|e| e.contains("ssl.ca.location")),
            "{failed:#?}"
        );
    });
}

/// OAUTHBEARER: the provider fetches a token from the local endpoint with the client id and
/// secret (the secret from the environment) and the broker names it by the token's `sub`.
#[test]
fn oauthbearer_through_a_local_token_endpoint_applies_a_flow() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pki = pki();
    let signer = TokenSigner::new("e2e-key");
    let jwks = Jwks::parse(signer.jwks()).unwrap();
    let endpoint = runtime
        .block_on(TokenEndpoint::start(
            signer,
            "terraform-ci",
            CLIENT_SECRET,
            "svc-terraform",
        ))
        .unwrap();
    let config = BrokerConfig {
        oauth_jwks: Some(jwks),
        super_users: vec!["User:svc-terraform".into()],
        ..BrokerConfig::default()
    };
    let primary = start(
        &runtime,
        &pki.ca.broker(&["127.0.0.1"]),
        config.clone(),
        None,
    );
    let dr = start(&runtime, &pki.ca.broker(&["127.0.0.1"]), config, None);
    let cluster = |alias: &str, broker: &TestBroker| {
        format!(
            r#"  cluster "{alias}" {{
    bootstrap_servers = ["{}"]
    tls {{
      ca_cert = file("${{path.module}}/ca.pem")
    }}
    sasl {{
      mechanism = "OAUTHBEARER"
      oauth {{
        token_endpoint_url = "{}"
        client_id          = "terraform-ci"
        scope              = "kafka"
        extensions         = {{ logicalCluster = "lkc-{alias}" }}
      }}
    }}
  }}
"#,
            broker.bootstrap(),
            endpoint.url()
        )
    };
    let main_tf = format!(
        "{HEADER}\nprovider \"kafkamirror\" {{\n{}{}}}\n{}",
        cluster("primary", &primary),
        cluster("dr", &dr),
        mm2_flow("User:mm2")
    );
    for_each_terraform(|tf| {
        let mut dir = workdir(tf, &main_tf, &pki);
        dir.set_env("KAFKAMIRROR_PRIMARY_OAUTH_CLIENT_SECRET", CLIENT_SECRET);
        dir.set_env("KAFKAMIRROR_DR_OAUTH_CLIENT_SECRET", CLIENT_SECRET);
        let before = endpoint.issued().len();
        dir.apply();
        assert!(
            endpoint.issued().len() > before,
            "tokens came from the endpoint"
        );
        assert!(primary.acls().iter().any(|acl| acl.principal == "User:mm2"));
        dir.destroy();
    });
}

/// A password that is unknown while planning (here it depends on `timestamp()`) leaves its
/// cluster pending; the flow between the other clusters is still planned.
#[test]
fn an_unknown_credential_still_plans_the_other_clusters() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pki = pki();
    let (primary, dr) = (sasl_ssl_broker(&runtime, &pki), mtls_broker(&runtime, &pki));
    let main_tf = tls_provider(&primary, &dr).replace(
        "  cluster \"dr\" {",
        &format!(
            "  cluster \"later\" {{\n    bootstrap_servers = [\"{}\"]\n    tls {{\n      ca_cert = file(\"${{path.module}}/ca.pem\")\n    }}\n    sasl {{\n      mechanism = \"SCRAM-SHA-512\"\n      username  = \"terraform\"\n      password  = \"pw-${{timestamp()}}\"\n    }}\n  }}\n  cluster \"dr\" {{",
            primary.bootstrap()
        ),
    ) + &mm2_flow("User:mm2");
    for_each_terraform(|tf| {
        let dir = workdir(tf, &main_tf, &pki);
        let plan = dir.plan_json();
        let actions: Vec<&serde_json::Value> = plan["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|change| &change["change"]["actions"])
            .collect();
        assert_eq!(actions, [&serde_json::json!(["create"])]);
    });
}

/// Two clusters at closed ports with `timeout_seconds = 5` and three flows between them:
/// one plan (TRACE on) reports each cluster, naming its servers, in well under twice the
/// timeout: the clusters are tried in parallel, and a failed attempt is remembered for the
/// rest of the provider process instead of being retried by every resource.
#[test]
fn unreachable_clusters_are_reported_once_within_about_their_timeout() {
    let closed = || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let (primary, dr) = (closed(), closed());
    let flows: String = ["a", "b", "c"]
        .iter()
        .map(|name| {
            mm2_flow(&format!("User:mm2-{name}")).replace("\"flow\"", &format!("\"{name}\""))
        })
        .collect();
    let main_tf = format!(
        "{HEADER}\nprovider \"kafkamirror\" {{\n  cluster \"primary\" {{\n    bootstrap_servers = [\"{primary}\"]\n    timeout_seconds   = 5\n  }}\n  cluster \"dr\" {{\n    bootstrap_servers = [\"{dr}\"]\n    timeout_seconds   = 5\n  }}\n}}\n{flows}"
    );
    for_each_terraform(|tf| {
        let mut dir = Workdir::with_dev_overrides(tf, &main_tf);
        dir.set_env("TF_LOG", "TRACE");
        dir.set_env(
            "TF_LOG_PATH",
            &dir.path().join("trace.log").display().to_string(),
        );
        let started = Instant::now();
        let run = dir.run(&["plan", "-json"]);
        let elapsed = started.elapsed();
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert!(
            elapsed < Duration::from_secs(10),
            "reported after {elapsed:?}, not within about the 5 s timeout"
        );
        let failed = errors(&run);
        for server in [&primary, &dr] {
            assert!(
                failed.iter().any(|e| e.contains(server.as_str())),
                "{server} is not named in {failed:#?}"
            );
        }
    });
}
