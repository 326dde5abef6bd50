//! Every `unsafe` line of the admin layer: the librdkafka admin calls rust-rdkafka has no
//! safe API for (CreateAcls, DescribeAcls, DeleteAcls, IncrementalAlterConfigs, DescribeTopics),
//! the ones
//! whose safe API loses what the provider must report (CreateTopics and DescribeConfigs:
//! rust-rdkafka keeps neither the Kafka error name nor the broker's message per topic), and
//! the pump that reads the client's main queue so error events (authentication failures)
//! reach the client context.
//!
//! Rules kept here (spec section 5): each call gets a private queue; every librdkafka object
//! is owned by an RAII wrapper whose `Drop` frees it; inputs are copied by librdkafka and
//! freed by us; results belong to the event and are copied into Rust values before the event
//! is destroyed. Functions here block: callers run them on a blocking thread.

use std::ffi::{c_char, c_int, CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};
use rdkafka::types::RDKafkaErrorCode;

use super::acl_filter::{AclFilter, PatternFilter};
use super::error::BrokerError;
use super::topics::{
    ConfigChange, ConfigSource, ConfigValue, NewTopic, TopicConfigAlteration, TopicConfigs,
    TopicDescription, TopicOutcomes,
};
use crate::model::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};

/// How long one poll of a queue blocks before the caller's abort check runs again.
const POLL_SLICE: Duration = Duration::from_millis(100);

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

// ---------------------------------------------------------------------------------------
// RAII wrappers
// ---------------------------------------------------------------------------------------

/// A librdkafka queue; destroyed on drop, which must happen before its client is destroyed.
struct Queue(*mut rd::rd_kafka_queue_t);

// librdkafka queues are thread-safe; the pump thread owns its handle exclusively.
unsafe impl Send for Queue {}

impl Queue {
    /// A new private queue on the client, for exactly one admin call.
    fn private(rk: *mut rd::rd_kafka_t) -> Queue {
        Queue(unsafe { rd::rd_kafka_queue_new(rk) })
    }

    /// A handle to the client's main queue (errors, logs).
    fn main(rk: *mut rd::rd_kafka_t) -> Queue {
        Queue(unsafe { rd::rd_kafka_queue_get_main(rk) })
    }

    fn poll(&self, timeout: Duration) -> Option<Event> {
        let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        let event = unsafe { rd::rd_kafka_queue_poll(self.0, ms) };
        (!event.is_null()).then_some(Event(event))
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        unsafe { rd::rd_kafka_queue_destroy(self.0) }
    }
}

/// An event taken from a queue; destroyed on drop, which also frees its result objects.
struct Event(*mut rd::rd_kafka_event_t);

impl Event {
    fn kind(&self) -> c_int {
        unsafe { rd::rd_kafka_event_type(self.0) }
    }

    /// The item array of this result event, borrowed from it.
    ///
    /// # Safety
    /// `result` and `items` must be librdkafka's accessors for this event's type (which
    /// [`wait_for_result`] checked): for another type `result` returns NULL.
    unsafe fn items<T>(
        &self,
        result: unsafe extern "C" fn(*mut rd::rd_kafka_event_t) -> *const rd::rd_kafka_event_t,
        items: unsafe extern "C" fn(*const rd::rd_kafka_event_t, *mut usize) -> *mut *const T,
    ) -> &[*const T] {
        let result = result(self.0);
        let mut count = 0;
        result_slice(items(result, &mut count), count)
    }

    /// The request-level error, if the whole request failed.
    fn error(&self) -> Option<BrokerError> {
        let code = unsafe { rd::rd_kafka_event_error(self.0) };
        if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return None;
        }
        let message = unsafe { owned(rd::rd_kafka_event_error_string(self.0)) };
        Some(broker_error(code, message))
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        unsafe { rd::rd_kafka_event_destroy(self.0) }
    }
}

/// Admin options for one call; destroyed on drop.
struct Options(*mut rd::rd_kafka_AdminOptions_t);

impl Options {
    fn new(
        rk: *mut rd::rd_kafka_t,
        op: rd::rd_kafka_admin_op_t,
        timeout: Duration,
    ) -> Result<Options, CallFailure> {
        let options = Options(unsafe { rd::rd_kafka_AdminOptions_new(rk, op) });
        let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        let mut errstr = ErrBuf::new();
        let code = unsafe {
            rd::rd_kafka_AdminOptions_set_request_timeout(options.0, ms, errstr.ptr(), errstr.len())
        };
        errstr.check(code)?;
        Ok(options)
    }

    /// For CreateTopics: how long the controller waits for the topic to be created.
    fn set_operation_timeout(&self, timeout: Duration) -> Result<(), CallFailure> {
        let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        let mut errstr = ErrBuf::new();
        let code = unsafe {
            rd::rd_kafka_AdminOptions_set_operation_timeout(self.0, ms, errstr.ptr(), errstr.len())
        };
        errstr.check(code)
    }

