//! ACL vocabulary with Kafka's wire codes, binding validation, filter matching and the
//! standard-authorizer decision, all as pure functions (spec section 4).
//!
//! Every enum's discriminant is the `i8` code Apache Kafka puts on the wire
//! (`org.apache.kafka.common.resource.ResourceType`, `PatternType`, `acl.AclOperation`,
//! `acl.AclPermissionType`); codes the broker does not know decode to `Unknown`, as in Kafka.

use std::fmt;

/// Declares a Kafka wire enum: `code()`, `from_code()` (unknown codes map to `Unknown`) and
/// the upper-case Kafka name for error messages.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant = $code),+ }
        impl $name {
            /// The Kafka wire code.
            pub fn code(self) -> i8 { self as i8 }
            /// Decodes a wire code; codes Kafka does not define become `Unknown`.
            pub fn from_code(code: i8) -> Self {
                match code { $($code => $name::$variant,)+ _ => $name::Unknown }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $($name::$variant => $text),+ })
            }
        }
    };
}

wire_enum!(
    /// Resource types; Kafka's `CLUSTER` is librdkafka's `BROKER` (code 4).
    ResourceType {
        Unknown = 0 => "UNKNOWN", Any = 1 => "ANY", Topic = 2 => "TOPIC", Group = 3 => "GROUP",
        Cluster = 4 => "CLUSTER", TransactionalId = 5 => "TRANSACTIONAL_ID",
        DelegationToken = 6 => "DELEGATION_TOKEN", User = 7 => "USER",
    }
);

wire_enum!(
    /// Resource pattern types; `Any` and `Match` exist only in filters.
    PatternType {
        Unknown = 0 => "UNKNOWN", Any = 1 => "ANY", Match = 2 => "MATCH",
        Literal = 3 => "LITERAL", Prefixed = 4 => "PREFIXED",
    }
);

wire_enum!(
    /// ACL operations.
    AclOperation {
        Unknown = 0 => "UNKNOWN", Any = 1 => "ANY", All = 2 => "ALL", Read = 3 => "READ",
        Write = 4 => "WRITE", Create = 5 => "CREATE", Delete = 6 => "DELETE", Alter = 7 => "ALTER",
        Describe = 8 => "DESCRIBE", ClusterAction = 9 => "CLUSTER_ACTION",
        DescribeConfigs = 10 => "DESCRIBE_CONFIGS", AlterConfigs = 11 => "ALTER_CONFIGS",
        IdempotentWrite = 12 => "IDEMPOTENT_WRITE", CreateTokens = 13 => "CREATE_TOKENS",
        DescribeTokens = 14 => "DESCRIBE_TOKENS",
    }
);

wire_enum!(
    /// ACL permission types.
    AclPermission { Unknown = 0 => "UNKNOWN", Any = 1 => "ANY", Deny = 2 => "DENY", Allow = 3 => "ALLOW" }
);

/// The one valid name of a CLUSTER resource.
pub const CLUSTER_RESOURCE_NAME: &str = "kafka-cluster";
/// The wildcard resource name and host.
pub const WILDCARD: &str = "*";
/// The wildcard principal.
pub const WILDCARD_PRINCIPAL: &str = "User:*";

/// One stored ACL binding: resource (type, name, pattern) plus entry (principal, host,
/// operation, permission). Stored bindings only ever hold concrete values (validated by
/// [`validate_binding`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AclRecord {
    pub resource_type: ResourceType,
    pub name: String,
    pub pattern_type: PatternType,
    /// `Type:name`, e.g. `User:alice`.
    pub principal: String,
    pub host: String,
    pub operation: AclOperation,
    pub permission: AclPermission,
}

/// A DescribeAcls/DeleteAcls filter; `None` strings and `Any` enums match anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclFilter {
    pub resource_type: ResourceType,
    pub name: Option<String>,
    pub pattern_type: PatternType,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: AclOperation,
    pub permission: AclPermission,
}

