//! Secrets never leave the provider: with a known SASL password and a known TLS private key in
//! the provider configuration, real Terraform plans, applies, refreshes and destroys an MM2
//! flow against two SASL/SCRAM test brokers with `TF_LOG=TRACE`, and every byte it printed or
//! logged, the state files, `terraform show -json` of the plan and all diagnostics are
//! searched for the secrets. A wrong password fails naming the cluster, never the password.
//! The same holds for an OAuth client secret and the access tokens the provider fetched
//! (OAUTHBEARER over TLS) and for a mutual-TLS client key that is in use.

mod support;

use kafka_testbroker::pki::{TestCa, TokenSigner};
use kafka_testbroker::token_endpoint::TokenEndpoint;
use kafka_testbroker::{BrokerConfig, Jwks, TestBroker, TlsListener};
use support::{for_each_terraform, Run, Workdir};

const HEADER: &str = r#"terraform {
  required_providers {
    kafkamirror = { source = "kafkamirror/kafkamirror" }
  }
}
"#;

/// Long and distinctive, so a partial echo would still be found.
const PASSWORD: &str = "pw-Zq8vL3xK9mT2nR7w-never-print-me";

/// A client certificate and its private key (PEM), made fresh for the test.
struct ClientIdentity {
    cert_pem: String,
    key_pem: String,
}

fn client_identity() -> ClientIdentity {
    let certified = rcgen::generate_simple_self_signed(vec!["kafkamirror-client".to_string()])
        .expect("generate a client certificate");
    ClientIdentity {
        cert_pem: certified.cert.pem(),
        key_pem: certified.signing_key.serialize_pem(),
    }
}

/// The secret fragments to search for: the password, and every base64 line of the key body
/// (output may re-wrap or escape the PEM, but a line of 64 key characters survives).
fn needles(identity: &ClientIdentity) -> Vec<String> {
    let mut needles = vec![PASSWORD.to_string()];
    needles.extend(
        identity
            .key_pem
            .lines()
            .filter(|line| !line.starts_with("-----") && line.len() >= 16)
            .map(str::to_string),
    );
    assert!(needles.len() >= 2, "the key has a body");
    needles
}

/// A SASL/SCRAM broker whose only user is `terraform` (a super user) with [`PASSWORD`].
fn start_broker(runtime: &tokio::runtime::Runtime) -> TestBroker {
    runtime
        .block_on(TestBroker::start(
            "127.0.0.1:0",
            BrokerConfig {
                nodes: 3,
                users: vec![("terraform".to_string(), PASSWORD.to_string())],
                super_users: vec!["User:terraform".to_string()],
                authorizer: true,
                ..BrokerConfig::default()
            },
        ))
        .expect("start the test broker")
}

/// The provider block: clusters `primary` and `dr` over SASL/SCRAM with the password, cluster
/// `mtls` (not used by the flow) with the client key; secrets read from files, as users keep
/// them out of `.tf` files.
fn main_tf(primary: &str, dr: &str) -> String {
    format!(
        r#"{HEADER}
provider "kafkamirror" {{
  cluster "primary" {{
    bootstrap_servers = ["{primary}"]
    timeout_seconds   = 10
    sasl {{
      mechanism = "SCRAM-SHA-512"
      username  = "terraform"
      password  = trimspace(file("${{path.module}}/password.txt"))
    }}
  }}
  cluster "dr" {{
    bootstrap_servers = ["{dr}"]
    timeout_seconds   = 10
    sasl {{
      mechanism = "SCRAM-SHA-256"
      username  = "terraform"
      password  = trimspace(file("${{path.module}}/password.txt"))
    }}
  }}
  cluster "mtls" {{
    bootstrap_servers = ["{primary}"]
    tls {{
      client_cert = file("${{path.module}}/client.crt")
      client_key  = file("${{path.module}}/client.key")
    }}
  }}
}}
resource "kafkamirror_mm2_replication_permissions" "flow" {{
  source_cluster = "primary"
  target_cluster = "dr"
  principal      = "User:mm2"
  topics         = ["orders"]
  groups         = ["orders-app"]
}}
"#
    )
}

/// Fails naming where a secret fragment was found.
fn assert_no_secret(what: &str, text: &str, needles: &[String]) {
    for needle in needles {
        if let Some(at) = text.find(needle.as_str()) {
            let start = at.saturating_sub(200);
            let end = (at + needle.len() + 200).min(text.len());
            panic!(
                "a secret appears in {what}: ...{}...",
                text.get(start..end).unwrap_or("(not on a char boundary)")
            );
        }
    }
}

fn assert_run_clean(what: &str, run: &Run, needles: &[String]) {
    assert_no_secret(&format!("{what} stdout"), &run.stdout, needles);
    assert_no_secret(&format!("{what} stderr"), &run.stderr, needles);
}

