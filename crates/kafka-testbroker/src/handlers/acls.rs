//! CreateAcls, DescribeAcls and DeleteAcls: SECURITY_DISABLED without an authorizer, the
//! CLUSTER permission gate, per-binding validation and the filters of the spec (section 4),
//! as Kafka's `AclControlManager` and `AuthHelper` do.

use super::{cluster_authorization_failed, text, ApiError};
use crate::acl::{
    self, AclFilter, AclOperation, AclPermission, AclRecord, PatternType, RequestContext,
    ResourceType,
};
use crate::state::{ClusterState, Shared};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_acls_response::AclCreationResult;
use kafka_protocol::messages::delete_acls_response::{
    DeleteAclsFilterResult, DeleteAclsMatchingAcl,
};
use kafka_protocol::messages::describe_acls_response::{AclDescription, DescribeAclsResource};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use std::collections::{BTreeMap, BTreeSet, HashSet};
/// Kafka's SECURITY_DISABLED messages differ: DescribeAcls says "on the broker".
fn security_disabled(operation: AclOperation) -> ApiError {
    let message = if operation == AclOperation::Describe {
        "No Authorizer is configured on the broker"
    } else {
        "No Authorizer is configured."
    };
    ApiError::new(ResponseError::SecurityDisabled, message)
}

/// The whole-request gate of the ACL APIs: no authorizer, then the CLUSTER permission as
/// `state` holds it (the controller's for writes, forwarded as in KIP-590; the answering
/// node's copy for DescribeAcls).
fn acl_api_gate(
    shared: &Shared,
    state: &ClusterState,
    context: &RequestContext<'_>,
    operation: AclOperation,
    forced: Option<i16>,
) -> Result<(), ApiError> {
    if let Some(code) = forced {
        return Err(ApiError::bare(code));
    }
    if !shared.config.authorizer {
        return Err(security_disabled(operation));
    }
    if !Shared::authorized_in(
        &shared.config,
        state,
        context,
        operation,
        ResourceType::Cluster,
        acl::CLUSTER_RESOURCE_NAME,
    ) {
        return Err(cluster_authorization_failed());
    }
    Ok(())
}

/// From this many bindings in one CreateAcls request on, the stored bindings are indexed in a
/// set for the duplicate check; below it a scan of the table is cheaper than copying it.
const ACL_INDEX_MIN_BATCH: usize = 32;

pub(crate) fn create_acls(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: CreateAclsRequest,
    _version: i16,
    forced: Option<i16>,
) -> CreateAclsResponse {
    let gate = acl_api_gate(
        shared,
        &shared.state(),
        context,
        AclOperation::Alter,
        forced,
    );
    let results = match gate {
        Err(error) => request
            .creations
            .iter()
            .map(|_| {
                AclCreationResult::default()
                    .with_error_code(error.code)
                    .with_error_message(error.message())
            })
            .collect(),
        Ok(()) => {
            // One lock for the whole request. A large request indexes the stored bindings in a
            // set so it stays linear; a small one (e.g. one binding per request, as
            // one-resource-per-ACL tools send) scans the table instead of copying it each time.
            let mut state = shared.state();
            let mut stored: Option<HashSet<AclRecord>> = (request.creations.len()
                >= ACL_INDEX_MIN_BATCH)
                .then(|| state.acls.iter().cloned().collect());
            request
                .creations
                .iter()
                .map(|creation| {
                    let binding = AclRecord {
                        resource_type: ResourceType::from_code(creation.resource_type),
                        name: creation.resource_name.to_string(),
                        pattern_type: PatternType::from_code(creation.resource_pattern_type),
                        principal: creation.principal.to_string(),
                        host: creation.host.to_string(),
                        operation: AclOperation::from_code(creation.operation),
                        permission: AclPermission::from_code(creation.permission_type),
                    };
                    let outcome = match (
                        acl::validate_binding(&binding),
                        shared.hooks().binding_rejection(&binding.name),
                    ) {
                        (Err(message), _) => {
                            Err(ApiError::new(ResponseError::InvalidRequest, message))
                        }
                        (Ok(()), Some(code)) => Err(ApiError::bare(code)),
                        (Ok(()), None) => {
                            let is_new = match stored.as_mut() {
                                Some(index) => index.insert(binding.clone()),
                                None => !state.acls.contains(&binding),
                            };
                            if is_new {
                                state.acls.push(binding);
                            }
                            Ok(())
                        }
                    };
                    match outcome {
                        Ok(()) => AclCreationResult::default(),
                        Err(error) => AclCreationResult::default()
                            .with_error_code(error.code)
                            .with_error_message(error.message()),
                    }
                })
                .collect()
        }
    };
    CreateAclsResponse::default().with_results(results)
}