/// Checks a binding as Kafka does before storing it, in Kafka's order: the broker's
/// `AclApis.handleCreateAcls` (CLUSTER name, empty name), then the controller's
/// `AclControlManager.validateNewAcl` (filter-only values), then the principal format
/// (spec section 4: `Type:name`). The error is the INVALID_REQUEST message.
pub fn validate_binding(binding: &AclRecord) -> Result<(), String> {
    if binding.resource_type == ResourceType::Cluster && binding.name != CLUSTER_RESOURCE_NAME {
        return Err(format!(
            "The only valid name for the CLUSTER resource is {CLUSTER_RESOURCE_NAME}"
        ));
    }
    if binding.name.is_empty() {
        return Err("Invalid empty resource name".to_string());
    }
    if matches!(
        binding.resource_type,
        ResourceType::Unknown | ResourceType::Any
    ) {
        return Err(format!("Invalid resourceType {}", binding.resource_type));
    }
    if !matches!(
        binding.pattern_type,
        PatternType::Literal | PatternType::Prefixed
    ) {
        return Err(format!("Invalid patternType {}", binding.pattern_type));
    }
    if matches!(binding.operation, AclOperation::Unknown | AclOperation::Any) {
        return Err(format!("Invalid operation {}", binding.operation));
    }
    if !matches!(
        binding.permission,
        AclPermission::Allow | AclPermission::Deny
    ) {
        return Err(format!("Invalid permissionType {}", binding.permission));
    }
    if !binding.principal.contains(':') {
        return Err(format!(
            "Could not parse principal from `{}` (no colon is present separating the principal type from the principal name)",
            binding.principal
        ));
    }
    Ok(())
}

/// Kafka rejects filters with UNKNOWN elements (`AclControlManager.validateFilter`).
pub fn validate_filter(filter: &AclFilter) -> Result<(), String> {
    if filter.resource_type == ResourceType::Unknown || filter.pattern_type == PatternType::Unknown
    {
        return Err("Unknown patternFilter.".to_string());
    }
    if filter.operation == AclOperation::Unknown || filter.permission == AclPermission::Unknown {
        return Err("Unknown entryFilter.".to_string());
    }
    Ok(())
}

/// `AclBindingFilter.matches`: resource pattern filter then entry filter.
pub fn filter_matches(filter: &AclFilter, binding: &AclRecord) -> bool {
    resource_filter_matches(filter, binding) && entry_filter_matches(filter, binding)
}

fn resource_filter_matches(filter: &AclFilter, binding: &AclRecord) -> bool {
    if filter.resource_type != ResourceType::Any && filter.resource_type != binding.resource_type {
        return false;
    }
    if !matches!(filter.pattern_type, PatternType::Any | PatternType::Match)
        && filter.pattern_type != binding.pattern_type
    {
        return false;
    }
    let Some(name) = &filter.name else {
        return true;
    };
    if filter.pattern_type == PatternType::Any || filter.pattern_type == binding.pattern_type {
        return *name == binding.name;
    }
    // Pattern MATCH against a concrete binding.
    match binding.pattern_type {
        PatternType::Literal => *name == binding.name || binding.name == WILDCARD,
        PatternType::Prefixed => name.starts_with(&binding.name),
        _ => false,
    }
}

fn entry_filter_matches(filter: &AclFilter, binding: &AclRecord) -> bool {
    filter
        .principal
        .as_ref()
        .is_none_or(|p| *p == binding.principal)
        && filter.host.as_ref().is_none_or(|h| *h == binding.host)
        && (filter.operation == AclOperation::Any || filter.operation == binding.operation)
        && (filter.permission == AclPermission::Any || filter.permission == binding.permission)
}

/// Who is asking, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext<'a> {
    /// `Type:name`, e.g. `User:alice` or `User:ANONYMOUS`.
    pub principal: &'a str,
    /// The client's IP address as a string.
    pub host: &'a str,
}

/// The authorizer's configuration.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizerConfig<'a> {
    pub super_users: &'a [String],
}