/// Every file Terraform left in the workdir except the inputs that hold the secrets on
/// purpose (the key, cert and password files) and the binary plan file (its JSON form is
/// checked instead).
fn assert_workdir_clean(dir: &Workdir, needles: &[String]) {
    let skip = [
        "password.txt",
        "client.key",
        "client.crt",
        "ca.pem",
        "client_secret.txt",
        "tfplan",
    ];
    let mut pending = vec![dir.path().to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy();
            if skip.contains(&name.as_ref()) {
                continue;
            }
            // The provider binary (a symlink or copy in .terraform) is not output.
            if path.metadata().map(|m| m.len()).unwrap_or(0) > 50_000_000 {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_default();
            assert_no_secret(
                &path.display().to_string(),
                &String::from_utf8_lossy(&bytes),
                needles,
            );
        }
    }
}

fn workdir(
    tf: &support::Terraform,
    main_tf: &str,
    password: &str,
    identity: &ClientIdentity,
) -> Workdir {
    let mut dir = Workdir::with_dev_overrides(tf, main_tf);
    dir.write("password.txt", &format!("{password}\n"));
    dir.write("client.crt", &identity.cert_pem);
    dir.write("client.key", &identity.key_pem);
    dir.set_env("TF_LOG", "TRACE");
    let log_path = dir.path().join("terraform-trace.log");
    dir.set_env("TF_LOG_PATH", &log_path.display().to_string());
    dir
}

/// Every RPC that carries the provider configuration (ConfigureProvider on plan, apply,
/// refresh and destroy) and every one that carries state, with the provider connected.
#[test]
fn secrets_stay_out_of_logs_state_plan_and_diagnostics() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (primary, dr) = (start_broker(&runtime), start_broker(&runtime));
    let identity = client_identity();
    let needles = needles(&identity);
    for_each_terraform(|tf| {
        let main_tf = main_tf(&primary.bootstrap(), &dr.bootstrap());
        let dir = workdir(tf, &main_tf, PASSWORD, &identity);
        let mut runs = Vec::new();
        runs.push(("plan", dir.ok(&["plan", "-no-color", "-out=tfplan"])));
        let shown = dir.ok(&["show", "-json", "tfplan"]);
        assert!(
            shown
                .stdout
                .contains("kafkamirror_mm2_replication_permissions"),
            "plan JSON"
        );
        runs.push(("show -json tfplan", shown));
        runs.push(("apply", dir.ok(&["apply", "-no-color", "tfplan"])));
        assert!(
            primary.acls().iter().any(|acl| acl.principal == "User:mm2"),
            "the apply reached the SASL broker"
        );
        runs.push((
            "refresh",
            dir.ok(&["apply", "-refresh-only", "-auto-approve", "-json"]),
        ));
        runs.push(("show -json", dir.ok(&["show", "-json"])));
        runs.push(("destroy", dir.destroy()));
        for (what, run) in &runs {
            assert_run_clean(what, run, &needles);
        }
        let log = std::fs::read_to_string(dir.path().join("terraform-trace.log"))
            .expect("TF_LOG_PATH log");
        // The check means something only if the provider's own trace output is in the log.
        assert!(
            log.contains("ConfigureProvider") && log.contains("terraform-provider-kafkamirror"),
            "the trace log lacks the provider's lines"
        );
        assert_workdir_clean(&dir, &needles);
    });
    runtime.block_on(primary.shutdown());
    runtime.block_on(dr.shutdown());
}

