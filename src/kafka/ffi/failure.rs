//! What a blocking admin call returns besides its results: why it produced none
//! ([`CallFailure`]) and the per-item outcomes of a batched call.

use crate::kafka::error::BrokerError;

/// Why a blocking admin call produced no result.
#[derive(Debug)]
pub(crate) enum CallFailure {
    /// No event arrived before the deadline.
    TimedOut,
    /// The abort check fired (the client reported an authentication failure).
    Aborted(String),
    /// The request as a whole failed (event-level error).
    Broker(BrokerError),
    /// An input string cannot be passed to C (it contains a NUL byte) or librdkafka refused it.
    InvalidInput(String),
}

/// The per-item outcome of a batched call, in request order.
pub(crate) type ItemResults<T> = Vec<Result<T, BrokerError>>;