    fn set_validate_only(&self, validate_only: bool) -> Result<(), CallFailure> {
        let mut errstr = ErrBuf::new();
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
}

impl Drop for Options {
    fn drop(&mut self) {
        unsafe { rd::rd_kafka_AdminOptions_destroy(self.0) }
    }
}

/// ACL bindings or binding filters we created; destroyed on drop (librdkafka copies them).
struct AclObjects(Vec<*mut rd::rd_kafka_AclBinding_t>);

impl Drop for AclObjects {
    fn drop(&mut self) {
        for acl in &self.0 {
            unsafe { rd::rd_kafka_AclBinding_destroy(*acl) }
        }
    }
}

/// NewTopic objects we created; destroyed on drop.
struct NewTopics(Vec<*mut rd::rd_kafka_NewTopic_t>);

impl Drop for NewTopics {
    fn drop(&mut self) {
        for topic in &self.0 {
            unsafe { rd::rd_kafka_NewTopic_destroy(*topic) }
        }
    }
}

/// DeleteTopic objects we created; destroyed on drop.
struct DeleteTopics(Vec<*mut rd::rd_kafka_DeleteTopic_t>);

impl Drop for DeleteTopics {
    fn drop(&mut self) {
        for topic in &self.0 {
            unsafe { rd::rd_kafka_DeleteTopic_destroy(*topic) }
        }
    }
}

/// ConfigResource objects we created; destroyed on drop.
struct ConfigResources(Vec<*mut rd::rd_kafka_ConfigResource_t>);

impl Drop for ConfigResources {
    fn drop(&mut self) {
        for resource in &self.0 {
            unsafe { rd::rd_kafka_ConfigResource_destroy(*resource) }
        }
    }
}

/// A topic-name collection we created (librdkafka copies the names); destroyed on drop.
struct TopicCollection(*mut rd::rd_kafka_TopicCollection_t);

impl Drop for TopicCollection {
    fn drop(&mut self) {
        unsafe { rd::rd_kafka_TopicCollection_destroy(self.0) }
    }
}

/// An `rd_kafka_error_t` returned to us (ownership transferred); destroyed on drop.
struct OwnedError(*mut rd::rd_kafka_error_t);

impl Drop for OwnedError {
    fn drop(&mut self) {
        unsafe { rd::rd_kafka_error_destroy(self.0) }
    }
}

/// A buffer librdkafka writes an error string into.
struct ErrBuf([c_char; 512]);

impl ErrBuf {
    fn new() -> Self {
        ErrBuf([0; 512])
    }

