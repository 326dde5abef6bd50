//! [`KafkaAdmin`]'s ACL calls: CreateAcls, DescribeAcls (per principal, split below
//! librdkafka's answer-size limit, with the probes that tell an empty answer from a refused
//! one), DeleteAcls, and the check of the principal's rights to manage ACLs.

use std::collections::BTreeMap;

use super::outcome::AdminCall;
use super::{join, KafkaAdmin, DESCRIBE_ANSWER_LIMIT};
use crate::kafka::acl_filter::{AclFilter, PatternFilter};
use crate::kafka::error::{BrokerError, KafkaError};
use crate::kafka::ffi;
use crate::model::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};

/// Names the never-matching DeleteAcls filter of [`KafkaAdmin::confirm_empty_describe`];
/// it shows up under this name in broker audit logs.
const PROBE_NAME: &str = "kafkamirror-probe-matches-nothing";

impl KafkaAdmin {
    /// Creates all `bindings` in one CreateAcls request. Results are in the order of
    /// `bindings`; an existing identical binding is a success (Kafka's create is idempotent).
    pub async fn create_acls(
        &self,
        bindings: &[AclBinding],
    ) -> Result<Vec<Result<(), BrokerError>>, KafkaError> {
        if bindings.is_empty() {
            return Ok(Vec::new());
        }
        let input = bindings.to_vec();
        let results = self
            .run(AdminCall::CreateAcls, move |client, timeout, abort| {
                ffi::create_acls(client, &input, timeout, abort)
            })
            .await?;
        self.shared
            .per_item(AdminCall::CreateAcls, bindings.len(), results)
    }

    /// The bindings matching `filter` (one DescribeAcls request). Bindings whose operation or
    /// resource type the model does not know (e.g. CLUSTER_ACTION) are left out: the provider
    /// never manages them.
    pub async fn describe_acls(&self, filter: &AclFilter) -> Result<Vec<AclBinding>, KafkaError> {
        let filter = filter.clone();
        let bindings = self
            .run(AdminCall::DescribeAcls, move |client, timeout, abort| {
                ffi::describe_acls(client, &filter, timeout, abort)
            })
            .await?;
        if bindings.is_empty() {
            self.confirm_empty_describe().await?;
        }
        Ok(bindings)
    }

    /// The bindings of each principal, for refresh and drift detection.
    ///
    /// Requests per principal, all in flight at once: each answer holds only that
    /// principal's bindings, so the cost follows what the provider manages (a few
    /// principals) rather than every ACL on the cluster, which one ANY filter with
    /// client-side filtering would transfer on each refresh.
    ///
    /// `expected_bindings` is how many bindings the caller expects these principals to hold
    /// (e.g. the planned plus the recorded ones). Up to [`DESCRIBE_ANSWER_LIMIT`] each
    /// principal is read with one filter (one request). Above it, or when the caller cannot
    /// tell (`None`, e.g. import), each principal's bindings are read with one filter per
    /// resource type and operation the model knows (the others are left out anyway), because
    /// librdkafka 2.12.1 parses a DescribeAcls answer with `alloca` per binding on its main
    /// thread's stack: an answer of about 200 000 bindings overflows that stack and crashes
    /// the process (seen with one MM2 flow of 50 000 topics). Split this way, one answer
    /// holds the bindings of one resource type and operation, e.g. WRITE on each literal
    /// topic of a flow.
    pub async fn describe_acls_of_principals(
        &self,
        principals: &[String],
        expected_bindings: Option<usize>,
    ) -> Result<BTreeMap<String, Vec<AclBinding>>, KafkaError> {
        let split = expected_bindings.is_none_or(|count| count > DESCRIBE_ANSWER_LIMIT);
        let mut pending = Vec::new();
        for principal in principals {
            let filters: Vec<AclFilter> = if split {
                ResourceType::ALL
                    .iter()
                    .flat_map(|resource_type| {
                        Operation::ALL.iter().map(|operation| AclFilter {
                            resource_type: Some(*resource_type),
                            operation: Some(*operation),
                            ..AclFilter::for_principal(principal)
                        })
                    })
                    .collect()
            } else {
                vec![AclFilter::for_principal(principal)]
            };
            for filter in filters {
                let task = self.spawn(move |client, timeout, abort| {
                    ffi::describe_acls(client, &filter, timeout, abort)
                });
                pending.push((principal.clone(), task));
            }
        }
        let mut by_principal: BTreeMap<String, Vec<AclBinding>> = principals
            .iter()
            .map(|principal| (principal.clone(), Vec::new()))
            .collect();
        for (principal, task) in pending {
            let bindings = join(task).await.map_err(|failure| {
                self.shared
                    .whole_failure(AdminCall::DescribeAcls, failure, &[])
            })?;
            by_principal.entry(principal).or_default().extend(bindings);
        }
        if by_principal.values().any(Vec::is_empty) {
            self.confirm_empty_describe().await?;
        }
        Ok(by_principal)
    }

