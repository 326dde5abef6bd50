//! The two clusters of a run: `kafka-testbroker` processes (authorizer and SASL on, admin as
//! super user) that write their per-API request counts to a stats file after every request.
//! A step's requests are the difference of two snapshots.

use kafka_testbroker::hooks::FETCH_AT_LOG_END;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The SASL user the provider connects as (a super user on both brokers).
pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "bench-password";

/// Requests per Kafka API name.
pub type RequestCounts = BTreeMap<String, u64>;

/// One running broker process; killed when dropped.
pub struct BrokerProcess {
    child: Child,
    bootstrap: String,
    stats_file: PathBuf,
}

impl BrokerProcess {
    /// Starts `program` on a free port and waits for its "listening on" line.
    pub fn start(program: &Path, stats_file: PathBuf) -> Result<BrokerProcess, String> {
        let mut child = Command::new(program)
            .args(["--listen", "127.0.0.1:0", "--nodes", "3"])
            .args(["--user", &format!("{ADMIN_USER}:{ADMIN_PASSWORD}")])
            .args(["--super-user", &format!("User:{ADMIN_USER}")])
            .arg("--stats-file")
            .arg(&stats_file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let bootstrap = line
            .trim()
            .strip_prefix("kafka-testbroker listening on ")
            .map(str::to_string);
        match (read, bootstrap) {
            (Ok(_), Some(bootstrap)) => Ok(BrokerProcess {
                child,
                bootstrap,
                stats_file,
            }),
            (read, _) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!(
                    "{} did not report its address (read {read:?}, line {line:?})",
                    program.display()
                ))
            }
        }
    }

    /// `HOST:PORT` for `bootstrap_servers`.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The counts the broker last wrote (it rewrites the file after every request).
    pub fn counts(&self) -> Result<RequestCounts, String> {
        let text = std::fs::read_to_string(&self.stats_file)
            .map_err(|e| format!("cannot read {}: {e}", self.stats_file.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("bad stats in {}: {e}", self.stats_file.display()))
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Requests every new connection (and librdkafka's own cluster discovery) sends. Their number
/// follows how many provider processes Terraform starts and how many broker connections
/// librdkafka opens, not the flow.
pub const CONNECTION_APIS: &[&str] = &[
    "ApiVersions",
    "SaslHandshake",
    "SaslAuthenticate",
    "Metadata",
];

/// Requests of the admin APIs the provider calls for the flow (ACLs, topics, configs).
pub fn admin_requests(counts: &RequestCounts) -> u64 {
    counts
        .iter()
        .filter(|(api, _)| api.as_str() != FETCH_AT_LOG_END)
        .filter(|(api, _)| !CONNECTION_APIS.contains(&api.as_str()))
        .map(|(_, n)| n)
        .sum()
}

/// Every request, connection-level ones included.
pub fn all_requests(counts: &RequestCounts) -> u64 {
    counts
        .iter()
        .filter(|(api, _)| api.as_str() != FETCH_AT_LOG_END)
        .map(|(_, n)| n)
        .sum()
}

/// The Fetch requests among `Fetch` that found the log's end (the broker's
/// [`FETCH_AT_LOG_END`], not an API of its own).
pub fn fetches_at_log_end(counts: &RequestCounts) -> u64 {
    counts.get(FETCH_AT_LOG_END).copied().unwrap_or(0)
}

/// `after - before` per API, leaving out APIs with no requests in between.
pub fn difference(before: &RequestCounts, after: &RequestCounts) -> RequestCounts {
    after
        .iter()
        .filter_map(|(api, n)| {
            let delta = n - before.get(api).copied().unwrap_or(0);
            (delta > 0).then(|| (api.clone(), delta))
        })
        .collect()
}

/// `CreateAcls 1, DescribeAcls 2` (APIs by name), or `none`.
pub fn describe_counts(counts: &RequestCounts) -> String {
    if counts.is_empty() {
        return "none".to_string();
    }
    counts
        .iter()
        .map(|(api, n)| format!("{api} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difference_keeps_only_apis_that_grew() {
        let before = RequestCounts::from([("Metadata".into(), 3), ("CreateAcls".into(), 1)]);
        let after = RequestCounts::from([
            ("Metadata".into(), 5),
            ("CreateAcls".into(), 1),
            ("DeleteAcls".into(), 2),
        ]);
        assert_eq!(
            difference(&before, &after),
            RequestCounts::from([("Metadata".into(), 2), ("DeleteAcls".into(), 2)])
        );
        assert_eq!(
            describe_counts(&difference(&before, &after)),
            "DeleteAcls 2, Metadata 2"
        );
        assert_eq!(admin_requests(&difference(&before, &after)), 2);
    }
}