    fn ptr(&mut self) -> *mut c_char {
        self.0.as_mut_ptr()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn text(&self) -> String {
        unsafe { owned(self.0.as_ptr()) }
    }

    fn check(&self, code: rd::rd_kafka_resp_err_t) -> Result<(), CallFailure> {
        if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            Ok(())
        } else {
            Err(CallFailure::InvalidInput(self.text()))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Copies a C string owned by librdkafka into a `String` (empty for NULL).
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that is valid for this call.
unsafe fn owned(ptr: *const c_char) -> String {
    if ptr.is_null() {
        String::new()
    } else {
        CStr::from_ptr(ptr).to_string_lossy().into_owned()
    }
}

fn c_string(value: &str) -> Result<CString, CallFailure> {
    CString::new(value)
        .map_err(|_| CallFailure::InvalidInput(format!("{value:?} contains a NUL byte")))
}

fn optional_c_string(value: Option<&str>) -> Result<Option<CString>, CallFailure> {
    value.map(c_string).transpose()
}

fn c_ptr(value: &Option<CString>) -> *const c_char {
    value.as_ref().map_or(std::ptr::null(), |v| v.as_ptr())
}

fn broker_error(code: rd::rd_kafka_resp_err_t, message: String) -> BrokerError {
    let name = unsafe { owned(rd::rd_kafka_err2name(code)) };
    BrokerError::from_librdkafka(&name, message)
}

/// Reads an `rd_kafka_error_t` the result owns; `None` if it is NULL (success).
fn borrowed_error(error: *const rd::rd_kafka_error_t) -> Option<BrokerError> {
    if error.is_null() {
        return None;
    }
    let name = unsafe { owned(rd::rd_kafka_error_name(error)) };
    let message = unsafe { owned(rd::rd_kafka_error_string(error)) };
    Some(BrokerError::from_librdkafka(&name, message))
}

/// Turns the `(pointer, count)` arrays librdkafka returns into a slice.
///
/// # Safety
/// `ptr` must be NULL or point to `count` valid elements that outlive the returned slice.
unsafe fn result_slice<'a, T>(ptr: *mut *const T, count: usize) -> &'a [*const T] {
    if ptr.is_null() || count == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, count)
    }
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

// ---------------------------------------------------------------------------------------
// Enum mappings between the model and librdkafka
// ---------------------------------------------------------------------------------------

fn resource_type_to_rd(value: Option<ResourceType>) -> rd::rd_kafka_ResourceType_t {
    use rd::rd_kafka_ResourceType_t::*;
    match value {
        None => RD_KAFKA_RESOURCE_ANY,
        Some(ResourceType::Topic) => RD_KAFKA_RESOURCE_TOPIC,
        Some(ResourceType::Group) => RD_KAFKA_RESOURCE_GROUP,
        Some(ResourceType::Cluster) => RD_KAFKA_RESOURCE_BROKER,
        Some(ResourceType::TransactionalId) => RD_KAFKA_RESOURCE_TRANSACTIONAL_ID,
    }
}

fn resource_type_from_rd(value: rd::rd_kafka_ResourceType_t) -> Option<ResourceType> {
    use rd::rd_kafka_ResourceType_t::*;
    match value {
        RD_KAFKA_RESOURCE_TOPIC => Some(ResourceType::Topic),
        RD_KAFKA_RESOURCE_GROUP => Some(ResourceType::Group),
        RD_KAFKA_RESOURCE_BROKER => Some(ResourceType::Cluster),
        RD_KAFKA_RESOURCE_TRANSACTIONAL_ID => Some(ResourceType::TransactionalId),
        _ => None,
    }
}

fn pattern_to_rd(value: PatternFilter) -> rd::rd_kafka_ResourcePatternType_t {
    use rd::rd_kafka_ResourcePatternType_t::*;
    match value {
        PatternFilter::Any => RD_KAFKA_RESOURCE_PATTERN_ANY,
        PatternFilter::Match => RD_KAFKA_RESOURCE_PATTERN_MATCH,
        PatternFilter::Exact(PatternType::Literal) => RD_KAFKA_RESOURCE_PATTERN_LITERAL,
        PatternFilter::Exact(PatternType::Prefixed) => RD_KAFKA_RESOURCE_PATTERN_PREFIXED,
    }
}

fn pattern_from_rd(value: rd::rd_kafka_ResourcePatternType_t) -> Option<PatternType> {
    use rd::rd_kafka_ResourcePatternType_t::*;
    match value {
        RD_KAFKA_RESOURCE_PATTERN_LITERAL => Some(PatternType::Literal),
        RD_KAFKA_RESOURCE_PATTERN_PREFIXED => Some(PatternType::Prefixed),
        _ => None,
    }
}

fn operation_to_rd(value: Option<Operation>) -> rd::rd_kafka_AclOperation_t {
    use rd::rd_kafka_AclOperation_t::*;
    match value {
        None => RD_KAFKA_ACL_OPERATION_ANY,
        Some(Operation::Read) => RD_KAFKA_ACL_OPERATION_READ,
        Some(Operation::Write) => RD_KAFKA_ACL_OPERATION_WRITE,
        Some(Operation::Create) => RD_KAFKA_ACL_OPERATION_CREATE,
        Some(Operation::Delete) => RD_KAFKA_ACL_OPERATION_DELETE,
        Some(Operation::Alter) => RD_KAFKA_ACL_OPERATION_ALTER,
        Some(Operation::Describe) => RD_KAFKA_ACL_OPERATION_DESCRIBE,
        Some(Operation::DescribeConfigs) => RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS,
        Some(Operation::AlterConfigs) => RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS,
        Some(Operation::IdempotentWrite) => RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE,
        Some(Operation::All) => RD_KAFKA_ACL_OPERATION_ALL,
    }
}

fn operation_from_rd(value: rd::rd_kafka_AclOperation_t) -> Option<Operation> {
    use rd::rd_kafka_AclOperation_t::*;
    match value {
        RD_KAFKA_ACL_OPERATION_READ => Some(Operation::Read),
        RD_KAFKA_ACL_OPERATION_WRITE => Some(Operation::Write),
        RD_KAFKA_ACL_OPERATION_CREATE => Some(Operation::Create),
        RD_KAFKA_ACL_OPERATION_DELETE => Some(Operation::Delete),
        RD_KAFKA_ACL_OPERATION_ALTER => Some(Operation::Alter),
        RD_KAFKA_ACL_OPERATION_DESCRIBE => Some(Operation::Describe),
        RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS => Some(Operation::DescribeConfigs),
        RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS => Some(Operation::AlterConfigs),
        RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE => Some(Operation::IdempotentWrite),
        RD_KAFKA_ACL_OPERATION_ALL => Some(Operation::All),
        _ => None,
    }
}

fn permission_to_rd(value: Option<Permission>) -> rd::rd_kafka_AclPermissionType_t {
    use rd::rd_kafka_AclPermissionType_t::*;
    match value {
        None => RD_KAFKA_ACL_PERMISSION_TYPE_ANY,
        Some(Permission::Allow) => RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
        Some(Permission::Deny) => RD_KAFKA_ACL_PERMISSION_TYPE_DENY,
    }
}

fn permission_from_rd(value: rd::rd_kafka_AclPermissionType_t) -> Option<Permission> {
    use rd::rd_kafka_AclPermissionType_t::*;
    match value {
        RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW => Some(Permission::Allow),
        RD_KAFKA_ACL_PERMISSION_TYPE_DENY => Some(Permission::Deny),
        _ => None,
    }
}

/// Copies a binding out of a result. `None` for bindings outside the model's vocabulary
/// (e.g. CLUSTER_ACTION or DELEGATION_TOKEN), which the provider never manages.
fn binding_from_rd(acl: *const rd::rd_kafka_AclBinding_t) -> Option<AclBinding> {
    unsafe {
        Some(AclBinding {
            resource_type: resource_type_from_rd(rd::rd_kafka_AclBinding_restype(acl))?,
            resource_name: owned(rd::rd_kafka_AclBinding_name(acl)),
            pattern_type: pattern_from_rd(rd::rd_kafka_AclBinding_resource_pattern_type(acl))?,
            principal: owned(rd::rd_kafka_AclBinding_principal(acl)),
            host: owned(rd::rd_kafka_AclBinding_host(acl)),
            operation: operation_from_rd(rd::rd_kafka_AclBinding_operation(acl))?,
            permission: permission_from_rd(rd::rd_kafka_AclBinding_permission_type(acl))?,
        })
    }
}

fn new_acl_binding(binding: &AclBinding) -> Result<*mut rd::rd_kafka_AclBinding_t, CallFailure> {
    let name = c_string(&binding.resource_name)?;
    let principal = c_string(&binding.principal)?;
    let host = c_string(&binding.host)?;
    let mut errstr = ErrBuf::new();
    let acl = unsafe {
        rd::rd_kafka_AclBinding_new(
            resource_type_to_rd(Some(binding.resource_type)),
            name.as_ptr(),
            pattern_to_rd(PatternFilter::Exact(binding.pattern_type)),
            principal.as_ptr(),
            host.as_ptr(),
            operation_to_rd(Some(binding.operation)),
            permission_to_rd(Some(binding.permission)),
            errstr.ptr(),
            errstr.len(),
        )
    };
    if acl.is_null() {
        return Err(CallFailure::InvalidInput(format!(
            "{binding}: {}",
            errstr.text()
        )));
    }
    Ok(acl)
}

fn new_acl_filter(filter: &AclFilter) -> Result<*mut rd::rd_kafka_AclBinding_t, CallFailure> {
    let name = optional_c_string(filter.resource_name.as_deref())?;
    let principal = optional_c_string(filter.principal.as_deref())?;
    let host = optional_c_string(filter.host.as_deref())?;
    let mut errstr = ErrBuf::new();
    let acl = unsafe {
        rd::rd_kafka_AclBindingFilter_new(
            resource_type_to_rd(filter.resource_type),
            c_ptr(&name),
            pattern_to_rd(filter.pattern),
            c_ptr(&principal),
            c_ptr(&host),
            operation_to_rd(filter.operation),
            permission_to_rd(filter.permission),
            errstr.ptr(),
            errstr.len(),
        )
    };
    if acl.is_null() {
        return Err(CallFailure::InvalidInput(format!(
            "ACL filter {filter:?}: {}",
            errstr.text()
        )));
    }
    Ok(acl)
}

// ---------------------------------------------------------------------------------------
// Admin calls
// ---------------------------------------------------------------------------------------

/// The shared steps of every admin call: options with the request timeout, a private queue,
/// and the wait for the result event of the expected type (see [`wait_for_result`]).
struct AdminRequest<'a> {
    rk: *mut rd::rd_kafka_t,
    options: Options,
    event_type: c_int,
    timeout: Duration,
    abort: &'a dyn Fn() -> Option<String>,
}

impl<'a> AdminRequest<'a> {
    fn new(
        rk: *mut rd::rd_kafka_t,
        op: rd::rd_kafka_admin_op_t,
        event_type: c_int,
        timeout: Duration,
        abort: &'a dyn Fn() -> Option<String>,
    ) -> Result<Self, CallFailure> {
        Ok(AdminRequest {
            rk,
            options: Options::new(rk, op, timeout)?,
            event_type,
            timeout,
            abort,
        })
    }

