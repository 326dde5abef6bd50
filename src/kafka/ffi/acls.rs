//! The ACL admin calls (CreateAcls, DescribeAcls, DeleteAcls, and DescribeCluster for the
//! principal's cluster operations), none of which rust-rdkafka has a safe API for, and the
//! mapping of the model's ACL vocabulary to librdkafka's enums.

use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};

use super::call::{batch, call, Api, CallSettings};
use super::failure::{CallFailure, ItemResults};
use super::handles::{
    borrowed_error, c_ptr, c_string, optional_c_string, owned, result_slice, ErrBuf, Objects,
};
use crate::kafka::acl_filter::{AclFilter, PatternFilter};
use crate::kafka::error::BrokerError;
use crate::model::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};

const CREATE_ACLS: Api<*mut *const rd::rd_kafka_acl_result_t> = Api {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEACLS,
    event_type: rd::RD_KAFKA_EVENT_CREATEACLS_RESULT,
    result: rd::rd_kafka_event_CreateAcls_result,
    items: rd::rd_kafka_CreateAcls_result_acls,
};

const DESCRIBE_ACLS: Api<*mut *const rd::rd_kafka_AclBinding_t> = Api {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBEACLS,
    event_type: rd::RD_KAFKA_EVENT_DESCRIBEACLS_RESULT,
    result: rd::rd_kafka_event_DescribeAcls_result,
    items: rd::rd_kafka_DescribeAcls_result_acls,
};

const DELETE_ACLS: Api<*mut *const rd::rd_kafka_DeleteAcls_result_response_t> = Api {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETEACLS,
    event_type: rd::RD_KAFKA_EVENT_DELETEACLS_RESULT,
    result: rd::rd_kafka_event_DeleteAcls_result,
    items: rd::rd_kafka_DeleteAcls_result_responses,
};

const DESCRIBE_CLUSTER: Api<*const rd::rd_kafka_AclOperation_t> = Api {
    op: rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
    event_type: rd::RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT,
    result: rd::rd_kafka_event_DescribeCluster_result,
    items: rd::rd_kafka_DescribeCluster_result_authorized_operations,
};

/// Owned ACL bindings or binding filters (both are `rd_kafka_AclBinding_t`).
fn acl_objects(capacity: usize) -> Objects<rd::rd_kafka_AclBinding_t> {
    Objects::new(rd::rd_kafka_AclBinding_destroy, capacity)
}

