//! The listener and per-connection protocol loop: framing, request headers, ApiVersions
//! negotiation, the SASL exchange, test-hook fate, and dispatch to the API handlers.

use crate::handlers::{self, sasl};
use crate::hooks::api_name;
use crate::state::Shared;
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Accepts connections until the task is aborted.
pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let shared = shared.clone();
                tokio::spawn(async move {
                    // A closed or broken connection ends only that connection.
                    let _ = serve_connection(shared, stream, peer).await;
                });
            }
            Err(error) => {
                eprintln!("kafka-testbroker: accept failed: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// One client connection: its address and authentication.
pub(crate) struct Connection {
    pub host: String,
    /// The node serving this connection (its metadata copy answers reads).
    node: i32,
    auth: sasl::Authentication,
}

/// What to do after a request.
enum Reply {
    Send(Bytes),
    SendThenClose(Bytes),
    /// Nothing to send (Produce with acks=0); keep reading.
    Nothing,
    Close,
}

async fn serve_connection(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    peer: SocketAddr,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut conn = Connection {
        host: peer.ip().to_string(),
        node: shared.connection_node(),
        auth: sasl::Authentication::new(&shared),
    };
    let mut shutdown = shared.shutdown_signal();
    loop {
        let length = tokio::select! {
            length = stream.read_i32() => length?,
            _ = shutdown.wait_for(|stopped| *stopped) => return Ok(()),
        };
        if length < 0 || length as usize > crate::MAX_REQUEST_BYTES {
            return Ok(());
        }
        let mut frame = vec![0u8; length as usize];
        stream.read_exact(&mut frame).await?;
        let reply = if conn.auth.raw_tokens {
            sasl::raw_token(&shared, &mut conn.auth, &frame).map_or(Reply::Close, Reply::Send)
        } else {
            request(&shared, &mut conn, Bytes::from(frame)).await
        };
        match reply {
            Reply::Send(bytes) => write_frame(&mut stream, &bytes).await?,
            Reply::SendThenClose(bytes) => {
                write_frame(&mut stream, &bytes).await?;
                return stream.shutdown().await;
            }
            Reply::Nothing => {}
            Reply::Close => return Ok(()),
        }
    }
}

async fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let mut out = BytesMut::with_capacity(payload.len() + 4);
    out.put_i32(payload.len() as i32);
    out.put_slice(payload);
    stream.write_all(&out).await
}

/// Encodes a response header and body for `api_key` at `version`.
fn encode_response<T: Encodable>(
    api_key: ApiKey,
    version: i16,
    header_version: Option<i16>,
    correlation_id: i32,
    body: &T,
) -> Option<Bytes> {
    let mut out = BytesMut::new();
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let header_version = header_version.unwrap_or_else(|| api_key.response_header_version(version));
    let encoded = header
        .encode(&mut out, header_version)
        .and_then(|()| body.encode(&mut out, version));
    match encoded {
        Ok(()) => Some(out.freeze()),
        Err(error) => {
            eprintln!("kafka-testbroker: cannot encode {api_key:?} v{version} response: {error}");
            None
        }
    }
}

async fn request(shared: &Shared, conn: &mut Connection, mut frame: Bytes) -> Reply {
    if frame.len() < 8 {
        return Reply::Close;
    }
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let fate = shared.hooks().on_request(raw_key, frame.len());
    shared.write_stats();
    if fate.drop_connection {
        return Reply::Close;
    }
    if let Some(delay) = fate.delay {
        tokio::time::sleep(delay).await;
    }
    let Ok(api_key) = ApiKey::try_from(raw_key) else {
        return Reply::Close; // Kafka closes connections that send unknown API keys.
    };
    let Some((min, max)) = sasl::supported_range(api_key) else {
        return Reply::Close;
    };
    if api_key == ApiKey::ApiVersions && !(min..=max).contains(&version) {
        // Kafka answers an unknown ApiVersions version with a v0 body and UNSUPPORTED_VERSION.
        let body = ApiVersionsResponse::default()
            .with_error_code(ResponseError::UnsupportedVersion.code())
            .with_api_keys(vec![ApiVersion::default()
                .with_api_key(ApiKey::ApiVersions as i16)
                .with_min_version(min)
                .with_max_version(max)]);
        return reply(encode_response(api_key, 0, Some(0), correlation_id, &body));
    }
    if !(min..=max).contains(&version) {
        return Reply::Close; // Kafka: InvalidRequestException, connection closed.
    }
    let header_version = api_key.request_header_version(version);
    if RequestHeader::decode(&mut frame, header_version).is_err() {
        return Reply::Close;
    }
    let authenticated = conn.auth.principal.is_some();
    if !authenticated
        && !matches!(
            api_key,
            ApiKey::ApiVersions | ApiKey::SaslHandshake | ApiKey::SaslAuthenticate
        )
    {
        eprintln!(
            "kafka-testbroker: unexpected {} request during SASL handshake; closing",
            api_name(raw_key)
        );
        return Reply::Close;
    }
    let forced = fate.error;
    let principal = conn.auth.principal.clone().unwrap_or_default();
    let host = conn.host.clone();
    let context = crate::acl::RequestContext {
        principal: &principal,
        host: &host,
        node: conn.node,
    };
    macro_rules! decode {
        ($req:ty) => {{
            let Ok(request) = <$req>::decode(&mut frame, version) else {
                eprintln!("kafka-testbroker: cannot decode {api_key:?} v{version}; closing");
                return Reply::Close;
            };
            request
        }};
    }
    macro_rules! handle {
        ($req:ty, $handler:path) => {{
            let request = decode!($req);
            let body = $handler(shared, &context, request, version, forced);
            reply(encode_response(
                api_key,
                version,
                None,
                correlation_id,
                &body,
            ))
        }};
    }
    match api_key {
        ApiKey::ApiVersions => reply(encode_response(
            api_key,
            version,
            None,
            correlation_id,
            &sasl::api_versions(forced),
        )),
        ApiKey::SaslHandshake => {
            let Ok(request) = SaslHandshakeRequest::decode(&mut frame, version) else {
                return Reply::Close;
            };
            if let Some(code) = forced {
                let body = SaslHandshakeResponse::default().with_error_code(code);
                return encode_response(api_key, version, None, correlation_id, &body)
                    .map_or(Reply::Close, Reply::SendThenClose);
            }
            let (body, close) = sasl::handshake(shared, &mut conn.auth, request, version);
            answer(
                encode_response(api_key, version, None, correlation_id, &body),
                close,
            )
        }
        ApiKey::SaslAuthenticate => {
            let Ok(request) = SaslAuthenticateRequest::decode(&mut frame, version) else {
                return Reply::Close;
            };
            if let Some(code) = forced {
                // An injected SASL error ends the connection, as a real failure does.
                let body = SaslAuthenticateResponse::default()
                    .with_error_code(code)
                    .with_error_message(Some(StrBytes::from_static_str(
                        "Injected by the test hooks",
                    )));
                return encode_response(api_key, version, None, correlation_id, &body)
                    .map_or(Reply::Close, Reply::SendThenClose);
            }
            let (body, close) = sasl::authenticate(shared, &mut conn.auth, request);
            answer(
                encode_response(api_key, version, None, correlation_id, &body),
                close,
            )
        }
        ApiKey::Produce => {
            let request = decode!(ProduceRequest);
            match handlers::produce::produce(shared, &context, request, version, forced) {
                handlers::produce::ProduceReply::Respond(body) => reply(encode_response(
                    api_key,
                    version,
                    None,
                    correlation_id,
                    &body,
                )),
                handlers::produce::ProduceReply::Silent => Reply::Nothing,
                handlers::produce::ProduceReply::Close => Reply::Close,
            }
        }
        ApiKey::Fetch => {
            let request = decode!(FetchRequest);
            let body = handlers::fetch::fetch(shared, &context, request, version, forced).await;
            reply(encode_response(
                api_key,
                version,
                None,
                correlation_id,
                &body,
            ))
        }
        ApiKey::ListOffsets => handle!(ListOffsetsRequest, handlers::list_offsets::list_offsets),
        ApiKey::Metadata => handle!(MetadataRequest, handlers::metadata::metadata),
        ApiKey::CreateTopics => handle!(CreateTopicsRequest, handlers::topics::create_topics),
        ApiKey::DeleteTopics => handle!(DeleteTopicsRequest, handlers::topics::delete_topics),
        ApiKey::CreatePartitions => {
            handle!(CreatePartitionsRequest, handlers::topics::create_partitions)
        }
        ApiKey::DescribeConfigs => {
            handle!(DescribeConfigsRequest, handlers::configs::describe_configs)
        }
        ApiKey::AlterConfigs => handle!(AlterConfigsRequest, handlers::configs::alter_configs),
        ApiKey::IncrementalAlterConfigs => handle!(
            IncrementalAlterConfigsRequest,
            handlers::configs::incremental_alter_configs
        ),
        ApiKey::CreateAcls => handle!(CreateAclsRequest, handlers::acls::create_acls),
        ApiKey::DescribeAcls => handle!(DescribeAclsRequest, handlers::acls::describe_acls),
        ApiKey::DeleteAcls => handle!(DeleteAclsRequest, handlers::acls::delete_acls),
        _ => Reply::Close,
    }
}

fn reply(encoded: Option<Bytes>) -> Reply {
    encoded.map_or(Reply::Close, Reply::Send)
}

/// Sends an encoded answer, closing the connection after it when `close`.
fn answer(encoded: Option<Bytes>, close: bool) -> Reply {
    match (encoded, close) {
        (None, _) => Reply::Close,
        (Some(bytes), false) => Reply::Send(bytes),
        (Some(bytes), true) => Reply::SendThenClose(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Buf;

    /// Trailing bytes after a request body are ignored: the decoders read only the fields of
    /// the version, so librdkafka 2.12.1's extra Metadata bytes (upstream issue 5049) pass.
    #[test]
    fn metadata_request_with_trailing_bytes_decodes() {
        let request = MetadataRequest::default().with_topics(None);
        let mut buf = BytesMut::new();
        request.encode(&mut buf, 12).unwrap();
        buf.put_slice(&[0, 0, 0]);
        let mut bytes = buf.freeze();
        let decoded = MetadataRequest::decode(&mut bytes, 12).unwrap();
        assert_eq!(decoded.topics, None);
        assert_eq!(bytes.remaining(), 3);
    }
}
