//! Process start-up as a go-plugin plugin: magic-cookie check, listening on 127.0.0.1, auto-mTLS,
//! the handshake line on stdout, the gRPC services Terraform uses (provider, health, controller),
//! and `--debug` mode, which serves without Terraform and prints `TF_REATTACH_PROVIDERS`.

use super::api::Provider;
use super::proto::go_plugin;
use super::proto::health;
use super::proto::tfplugin6::provider_server::ProviderServer;
use super::server::ProviderService;
use super::tls::AutoMtls;
use base64::Engine;
use std::io::Write;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const CORE_PROTOCOL_VERSION: u32 = 1;
const APP_PROTOCOL_VERSION: u32 = 6;
/// Terraform's messages can be large (big plans); match terraform-plugin-go's limit.
const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// What the protocol layer is told about the provider it serves: everything provider-specific
/// in its messages, logs and debug-mode output comes from here.
///
/// ```
/// use tfplugin::serve::ServeConfig;
///
/// let config = ServeConfig::new("example", "registry.terraform.io/example-org/example")
///     .log_targets(&["terraform_provider_example"])
///     .debug(std::env::args().any(|arg| arg == "--debug"));
/// assert_eq!(config.binary_name(), "terraform-provider-example");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ServeConfig {
    /// The provider's local name, e.g. `example` for `provider "example" { }` (the prefix of
    /// its type names); used in diagnostics and error messages.
    pub name: &'static str,
    /// The full source address, e.g. `registry.terraform.io/example-org/example`, which
    /// `--debug` prints in `TF_REATTACH_PROVIDERS`.
    pub address: &'static str,
    /// Log targets (crate or module paths, e.g. `my_provider`) that are the provider's own:
    /// they log at the level `TF_LOG_PROVIDER`/`TF_LOG` asks for, as does this crate. Other
    /// targets (libraries such as rustls, h2, tonic) log only warnings and errors unless the
    /// level is trace.
    pub log_targets: &'static [&'static str],
    /// Serve without Terraform and print `TF_REATTACH_PROVIDERS` (the `--debug` flag):
    /// no magic-cookie check, no TLS, and Terraform's Shutdown is ignored.
    pub debug: bool,
}

impl ServeConfig {
    /// A configuration with no log targets of the provider's own and debug mode off.
    pub const fn new(name: &'static str, address: &'static str) -> Self {
        ServeConfig {
            name,
            address,
            log_targets: &[],
            debug: false,
        }
    }

    /// Sets [`ServeConfig::log_targets`].
    pub const fn log_targets(mut self, targets: &'static [&'static str]) -> Self {
        self.log_targets = targets;
        self
    }

    /// Sets [`ServeConfig::debug`].
    pub const fn debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// `terraform-provider-<name>`, the binary name Terraform looks for; prefixes the
    /// messages printed on stderr.
    pub fn binary_name(&self) -> String {
        format!("terraform-provider-{}", self.name)
    }
}

