//! Test hooks: per-API request counts, largest request sizes, and fault injection (error codes, per-binding CreateAcls
//! rejections, delays, dropped connections). Shared by every connection of one broker.

use kafka_protocol::messages::ApiKey;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Fault injection and request counting for one broker. All methods take `&self`.
#[derive(Debug, Default)]
pub struct Hooks {
    state: Mutex<HookState>,
}

#[derive(Debug, Default)]
struct HookState {
    counts: BTreeMap<i16, u64>,
    /// Among the Fetch requests counted, those that found every partition they asked at its
    /// high watermark: a consumer's fetch at the end of the log, waiting for new records.
    fetches_at_log_end: u64,
    largest_requests: BTreeMap<i16, usize>,
    injected_errors: BTreeMap<i16, (i16, u64)>,
    rejected_bindings: Vec<(String, i16)>,
    delays: BTreeMap<i16, Duration>,
    drop_after: Option<u64>,
    /// `(api_key, requests of that API still to answer before the one that is dropped)`.
    drop_on: Option<(i16, u64)>,
}

/// What the connection should do with one request, decided when it arrives.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RequestFate {
    /// Answer with this error code instead of processing the request.
    pub error: Option<i16>,
    pub delay: Option<Duration>,
    /// Close the connection instead of answering.
    pub drop_connection: bool,
}

/// The key under which [`Hooks::counts`] reports the Fetch requests at the log end (not an
/// API: a subset of `Fetch`).
pub const FETCH_AT_LOG_END: &str = "Fetch at log end";

/// Kafka's name for an API key (e.g. `CreateTopics`), or `Unknown(N)`.
pub fn api_name(api_key: i16) -> String {
    match ApiKey::try_from(api_key) {
        Ok(key) => format!("{key:?}"),
        Err(_) => format!("Unknown({api_key})"),
    }
}

impl Hooks {
    fn lock(&self) -> std::sync::MutexGuard<'_, HookState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Requests received for `api_key` since start or the last reset.
    pub fn count(&self, api_key: i16) -> u64 {
        self.lock().counts.get(&api_key).copied().unwrap_or(0)
    }