/// One CreateAcls request for all `bindings`; results in the same order.
pub(crate) fn create_acls<C: ClientContext>(
    client: &Client<C>,
    bindings: &[AclBinding],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<ItemResults<()>, CallFailure> {
    let mut acls = acl_objects(bindings.len());
    for binding in bindings {
        acls.push(new_acl_binding(binding)?);
    }
    let settings = CallSettings {
        rk: client.native_ptr(),
        timeout,
        abort,
    };
    call(
        &CREATE_ACLS,
        &settings,
        |_| Ok(()),
        batch(rd::rd_kafka_CreateAcls, &mut acls.items),
        acl_result_outcome,
    )
}

/// One DescribeAcls request.
pub(crate) fn describe_acls<C: ClientContext>(
    client: &Client<C>,
    filter: &AclFilter,
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<Vec<AclBinding>, CallFailure> {
    let mut filters = acl_objects(1);
    let filter = filters.push(new_acl_filter(filter)?);
    let settings = CallSettings {
        rk: client.native_ptr(),
        timeout,
        abort,
    };
    let bindings = call(
        &DESCRIBE_ACLS,
        &settings,
        |_| Ok(()),
        |rk, options, queue| {
            // SAFETY: `filter` is a live binding filter owned by `filters`; `rk`, options and
            // queue come from `call`.
            unsafe { rd::rd_kafka_DescribeAcls(rk, filter, options, queue) }
        },
        binding_from_rd,
    )?;
    Ok(bindings.into_iter().flatten().collect())
}

/// The operations the principal may perform on the cluster, from one DescribeCluster call
/// (librdkafka sends Metadata v10 with `include_cluster_authorized_operations`). Empty if the
/// broker did not report them. Operations outside the model's vocabulary are left out.
pub(crate) fn cluster_authorized_operations<C: ClientContext>(
    client: &Client<C>,
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<Vec<Operation>, CallFailure> {
    let settings = CallSettings {
        rk: client.native_ptr(),
        timeout,
        abort,
    };
    let operations = call(
        &DESCRIBE_CLUSTER,
        &settings,
        |options| options.set_include_authorized_operations(),
        |rk, options, queue| {
            // SAFETY: `rk`, options and queue come from `call`.
            unsafe { rd::rd_kafka_DescribeCluster(rk, options, queue) }
        },
        operation_from_rd,
    )?;
    Ok(operations.into_iter().flatten().collect())
}

/// One DeleteAcls request for all `filters`; per filter, the bindings it deleted.
pub(crate) fn delete_acls<C: ClientContext>(
    client: &Client<C>,
    filters: &[AclFilter],
    timeout: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<ItemResults<Vec<AclBinding>>, CallFailure> {
    let mut acl_filters = acl_objects(filters.len());
    for filter in filters {
        acl_filters.push(new_acl_filter(filter)?);
    }
    let settings = CallSettings {
        rk: client.native_ptr(),
        timeout,
        abort,
    };
    call(
        &DELETE_ACLS,
        &settings,
        |_| Ok(()),
        batch(rd::rd_kafka_DeleteAcls, &mut acl_filters.items),
        delete_acls_response,
    )
}

/// The outcome of one binding of a CreateAcls result.
///
/// # Safety
/// `item` must point to an ACL result of an event that is still alive.
unsafe fn acl_result_outcome(item: *const rd::rd_kafka_acl_result_t) -> Result<(), BrokerError> {
    match borrowed_error(rd::rd_kafka_acl_result_error(item)) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// The bindings one filter of a DeleteAcls request deleted, or why Kafka refused it.
///
/// # Safety
/// `response` must point to a DeleteAcls response of an event that is still alive.
unsafe fn delete_acls_response(
    response: *const rd::rd_kafka_DeleteAcls_result_response_t,
) -> Result<Vec<AclBinding>, BrokerError> {
    if let Some(error) = borrowed_error(rd::rd_kafka_DeleteAcls_result_response_error(response)) {
        return Err(error);
    }
    let mut matching = 0;
    let acls = result_slice(
        rd::rd_kafka_DeleteAcls_result_response_matching_acls(response, &mut matching),
        matching,
    );
    Ok(acls
        .iter()
        .filter_map(|acl| binding_from_rd(*acl))
        .collect())
}

/// Copies a binding out of a result. `None` for bindings outside the model's vocabulary
/// (e.g. CLUSTER_ACTION or DELEGATION_TOKEN), which the provider never manages.
///
/// # Safety
/// `acl` must point to a binding of an event that is still alive.
unsafe fn binding_from_rd(acl: *const rd::rd_kafka_AclBinding_t) -> Option<AclBinding> {
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

fn new_acl_binding(binding: &AclBinding) -> Result<*mut rd::rd_kafka_AclBinding_t, CallFailure> {
    let name = c_string(&binding.resource_name)?;
    let principal = c_string(&binding.principal)?;
    let host = c_string(&binding.host)?;
    let mut errstr = ErrBuf::new();
    // SAFETY: NUL-terminated strings that outlive the call (librdkafka copies them) and an
    // error buffer of the length passed; the binding returned is ours to destroy.
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
    // SAFETY: NULL or NUL-terminated strings that outlive the call (librdkafka copies them)
    // and an error buffer of the length passed; the filter returned is ours to destroy.
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

pub(super) fn operation_from_rd(value: rd::rd_kafka_AclOperation_t) -> Option<Operation> {
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