/// `StandardAuthorizer.authorize` for one action: super users are allowed; otherwise a
/// matching DENY wins, then a matching ALLOW (including implied operations) allows, else
/// denied (`allow.everyone.if.no.acl.found=false`).
pub fn authorize(
    config: AuthorizerConfig<'_>,
    acls: &[AclRecord],
    context: &RequestContext<'_>,
    operation: AclOperation,
    resource_type: ResourceType,
    resource_name: &str,
) -> bool {
    if config.super_users.iter().any(|s| s == context.principal) {
        return true;
    }
    let applicable = acls.iter().filter(|acl| {
        acl.resource_type == resource_type
            && resource_name_matches(acl, resource_name)
            && (acl.principal == context.principal || acl.principal == WILDCARD_PRINCIPAL)
            && (acl.host == WILDCARD || acl.host == context.host)
    });
    let mut allowed = false;
    for acl in applicable {
        match acl.permission {
            AclPermission::Deny
                if acl.operation == AclOperation::All || acl.operation == operation =>
            {
                return false;
            }
            AclPermission::Allow if allow_covers(acl.operation, operation) => allowed = true,
            _ => {}
        }
    }
    allowed
}

fn resource_name_matches(acl: &AclRecord, resource_name: &str) -> bool {
    match acl.pattern_type {
        PatternType::Literal => acl.name == resource_name || acl.name == WILDCARD,
        PatternType::Prefixed => resource_name.starts_with(&acl.name),
        _ => false,
    }
}