    /// `issue` receives the raw options and a new private queue and must hand both to one
    /// rd_kafka_* request; the options and queue outlive the wait for its result.
    fn run(
        self,
        issue: impl FnOnce(*mut rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t),
    ) -> Result<Event, CallFailure> {
        let queue = Queue::private(self.rk);
        issue(self.options.0, queue.0);
        wait_for_result(&queue, self.event_type, self.timeout, self.abort)
    }

    /// Runs a batched request (`rd_kafka_CreateTopics`, `rd_kafka_DeleteAcls`, ...) for
    /// `objects`, which librdkafka copies.
    fn run_batch<T>(
        self,
        request: unsafe extern "C" fn(
            *mut rd::rd_kafka_t,
            *mut *mut T,
            usize,
            *const rd::rd_kafka_AdminOptions_t,
            *mut rd::rd_kafka_queue_t,
        ),
        objects: &mut [*mut T],
    ) -> Result<Event, CallFailure> {
        let rk = self.rk;
        // SAFETY: `objects` are live objects of the type `request` takes (each owned by its
        // RAII wrapper), and the options and queue come from `run`.
        self.run(|options, queue| unsafe {
            request(rk, objects.as_mut_ptr(), objects.len(), options, queue)
        })
    }
}

/// The outcome librdkafka reports as an error code plus message: `Ok` for NO_ERROR,
/// otherwise the broker error (the message is only read on error).
fn code_outcome(
    code: rd::rd_kafka_resp_err_t,
    message: impl FnOnce() -> String,
) -> Result<(), BrokerError> {
    if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        Ok(())
    } else {
        Err(broker_error(code, message()))
    }
}

/// A topic's name and outcome from a CreateTopics or DeleteTopics result.
///
/// # Safety
/// `item` must point to a topic result of an event that is still alive.
unsafe fn topic_result_outcome(
    item: *const rd::rd_kafka_topic_result_t,
) -> (String, Result<(), BrokerError>) {
    let name = owned(rd::rd_kafka_topic_result_name(item));
    let outcome = code_outcome(rd::rd_kafka_topic_result_error(item), || {
        owned(rd::rd_kafka_topic_result_error_string(item))
    });
    (name, outcome)
}

/// A config resource's name and outcome from an IncrementalAlterConfigs or DescribeConfigs
/// result.
///
/// # Safety
/// `item` must point to a config resource of an event that is still alive.
unsafe fn config_resource_outcome(
    item: *const rd::rd_kafka_ConfigResource_t,
) -> (String, Result<(), BrokerError>) {
    let name = owned(rd::rd_kafka_ConfigResource_name(item));
    let outcome = code_outcome(rd::rd_kafka_ConfigResource_error(item), || {
        owned(rd::rd_kafka_ConfigResource_error_string(item))
    });
    (name, outcome)
}

/// One topic ConfigResource per name (for DescribeConfigs and IncrementalAlterConfigs).
fn topic_config_resource(topic: &str) -> Result<*mut rd::rd_kafka_ConfigResource_t, CallFailure> {
    let topic = c_string(topic)?;
    // librdkafka copies the name, so `topic` may be freed after the call.
    Ok(unsafe {
        rd::rd_kafka_ConfigResource_new(
            rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
            topic.as_ptr(),
        )
    })
}

/// One CreateAcls request for all `bindings`; results in the same order.
pub(crate) fn create_acls<C: ClientContext>(
    client: &Client<C>,
    bindings: &[AclBinding],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<ItemResults<()>, CallFailure> {
    let rk = client.native_ptr();
    let mut acls = AclObjects(Vec::with_capacity(bindings.len()));
    for binding in bindings {
        acls.0.push(new_acl_binding(binding)?);
    }
    let request = AdminRequest::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEACLS,
        rd::RD_KAFKA_EVENT_CREATEACLS_RESULT,
        timeout,
        abort,
    )?;
    let event = request.run_batch(rd::rd_kafka_CreateAcls, &mut acls.0)?;
    // SAFETY: `wait_for_result` returned a CREATEACLS_RESULT event.
    let items = unsafe {
        event.items(
            rd::rd_kafka_event_CreateAcls_result,
            rd::rd_kafka_CreateAcls_result_acls,
        )
    };
    Ok(items
        .iter()
        .map(
            |item| match borrowed_error(unsafe { rd::rd_kafka_acl_result_error(*item) }) {
                Some(error) => Err(error),
                None => Ok(()),
            },
        )
        .collect())
}

/// One DescribeAcls request.
pub(crate) fn describe_acls<C: ClientContext>(
    client: &Client<C>,
    filter: &AclFilter,
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<Vec<AclBinding>, CallFailure> {
    let rk = client.native_ptr();
    let acl_filter = AclObjects(vec![new_acl_filter(filter)?]);
    let request = AdminRequest::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBEACLS,
        rd::RD_KAFKA_EVENT_DESCRIBEACLS_RESULT,
        timeout,
        abort,
    )?;
    let event = request.run(|options, queue| unsafe {
        rd::rd_kafka_DescribeAcls(rk, acl_filter.0[0], options, queue)
    })?;
    // SAFETY: `wait_for_result` returned a DESCRIBEACLS_RESULT event.
    let acls = unsafe {
        event.items(
            rd::rd_kafka_event_DescribeAcls_result,
            rd::rd_kafka_DescribeAcls_result_acls,
        )
    };
    Ok(acls
        .iter()
        .filter_map(|acl| binding_from_rd(*acl))
        .collect())
}

/// The operations the principal may perform on the cluster, from one DescribeCluster call
/// (librdkafka sends Metadata v10 with `include_cluster_authorized_operations`). Empty if the
/// broker did not report them. Operations outside the model's vocabulary are left out.
pub(crate) fn cluster_authorized_operations<C: ClientContext>(
    client: &Client<C>,
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<Vec<Operation>, CallFailure> {
    let rk = client.native_ptr();
    let request = AdminRequest::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
        rd::RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT,
        timeout,
        abort,
    )?;
    let error = unsafe {
        rd::rd_kafka_AdminOptions_set_include_authorized_operations(request.options.0, 1)
    };
    if !error.is_null() {
        let error = OwnedError(error);
        let detail = borrowed_error(error.0)
            .map(|e| e.to_string())
            .unwrap_or_default();
        return Err(CallFailure::InvalidInput(detail));
    }
    let event = request
        .run(|options, queue| unsafe { rd::rd_kafka_DescribeCluster(rk, options, queue) })?;
    let result = unsafe { rd::rd_kafka_event_DescribeCluster_result(event.0) };
    let mut count = 0;
    let operations =
        unsafe { rd::rd_kafka_DescribeCluster_result_authorized_operations(result, &mut count) };
    if operations.is_null() || count == 0 {
        return Ok(Vec::new());
    }
    let operations = unsafe { std::slice::from_raw_parts(operations, count) };
    Ok(operations
        .iter()
        .filter_map(|op| operation_from_rd(*op))
        .collect())
}

/// One DeleteAcls request for all `filters`; per filter, the bindings it deleted.
pub(crate) fn delete_acls<C: ClientContext>(
    client: &Client<C>,
    filters: &[AclFilter],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<ItemResults<Vec<AclBinding>>, CallFailure> {
    let rk = client.native_ptr();
    let mut acl_filters = AclObjects(Vec::with_capacity(filters.len()));
    for filter in filters {
        acl_filters.0.push(new_acl_filter(filter)?);
    }
    let request = AdminRequest::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETEACLS,
        rd::RD_KAFKA_EVENT_DELETEACLS_RESULT,
        timeout,
        abort,
    )?;
    let event = request.run_batch(rd::rd_kafka_DeleteAcls, &mut acl_filters.0)?;
    // SAFETY: `wait_for_result` returned a DELETEACLS_RESULT event.
    let responses = unsafe {
        event.items(
            rd::rd_kafka_event_DeleteAcls_result,
            rd::rd_kafka_DeleteAcls_result_responses,
        )
    };
    Ok(responses
        .iter()
        .map(|response| {
            let error = unsafe { rd::rd_kafka_DeleteAcls_result_response_error(*response) };
            if let Some(error) = borrowed_error(error) {
                return Err(error);
            }
            let mut matching = 0;
            let acls = unsafe {
                result_slice(
                    rd::rd_kafka_DeleteAcls_result_response_matching_acls(*response, &mut matching),
                    matching,
                )
            };
            Ok(acls
                .iter()
                .filter_map(|acl| binding_from_rd(*acl))
                .collect())
        })
        .collect())
}

/// One CreateTopics request for all `topics`; per topic, its name and outcome.
pub(crate) fn create_topics<C: ClientContext>(
    client: &Client<C>,
    topics: &[NewTopic],
    validate_only: bool,
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<()>, CallFailure> {
    let rk = client.native_ptr();
    let mut new_topics = NewTopics(Vec::with_capacity(topics.len()));
    for topic in topics {
        let name = c_string(&topic.name)?;
        let partitions = topic.partitions.map_or(Ok(-1), c_int::try_from);
        let replication = topic.replication_factor.map_or(Ok(-1), c_int::try_from);
        let (Ok(partitions), Ok(replication)) = (partitions, replication) else {
            return Err(CallFailure::InvalidInput(format!(
                "topic {:?}: partitions and replication factor must fit a 32-bit integer",
                topic.name
            )));
        };
        let mut errstr = ErrBuf::new();
        let new_topic = unsafe {
            rd::rd_kafka_NewTopic_new(
                name.as_ptr(),
                partitions,
                replication,
                errstr.ptr(),
                errstr.len(),
            )
        };
        if new_topic.is_null() {
            return Err(CallFailure::InvalidInput(format!(
                "topic {:?}: {}",
                topic.name,
                errstr.text()
            )));
        }
        new_topics.0.push(new_topic);
        for (key, value) in &topic.configs {
            let (key_c, value_c) = (c_string(key)?, c_string(value)?);
            let code = unsafe {
                rd::rd_kafka_NewTopic_set_config(new_topic, key_c.as_ptr(), value_c.as_ptr())
            };
            if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                return Err(CallFailure::InvalidInput(format!(
                    "topic {:?}: config {key:?} rejected by the client",
                    topic.name
                )));
            }
        }
    }
    let request = AdminRequest::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATETOPICS,
        rd::RD_KAFKA_EVENT_CREATETOPICS_RESULT,
        timeout,
        abort,
    )?;
    request.options.set_operation_timeout(timeout)?;
    request.options.set_validate_only(validate_only)?;
    let event = request.run_batch(rd::rd_kafka_CreateTopics, &mut new_topics.0)?;
    // SAFETY: `wait_for_result` returned a CREATETOPICS_RESULT event, which `items` borrows.
    unsafe {
        let items = event.items(
            rd::rd_kafka_event_CreateTopics_result,
            rd::rd_kafka_CreateTopics_result_topics,
        );
        Ok(items
            .iter()
            .map(|item| topic_result_outcome(*item))
            .collect())
    }
}