fn filter_from_wire(
    resource_type: i8,
    name: &Option<StrBytes>,
    pattern_type: i8,
    principal: &Option<StrBytes>,
    host: &Option<StrBytes>,
    operation: i8,
    permission: i8,
) -> AclFilter {
    AclFilter {
        resource_type: ResourceType::from_code(resource_type),
        name: name.as_ref().map(|s| s.to_string()),
        pattern_type: PatternType::from_code(pattern_type),
        principal: principal.as_ref().map(|s| s.to_string()),
        host: host.as_ref().map(|s| s.to_string()),
        operation: AclOperation::from_code(operation),
        permission: AclPermission::from_code(permission),
    }
}

pub(crate) fn describe_acls(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: DescribeAclsRequest,
    _version: i16,
    forced: Option<i16>,
) -> DescribeAclsResponse {
    let state = shared.read_view(context.node);
    if let Err(error) = acl_api_gate(shared, &state, context, AclOperation::Describe, forced) {
        return DescribeAclsResponse::default()
            .with_error_code(error.code)
            .with_error_message(error.message());
    }
    let filter = filter_from_wire(
        request.resource_type_filter,
        &request.resource_name_filter,
        request.pattern_type_filter,
        &request.principal_filter,
        &request.host_filter,
        request.operation,
        request.permission_type,
    );
    if let Err(message) = acl::validate_filter(&filter) {
        return DescribeAclsResponse::default()
            .with_error_code(ResponseError::InvalidRequest.code())
            .with_error_message(Some(text(message)));
    }
    let mut grouped: BTreeMap<(ResourceType, String, PatternType), Vec<AclDescription>> =
        BTreeMap::new();
    for binding in state
        .acls
        .iter()
        .filter(|b| acl::filter_matches(&filter, b))
    {
        grouped
            .entry((
                binding.resource_type,
                binding.name.clone(),
                binding.pattern_type,
            ))
            .or_default()
            .push(
                AclDescription::default()
                    .with_principal(text(binding.principal.clone()))
                    .with_host(text(binding.host.clone()))
                    .with_operation(binding.operation.code())
                    .with_permission_type(binding.permission.code()),
            );
    }
    let resources = grouped
        .into_iter()
        .map(|((resource_type, name, pattern_type), acls)| {
            DescribeAclsResource::default()
                .with_resource_type(resource_type.code())
                .with_resource_name(text(name))
                .with_pattern_type(pattern_type.code())
                .with_acls(acls)
        })
        .collect();
    DescribeAclsResponse::default().with_resources(resources)
}

pub(crate) fn delete_acls(
    shared: &Shared,
    context: &RequestContext<'_>,
    request: DeleteAclsRequest,
    _version: i16,
    forced: Option<i16>,
) -> DeleteAclsResponse {
    let gate = acl_api_gate(
        shared,
        &shared.state(),
        context,
        AclOperation::Alter,
        forced,
    );
    let results = match gate {
        Err(error) => request
            .filters
            .iter()
            .map(|_| {
                DeleteAclsFilterResult::default()
                    .with_error_code(error.code)
                    .with_error_message(error.message())
            })
            .collect(),
        Ok(()) => {
            // As in Kafka's AclControlManager.deleteAcls, every filter is matched against
            // the bindings as they were before the request, so a binding matched by two
            // filters is reported by both; the union is removed at the end.
            let mut state = shared.state();
            let mut removed = BTreeSet::new();
            let results = request
                .filters
                .iter()
                .map(|wire| {
                    let filter = filter_from_wire(
                        wire.resource_type_filter,
                        &wire.resource_name_filter,
                        wire.pattern_type_filter,
                        &wire.principal_filter,
                        &wire.host_filter,
                        wire.operation,
                        wire.permission_type,
                    );
                    if let Err(message) = acl::validate_filter(&filter) {
                        return DeleteAclsFilterResult::default()
                            .with_error_code(ResponseError::InvalidRequest.code())
                            .with_error_message(Some(text(message)));
                    }
                    let matching = state
                        .acls
                        .iter()
                        .filter(|b| acl::filter_matches(&filter, b))
                        .map(|b| {
                            removed.insert(b.clone());
                            DeleteAclsMatchingAcl::default()
                                .with_resource_type(b.resource_type.code())
                                .with_resource_name(text(b.name.clone()))
                                .with_pattern_type(b.pattern_type.code())
                                .with_principal(text(b.principal.clone()))
                                .with_host(text(b.host.clone()))
                                .with_operation(b.operation.code())
                                .with_permission_type(b.permission.code())
                        })
                        .collect();
                    DeleteAclsFilterResult::default().with_matching_acls(matching)
                })
                .collect();
            state.acls.retain(|b| !removed.contains(b));
            results
        }
    };
    DeleteAclsResponse::default().with_filter_results(results)
}
