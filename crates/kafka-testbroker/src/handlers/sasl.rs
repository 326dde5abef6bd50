//! ApiVersions and the SASL exchange (KIP-35, KIP-43, KIP-152): the versions this broker
//! serves, SaslHandshake (mechanism choice; v0 switches the connection to raw tokens) and
//! SaslAuthenticate (PLAIN and SCRAM steps), each returning the response and whether the
//! connection closes after it, as Kafka's `SaslServerAuthenticator` does on failure.

use crate::sasl::{SaslSession, SaslStep, MECHANISMS};
use crate::state::Shared;
use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

/// The API versions this broker serves: `(api key, min, max)`. Produce, Fetch and
/// ListOffsets go up to Apache Kafka 3.9's versions and start where Kafka 4.0 does
/// (KIP-896: no message formats before v2).
pub(crate) const SUPPORTED_APIS: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 11),
    (ApiKey::Fetch, 4, 17),
    (ApiKey::ListOffsets, 1, 9),
    (ApiKey::Metadata, 1, 13),
    (ApiKey::SaslHandshake, 0, 1),
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::DescribeAcls, 1, 3),
    (ApiKey::CreateAcls, 1, 3),
    (ApiKey::DeleteAcls, 1, 3),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::AlterConfigs, 0, 2),
    (ApiKey::SaslAuthenticate, 0, 2),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
];

/// The served version range of an API.
pub(crate) fn supported_range(api_key: ApiKey) -> Option<(i16, i16)> {
    SUPPORTED_APIS
        .iter()
        .find(|(key, _, _)| *key == api_key)
        .map(|(_, min, max)| (*min, *max))
}

/// The ApiVersions answer (any version; `forced` is an injected error code).
pub(crate) fn api_versions(forced: Option<i16>) -> ApiVersionsResponse {
    let api_keys = SUPPORTED_APIS
        .iter()
        .map(|(key, min, max)| {
            ApiVersion::default()
                .with_api_key(*key as i16)
                .with_min_version(*min)
                .with_max_version(*max)
        })
        .collect();
    ApiVersionsResponse::default()
        .with_error_code(forced.unwrap_or(0))
        .with_api_keys(api_keys)
}

/// Authentication state of one connection.
pub(crate) struct Authentication {
    /// `Some` once authenticated (at once on a PLAINTEXT listener).
    pub principal: Option<String>,
    session: Option<SaslSession>,
    /// After SaslHandshake v0 the next frames are raw SASL tokens, not Kafka requests.
    pub raw_tokens: bool,
}

impl Authentication {
    /// A new connection: `User:ANONYMOUS` on PLAINTEXT, unauthenticated with SASL.
    pub fn new(shared: &Shared) -> Self {
        Authentication {
            principal: (!shared.sasl_enabled()).then(|| "User:ANONYMOUS".to_string()),
            session: None,
            raw_tokens: false,
        }
    }

    fn finish(&mut self, principal: String) {
        self.principal = Some(principal);
        self.session = None;
        self.raw_tokens = false;
    }
}

/// A response and whether the connection is closed after sending it.
pub(crate) type Answer<T> = (T, bool);

pub(crate) fn handshake(
    shared: &Shared,
    auth: &mut Authentication,
    request: SaslHandshakeRequest,
    version: i16,
) -> Answer<SaslHandshakeResponse> {
    let enabled: Vec<StrBytes> = if shared.sasl_enabled() {
        MECHANISMS
            .iter()
            .map(|m| StrBytes::from_static_str(m))
            .collect()
    } else {
        Vec::new()
    };
    let response = SaslHandshakeResponse::default().with_mechanisms(enabled);
    if !shared.sasl_enabled() || auth.principal.is_some() || auth.session.is_some() {
        return (
            response.with_error_code(ResponseError::IllegalSaslState.code()),
            false,
        );
    }
    match SaslSession::start(request.mechanism.as_str()) {
        Some(session) => {
            auth.session = Some(session);
            auth.raw_tokens = version == 0;
            (response, false)
        }
        None => (
            response.with_error_code(ResponseError::UnsupportedSaslMechanism.code()),
            true,
        ),
    }
}

pub(crate) fn authenticate(
    shared: &Shared,
    auth: &mut Authentication,
    request: SaslAuthenticateRequest,
) -> Answer<SaslAuthenticateResponse> {
    let Some(session) = auth.session.as_mut() else {
        let body = SaslAuthenticateResponse::default()
            .with_error_code(ResponseError::IllegalSaslState.code())
            .with_error_message(Some(StrBytes::from_static_str(
                "Unexpected SaslAuthenticate request: no SASL handshake in progress",
            )));
        return (body, true);
    };
    match session.step(shared.credentials(), &request.auth_bytes) {
        SaslStep::Challenge(bytes) => (
            SaslAuthenticateResponse::default().with_auth_bytes(Bytes::from(bytes)),
            false,
        ),
        SaslStep::Done {
            principal,
            response,
        } => {
            auth.finish(principal);
            (
                SaslAuthenticateResponse::default().with_auth_bytes(Bytes::from(response)),
                false,
            )
        }
        SaslStep::Failed(message) => (
            SaslAuthenticateResponse::default()
                .with_error_code(ResponseError::SaslAuthenticationFailed.code())
                .with_error_message(Some(StrBytes::from_string(message))),
            true,
        ),
    }
}

/// A SASL token sent without Kafka framing (SaslHandshake v0 clients): the answer token,
/// or `None` to close the connection.
pub(crate) fn raw_token(shared: &Shared, auth: &mut Authentication, token: &[u8]) -> Option<Bytes> {
    let session = auth.session.as_mut()?;
    match session.step(shared.credentials(), token) {
        SaslStep::Challenge(bytes) => Some(Bytes::from(bytes)),
        SaslStep::Done {
            principal,
            response,
        } => {
            auth.finish(principal);
            Some(Bytes::from(response))
        }
        SaslStep::Failed(_) => None,
    }
}