/// One DeleteTopics request for the named topics; per topic, its outcome.
pub(crate) fn delete_topics<C: ClientContext>(
    client: &Client<C>,
    names: &[String],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<()>, CallFailure> {
    let rk = client.native_ptr();
    let mut delete = DeleteTopics(Vec::with_capacity(names.len()));
    for name in names {
        let name_c = c_string(name)?;
        delete
            .0
            .push(unsafe { rd::rd_kafka_DeleteTopic_new(name_c.as_ptr()) });
    }
    let request = AdminRequest::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETETOPICS,
        rd::RD_KAFKA_EVENT_DELETETOPICS_RESULT,
        timeout,
        abort,
    )?;
    request.options.set_operation_timeout(timeout)?;
    let event = request.run_batch(rd::rd_kafka_DeleteTopics, &mut delete.0)?;
    // SAFETY: `wait_for_result` returned a DELETETOPICS_RESULT event, which `items` borrows.
    unsafe {
        let items = event.items(
            rd::rd_kafka_event_DeleteTopics_result,
            rd::rd_kafka_DeleteTopics_result_topics,
        );
        Ok(items
            .iter()
            .map(|item| topic_result_outcome(*item))
            .collect())
    }
}

/// One IncrementalAlterConfigs request for the topics' changes; per topic, its outcome.
pub(crate) fn incremental_alter_topic_configs<C: ClientContext>(
    client: &Client<C>,
    alterations: &[TopicConfigAlteration],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<()>, CallFailure> {
    let rk = client.native_ptr();
    let mut resources = ConfigResources(Vec::with_capacity(alterations.len()));
    for alteration in alterations {
        let resource = topic_config_resource(&alteration.topic)?;
        resources.0.push(resource);
        for change in &alteration.changes {
            let (name, op, value) = match change {
                ConfigChange::Set { name, value } => (
                    name,
                    rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET,
                    Some(c_string(value)?),
                ),
                ConfigChange::Delete { name } => (
                    name,
                    rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE,
                    None,
                ),
                ConfigChange::Append { name, value } => (
                    name,
                    rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_APPEND,
                    Some(c_string(value)?),
                ),
                ConfigChange::Subtract { name, value } => (
                    name,
                    rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SUBTRACT,
                    Some(c_string(value)?),
                ),
            };
            let name_c = c_string(name)?;
            let error = unsafe {
                rd::rd_kafka_ConfigResource_add_incremental_config(
                    resource,
                    name_c.as_ptr(),
                    op,
                    c_ptr(&value),
                )
            };
            if !error.is_null() {
                let error = OwnedError(error);
                let detail = borrowed_error(error.0)
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                return Err(CallFailure::InvalidInput(format!(
                    "topic {:?}: config {name:?}: {detail}",
                    alteration.topic
                )));
            }
        }
    }
    let request = AdminRequest::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
        rd::RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT,
        timeout,
        abort,
    )?;
    let event = request.run_batch(rd::rd_kafka_IncrementalAlterConfigs, &mut resources.0)?;
    // SAFETY: `wait_for_result` returned an INCREMENTALALTERCONFIGS_RESULT event, which
    // `items` borrows.
    unsafe {
        let items = event.items(
            rd::rd_kafka_event_IncrementalAlterConfigs_result,
            rd::rd_kafka_IncrementalAlterConfigs_result_resources,
        );
        Ok(items
            .iter()
            .map(|item| config_resource_outcome(*item))
            .collect())
    }
}

