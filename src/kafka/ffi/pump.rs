//! The pump that reads a client's main queue, so that error events (authentication failures)
//! reach the client context's `error()` callback.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};
use rdkafka::types::RDKafkaErrorCode;

use super::call::POLL_SLICE;
use super::handles::{owned, Queue};

/// A thread that drains the client's main queue and hands error events to the context's
/// `error()` callback. Nothing else polls a plain client's main queue, and without it an
/// authentication failure would only surface as a timeout. Log events are dropped.
/// Stops and joins on drop.
pub(crate) struct MainQueuePump {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MainQueuePump {
    pub(crate) fn start<C: ClientContext + 'static>(
        client: Arc<Client<C>>,
    ) -> std::io::Result<MainQueuePump> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let queue = Queue::main(client.native_ptr());
        let thread = std::thread::Builder::new()
            .name("kafkamirror-main-queue".into())
            .spawn(move || {
                while !stop_flag.load(Ordering::Relaxed) {
                    let Some(event) = queue.poll(POLL_SLICE) else {
                        continue;
                    };
                    if event.kind() != rd::RD_KAFKA_EVENT_ERROR {
                        continue;
                    }
                    // SAFETY: `event` is a live error event; its string is copied before the
                    // event is dropped.
                    let (code, reason) = unsafe {
                        (
                            rd::rd_kafka_event_error(event.0),
                            owned(rd::rd_kafka_event_error_string(event.0)),
                        )
                    };
                    let error = rdkafka::error::KafkaError::Global(RDKafkaErrorCode::from(code));
                    client.context().error(error, reason.trim());
                }
                // The queue handle goes before the client it belongs to.
                drop(queue);
                drop(client);
            })?;
        Ok(MainQueuePump {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for MainQueuePump {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