/// A wrong password: the plan fails with an authentication error naming the cluster, and the
/// wrong password appears nowhere.
#[test]
fn wrong_password_names_the_cluster_never_the_password() {
    const WRONG: &str = "pw-WRONG-u5Hc2Lr9Tq-never-print-me";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (primary, dr) = (start_broker(&runtime), start_broker(&runtime));
    let identity = client_identity();
    let mut needles = needles(&identity);
    needles.push(WRONG.to_string());
    for_each_terraform(|tf| {
        let main_tf = main_tf(&primary.bootstrap(), &dr.bootstrap());
        let dir = workdir(tf, &main_tf, WRONG, &identity);
        let run = dir.run(&["plan", "-json"]);
        assert_eq!(run.code, 1, "plan must fail: {}", run.stdout);
        let named: Vec<String> = run
            .json_diagnostics()
            .iter()
            .filter(|d| d["severity"] == "error")
            .map(|d| d["detail"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(
            named.iter().any(|d| d.contains("\"primary\""))
                && named.iter().any(|d| d.contains("\"dr\"")),
            "each error names its cluster: {named:#?}"
        );
        assert_run_clean("plan with a wrong password", &run, &needles);
        assert_workdir_clean(&dir, &needles);
    });
    runtime.block_on(primary.shutdown());
    runtime.block_on(dr.shutdown());
}

const CLIENT_SECRET: &str = "cs-Vb7nQ2xR5kP9-never-print-me";

/// OAUTHBEARER over SASL_SSL on `primary` (client secret from a file), mutual TLS on `dr`
/// (client key from a file): plan, apply, refresh and destroy with `TF_LOG=TRACE`; the client
/// secret, every access token the endpoint issued and the client key appear nowhere.
#[test]
fn oauth_secrets_tokens_and_a_used_client_key_stay_out_of_logs_state_and_plans() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ca = TestCa::new("secrets test CA");
    let client = ca.client(&[("CN", "terraform")]);
    let signer = TokenSigner::new("secrets-key");
    let jwks = Jwks::parse(signer.jwks()).unwrap();
    let endpoint = runtime
        .block_on(TokenEndpoint::start(
            signer,
            "terraform-ci",
            CLIENT_SECRET,
            "svc-terraform",
        ))
        .unwrap();
    let listener = |client_ca: Option<&str>| {
        let cert = ca.broker(&["127.0.0.1"]);
        Some(TlsListener {
            cert_pem: cert.cert_pem,
            key_pem: cert.key_pem,
            client_ca_pem: client_ca.map(str::to_string),
        })
    };
    let primary = runtime
        .block_on(TestBroker::start(
            "127.0.0.1:0",
            BrokerConfig {
                oauth_jwks: Some(jwks),
                super_users: vec!["User:svc-terraform".into()],
                tls: listener(None),
                ..BrokerConfig::default()
            },
        ))
        .unwrap();
    let dr = runtime
        .block_on(TestBroker::start(
            "127.0.0.1:0",
            BrokerConfig {
                super_users: vec!["User:CN=terraform".into()],
                tls: listener(Some(&ca.cert_pem)),
                ..BrokerConfig::default()
            },
        ))
        .unwrap();
    let main_tf = format!(
        r#"{HEADER}
provider "kafkamirror" {{
  cluster "primary" {{
    bootstrap_servers = ["{}"]
    tls {{
      ca_cert = file("${{path.module}}/ca.pem")
    }}
    sasl {{
      mechanism = "OAUTHBEARER"
      oauth {{
        token_endpoint_url = "{}"
        client_id          = "terraform-ci"
        client_secret      = trimspace(file("${{path.module}}/client_secret.txt"))
      }}
    }}
  }}
  cluster "dr" {{
    bootstrap_servers = ["{}"]
    tls {{
      ca_cert     = file("${{path.module}}/ca.pem")
      client_cert = file("${{path.module}}/client.crt")
      client_key  = file("${{path.module}}/client.key")
    }}
  }}
}}
resource "kafkamirror_mm2_replication_permissions" "flow" {{
  source_cluster = "primary"
  target_cluster = "dr"
  principal      = "User:mm2"
  topics         = ["orders"]
  groups         = ["orders-app"]
}}
"#,
        primary.bootstrap(),
        endpoint.url(),
        dr.bootstrap()
    );
    let identity = ClientIdentity {
        cert_pem: client.cert_pem.clone(),
        key_pem: client.key_pem.clone(),
    };
    for_each_terraform(|tf| {
        let dir = workdir(tf, &main_tf, PASSWORD, &identity);
        dir.write("ca.pem", &ca.cert_pem);
        dir.write("client_secret.txt", &format!("{CLIENT_SECRET}\n"));
        let mut runs = vec![("plan", dir.ok(&["plan", "-no-color", "-out=tfplan"]))];
        runs.push(("show -json tfplan", dir.ok(&["show", "-json", "tfplan"])));
        runs.push(("apply", dir.ok(&["apply", "-no-color", "tfplan"])));
        assert!(
            dr.acls().iter().any(|acl| acl.principal == "User:mm2"),
            "the apply reached the mutual-TLS broker"
        );
        runs.push((
            "refresh",
            dir.ok(&["apply", "-refresh-only", "-auto-approve", "-json"]),
        ));
        runs.push(("destroy", dir.destroy()));
        let mut needles = needles(&identity);
        needles.push(CLIENT_SECRET.to_string());
        let tokens = endpoint.issued();
        assert!(!tokens.is_empty(), "the provider fetched tokens");
        needles.extend(tokens);
        for (what, run) in &runs {
            assert_run_clean(what, run, &needles);
        }
        let log = std::fs::read_to_string(dir.path().join("terraform-trace.log")).unwrap();
        assert!(
            log.contains("ConfigureProvider"),
            "the trace log has the provider's lines"
        );
        assert_workdir_clean(&dir, &needles);
    });
}
