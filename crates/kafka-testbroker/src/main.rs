//! `kafka-testbroker` command line: starts one broker and prints one line when it is ready.
//!
//! Usage: `kafka-testbroker --listen 127.0.0.1:PORT [--nodes N] [--user NAME:PASSWORD]...
//! [--super-user PRINCIPAL]... [--no-authorizer] [--stats-file PATH] [--metadata-lag-ms N]
//! [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--oauth-jwks FILE]`.
//! With `--metadata-lag-ms N` reads see writes up to N ms after they were acknowledged.
//! `--tls-cert`/`--tls-key` (PEM) make the listener TLS (SASL_SSL with `--user` or
//! `--oauth-jwks`); `--tls-client-ca` requires a client certificate signed by that CA, whose
//! subject DN names the principal (`User:CN=...`); `--oauth-jwks` enables OAUTHBEARER with
//! RS256 tokens signed by a key of that JWKS file.
//! With `--stats-file`, the request counts are written there as JSON (`{"ApiName": count}`,
//! and `"Fetch at log end"`: the Fetch requests among them that found nothing to return yet)
//! after every request (atomically replaced). Runs until killed.

use kafka_testbroker::{BrokerConfig, Jwks, TestBroker, TlsListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str =
    "usage: kafka-testbroker --listen HOST:PORT [--nodes N] [--user NAME:PASSWORD]... \
[--super-user PRINCIPAL]... [--no-authorizer] [--stats-file PATH] [--metadata-lag-ms N] \
[--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--oauth-jwks FILE]";

struct Options {
    listen: String,
    config: BrokerConfig,
    stats_file: Option<PathBuf>,
    metadata_lag: Duration,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut args = args.into_iter();
    let mut listen = None;
    let mut config = BrokerConfig::default();
    let mut stats_file = None;
    let (mut cert, mut key, mut client_ca) = (None, None, None);
    let read = |flag: &str, path: String| {
        std::fs::read_to_string(&path).map_err(|e| format!("{flag} {path}: {e}"))
    };
    let mut metadata_lag = Duration::ZERO;
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--listen" => listen = Some(value("--listen")?),
            "--nodes" => {
                let text = value("--nodes")?;
                config.nodes =
                    text.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        format!("--nodes must be a positive integer, got {text:?}")
                    })?;
            }
            "--user" => {
                let text = value("--user")?;
                let (name, password) = text.split_once(':').ok_or("--user takes NAME:PASSWORD")?;
                config.users.push((name.to_string(), password.to_string()));
            }
            "--super-user" => config.super_users.push(value("--super-user")?),
            "--no-authorizer" => config.authorizer = false,
            "--stats-file" => stats_file = Some(PathBuf::from(value("--stats-file")?)),
            "--tls-cert" => cert = Some(read("--tls-cert", value("--tls-cert")?)?),
            "--tls-key" => key = Some(read("--tls-key", value("--tls-key")?)?),
            "--tls-client-ca" => {
                client_ca = Some(read("--tls-client-ca", value("--tls-client-ca")?)?)
            }
            "--oauth-jwks" => {
                let text = read("--oauth-jwks", value("--oauth-jwks")?)?;
                config.oauth_jwks =
                    Some(Jwks::parse(&text).map_err(|e| format!("--oauth-jwks: {e}"))?);
            }
            "--metadata-lag-ms" => {
                let text = value("--metadata-lag-ms")?;
                let ms: u64 = text.parse().map_err(|_| {
                    format!("--metadata-lag-ms must be a non-negative integer, got {text:?}")
                })?;
                metadata_lag = Duration::from_millis(ms);
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let listen = listen.ok_or_else(|| format!("--listen is required\n{USAGE}"))?;
    config.tls = match (cert, key) {
        (Some(cert_pem), Some(key_pem)) => Some(TlsListener {
            cert_pem,
            key_pem,
            client_ca_pem: client_ca,
        }),
        (None, None) if client_ca.is_none() => None,
        _ => {
            return Err(format!(
                "--tls-cert and --tls-key go together (and --tls-client-ca needs both)\n{USAGE}"
            ))
        }
    };
    Ok(Options {
        listen,
        config,
        stats_file,
        metadata_lag,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let broker =
        match TestBroker::start_with_stats(&options.listen, options.config, options.stats_file)
            .await
        {
            Ok(broker) => broker,
            Err(error) => {
                eprintln!(
                    "kafka-testbroker: cannot listen on {}: {error}",
                    options.listen
                );
                return ExitCode::FAILURE;
            }
        };
    broker.set_metadata_lag(options.metadata_lag);
    println!("kafka-testbroker listening on {}", broker.bootstrap());
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
