//! A minimal raw Kafka client for the in-process tests: one connection that speaks exactly
//! the API versions a test asks for.

#![allow(dead_code)] // each test crate uses a different subset

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_testbroker::TestBroker;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A one-connection Kafka client that speaks exactly the versions a test asks for.
pub struct RawClient {
    stream: TcpStream,
    /// The id of the last request written.
    pub correlation_id: i32,
}

impl RawClient {
    pub async fn connect(broker: &TestBroker) -> RawClient {
        RawClient {
            stream: TcpStream::connect(broker.addr()).await.expect("connect"),
            correlation_id: 0,
        }
    }

    /// Writes a request with the current correlation id, without reading an answer.
    pub async fn write_request<T: Encodable>(
        &mut self,
        api_key: ApiKey,
        version: i16,
        body: &T,
    ) -> std::io::Result<()> {
        self.write_request_with(api_key, version, body, &[]).await
    }

    async fn write_request_with<T: Encodable>(
        &mut self,
        api_key: ApiKey,
        version: i16,
        body: &T,
        trailing: &[u8],
    ) -> std::io::Result<()> {
        let header = RequestHeader::default()
            .with_request_api_key(api_key as i16)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("in-process-test")));
        let mut payload = BytesMut::new();
        header
            .encode(&mut payload, api_key.request_header_version(version))
            .unwrap();
        body.encode(&mut payload, version).unwrap();
        payload.put_slice(trailing);
        self.write_frame(&payload).await
    }

    /// Sends a request (plus `trailing` bytes after the body); returns the response body.
    pub async fn send<T: Encodable>(
        &mut self,
        api_key: ApiKey,
        version: i16,
        body: &T,
        trailing: &[u8],
    ) -> std::io::Result<Bytes> {
        self.correlation_id += 1;
        self.write_request_with(api_key, version, body, trailing)
            .await?;
        let mut response = self.read_frame().await?;
        let header =
            ResponseHeader::decode(&mut response, api_key.response_header_version(version))
                .unwrap();
        assert_eq!(header.correlation_id, self.correlation_id);
        Ok(response)
    }

    pub async fn call<Req: Encodable, Resp: Decodable>(
        &mut self,
        api_key: ApiKey,
        version: i16,
        body: &Req,
    ) -> Resp {
        let mut bytes = self
            .send(api_key, version, body, &[])
            .await
            .expect("response");
        Resp::decode(&mut bytes, version).expect("decodable response")
    }

    pub async fn write_frame(&mut self, payload: &[u8]) -> std::io::Result<()> {
        self.stream.write_i32(payload.len() as i32).await?;
        self.stream.write_all(payload).await
    }

    pub async fn read_frame(&mut self) -> std::io::Result<Bytes> {
        let length = self.stream.read_i32().await?;
        let mut frame = vec![0u8; length as usize];
        self.stream.read_exact(&mut frame).await?;
        Ok(Bytes::from(frame))
    }

    /// True when the broker has closed the connection (EOF on the next read).
    pub async fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut byte)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    pub async fn plain_login(&mut self, user: &str, password: &str) -> SaslAuthenticateResponse {
        let handshake: SaslHandshakeResponse = self
            .call(
                ApiKey::SaslHandshake,
                1,
                &SaslHandshakeRequest::default().with_mechanism(text("PLAIN")),
            )
            .await;
        assert_eq!(handshake.error_code, 0);
        let token = Bytes::from(format!("\0{user}\0{password}"));
        self.call(
            ApiKey::SaslAuthenticate,
            2,
            &SaslAuthenticateRequest::default().with_auth_bytes(token),
        )
        .await
    }
}

pub fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}