/// One DescribeTopics request: librdkafka sends one Metadata request naming exactly
/// `names`, so Kafka answers each topic with its own error (TOPIC_AUTHORIZATION_FAILED for a
/// topic the principal may not DESCRIBE, UNKNOWN_TOPIC_OR_PARTITION for one that does not
/// exist). Per topic, in request order, its description or that error. `names` must be
/// distinct (librdkafka refuses duplicates).
pub(crate) fn describe_topics<C: ClientContext>(
    client: &Client<C>,
    names: &[String],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<TopicDescription>, CallFailure> {
    let described = describe_topics_with(client, names, false, timeout, abort)?;
    Ok(described
        .into_iter()
        .map(|(name, outcome)| (name, outcome.map(|(description, _)| description)))
        .collect())
}

/// A topic's description and, when asked for, its authorized operations.
pub(crate) type DescribedTopic = (TopicDescription, Option<Vec<Operation>>);

/// [`describe_topics`] with each topic's authorized operations (KIP-430: Metadata v8+ with
/// `include_topic_authorized_operations`) when `include_authorized_operations`; `None` when
/// not asked or not reported. Operations outside the model's vocabulary are left out.
pub(crate) fn describe_topics_with<C: ClientContext>(
    client: &Client<C>,
    names: &[String],
    include_authorized_operations: bool,
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<DescribedTopic>, CallFailure> {
    let rk = client.native_ptr();
    let names_c = names
        .iter()
        .map(|name| c_string(name))
        .collect::<Result<Vec<_>, _>>()?;
    let mut name_ptrs: Vec<*const c_char> = names_c.iter().map(|name| name.as_ptr()).collect();
    // librdkafka copies the names, so `names_c` may be freed after this call.
    let topics = TopicCollection(unsafe {
        rd::rd_kafka_TopicCollection_of_topic_names(name_ptrs.as_mut_ptr(), name_ptrs.len())
    });
    let request = AdminRequest::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBETOPICS,
        rd::RD_KAFKA_EVENT_DESCRIBETOPICS_RESULT,
        timeout,
        abort,
    )?;
    if include_authorized_operations {
        let error = unsafe {
            rd::rd_kafka_AdminOptions_set_include_authorized_operations(request.options.0, 1)
        };
        if !error.is_null() {
            let error = OwnedError(error);
            let detail = borrowed_error(error.0)
                .map(|e| e.to_string())
                .unwrap_or_default();
            return Err(CallFailure::InvalidInput(detail));
        }
    }
    let event = request.run(|options, queue| unsafe {
        rd::rd_kafka_DescribeTopics(rk, topics.0, options, queue)
    })?;
    // SAFETY: `wait_for_result` returned a DESCRIBETOPICS_RESULT event, which `items` and the
    // partition, replica and operation arrays borrowed from it outlive.
    unsafe {
        let items = event.items(
            rd::rd_kafka_event_DescribeTopics_result,
            rd::rd_kafka_DescribeTopics_result_topics,
        );
        Ok(items
            .iter()
            .map(|item| {
                let (name, outcome) = topic_description_outcome(*item);
                let outcome = outcome.map(|description| {
                    let operations = include_authorized_operations
                        .then(|| topic_authorized_operations(*item))
                        .flatten();
                    (description, operations)
                });
                (name, outcome)
            })
            .collect())
    }
}

/// The authorized operations of a topic description; `None` when the broker sent none.
///
/// # Safety
/// `item` must point to a topic description of an event that is still alive.
unsafe fn topic_authorized_operations(
    item: *const rd::rd_kafka_TopicDescription_t,
) -> Option<Vec<Operation>> {
    let mut count = 0;
    let operations = rd::rd_kafka_TopicDescription_authorized_operations(item, &mut count);
    if operations.is_null() || count == 0 {
        return None;
    }
    let operations = std::slice::from_raw_parts(operations, count);
    Some(
        operations
            .iter()
            .filter_map(|op| operation_from_rd(*op))
            .collect(),
    )
}

/// A topic's name and description (or the error Kafka gave for it) from a DescribeTopics
/// result.
///
/// # Safety
/// `item` must point to a topic description of an event that is still alive.
unsafe fn topic_description_outcome(
    item: *const rd::rd_kafka_TopicDescription_t,
) -> (String, Result<TopicDescription, BrokerError>) {
    let name = owned(rd::rd_kafka_TopicDescription_name(item));
    let error = rd::rd_kafka_TopicDescription_error(item);
    let failed = !error.is_null()
        && rd::rd_kafka_error_code(error) != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;
    if let Some(error) = borrowed_error(error).filter(|_| failed) {
        return (name, Err(error));
    }
    let mut partition_count = 0;
    let partitions = result_slice(
        rd::rd_kafka_TopicDescription_partitions(item, &mut partition_count),
        partition_count,
    );
    let replication_factor = partitions
        .iter()
        .map(|partition| {
            let mut replica_count = 0;
            rd::rd_kafka_TopicPartitionInfo_replicas(*partition, &mut replica_count);
            replica_count
        })
        .max()
        .unwrap_or(0);
    let description = TopicDescription {
        name: name.clone(),
        partitions: partitions.len(),
        replication_factor,
    };
    (name, Ok(description))
}

fn config_source_from_rd(value: rd::rd_kafka_ConfigSource_t) -> ConfigSource {
    use rd::rd_kafka_ConfigSource_t::*;
    match value {
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG => ConfigSource::DynamicTopic,
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG => ConfigSource::DynamicBroker,
        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG => ConfigSource::DynamicDefaultBroker,
        RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG => ConfigSource::StaticBroker,
        RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG => ConfigSource::Default,
        _ => ConfigSource::Unknown,
    }
}

/// Copies one config entry out of a DescribeConfigs result.
///
/// # Safety
/// `entry` must point to a config entry of a result that is still alive.
unsafe fn config_value_from_rd(entry: *const rd::rd_kafka_ConfigEntry_t) -> ConfigValue {
    let value = rd::rd_kafka_ConfigEntry_value(entry);
    ConfigValue {
        name: owned(rd::rd_kafka_ConfigEntry_name(entry)),
        value: (!value.is_null()).then(|| owned(value)),
        source: config_source_from_rd(rd::rd_kafka_ConfigEntry_source(entry)),
        is_default: rd::rd_kafka_ConfigEntry_is_default(entry) != 0,
        is_sensitive: rd::rd_kafka_ConfigEntry_is_sensitive(entry) != 0,
        is_read_only: rd::rd_kafka_ConfigEntry_is_read_only(entry) != 0,
    }
}

/// One DescribeConfigs request for all `topics`; per topic (response order), its configs.
pub(crate) fn describe_topic_configs<C: ClientContext>(
    client: &Client<C>,
    topics: &[String],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<TopicOutcomes<TopicConfigs>, CallFailure> {
    let rk = client.native_ptr();
    let mut resources = ConfigResources(Vec::with_capacity(topics.len()));
    for topic in topics {
        resources.0.push(topic_config_resource(topic)?);
    }
    let request = AdminRequest::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
        rd::RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT,
        timeout,
        abort,
    )?;
    let event = request.run_batch(rd::rd_kafka_DescribeConfigs, &mut resources.0)?;
    // SAFETY: `wait_for_result` returned a DESCRIBECONFIGS_RESULT event, which `items` and
    // the config entries borrowed from it outlive.
    unsafe {
        let items = event.items(
            rd::rd_kafka_event_DescribeConfigs_result,
            rd::rd_kafka_DescribeConfigs_result_resources,
        );
        Ok(items
            .iter()
            .map(|item| {
                let (topic, outcome) = config_resource_outcome(*item);
                if let Err(error) = outcome {
                    return (topic, Err(error));
                }
                let mut entry_count = 0;
                let entries = result_slice(
                    rd::rd_kafka_ConfigResource_configs(*item, &mut entry_count),
                    entry_count,
                );
                let entries = entries
                    .iter()
                    .map(|entry| {
                        let value = config_value_from_rd(*entry);
                        (value.name.clone(), value)
                    })
                    .collect();
                (topic.clone(), Ok(TopicConfigs { topic, entries }))
            })
            .collect())
    }
}

// ---------------------------------------------------------------------------------------
// Main queue pump
// ---------------------------------------------------------------------------------------

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
                    let code = unsafe { rd::rd_kafka_event_error(event.0) };
                    let reason = unsafe { owned(rd::rd_kafka_event_error_string(event.0)) };
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
