//! The librdkafka objects the admin calls create, each owned by an RAII wrapper whose `Drop`
//! frees it, and the copies out of C memory (strings, arrays, error objects) into Rust values.

use std::ffi::{c_char, c_int, CStr, CString};
use std::time::Duration;

use rdkafka::bindings as rd;

use super::failure::CallFailure;
use crate::kafka::error::BrokerError;

/// A duration as the `int` milliseconds librdkafka takes (saturating).
fn millis(duration: Duration) -> c_int {
    c_int::try_from(duration.as_millis()).unwrap_or(c_int::MAX)
}

/// A librdkafka queue; destroyed on drop, which must happen before its client is destroyed.
pub(super) struct Queue(pub(super) *mut rd::rd_kafka_queue_t);

// SAFETY: librdkafka queues are thread-safe (rdkafka.h: "all queue operations are
// thread-safe"); the pump thread owns its handle exclusively.
unsafe impl Send for Queue {}

impl Queue {
    /// A new private queue on the client, for exactly one admin call.
    pub(super) fn private(rk: *mut rd::rd_kafka_t) -> Queue {
        // SAFETY: `rk` is the live client handle of the call (`Client::native_ptr`).
        Queue(unsafe { rd::rd_kafka_queue_new(rk) })
    }

    /// A handle to the client's main queue (errors, logs).
    pub(super) fn main(rk: *mut rd::rd_kafka_t) -> Queue {
        // SAFETY: `rk` is a live client handle; the handle returned is ours to destroy.
        Queue(unsafe { rd::rd_kafka_queue_get_main(rk) })
    }

    pub(super) fn poll(&self, timeout: Duration) -> Option<Event> {
        // SAFETY: `self.0` is a live queue (destroyed only in `drop`); the event returned, if
        // any, is ours to destroy.
        let event = unsafe { rd::rd_kafka_queue_poll(self.0, millis(timeout)) };
        (!event.is_null()).then_some(Event(event))
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: the queue is live and dropped once; no event of it is used afterwards.
        unsafe { rd::rd_kafka_queue_destroy(self.0) }
    }
}

/// An event taken from a queue; destroyed on drop, which also frees its result objects.
pub(super) struct Event(pub(super) *mut rd::rd_kafka_event_t);

impl Event {
    pub(super) fn kind(&self) -> c_int {
        // SAFETY: `self.0` is a live event (destroyed only in `drop`).
        unsafe { rd::rd_kafka_event_type(self.0) }
    }

    /// The request-level error, if the whole request failed.
    pub(super) fn error(&self) -> Option<BrokerError> {
        // SAFETY: `self.0` is a live event; its error string is copied before it goes.
        let (code, message) = unsafe {
            (
                rd::rd_kafka_event_error(self.0),
                owned(rd::rd_kafka_event_error_string(self.0)),
            )
        };
        code_outcome(code, || message).err()
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: the event is live and dropped once; what was read from it has been copied.
        unsafe { rd::rd_kafka_event_destroy(self.0) }
    }
}

/// Admin options for one call; destroyed on drop.
pub(super) struct Options(pub(super) *mut rd::rd_kafka_AdminOptions_t);

impl Options {
    pub(super) fn new(
        rk: *mut rd::rd_kafka_t,
        op: rd::rd_kafka_admin_op_t,
        timeout: Duration,
    ) -> Result<Options, CallFailure> {
        // SAFETY: `rk` is the live client handle of the call; the options are ours to destroy.
        let options = Options(unsafe { rd::rd_kafka_AdminOptions_new(rk, op) });
        let mut errstr = ErrBuf::new();
        // SAFETY: live options, and an error buffer of the length passed.
        let code = unsafe {
            rd::rd_kafka_AdminOptions_set_request_timeout(
                options.0,
                millis(timeout),
                errstr.ptr(),
                errstr.len(),
            )
        };
        errstr.check(code)?;
        Ok(options)
    }

    /// For CreateTopics and DeleteTopics: how long the controller waits for the change.
    pub(super) fn set_operation_timeout(&self, timeout: Duration) -> Result<(), CallFailure> {
        let mut errstr = ErrBuf::new();
        // SAFETY: live options, and an error buffer of the length passed.
        let code = unsafe {
            rd::rd_kafka_AdminOptions_set_operation_timeout(
                self.0,
                millis(timeout),
                errstr.ptr(),
                errstr.len(),
            )
        };
        errstr.check(code)
    }

    pub(super) fn set_validate_only(&self, validate_only: bool) -> Result<(), CallFailure> {
        let mut errstr = ErrBuf::new();
        // SAFETY: live options, and an error buffer of the length passed.
        let code = unsafe {
            rd::rd_kafka_AdminOptions_set_validate_only(
                self.0,
                c_int::from(validate_only),
                errstr.ptr(),
                errstr.len(),
            )
        };
        errstr.check(code)
    }

    /// For DescribeCluster: ask the broker for the operations the principal may perform.
    pub(super) fn set_include_authorized_operations(&self) -> Result<(), CallFailure> {
        // SAFETY: live options; an error returned is ours, owned by `OwnedError`.
        let error =
            unsafe { rd::rd_kafka_AdminOptions_set_include_authorized_operations(self.0, 1) };
        if error.is_null() {
            return Ok(());
        }
        let error = OwnedError(error);
        let detail = borrowed_error(error.0)
            .map(|e| e.to_string())
            .unwrap_or_default();
        Err(CallFailure::InvalidInput(detail))
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: the options are live and dropped once, after the call they configured.
        unsafe { rd::rd_kafka_AdminOptions_destroy(self.0) }
    }
}

