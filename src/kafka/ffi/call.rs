//! The one generic admin call every librdkafka admin API goes through: options with the
//! request timeout, a private queue, the request, the wait for its result event (checked for
//! type and request-level error), the copy of the result items into Rust values, and the
//! destruction of event, queue and options, in that order.

use std::ffi::c_int;
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;

use super::failure::CallFailure;
use super::handles::{result_slice, Event, Options, Queue};

/// How long one poll of a queue blocks before the caller's abort check runs again.
pub(super) const POLL_SLICE: Duration = Duration::from_millis(100);

/// The array a result event's accessor returns: pointers to result objects (most calls) or
/// plain values (DescribeCluster's operations).
pub(super) trait ResultArray: Copy {
    type Element: Copy;
    fn start(self) -> *const Self::Element;
}

impl<T> ResultArray for *mut *const T {
    type Element = *const T;
    fn start(self) -> *const *const T {
        self
    }
}

impl<T: Copy> ResultArray for *const T {
    type Element = T;
    fn start(self) -> *const T {
        self
    }
}

/// One librdkafka admin API: the operation, the type of the event it answers with, and that
/// event's accessors for the result items. Pairing them in one constant is what makes reading
/// the items sound: [`call`] hands the accessors only an event of `event_type`.
pub(super) struct Api<A: ResultArray> {
    pub(super) op: rd::rd_kafka_admin_op_t,
    pub(super) event_type: c_int,
    pub(super) result:
        unsafe extern "C" fn(*mut rd::rd_kafka_event_t) -> *const rd::rd_kafka_event_t,
    pub(super) items: unsafe extern "C" fn(*const rd::rd_kafka_event_t, *mut usize) -> A,
}

/// What [`call`] needs besides the API and its input.
pub(super) struct CallSettings<'a> {
    pub(super) rk: *mut rd::rd_kafka_t,
    pub(super) timeout: Duration,
    pub(super) abort: &'a dyn Fn() -> Option<String>,
}

/// A batched request function (`rd_kafka_CreateAcls`, `rd_kafka_DeleteTopics`, ...).
pub(super) type BatchRequest<T> = unsafe extern "C" fn(
    *mut rd::rd_kafka_t,
    *mut *mut T,
    usize,
    *const rd::rd_kafka_AdminOptions_t,
    *mut rd::rd_kafka_queue_t,
);

/// The request step of a batched call: every object (which librdkafka copies) in one request.
pub(super) fn batch<T>(
    request: BatchRequest<T>,
    objects: &mut [*mut T],
) -> impl FnOnce(*mut rd::rd_kafka_t, *const rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t) + '_
{
    move |rk, options, queue| {
        // SAFETY: `objects` are live objects of the type `request` takes, each owned by its
        // RAII wrapper until after the call; `rk`, options and queue come from `call`.
        unsafe { request(rk, objects.as_mut_ptr(), objects.len(), options, queue) }
    }
}

/// One admin call. `configure` adds options beyond the request timeout; `request` must hand
/// the client, options and queue it gets to the one rd_kafka_* request of `api` (see
/// [`batch`]); `read` copies one result item into a Rust value while the event is alive.
/// Items come back in librdkafka's order (the request's, for batched calls).
pub(super) fn call<A: ResultArray, R>(
    api: &Api<A>,
    settings: &CallSettings<'_>,
    configure: impl FnOnce(&Options) -> Result<(), CallFailure>,
    request: impl FnOnce(
        *mut rd::rd_kafka_t,
        *const rd::rd_kafka_AdminOptions_t,
        *mut rd::rd_kafka_queue_t,
    ),
    read: unsafe fn(A::Element) -> R,
) -> Result<Vec<R>, CallFailure> {
    let options = Options::new(settings.rk, api.op, settings.timeout)?;
    configure(&options)?;
    let queue = Queue::private(settings.rk);
    request(settings.rk, options.0, queue.0);
    let event = wait_for_result(&queue, api.event_type, settings.timeout, settings.abort)?;
    // SAFETY: `event` has type `api.event_type`, for which `api.result` and `api.items` are
    // librdkafka's accessors; the array and the objects it points to belong to `event`, which
    // lives until the end of this function, and `read` copies what it keeps.
    let items = unsafe {
        let result = (api.result)(event.0);
        let mut count = 0;
        let array = (api.items)(result, &mut count);
        result_slice(array.start(), count)
            .iter()
            .map(|item| read(*item))
            .collect()
    };
    // The event (and its results) go before the queue, the queue before the options.
    drop(event);
    drop(queue);
    drop(options);
    Ok(items)
}

/// Polls `queue` until the call's result event arrives, the deadline passes or `abort` fires.
fn wait_for_result(
    queue: &Queue,
    expected_kind: c_int,
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<Event, CallFailure> {
    // librdkafka answers with _TIMED_OUT after the request timeout; the grace covers its delivery.
    let deadline = Instant::now() + timeout + Duration::from_secs(1);
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(CallFailure::TimedOut);
        }
        if let Some(event) = queue.poll(remaining.min(POLL_SLICE)) {
            if event.kind() != expected_kind {
                continue;
            }
            return match event.error() {
                Some(error) => Err(CallFailure::Broker(error)),
                None => Ok(event),
            };
        }
        if let Some(reason) = abort() {
            return Err(CallFailure::Aborted(reason));
        }
    }
}
