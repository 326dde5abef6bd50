//! ACL binding filters for DescribeAcls and DeleteAcls. Filters are an admin-API concept
//! (Kafka's `AclBindingFilter`), so they live here and not in the pure model: `None` and
//! [`PatternFilter::Any`] match anything; [`PatternFilter::Match`] asks the broker for every
//! binding that would apply to one resource name (spec section 4, "Filters").

use crate::model::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};

/// How a filter treats the resource pattern type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternFilter {
    /// Any pattern type; the name (if given) must equal the binding's name.
    Any,
    /// Bindings that apply to the named resource: LITERAL with the same name, LITERAL `*`,
    /// and PREFIXED bindings whose prefix starts the name.
    Match,
    /// Exactly this pattern type and (if given) exactly this name.
    Exact(PatternType),
}

/// A filter over ACL bindings; every `None` field matches anything.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AclFilter {
    pub resource_type: Option<ResourceType>,
    pub resource_name: Option<String>,
    pub pattern: PatternFilter,
    /// Compared as a plain string: `User:*` only matches bindings written for `User:*`.
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: Option<Operation>,
    pub permission: Option<Permission>,
}

impl AclFilter {
    /// Matches every binding on the cluster.
    pub fn any() -> Self {
        AclFilter {
            resource_type: None,
            resource_name: None,
            pattern: PatternFilter::Any,
            principal: None,
            host: None,
            operation: None,
            permission: None,
        }
    }

    /// Every binding of one principal (`Type:name`).
    pub fn for_principal(principal: &str) -> Self {
        AclFilter {
            principal: Some(principal.to_string()),
            ..AclFilter::any()
        }
    }

    /// Exactly one binding: what DeleteAcls needs to remove that binding and nothing else.
    pub fn exact(binding: &AclBinding) -> Self {
        AclFilter {
            resource_type: Some(binding.resource_type),
            resource_name: Some(binding.resource_name.clone()),
            pattern: PatternFilter::Exact(binding.pattern_type),
            principal: Some(binding.principal.clone()),
            host: Some(binding.host.clone()),
            operation: Some(binding.operation),
            permission: Some(binding.permission),
        }
    }
}

impl From<&AclBinding> for AclFilter {
    fn from(binding: &AclBinding) -> Self {
        AclFilter::exact(binding)
    }
}