    /// Makes sure an empty DescribeAcls answer means "no bindings".
    ///
    /// librdkafka 2.12.1 ignores DescribeAcls' top-level error code, so a request Kafka refused
    /// (CLUSTER_AUTHORIZATION_FAILED, SECURITY_DISABLED) arrives as an empty list. Two probes
    /// tell the cases apart: a DeleteAcls whose filter matches nothing (it reports
    /// SECURITY_DISABLED per filter, and success proves ALTER on the cluster, which implies
    /// DESCRIBE), then, only for a principal without ALTER, the cluster operations Metadata
    /// says it may perform. A filter Kafka itself rejects (INVALID_REQUEST) still reads as
    /// "no bindings": librdkafka leaves nothing to tell it apart by.
    async fn confirm_empty_describe(&self) -> Result<(), KafkaError> {
        match self.delete_acls_probe(AdminCall::DescribeAcls).await? {
            Ok(()) => Ok(()),
            Err(error) if error.name == "CLUSTER_AUTHORIZATION_FAILED" => {
                let operations = self
                    .run(AdminCall::DescribeAcls, ffi::cluster_authorized_operations)
                    .await?;
                if operations.contains(&Operation::Describe) {
                    Ok(())
                } else {
                    Err(self.shared.classify(AdminCall::DescribeAcls, error, &[]))
                }
            }
            Err(error) => Err(self.shared.classify(AdminCall::DescribeAcls, error, &[])),
        }
    }

    /// Sends one DeleteAcls whose filter matches nothing (so it deletes nothing) and returns
    /// Kafka's answer for that filter; failures are reported as part of `call`.
    async fn delete_acls_probe(
        &self,
        call: AdminCall,
    ) -> Result<Result<(), BrokerError>, KafkaError> {
        let probe = vec![AclFilter {
            resource_type: Some(ResourceType::Topic),
            resource_name: Some(PROBE_NAME.to_string()),
            pattern: PatternFilter::Exact(PatternType::Literal),
            principal: Some(format!("User:{PROBE_NAME}")),
            host: Some(PROBE_NAME.to_string()),
            operation: Some(Operation::Read),
            permission: Some(Permission::Deny),
        }];
        let results = self
            .run(call, move |client, timeout, abort| {
                ffi::delete_acls(client, &probe, timeout, abort)
            })
            .await?;
        match results.into_iter().next() {
            Some(outcome) => Ok(outcome.map(drop)),
            None => Err(KafkaError::UnexpectedResponse {
                alias: self.shared.alias.clone(),
                operation: call.name(),
                message: "no result for the DeleteAcls probe".to_string(),
            }),
        }
    }

    /// Deletes with all `filters` in one DeleteAcls request. Results are in the order of
    /// `filters`: the bindings each filter deleted, or why Kafka refused it.
    pub async fn delete_acls(
        &self,
        filters: &[AclFilter],
    ) -> Result<Vec<Result<Vec<AclBinding>, BrokerError>>, KafkaError> {
        if filters.is_empty() {
            return Ok(Vec::new());
        }
        let input = filters.to_vec();
        let results = self
            .run(AdminCall::DeleteAcls, move |client, timeout, abort| {
                ffi::delete_acls(client, &input, timeout, abort)
            })
            .await?;
        self.shared
            .per_item(AdminCall::DeleteAcls, filters.len(), results)
    }

    /// Checks that the connecting principal may manage ACLs (ALTER on the cluster, which
    /// implies DESCRIBE) with one DeleteAcls whose filter matches nothing: a cluster without
    /// authorizer answers [`KafkaError::SecurityDisabled`], a principal without ALTER
    /// [`KafkaError::AuthorizationFailed`]. Deletes nothing.
    pub async fn check_acl_admin_rights(&self) -> Result<(), KafkaError> {
        self.delete_acls_probe(AdminCall::DeleteAcls)
            .await?
            .map_err(|error| self.shared.classify(AdminCall::DeleteAcls, error, &[]))
    }
}
