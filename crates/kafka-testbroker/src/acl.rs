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
    /// The node (1..=nodes) serving the connection, whose metadata copy reads see.
    pub node: i32,
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

    /// Parses a Kafka enum name (`"TOPIC"`, `"PREFIXED"`, `"DESCRIBE_CONFIGS"`, `"ALLOW"`).
    fn named<T: fmt::Display>(name: &str, from_code: fn(i8) -> T) -> T {
        (0..=14)
            .map(from_code)
            .find(|value| value.to_string() == name)
            .unwrap_or_else(|| panic!("unknown name {name}"))
    }

    /// `"TYPE NAME PATTERN PRINCIPAL HOST OPERATION PERMISSION"`; `""` is an empty name.
    fn b(spec: &str) -> AclRecord {
        let f: Vec<&str> = spec.split_whitespace().collect();
        AclRecord {
            resource_type: named(f[0], ResourceType::from_code),
            name: if f[1] == "\"\"" {
                String::new()
            } else {
                f[1].to_string()
            },
            pattern_type: named(f[2], PatternType::from_code),
            principal: f[3].to_string(),
            host: f[4].to_string(),
            operation: named(f[5], AclOperation::from_code),
            permission: named(f[6], AclPermission::from_code),
        }
    }

    /// Same layout as [`b`]; `-` is a null (match-anything) string.
    fn f(spec: &str) -> AclFilter {
        let f: Vec<&str> = spec.split_whitespace().collect();
        let text = |s: &str| (s != "-").then(|| s.to_string());
        AclFilter {
            resource_type: named(f[0], ResourceType::from_code),
            name: text(f[1]),
            pattern_type: named(f[2], PatternType::from_code),
            principal: text(f[3]),
            host: text(f[4]),
            operation: named(f[5], AclOperation::from_code),
            permission: named(f[6], AclPermission::from_code),
        }
    }

    #[test]
    #[rustfmt::skip] // one table row per line
    fn binding_validation_table() {
        // (spec section 4 rule, binding, Ok or the start of Kafka's INVALID_REQUEST message)
        let rows: &[(&str, &str, Result<(), &str>)] = &[
            ("bindings: type+name+LITERAL+entry", "TOPIC t LITERAL User:alice * READ ALLOW", Ok(())),
            ("bindings: PREFIXED is a binding pattern", "GROUP g- PREFIXED User:alice * READ DENY", Ok(())),
            ("bindings: CLUSTER named kafka-cluster", "CLUSTER kafka-cluster LITERAL User:alice * ALTER ALLOW", Ok(())),
            ("bindings: CLUSTER must be named kafka-cluster", "CLUSTER other LITERAL User:alice * ALTER ALLOW", Err("The only valid name for the CLUSTER resource is kafka-cluster")),
            ("bindings: empty names are invalid", "TOPIC \"\" LITERAL User:alice * READ ALLOW", Err("Invalid empty resource name")),
            ("bindings: empty names are invalid (checked first, as Kafka's broker does)", "ANY \"\" MATCH User:alice * ANY ANY", Err("Invalid empty resource name")),
            ("bindings: ANY is filter-only (type)", "ANY t LITERAL User:alice * READ ALLOW", Err("Invalid resourceType ANY")),
            ("bindings: UNKNOWN is filter-only (type)", "UNKNOWN t LITERAL User:alice * READ ALLOW", Err("Invalid resourceType UNKNOWN")),
            ("bindings: MATCH is filter-only", "TOPIC t MATCH User:alice * READ ALLOW", Err("Invalid patternType MATCH")),
            ("bindings: ANY is filter-only (pattern)", "TOPIC t ANY User:alice * READ ALLOW", Err("Invalid patternType ANY")),
            ("bindings: ANY is filter-only (operation)", "TOPIC t LITERAL User:alice * ANY ALLOW", Err("Invalid operation ANY")),
            ("bindings: UNKNOWN is filter-only (operation)", "TOPIC t LITERAL User:alice * UNKNOWN ALLOW", Err("Invalid operation UNKNOWN")),
            ("bindings: ANY is filter-only (permission)", "TOPIC t LITERAL User:alice * READ ANY", Err("Invalid permissionType ANY")),
            ("bindings: principal is Type:name", "TOPIC t LITERAL alice * READ ALLOW", Err("Could not parse principal from `alice`")),
        ];
        for (rule, spec, expected) in rows {
            let got = validate_binding(&b(spec));
            match expected {
                Ok(()) => assert_eq!(got, Ok(()), "spec 4 {rule}: {spec}"),
                Err(prefix) => {
                    let message = got.expect_err(rule);
                    assert!(message.starts_with(prefix), "spec 4 {rule}: {spec} gave {message:?}");
                }
            }
        }
    }

    #[test]
    #[rustfmt::skip] // one table row per line
    fn filter_matching_table() {
        const LITERAL: &str = "TOPIC orders LITERAL User:alice * READ ALLOW";
        const STAR: &str = "TOPIC * LITERAL User:* * READ ALLOW";
        const PREFIX: &str = "TOPIC ord PREFIXED User:alice 10.0.0.1 WRITE DENY";
        const GROUP: &str = "GROUP orders LITERAL User:alice * READ ALLOW";
        // (spec section 4 rule, filter, binding, matches)
        let rows: &[(&str, &str, &str, bool)] = &[
            ("filters: null/ANY match anything", "ANY - ANY - - ANY ANY", LITERAL, true),
            ("filters: null/ANY match anything", "ANY - ANY - - ANY ANY", PREFIX, true),
            ("filters: ANY type still checks the name", "ANY orders ANY - - ANY ANY", GROUP, true),
            ("filters: a concrete type is exact", "TOPIC - ANY - - ANY ANY", GROUP, false),
            ("filters: pattern ANY = any pattern type, exact name", "TOPIC ord ANY - - ANY ANY", PREFIX, true),
            ("filters: pattern ANY = any pattern type, exact name", "TOPIC orders ANY - - ANY ANY", PREFIX, false),
            ("filters: pattern ANY does not expand LITERAL *", "TOPIC orders ANY - - ANY ANY", STAR, false),
            ("filters: MATCH finds LITERAL same name", "TOPIC orders MATCH - - ANY ANY", LITERAL, true),
            ("filters: MATCH finds LITERAL *", "TOPIC orders MATCH - - ANY ANY", STAR, true),
            ("filters: MATCH finds PREFIXED whose prefix starts the name", "TOPIC orders MATCH - - ANY ANY", PREFIX, true),
            ("filters: MATCH needs the prefix to start the name", "TOPIC or MATCH - - ANY ANY", PREFIX, false),
            ("filters: MATCH with a null name matches all", "TOPIC - MATCH - - ANY ANY", PREFIX, true),
            ("filters: a concrete pattern is exact type and name", "TOPIC orders LITERAL - - ANY ANY", LITERAL, true),
            ("filters: a concrete pattern is exact type and name", "TOPIC orders LITERAL - - ANY ANY", STAR, false),
            ("filters: a concrete pattern is exact type and name", "TOPIC orders PREFIXED - - ANY ANY", PREFIX, false),
            ("filters: a concrete pattern is exact type and name", "TOPIC ord LITERAL - - ANY ANY", PREFIX, false),
            ("filters: principal compares as a plain string", "ANY - ANY User:* - ANY ANY", LITERAL, false),
            ("filters: principal compares as a plain string", "ANY - ANY User:* - ANY ANY", STAR, true),
            ("filters: host compares as a plain string", "ANY - ANY - * ANY ANY", PREFIX, false),
            ("filters: host compares as a plain string", "ANY - ANY - 10.0.0.1 ANY ANY", PREFIX, true),
            ("filters: a concrete operation is exact (no implication)", "ANY - ANY - - DESCRIBE ANY", LITERAL, false),
            ("filters: a concrete permission is exact", "ANY - ANY - - ANY ALLOW", PREFIX, false),
        ];
        for (rule, filter, binding, expected) in rows {
            assert_eq!(filter_matches(&f(filter), &b(binding)), *expected, "spec 4 {rule}: {filter} vs {binding}");
        }
    }

    #[test]
    fn filters_with_unknown_elements_are_invalid() {
        // Filters (spec 4) use ANY to match anything; UNKNOWN is never a usable value.
        assert_eq!(
            validate_filter(&f("UNKNOWN - ANY - - ANY ANY")),
            Err("Unknown patternFilter.".into())
        );
        assert_eq!(
            validate_filter(&f("ANY - ANY - - UNKNOWN ANY")),
            Err("Unknown entryFilter.".into())
        );
        assert_eq!(validate_filter(&f("ANY - ANY - - ANY ANY")), Ok(()));
    }

    #[test]
    #[rustfmt::skip] // one table row per line
    fn authorization_table() {
        let supers = vec!["User:admin".to_string()];
        let config = AuthorizerConfig { super_users: &supers };
        let who = |principal: &'static str, host: &'static str| RequestContext {
            principal,
            host,
            node: 1,
        };
        let (alice, bob, admin) = (who("User:alice", "10.0.0.1"), who("User:bob", "10.0.0.2"), who("User:admin", "10.0.0.9"));
        // (spec section 4 rule, stored bindings, who, operation, resource type, resource name, allowed)
        type Row<'a> = (&'a str, &'a [&'a str], &'a RequestContext<'a>, &'a str, &'a str, &'a str, bool);
        let rows: &[Row] = &[
            ("authorization: no matching ACL means denied", &[], &alice, "READ", "TOPIC", "t", false),
            ("authorization: super users bypass ACLs", &[], &admin, "ALTER", "CLUSTER", "kafka-cluster", true),
            ("bindings: an exact LITERAL ALLOW allows", &["TOPIC t LITERAL User:alice * READ ALLOW"], &alice, "READ", "TOPIC", "t", true),
            ("bindings: another principal is not allowed", &["TOPIC t LITERAL User:alice * READ ALLOW"], &bob, "READ", "TOPIC", "t", false),
            ("bindings: User:* is a wildcard when authorising", &["TOPIC t LITERAL User:* * READ ALLOW"], &bob, "READ", "TOPIC", "t", true),
            ("bindings: host * is a wildcard when authorising", &["TOPIC t LITERAL User:bob * READ ALLOW"], &bob, "READ", "TOPIC", "t", true),
            ("bindings: a concrete host must be the client's address", &["TOPIC t LITERAL User:bob 10.0.0.1 READ ALLOW"], &bob, "READ", "TOPIC", "t", false),
            ("bindings: LITERAL * is a wildcard when authorising", &["TOPIC * LITERAL User:alice * WRITE ALLOW"], &alice, "WRITE", "TOPIC", "any-topic", true),
            ("bindings: PREFIXED matches names starting with the prefix", &["TOPIC A. PREFIXED User:alice * WRITE ALLOW"], &alice, "WRITE", "TOPIC", "A.orders", true),
            ("bindings: PREFIXED does not match other names", &["TOPIC A. PREFIXED User:alice * WRITE ALLOW"], &alice, "WRITE", "TOPIC", "B.orders", false),
            ("bindings: the resource type must match", &["GROUP t LITERAL User:alice * READ ALLOW"], &alice, "READ", "TOPIC", "t", false),
            ("bindings: READ implies DESCRIBE", &["TOPIC t LITERAL User:alice * READ ALLOW"], &alice, "DESCRIBE", "TOPIC", "t", true),
            ("bindings: WRITE implies DESCRIBE", &["TOPIC t LITERAL User:alice * WRITE ALLOW"], &alice, "DESCRIBE", "TOPIC", "t", true),
            ("bindings: DELETE implies DESCRIBE", &["TOPIC t LITERAL User:alice * DELETE ALLOW"], &alice, "DESCRIBE", "TOPIC", "t", true),
            ("bindings: ALTER implies DESCRIBE", &["CLUSTER kafka-cluster LITERAL User:alice * ALTER ALLOW"], &alice, "DESCRIBE", "CLUSTER", "kafka-cluster", true),
            ("bindings: CREATE does not imply DESCRIBE", &["TOPIC t LITERAL User:alice * CREATE ALLOW"], &alice, "DESCRIBE", "TOPIC", "t", false),
            ("bindings: DESCRIBE does not imply READ", &["TOPIC t LITERAL User:alice * DESCRIBE ALLOW"], &alice, "READ", "TOPIC", "t", false),
            ("bindings: ALTER_CONFIGS implies DESCRIBE_CONFIGS", &["TOPIC t LITERAL User:alice * ALTER_CONFIGS ALLOW"], &alice, "DESCRIBE_CONFIGS", "TOPIC", "t", true),
            ("bindings: DESCRIBE_CONFIGS does not imply ALTER_CONFIGS", &["TOPIC t LITERAL User:alice * DESCRIBE_CONFIGS ALLOW"], &alice, "ALTER_CONFIGS", "TOPIC", "t", false),
            ("bindings: ALL implies all", &["TOPIC t LITERAL User:alice * ALL ALLOW"], &alice, "ALTER_CONFIGS", "TOPIC", "t", true),
            ("bindings: ALL implies all", &["TOPIC t LITERAL User:alice * ALL ALLOW"], &alice, "DESCRIBE", "TOPIC", "t", true),
            ("authorization: DENY wins over ALLOW", &["TOPIC t LITERAL User:alice * READ ALLOW", "TOPIC t LITERAL User:alice * READ DENY"], &alice, "READ", "TOPIC", "t", false),
            ("authorization: a DENY for User:* on a prefix wins", &["TOPIC * LITERAL User:alice * ALL ALLOW", "TOPIC t PREFIXED User:* * WRITE DENY"], &alice, "WRITE", "TOPIC", "topic", false),
            ("authorization: DENY ALL denies every operation", &["TOPIC t LITERAL User:alice * READ ALLOW", "TOPIC t LITERAL User:alice * ALL DENY"], &alice, "READ", "TOPIC", "t", false),
            ("authorization: a DENY of another operation does not deny", &["TOPIC t LITERAL User:alice * READ ALLOW", "TOPIC t LITERAL User:alice * WRITE DENY"], &alice, "READ", "TOPIC", "t", true),
            ("authorization: a DENY of READ does not deny the DESCRIBE it implies", &["TOPIC t LITERAL User:alice * READ ALLOW", "TOPIC t LITERAL User:alice * READ DENY"], &alice, "DESCRIBE", "TOPIC", "t", true),
            ("authorization: super users ignore DENY", &["TOPIC t LITERAL User:* * ALL DENY"], &admin, "READ", "TOPIC", "t", true),
        ];
        for (rule, acls, context, operation, resource_type, name, expected) in rows {
            let acls: Vec<AclRecord> = acls.iter().map(|spec| b(spec)).collect();
            let allowed = authorize(
                config,
                &acls,
                context,
                named(operation, AclOperation::from_code),
                named(resource_type, ResourceType::from_code),
                name,
            );
            assert_eq!(allowed, *expected, "spec 4 {rule}: {context:?} {operation} {resource_type} {name} with {acls:?}");
        }
    }

    #[test]
    fn unknown_codes_decode_to_unknown() {
        assert_eq!(ResourceType::from_code(99), ResourceType::Unknown);
        assert_eq!(ResourceType::from_code(4), ResourceType::Cluster);
        assert_eq!(AclOperation::from_code(11).code(), 11);
    }
}
