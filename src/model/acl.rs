//! Kafka's ACL vocabulary as plain values: resource types, pattern types, operations,
//! permissions and the binding that combines them. Names are Kafka's upper-case names
//! (what `kafka-acls.sh` and the Terraform schema show); `FromStr` accepts exactly those.
//!
//! Shared by the planner (`model`), the admin client (`kafka`) and the resources.

use std::fmt;
use std::str::FromStr;

/// Declares a closed enum with its Kafka upper-case names, `as_str`, `ALL`, `Display` and `FromStr`.
macro_rules! kafka_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Kafka's upper-case name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownName {
                        kind: stringify!($name),
                        value: s.to_string(),
                        allowed: &[$($text),+],
                    }),
                }
            }
        }
    };
}

kafka_enum!(
    /// The kind of Kafka resource a binding protects. Kafka's `CLUSTER` (librdkafka: `BROKER`).
    ResourceType {
        Topic => "TOPIC",
        Group => "GROUP",
        Cluster => "CLUSTER",
        TransactionalId => "TRANSACTIONAL_ID",
    }
);

kafka_enum!(
    /// How a binding's resource name matches: exactly, or as a prefix.
    PatternType {
        Literal => "LITERAL",
        Prefixed => "PREFIXED",
    }
);

kafka_enum!(
    /// An ACL operation.
    Operation {
        Read => "READ",
        Write => "WRITE",
        Create => "CREATE",
        Delete => "DELETE",
        Alter => "ALTER",
        Describe => "DESCRIBE",
        DescribeConfigs => "DESCRIBE_CONFIGS",
        AlterConfigs => "ALTER_CONFIGS",
        IdempotentWrite => "IDEMPOTENT_WRITE",
        All => "ALL",
    }
);

kafka_enum!(
    /// Whether a binding allows or denies.
    Permission {
        Allow => "ALLOW",
        Deny => "DENY",
    }
);

/// A string that is not one of an enum's Kafka names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
    pub allowed: &'static [&'static str],
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a valid {}; expected one of {}",
            self.value,
            self.kind,
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// The name Kafka requires for the CLUSTER resource.
pub const CLUSTER_RESOURCE_NAME: &str = "kafka-cluster";

/// The host value that matches every host.
pub const ANY_HOST: &str = "*";

/// One Kafka ACL binding: a resource pattern plus an access-control entry.
/// Equality and hashing cover every field, so sets of bindings diff exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AclBinding {
    pub resource_type: ResourceType,
    pub resource_name: String,
    pub pattern_type: PatternType,
    /// `Type:name`, e.g. `User:mm2`.
    pub principal: String,
    /// `*` for any host.
    pub host: String,
    pub operation: Operation,
    pub permission: Permission,
}

impl AclBinding {
    /// An ALLOW binding from any host, the only kind the rule tables produce.
    pub fn allow(
        principal: &str,
        resource_type: ResourceType,
        resource_name: &str,
        pattern_type: PatternType,
        operation: Operation,
    ) -> Self {
        AclBinding {
            resource_type,
            resource_name: resource_name.to_string(),
            pattern_type,
            principal: principal.to_string(),
            host: ANY_HOST.to_string(),
            operation,
            permission: Permission::Allow,
        }
    }
}

impl fmt::Display for AclBinding {
    /// `ALLOW User:mm2 from * READ on TOPIC LITERAL orders`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} from {} {} on {} {} {}",
            self.permission,
            self.principal,
            self.host,
            self.operation,
            self.resource_type,
            self.pattern_type,
            self.resource_name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str() {
        for op in Operation::ALL {
            assert_eq!(op.as_str().parse::<Operation>().unwrap(), *op);
        }
        for rt in ResourceType::ALL {
            assert_eq!(rt.as_str().parse::<ResourceType>().unwrap(), *rt);
        }
    }

    #[test]
    fn unknown_name_lists_allowed_values() {
        let err = "read".parse::<Operation>().unwrap_err();
        assert!(err.to_string().contains("READ, WRITE"), "{err}");
    }

    #[test]
    fn display_reads_like_kafka_acls() {
        let b = AclBinding::allow(
            "User:mm2",
            ResourceType::Topic,
            "orders",
            PatternType::Literal,
            Operation::Read,
        );
        assert_eq!(
            b.to_string(),
            "ALLOW User:mm2 from * READ on TOPIC LITERAL orders"
        );
    }
}