/// Runs the provider until Terraform shuts it down (or Ctrl-C in debug mode); the exit code
/// for `main`.
pub fn run<P: Provider>(provider: P, config: ServeConfig) -> ExitCode {
    super::logging::init(config.log_targets);
    if !config.debug && std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        eprintln!(
            "This binary is a plugin for Terraform. Terraform starts it itself; running it by hand does nothing.\n\
             Use it from a Terraform configuration, or run it with --debug to serve it\n\
             for a Terraform process that you start with TF_REATTACH_PROVIDERS."
        );
        return ExitCode::from(1);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!(
                "{}: cannot start the async runtime: {err}",
                config.binary_name()
            );
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(provider, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            log::error!("provider server failed: {err}");
            eprintln!("{}: {err}", config.binary_name());
            ExitCode::from(1)
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn serve<P: Provider>(provider: P, config: ServeConfig) -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let shutdown = Arc::new(Notify::new());
    let router = tonic::transport::Server::builder()
        .add_service(health::health_server::HealthServer::new(PluginHealth))
        .add_service(
            go_plugin::grpc_controller_server::GrpcControllerServer::new(Controller {
                shutdown: shutdown.clone(),
                debug: config.debug,
            }),
        )
        .add_service(
            ProviderServer::new(ProviderService::new(provider, config.name))
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        );

    if config.debug {
        print_reattach_instructions(config.address, &address.to_string())?;
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        router
            .serve_with_incoming_shutdown(incoming, async {
                let _ = tokio::signal::ctrl_c().await;
                log::info!("Ctrl-C: stopping the debug server");
            })
            .await?;
        return Ok(());
    }

    if let Ok(versions) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        let offered = versions
            .split(',')
            .any(|v| v.trim() == APP_PROTOCOL_VERSION.to_string());
        if !offered {
            return Err(format!(
                "Terraform offers plugin protocol versions {versions}, this provider speaks only {APP_PROTOCOL_VERSION} (Terraform 1.0 or newer)"
            )
            .into());
        }
    }
    // On Ctrl-C Terraform signals the whole process group, then asks us to stop through
    // StopProvider; like go-plugin servers, ignore the signal instead of dying mid-apply.
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            log::info!("interrupt received; waiting for Terraform to stop the provider");
        }
    });

    // Terraform (go-plugin) sets PLUGIN_CLIENT_CERT when it wants mutual TLS; it always does.
    let client_cert = std::env::var("PLUGIN_CLIENT_CERT")
        .ok()
        .filter(|c| !c.is_empty());
    let stopped = {
        let shutdown = shutdown.clone();
        async move { shutdown.notified().await }
    };
    match client_cert {
        Some(pem) => {
            let mtls = AutoMtls::new(&pem)?;
            let cert =
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(&mtls.server_cert_der);
            handshake(&format!("{address}|grpc|{cert}"))?;
            let incoming = tls_incoming(listener, tokio_rustls::TlsAcceptor::from(mtls.config));
            router
                .serve_with_incoming_shutdown(incoming, stopped)
                .await?;
        }
        None => {
            handshake(&format!("{address}|grpc"))?;
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            router
                .serve_with_incoming_shutdown(incoming, stopped)
                .await?;
        }
    }
    log::debug!("provider server stopped");
    Ok(())
}

/// The go-plugin handshake line: `CORE|APP|tcp|ADDR|grpc[|CERT]`.
fn handshake(rest: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|tcp|{rest}"
    )?;
    stdout.flush()
}

fn print_reattach_instructions(provider_address: &str, address: &str) -> std::io::Result<()> {
    let reattach = serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "tcp", "String": address},
        }
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "Provider started in debug mode. To attach Terraform, set this in the shell running terraform:\n\n\
         \tTF_REATTACH_PROVIDERS='{reattach}'\n\nPress Ctrl-C to stop."
    )?;
    stdout.flush()
}

/// Accepts TCP connections and completes the TLS handshake off the accept loop, so one slow or
/// failing client cannot block others. Failed handshakes are logged and dropped.
fn tls_incoming(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
) -> tokio_stream::wrappers::ReceiverStream<std::io::Result<TlsConnection>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(err) => {
                    log::warn!("accept failed: {err}");
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(stream) => {
                        let _ = sender.send(Ok(TlsConnection(stream))).await;
                    }
                    Err(err) => log::warn!("TLS handshake with {peer} failed: {err}"),
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

/// A server-side TLS connection that tonic can serve.
struct TlsConnection(tokio_rustls::server::TlsStream<TcpStream>);

impl Connected for TlsConnection {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for TlsConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// go-plugin checks that service "plugin" is SERVING.
struct PluginHealth;

#[tonic::async_trait]
impl health::health_server::Health for PluginHealth {
    async fn check(
        &self,
        _: Request<health::HealthCheckRequest>,
    ) -> Result<Response<health::HealthCheckResponse>, Status> {
        Ok(Response::new(health::HealthCheckResponse {
            status: health::health_check_response::ServingStatus::Serving as i32,
        }))
    }
}

/// Terraform calls Shutdown when it no longer needs the provider; we then exit cleanly.
/// In debug mode the server outlives each Terraform run, so Shutdown is ignored.
struct Controller {
    shutdown: Arc<Notify>,
    debug: bool,
}

#[tonic::async_trait]
impl go_plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _: Request<go_plugin::Empty>,
    ) -> Result<Response<go_plugin::Empty>, Status> {
        if self.debug {
            log::debug!("Shutdown ignored in debug mode");
        } else {
            log::debug!("Shutdown requested by Terraform");
            self.shutdown.notify_one();
        }
        Ok(Response::new(go_plugin::Empty {}))
    }
}