/// Objects of one librdkafka input type that we created and librdkafka copies when a request
/// is made; each is destroyed on drop with the type's destructor.
pub(super) struct Objects<T> {
    pub(super) items: Vec<*mut T>,
    destroy: unsafe extern "C" fn(*mut T),
}

impl<T> Objects<T> {
    /// An empty list whose objects are freed with `destroy`, librdkafka's destructor for `T`.
    pub(super) fn new(destroy: unsafe extern "C" fn(*mut T), capacity: usize) -> Self {
        Objects {
            items: Vec::with_capacity(capacity),
            destroy,
        }
    }

    /// Takes ownership of a newly created object (NULL is not stored).
    pub(super) fn push(&mut self, object: *mut T) -> *mut T {
        if !object.is_null() {
            self.items.push(object);
        }
        object
    }
}

impl<T> Drop for Objects<T> {
    fn drop(&mut self) {
        for object in &self.items {
            // SAFETY: each object was created by us, is destroyed once, with the destructor
            // of its type; librdkafka holds its own copies.
            unsafe { (self.destroy)(*object) }
        }
    }
}

/// A topic-name collection we created (librdkafka copies the names); destroyed on drop.
pub(super) struct TopicCollection(pub(super) *mut rd::rd_kafka_TopicCollection_t);

impl Drop for TopicCollection {
    fn drop(&mut self) {
        // SAFETY: created by us and destroyed once, after the request that read it.
        unsafe { rd::rd_kafka_TopicCollection_destroy(self.0) }
    }
}

/// An `rd_kafka_error_t` returned to us (ownership transferred); destroyed on drop.
pub(super) struct OwnedError(pub(super) *mut rd::rd_kafka_error_t);

impl Drop for OwnedError {
    fn drop(&mut self) {
        // SAFETY: the error was handed to us and is destroyed once, after it was read.
        unsafe { rd::rd_kafka_error_destroy(self.0) }
    }
}

/// A buffer librdkafka writes an error string into.
pub(super) struct ErrBuf([c_char; 512]);

impl ErrBuf {
    pub(super) fn new() -> Self {
        ErrBuf([0; 512])
    }

    pub(super) fn ptr(&mut self) -> *mut c_char {
        self.0.as_mut_ptr()
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn text(&self) -> String {
        // SAFETY: the buffer starts zeroed and librdkafka writes a NUL-terminated string
        // shorter than its length, so it always holds one.
        unsafe { owned(self.0.as_ptr()) }
    }

    pub(super) fn check(&self, code: rd::rd_kafka_resp_err_t) -> Result<(), CallFailure> {
        if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            Ok(())
        } else {
            Err(CallFailure::InvalidInput(self.text()))
        }
    }
}

/// Copies a C string owned by librdkafka into a `String` (empty for NULL).
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that is valid for this call.
pub(super) unsafe fn owned(ptr: *const c_char) -> String {
    if ptr.is_null() {
        String::new()
    } else {
        CStr::from_ptr(ptr).to_string_lossy().into_owned()
    }
}

pub(super) fn c_string(value: &str) -> Result<CString, CallFailure> {
    CString::new(value)
        .map_err(|_| CallFailure::InvalidInput(format!("{value:?} contains a NUL byte")))
}

pub(super) fn optional_c_string(value: Option<&str>) -> Result<Option<CString>, CallFailure> {
    value.map(c_string).transpose()
}

pub(super) fn c_ptr(value: &Option<CString>) -> *const c_char {
    value.as_ref().map_or(std::ptr::null(), |v| v.as_ptr())
}

/// Turns the `(pointer, count)` arrays librdkafka returns into a slice.
///
/// # Safety
/// `ptr` must be NULL or point to `count` valid elements that outlive the returned slice.
pub(super) unsafe fn result_slice<'a, T>(ptr: *const T, count: usize) -> &'a [T] {
    if ptr.is_null() || count == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, count)
    }
}

/// The outcome librdkafka reports as an error code plus message: `Ok` for NO_ERROR,
/// otherwise the broker error (the message is only read on error).
pub(super) fn code_outcome(
    code: rd::rd_kafka_resp_err_t,
    message: impl FnOnce() -> String,
) -> Result<(), BrokerError> {
    if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    // SAFETY: `rd_kafka_err2name` returns a static string for every code.
    let name = unsafe { owned(rd::rd_kafka_err2name(code)) };
    Err(BrokerError::from_librdkafka(&name, message()))
}

/// Reads an `rd_kafka_error_t` (owned by a result or by an [`OwnedError`]); `None` if it is
/// NULL (success).
pub(super) fn borrowed_error(error: *const rd::rd_kafka_error_t) -> Option<BrokerError> {
    if error.is_null() {
        return None;
    }
    // SAFETY: a non-NULL error object that its owner keeps alive during this call; its
    // strings are copied.
    let (name, message) = unsafe {
        (
            owned(rd::rd_kafka_error_name(error)),
            owned(rd::rd_kafka_error_string(error)),
        )
    };
    Some(BrokerError::from_librdkafka(&name, message))
}