/// Whether an ALLOW for `granted` permits `requested` (implied operations).
fn allow_covers(granted: AclOperation, requested: AclOperation) -> bool {
    use AclOperation::*;
    granted == All
        || granted == requested
        || (requested == Describe && matches!(granted, Read | Write | Delete | Alter))
        || (requested == DescribeConfigs && granted == AlterConfigs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AclOperation as Op;
    use AclPermission as Perm;
    use PatternType as Pat;
    use ResourceType as Res;

    fn binding(
        rt: Res,
        name: &str,
        pat: Pat,
        principal: &str,
        host: &str,
        op: Op,
        perm: Perm,
    ) -> AclRecord {
        AclRecord {
            resource_type: rt,
            name: name.into(),
            pattern_type: pat,
            principal: principal.into(),
            host: host.into(),
            operation: op,
            permission: perm,
        }
    }

    fn filter(
        rt: Res,
        name: Option<&str>,
        pat: Pat,
        principal: Option<&str>,
        host: Option<&str>,
        op: Op,
        perm: Perm,
    ) -> AclFilter {
        AclFilter {
            resource_type: rt,
            name: name.map(Into::into),
            pattern_type: pat,
            principal: principal.map(Into::into),
            host: host.map(Into::into),
            operation: op,
            permission: perm,
        }
    }

    #[test]
    fn binding_validation_table() {
        // (spec rule, binding, expected Ok or error message prefix)
        let alice = "User:alice";
        let rows: Vec<(&str, AclRecord, Result<(), &str>)> = vec![
            (
                "4 bindings: a binding is type+name+LITERAL/PREFIXED+entry",
                binding(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    alice,
                    "*",
                    Op::Read,
                    Perm::Allow,
                ),
                Ok(()),
            ),
            (
                "4 bindings: PREFIXED is a binding pattern",
                binding(
                    Res::Group,
                    "g-",
                    Pat::Prefixed,
                    alice,
                    "*",
                    Op::Read,
                    Perm::Deny,
                ),
                Ok(()),
            ),
            (
                "4 bindings: CLUSTER must be named kafka-cluster",
                binding(
                    Res::Cluster,
                    "kafka-cluster",
                    Pat::Literal,
                    alice,
                    "*",
                    Op::Alter,
                    Perm::Allow,
                ),
                Ok(()),
            ),
            (
                "4 bindings: CLUSTER must be named kafka-cluster",
                binding(
                    Res::Cluster,
                    "other",
                    Pat::Literal,
                    alice,
                    "*",
                    Op::Alter,
                    Perm::Allow,
                ),
                Err("The only valid name for the CLUSTER resource is kafka-cluster"),
            ),
            (
                "4 bindings: empty names are invalid",
                binding(
                    Res::Topic,
                    "",
                    Pat::Literal,
                    alice,
                    "*",
                    Op::Read,
                    Perm::Allow,
                ),
                Err("Invalid empty resource name"),
            ),
            (
                "4 bindings: empty names are invalid (checked before filter-only values, as Kafka's broker does)",
                binding(
                    Res::Any,
                    "",
                    Pat::Match,
                    alice,
                    "*",
                    Op::Any,
                    Perm::Any,
                ),
                Err("Invalid empty resource name"),
            ),
            (
                "4 bindings: ANY is filter-only (resource type)",
                binding(
                    Res::Any,
                    "t",
                    Pat::Literal,
                    alice,
                    "*",
                    Op::Read,
                    Perm::Allow,
                ),
                Err("Invalid resourceType ANY"),
            ),
            (
                "4 bindings: UNKNOWN is filter-only (resource type)",
                binding(
                    Res::Unknown,
                    "t",
                    Pat::Literal,
                    alice,
                    "*",
                    Op::Read,
                    Perm::Allow,
                ),
                Err("Invalid resourceType UNKNOWN"),
            ),
            (
                "4 bindings: MATCH is filter-only",
                binding(
                    Res::Topic,
                    "t",
                    Pat::Match,
                    alice,
                    "*",
                    Op::Read,
                    Perm::Allow,
                ),
                Err("Invalid patternType MATCH"),
            ),
            (
                "4 bindings: ANY is filter-only (pattern)",
                binding(Res::Topic, "t", Pat::Any, alice, "*", Op::Read, Perm::Allow),
                Err("Invalid patternType ANY"),
            ),
            (
                "4 bindings: ANY is filter-only (operation)",
                binding(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    alice,
                    "*",
                    Op::Any,
                    Perm::Allow,
                ),
                Err("Invalid operation ANY"),
            ),
            (
                "4 bindings: ANY is filter-only (permission)",
                binding(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    alice,
                    "*",
                    Op::Read,
                    Perm::Any,
                ),
                Err("Invalid permissionType ANY"),
            ),
            (
                "4 bindings: principal is Type:name",
                binding(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "alice",
                    "*",
                    Op::Read,
                    Perm::Allow,
                ),
                Err("Could not parse principal from `alice`"),
            ),
        ];
        for (rule, b, expected) in rows {
            let got = validate_binding(&b);
            match expected {
                Ok(()) => assert_eq!(got, Ok(()), "spec {rule}: {b:?}"),
                Err(prefix) => {
                    let message = got.expect_err(rule);
                    assert!(message.starts_with(prefix), "spec {rule}: got {message:?}");
                }
            }
        }
    }

    #[test]
    fn filter_matching_table() {
        let lit_t = binding(
            Res::Topic,
            "orders",
            Pat::Literal,
            "User:alice",
            "*",
            Op::Read,
            Perm::Allow,
        );
        let lit_star = binding(
            Res::Topic,
            "*",
            Pat::Literal,
            "User:*",
            "*",
            Op::Read,
            Perm::Allow,
        );
        let pre_ord = binding(
            Res::Topic,
            "ord",
            Pat::Prefixed,
            "User:alice",
            "10.0.0.1",
            Op::Write,
            Perm::Deny,
        );
        let group = binding(
            Res::Group,
            "orders",
            Pat::Literal,
            "User:alice",
            "*",
            Op::Read,
            Perm::Allow,
        );
        // (spec rule, filter, binding, expected)
        let rows: Vec<(&str, AclFilter, &AclRecord, bool)> = vec![
            (
                "4 filters: null/ANY match anything",
                filter(Res::Any, None, Pat::Any, None, None, Op::Any, Perm::Any),
                &lit_t,
                true,
            ),
            (
                "4 filters: null/ANY match anything",
                filter(Res::Any, None, Pat::Any, None, None, Op::Any, Perm::Any),
                &pre_ord,
                true,
            ),
            (
                "4 filters: ANY type still checks name",
                filter(
                    Res::Any,
                    Some("orders"),
                    Pat::Any,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &group,
                true,
            ),
            (
                "4 filters: concrete type is exact",
                filter(Res::Topic, None, Pat::Any, None, None, Op::Any, Perm::Any),
                &group,
                false,
            ),
            (
                "4 filters: pattern ANY = any pattern type, exact name",
                filter(
                    Res::Topic,
                    Some("ord"),
                    Pat::Any,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &pre_ord,
                true,
            ),
            (
                "4 filters: pattern ANY = any pattern type, exact name",
                filter(
                    Res::Topic,
                    Some("orders"),
                    Pat::Any,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &pre_ord,
                false,
            ),
            (
                "4 filters: pattern ANY does not expand LITERAL *",
                filter(
                    Res::Topic,
                    Some("orders"),
                    Pat::Any,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &lit_star,
                false,
            ),
            (
                "4 filters: MATCH finds LITERAL same name",
                filter(
                    Res::Topic,
                    Some("orders"),
                    Pat::Match,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &lit_t,
                true,
            ),
            (
                "4 filters: MATCH finds LITERAL *",
                filter(
                    Res::Topic,
                    Some("orders"),
                    Pat::Match,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &lit_star,
                true,
            ),
            (
                "4 filters: MATCH finds PREFIXED whose prefix starts the name",
                filter(
                    Res::Topic,
                    Some("orders"),
                    Pat::Match,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &pre_ord,
                true,
            ),
            (
                "4 filters: MATCH prefix must start the name",
                filter(
                    Res::Topic,
                    Some("or"),
                    Pat::Match,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &pre_ord,
                false,
            ),
            (
                "4 filters: MATCH with null name matches all",
                filter(Res::Topic, None, Pat::Match, None, None, Op::Any, Perm::Any),
                &pre_ord,
                true,
            ),
            (
                "4 filters: concrete pattern is exact type and name",
                filter(
                    Res::Topic,
                    Some("orders"),
                    Pat::Literal,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &lit_t,
                true,
            ),
            (
                "4 filters: concrete pattern is exact type and name",
                filter(
                    Res::Topic,
                    Some("orders"),
                    Pat::Literal,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &lit_star,
                false,
            ),
            (
                "4 filters: concrete pattern is exact type and name",
                filter(
                    Res::Topic,
                    Some("orders"),
                    Pat::Prefixed,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &pre_ord,
                false,
            ),
            (
                "4 filters: concrete pattern is exact type and name",
                filter(
                    Res::Topic,
                    Some("ord"),
                    Pat::Literal,
                    None,
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &pre_ord,
                false,
            ),
            (
                "4 filters: principal compares as a plain string",
                filter(
                    Res::Any,
                    None,
                    Pat::Any,
                    Some("User:*"),
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &lit_t,
                false,
            ),
            (
                "4 filters: principal compares as a plain string",
                filter(
                    Res::Any,
                    None,
                    Pat::Any,
                    Some("User:*"),
                    None,
                    Op::Any,
                    Perm::Any,
                ),
                &lit_star,
                true,
            ),
            (
                "4 filters: host compares as a plain string",
                filter(
                    Res::Any,
                    None,
                    Pat::Any,
                    None,
                    Some("*"),
                    Op::Any,
                    Perm::Any,
                ),
                &pre_ord,
                false,
            ),
            (
                "4 filters: host compares as a plain string",
                filter(
                    Res::Any,
                    None,
                    Pat::Any,
                    None,
                    Some("10.0.0.1"),
                    Op::Any,
                    Perm::Any,
                ),
                &pre_ord,
                true,
            ),
            (
                "4 filters: concrete operation is exact (no implication)",
                filter(
                    Res::Any,
                    None,
                    Pat::Any,
                    None,
                    None,
                    Op::Describe,
                    Perm::Any,
                ),
                &lit_t,
                false,
            ),
            (
                "4 filters: concrete permission is exact",
                filter(Res::Any, None, Pat::Any, None, None, Op::Any, Perm::Allow),
                &pre_ord,
                false,
            ),
        ];
        for (rule, f, b, expected) in rows {
            assert_eq!(
                filter_matches(&f, b),
                expected,
                "spec {rule}: {f:?} vs {b:?}"
            );
        }
    }

    #[test]
    fn filter_validation_rejects_unknown() {
        // spec 4 bindings: UNKNOWN is not a usable value anywhere.
        let f = filter(Res::Unknown, None, Pat::Any, None, None, Op::Any, Perm::Any);
        assert!(validate_filter(&f).is_err());
        let f = filter(Res::Any, None, Pat::Any, None, None, Op::Any, Perm::Any);
        assert!(validate_filter(&f).is_ok());
    }

    #[test]
    fn authorization_table() {
        let supers = vec!["User:admin".to_string()];
        let config = AuthorizerConfig {
            super_users: &supers,
        };
        let alice = RequestContext {
            principal: "User:alice",
            host: "10.0.0.1",
        };
        let bob = RequestContext {
            principal: "User:bob",
            host: "10.0.0.2",
        };
        let admin = RequestContext {
            principal: "User:admin",
            host: "10.0.0.9",
        };
        let b = |rt, name: &str, pat, principal: &str, host: &str, op, perm| {
            binding(rt, name, pat, principal, host, op, perm)
        };
        // (spec rule, acls, who, operation, resource type, resource name, expected)
        type Row<'a> = (
            &'a str,
            Vec<AclRecord>,
            &'a RequestContext<'a>,
            Op,
            Res,
            &'a str,
            bool,
        );
        let rows: Vec<Row> = vec![
            (
                "4 authorization: no ACL means denied",
                vec![],
                &alice,
                Op::Read,
                Res::Topic,
                "t",
                false,
            ),
            (
                "4 authorization: super users bypass ACLs",
                vec![],
                &admin,
                Op::Alter,
                Res::Cluster,
                "kafka-cluster",
                true,
            ),
            (
                "4 bindings: exact LITERAL allow",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::Read,
                    Perm::Allow,
                )],
                &alice,
                Op::Read,
                Res::Topic,
                "t",
                true,
            ),
            (
                "4 bindings: other principal not allowed",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::Read,
                    Perm::Allow,
                )],
                &bob,
                Op::Read,
                Res::Topic,
                "t",
                false,
            ),
            (
                "4 bindings: User:* is a wildcard when authorising",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:*",
                    "*",
                    Op::Read,
                    Perm::Allow,
                )],
                &bob,
                Op::Read,
                Res::Topic,
                "t",
                true,
            ),
            (
                "4 bindings: host * is a wildcard when authorising",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:bob",
                    "*",
                    Op::Read,
                    Perm::Allow,
                )],
                &bob,
                Op::Read,
                Res::Topic,
                "t",
                true,
            ),
            (
                "4 bindings: concrete host must equal the client address",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:bob",
                    "10.0.0.1",
                    Op::Read,
                    Perm::Allow,
                )],
                &bob,
                Op::Read,
                Res::Topic,
                "t",
                false,
            ),
            (
                "4 bindings: LITERAL * is a wildcard when authorising",
                vec![b(
                    Res::Topic,
                    "*",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::Write,
                    Perm::Allow,
                )],
                &alice,
                Op::Write,
                Res::Topic,
                "any-topic",
                true,
            ),
            (
                "4 bindings: PREFIXED matches names starting with the prefix",
                vec![b(
                    Res::Topic,
                    "A.",
                    Pat::Prefixed,
                    "User:alice",
                    "*",
                    Op::Write,
                    Perm::Allow,
                )],
                &alice,
                Op::Write,
                Res::Topic,
                "A.orders",
                true,
            ),
            (
                "4 bindings: PREFIXED does not match other names",
                vec![b(
                    Res::Topic,
                    "A.",
                    Pat::Prefixed,
                    "User:alice",
                    "*",
                    Op::Write,
                    Perm::Allow,
                )],
                &alice,
                Op::Write,
                Res::Topic,
                "B.orders",
                false,
            ),
            (
                "4 bindings: resource type must match",
                vec![b(
                    Res::Group,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::Read,
                    Perm::Allow,
                )],
                &alice,
                Op::Read,
                Res::Topic,
                "t",
                false,
            ),
            (
                "4 bindings: READ implies DESCRIBE",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::Read,
                    Perm::Allow,
                )],
                &alice,
                Op::Describe,
                Res::Topic,
                "t",
                true,
            ),
            (
                "4 bindings: WRITE implies DESCRIBE",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::Write,
                    Perm::Allow,
                )],
                &alice,
                Op::Describe,
                Res::Topic,
                "t",
                true,
            ),
            (
                "4 bindings: DELETE implies DESCRIBE",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::Delete,
                    Perm::Allow,
                )],
                &alice,
                Op::Describe,
                Res::Topic,
                "t",
                true,
            ),
            (
                "4 bindings: ALTER implies DESCRIBE",
                vec![b(
                    Res::Cluster,
                    "kafka-cluster",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::Alter,
                    Perm::Allow,
                )],
                &alice,
                Op::Describe,
                Res::Cluster,
                "kafka-cluster",
                true,
            ),
            (
                "4 bindings: CREATE does not imply DESCRIBE",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::Create,
                    Perm::Allow,
                )],
                &alice,
                Op::Describe,
                Res::Topic,
                "t",
                false,
            ),
            (
                "4 bindings: DESCRIBE does not imply READ",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::Describe,
                    Perm::Allow,
                )],
                &alice,
                Op::Read,
                Res::Topic,
                "t",
                false,
            ),
            (
                "4 bindings: ALTER_CONFIGS implies DESCRIBE_CONFIGS",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::AlterConfigs,
                    Perm::Allow,
                )],
                &alice,
                Op::DescribeConfigs,
                Res::Topic,
                "t",
                true,
            ),
            (
                "4 bindings: DESCRIBE_CONFIGS does not imply ALTER_CONFIGS",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::DescribeConfigs,
                    Perm::Allow,
                )],
                &alice,
                Op::AlterConfigs,
                Res::Topic,
                "t",
                false,
            ),
            (
                "4 bindings: ALL implies all",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::All,
                    Perm::Allow,
                )],
                &alice,
                Op::AlterConfigs,
                Res::Topic,
                "t",
                true,
            ),
            (
                "4 bindings: ALL implies all",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:alice",
                    "*",
                    Op::All,
                    Perm::Allow,
                )],
                &alice,
                Op::Describe,
                Res::Topic,
                "t",
                true,
            ),
            (
                "4 authorization: DENY wins over ALLOW",
                vec![
                    b(
                        Res::Topic,
                        "t",
                        Pat::Literal,
                        "User:alice",
                        "*",
                        Op::Read,
                        Perm::Allow,
                    ),
                    b(
                        Res::Topic,
                        "t",
                        Pat::Literal,
                        "User:alice",
                        "*",
                        Op::Read,
                        Perm::Deny,
                    ),
                ],
                &alice,
                Op::Read,
                Res::Topic,
                "t",
                false,
            ),
            (
                "4 authorization: DENY on wildcard principal and prefix wins",
                vec![
                    b(
                        Res::Topic,
                        "*",
                        Pat::Literal,
                        "User:alice",
                        "*",
                        Op::All,
                        Perm::Allow,
                    ),
                    b(
                        Res::Topic,
                        "t",
                        Pat::Prefixed,
                        "User:*",
                        "*",
                        Op::Write,
                        Perm::Deny,
                    ),
                ],
                &alice,
                Op::Write,
                Res::Topic,
                "topic",
                false,
            ),
            (
                "4 authorization: DENY ALL denies every operation",
                vec![
                    b(
                        Res::Topic,
                        "t",
                        Pat::Literal,
                        "User:alice",
                        "*",
                        Op::Read,
                        Perm::Allow,
                    ),
                    b(
                        Res::Topic,
                        "t",
                        Pat::Literal,
                        "User:alice",
                        "*",
                        Op::All,
                        Perm::Deny,
                    ),
                ],
                &alice,
                Op::Read,
                Res::Topic,
                "t",
                false,
            ),
            (
                "4 authorization: DENY of another operation does not deny",
                vec![
                    b(
                        Res::Topic,
                        "t",
                        Pat::Literal,
                        "User:alice",
                        "*",
                        Op::Read,
                        Perm::Allow,
                    ),
                    b(
                        Res::Topic,
                        "t",
                        Pat::Literal,
                        "User:alice",
                        "*",
                        Op::Write,
                        Perm::Deny,
                    ),
                ],
                &alice,
                Op::Read,
                Res::Topic,
                "t",
                true,
            ),
            (
                "4 authorization: super users ignore DENY",
                vec![b(
                    Res::Topic,
                    "t",
                    Pat::Literal,
                    "User:*",
                    "*",
                    Op::All,
                    Perm::Deny,
                )],
                &admin,
                Op::Read,
                Res::Topic,
                "t",
                true,
            ),
        ];
        for (rule, acls, who, op, rt, name, expected) in rows {
            assert_eq!(
                authorize(config, &acls, who, op, rt, name),
                expected,
                "spec {rule}: {who:?} {op} {rt} {name} with {acls:?}"
            );
        }
    }

    #[test]
    fn unknown_codes_decode_to_unknown() {
        assert_eq!(ResourceType::from_code(99), ResourceType::Unknown);
        assert_eq!(ResourceType::from_code(4), ResourceType::Cluster);
        assert_eq!(AclOperation::from_code(11).code(), 11);
    }
}