    /// All counts, keyed by API name (e.g. `"CreateAcls"`), and, when there were any, the
    /// Fetch requests at the log end under [`FETCH_AT_LOG_END`] (they are counted in `Fetch`
    /// as well).
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let state = self.lock();
        let mut counts: BTreeMap<String, u64> = state
            .counts
            .iter()
            .map(|(key, n)| (api_name(*key), *n))
            .collect();
        if state.fetches_at_log_end > 0 {
            counts.insert(FETCH_AT_LOG_END.to_string(), state.fetches_at_log_end);
        }
        counts
    }

    /// Fetch requests since start or the last reset that found every partition they asked
    /// at its high watermark (nothing to return until records are appended).
    pub fn fetches_at_log_end(&self) -> u64 {
        self.lock().fetches_at_log_end
    }

    pub(crate) fn on_fetch_at_log_end(&self) {
        self.lock().fetches_at_log_end += 1;
    }

    /// The size in bytes of the largest request frame (header and body, without the 4-byte
    /// length prefix) received per API, keyed by API name, since start or the last reset.
    /// Frames over [`crate::MAX_REQUEST_BYTES`] are not received: the connection is closed.
    pub fn largest_requests(&self) -> BTreeMap<String, usize> {
        self.lock()
            .largest_requests
            .iter()
            .map(|(key, bytes)| (api_name(*key), *bytes))
            .collect()
    }

    /// Sets every count and largest request size back to zero.
    pub fn reset_counts(&self) {
        let mut state = self.lock();
        state.counts.clear();
        state.fetches_at_log_end = 0;
        state.largest_requests.clear();
    }

    /// Answers the next `next_n_requests` requests of `api_key` with `error_code` (the
    /// response's top-level or per-item error fields), without processing them.
    pub fn inject_error(&self, api_key: i16, error_code: i16, next_n_requests: u64) {
        let mut state = self.lock();
        if next_n_requests == 0 {
            state.injected_errors.remove(&api_key);
        } else {
            state
                .injected_errors
                .insert(api_key, (error_code, next_n_requests));
        }
    }

    /// Makes CreateAcls fail with `error_code` for every binding whose resource name starts
    /// with `resource_name_prefix` (other bindings of the same request still succeed).
    pub fn reject_acl_bindings(&self, resource_name_prefix: &str, error_code: i16) {
        self.lock()
            .rejected_bindings
            .push((resource_name_prefix.to_string(), error_code));
    }

    /// Delays every response to `api_key` by `delay` (`Duration::ZERO` removes it).
    pub fn delay(&self, api_key: i16, delay: Duration) {
        let mut state = self.lock();
        if delay.is_zero() {
            state.delays.remove(&api_key);
        } else {
            state.delays.insert(api_key, delay);
        }
    }

    /// Closes the connection that receives the request after the next `n_requests` (counted
    /// across all connections, from now), once.
    pub fn drop_connection_after(&self, n_requests: u64) {
        self.lock().drop_after = Some(n_requests);
    }

    /// Stops every rejection set by [`Hooks::reject_acl_bindings`].
    pub fn clear_acl_binding_rejections(&self) {
        self.lock().rejected_bindings.clear();
    }

    /// Closes, instead of answering, the connection that receives the request of `api_key`
    /// after the next `n_requests` of that API (e.g. `n_requests = 1` on CreateAcls: the
    /// first batch is answered, the second is dropped unprocessed), once.
    pub fn drop_connection_on(&self, api_key: i16, n_requests: u64) {
        self.lock().drop_on = Some((api_key, n_requests));
    }

    /// The injected error for a CreateAcls binding on `resource_name`, if any.
    pub(crate) fn binding_rejection(&self, resource_name: &str) -> Option<i16> {
        self.lock()
            .rejected_bindings
            .iter()
            .find(|(prefix, _)| resource_name.starts_with(prefix.as_str()))
            .map(|(_, code)| *code)
    }

    /// Counts one request of `frame_bytes` and decides its fate.
    pub(crate) fn on_request(&self, api_key: i16, frame_bytes: usize) -> RequestFate {
        let mut state = self.lock();
        *state.counts.entry(api_key).or_default() += 1;
        let largest = state.largest_requests.entry(api_key).or_default();
        *largest = (*largest).max(frame_bytes);
        let mut fate = RequestFate {
            delay: state.delays.get(&api_key).copied(),
            ..RequestFate::default()
        };
        if let Some((code, remaining)) = state.injected_errors.get_mut(&api_key) {
            fate.error = Some(*code);
            *remaining -= 1;
            if *remaining == 0 {
                state.injected_errors.remove(&api_key);
            }
        }
        if let Some(left) = state.drop_after {
            if left == 0 {
                fate.drop_connection = true;
                state.drop_after = None;
            } else {
                state.drop_after = Some(left - 1);
            }
        }
        if let Some((key, left)) = state.drop_on {
            if key == api_key {
                if left == 0 {
                    fate.drop_connection = true;
                    state.drop_on = None;
                } else {
                    state.drop_on = Some((key, left - 1));
                }
            }
        }
        fate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_errors_expire_and_counts_reset() {
        let hooks = Hooks::default();
        hooks.inject_error(30, 31, 2);
        assert_eq!(hooks.on_request(30, 10).error, Some(31));
        assert_eq!(hooks.on_request(30, 10).error, Some(31));
        assert_eq!(hooks.on_request(30, 10).error, None);
        assert_eq!(hooks.count(30), 3);
        assert_eq!(hooks.counts().get("CreateAcls"), Some(&3));
        hooks.on_request(30, 500);
        hooks.on_request(30, 20);
        assert_eq!(hooks.largest_requests().get("CreateAcls"), Some(&500));
        hooks.reset_counts();
        assert_eq!(hooks.count(30), 0);
        assert_eq!(hooks.largest_requests().get("CreateAcls"), None);
    }

    #[test]
    fn drop_after_n_requests_fires_once() {
        let hooks = Hooks::default();
        hooks.drop_connection_after(1);
        assert!(!hooks.on_request(3, 10).drop_connection);
        assert!(hooks.on_request(3, 10).drop_connection);
        assert!(!hooks.on_request(3, 10).drop_connection);
    }

    #[test]
    fn drop_on_counts_only_its_api_and_fires_once() {
        let hooks = Hooks::default();
        hooks.drop_connection_on(30, 1);
        assert!(!hooks.on_request(30, 10).drop_connection);
        assert!(!hooks.on_request(3, 10).drop_connection);
        assert!(hooks.on_request(30, 10).drop_connection);
        assert!(!hooks.on_request(30, 10).drop_connection);
    }

    #[test]
    fn binding_rejections_clear() {
        let hooks = Hooks::default();
        hooks.reject_acl_bindings("rej-", 42);
        assert_eq!(hooks.binding_rejection("rej-1"), Some(42));
        assert_eq!(hooks.binding_rejection("ok"), None);
        hooks.clear_acl_binding_rejections();
        assert_eq!(hooks.binding_rejection("rej-1"), None);
    }
}
