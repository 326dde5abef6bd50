//! Kafka's authorizer as a pure function, for the plan-time effective-access check: given the
//! bindings a cluster holds (plus those a resource will create), is each access a flow needs
//! allowed, and if not, which bindings block it?
//!
//! The rules are those of Apache Kafka's `StandardAuthorizerData` (KRaft,
//! `metadata/src/main/java/org/apache/kafka/metadata/authorizer/StandardAuthorizerData.java`:
//! `findResult`, `IMPLIES_DESCRIBE`, `IMPLIES_DESCRIBE_CONFIGS`, `matchingPrincipals`), which
//! `AclAuthorizer` (ZooKeeper mode, `core/.../security/authorizer/AclAuthorizer.scala`) decides
//! the same way (spec section 4):
//! - a binding applies when its resource type is the resource's, its pattern matches the name
//!   (LITERAL same name, LITERAL `*`, PREFIXED whose prefix starts the name), its principal is
//!   the request's or `User:*`, and its host is the client's or `*`;
//! - any applying DENY denies, whatever ALLOWs apply; DENY `ALL` denies every operation, but a
//!   DENY of one operation denies only that operation (DENY READ leaves DESCRIBE alone);
//! - otherwise an applying ALLOW of the operation, of `ALL`, or of an operation that implies it
//!   allows: READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies
//!   DESCRIBE_CONFIGS (only for ALLOW bindings);
//! - otherwise the access is denied (no ALLOW applies).
//!
//! Super users and `allow.everyone.if.no.acl.found` are broker settings no admin API reveals;
//! they can only allow more, so a verdict "denied by a DENY binding" stands for every user that
//! is not a super user.
//!
//! A flow's access is to a resource *pattern* (one topic, topics with a prefix, all topics),
//! so a DENY can block all of it or some of its names; both are reported. The client host is
//! not known at plan time: a DENY for one host blocks connections from that host (reported),
//! an ALLOW for one host does not cover the access. Bindings are indexed by resource type and
//! name, so each access costs a few hash and range lookups, not a scan of every binding.

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;
use std::ops::Bound;

use super::acl::{AclBinding, Operation, PatternType, Permission, ResourceType, ANY_HOST};
use super::plan::{ClusterAcl, ResourcePattern, ALL_NAMES};

/// The wildcard principal every `User:` binding for `*` applies to
/// (`StandardAuthorizerData.WILDCARD_PRINCIPAL`).
pub const WILDCARD_PRINCIPAL: &str = "User:*";

/// One access a flow needs: `principal` performs `operation` on every resource `resource`
/// names (a LITERAL name, PREFIXED names or LITERAL `*` = all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Access<'a> {
    pub principal: &'a str,
    pub operation: Operation,
    pub resource_type: ResourceType,
    pub pattern_type: PatternType,
    pub resource_name: &'a str,
}

impl<'a> Access<'a> {
    /// The access a planned ALLOW binding stands for.
    pub fn of_binding(binding: &'a AclBinding) -> Self {
        Access {
            principal: &binding.principal,
            operation: binding.operation,
            resource_type: binding.resource_type,
            pattern_type: binding.pattern_type,
            resource_name: &binding.resource_name,
        }
    }

    /// The same access for another operation.
    pub fn with_operation(self, operation: Operation) -> Self {
        Access { operation, ..self }
    }

    fn is_all(&self) -> bool {
        self.pattern_type == PatternType::Literal && self.resource_name == ALL_NAMES
    }

    /// `READ by User:mm2 on topic orders`.
    pub fn describe(&self) -> String {
        let resource = ResourcePattern {
            resource_type: self.resource_type,
            name: self.resource_name.to_string(),
            pattern_type: self.pattern_type,
        };
        format!(
            "{} by {} on {}",
            self.operation,
            self.principal,
            resource.describe()
        )
    }
}

/// How much of an access a blocking binding covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reach {
    /// Every resource the access names (e.g. DENY PREFIXED `bill` on topics prefixed `billing.`).
    Every,
    /// Some of them (e.g. DENY LITERAL `billing.eu` on topics prefixed `billing.`).
    Some,
}

/// A DENY binding that blocks an access.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Blocking<'a> {
    pub binding: &'a AclBinding,
    pub reach: Reach,
}

/// Kafka's decision on one access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<'a> {
    Allowed,
    /// DENY bindings apply (sorted by binding); they win over any ALLOW.
    Denied(Vec<Blocking<'a>>),
    /// No DENY applies, but no ALLOW covers every resource of the access (Kafka's default is
    /// to deny).
    NotAllowed,
}

/// Bindings of one resource type and permission, by pattern.
#[derive(Debug, Default)]
struct PatternIndex<'a> {
    /// LITERAL bindings by name (`*` included).
    literal: BTreeMap<&'a str, Vec<&'a AclBinding>>,
    /// PREFIXED bindings by prefix.
    prefixed: BTreeMap<&'a str, Vec<&'a AclBinding>>,
}

impl<'a> PatternIndex<'a> {
    fn add(&mut self, binding: &'a AclBinding) {
        let by_name = match binding.pattern_type {
            PatternType::Literal => &mut self.literal,
            PatternType::Prefixed => &mut self.prefixed,
        };
        by_name
            .entry(binding.resource_name.as_str())
            .or_default()
            .push(binding);
    }

    /// Every binding whose pattern matches each resource the access names (`Reach::Every`)
    /// or at least one of them (`Reach::Some`), as Kafka matches a pattern to a name.
    fn matching(&self, access: &Access<'_>, mut found: impl FnMut(&'a AclBinding, Reach)) {
        let mut each = |bindings: Option<&Vec<&'a AclBinding>>, reach: Reach| {
            for &binding in bindings.into_iter().flatten() {
                found(binding, reach);
            }
        };
        // LITERAL `*` matches every name.
        each(self.literal.get(ALL_NAMES), Reach::Every);
        if access.is_all() {
            // Every other binding of the type matches some name.
            for (name, bindings) in &self.literal {
                if *name != ALL_NAMES {
                    each(Some(bindings), Reach::Some);
                }
            }
            for bindings in self.prefixed.values() {
                each(Some(bindings), Reach::Some);
            }
            return;
        }
        let name = access.resource_name;
        // A PREFIXED binding whose prefix starts the name (or the access's prefix) matches
        // every resource the access names: look up each prefix of the name.
        for end in (1..=name.len()).filter(|&end| name.is_char_boundary(end)) {
            each(self.prefixed.get(&name[..end]), Reach::Every);
        }
        match access.pattern_type {
            PatternType::Literal => {
                if name != ALL_NAMES {
                    each(self.literal.get(name), Reach::Every);
                }
            }
            PatternType::Prefixed => {
                // Names and longer prefixes under the access's prefix match some of its names.
                let under = |map: &BTreeMap<&'a str, Vec<&'a AclBinding>>, strict: bool| {
                    let start = if strict {
                        Bound::Excluded(name)
                    } else {
                        Bound::Included(name)
                    };
                    map.range::<str, _>((start, Bound::Unbounded))
                        .take_while(|(key, _)| key.starts_with(name))
                        .flat_map(|(_, bindings)| bindings.iter().copied())
                        .collect::<Vec<_>>()
                };
                for binding in under(&self.literal, false) {
                    found(binding, Reach::Some);
                }
                for binding in under(&self.prefixed, true) {
                    found(binding, Reach::Some);
                }
            }
        }
    }
}

/// The bindings of one cluster, indexed for [`Authorizer::decide`].
#[derive(Debug, Default)]
pub struct Authorizer<'a> {
    index: HashMap<(ResourceType, Permission), PatternIndex<'a>>,
}

impl<'a> Authorizer<'a> {
    /// Indexes `bindings` (what the cluster holds plus what will be created; duplicates and
    /// bindings of other principals are harmless).
    pub fn new(bindings: impl IntoIterator<Item = &'a AclBinding>) -> Self {
        let mut index: HashMap<(ResourceType, Permission), PatternIndex<'a>> = HashMap::new();
        for binding in bindings {
            index
                .entry((binding.resource_type, binding.permission))
                .or_default()
                .add(binding);
        }
        Authorizer { index }
    }

    /// Kafka's decision on `access` from a client host not known in advance.
    pub fn decide(&self, access: &Access<'_>) -> Verdict<'a> {
        let applies_to = |binding: &AclBinding| {
            binding.principal == access.principal || binding.principal == WILDCARD_PRINCIPAL
        };
        let mut blocking: Vec<Blocking<'a>> = Vec::new();
        if let Some(denies) = self.index.get(&(access.resource_type, Permission::Deny)) {
            denies.matching(access, |binding, reach| {
                // A DENY denies its own operation or, as ALL, every operation; never implied ones.
                let denies_operation =
                    binding.operation == Operation::All || binding.operation == access.operation;
                // Any host: a DENY for one host blocks the clients connecting from it.
                if applies_to(binding) && denies_operation {
                    blocking.push(Blocking { binding, reach });
                }
            });
        }
        if !blocking.is_empty() {
            blocking.sort_by(|a, b| (a.binding, a.reach).cmp(&(b.binding, b.reach)));
            blocking.dedup_by(|duplicate, kept| duplicate.binding == kept.binding);
            return Verdict::Denied(blocking);
        }
        let mut allowed = false;
        if let Some(allows) = self.index.get(&(access.resource_type, Permission::Allow)) {
            allows.matching(access, |binding, reach| {
                allowed |= reach == Reach::Every
                    && binding.host == ANY_HOST
                    && applies_to(binding)
                    && allow_implies(binding.operation, access.operation);
            });
        }
        if allowed {
            Verdict::Allowed
        } else {
            Verdict::NotAllowed
        }
    }
}

/// Whether an ALLOW of `granted` allows `wanted` (`StandardAuthorizerData.findResult`).
pub fn allow_implies(granted: Operation, wanted: Operation) -> bool {
    use Operation::{All, Alter, AlterConfigs, Delete, Describe, DescribeConfigs, Read, Write};
    granted == All
        || granted == wanted
        || (wanted == Describe && matches!(granted, Read | Write | Delete | Alter))
        || (wanted == DescribeConfigs && granted == AlterConfigs)
}

/// The accesses a planned ALLOW binding stands for: its own operation and, for READ and WRITE,
/// the DESCRIBE they imply, which the clients rely on (Metadata before Fetch and Produce, spec
/// rows 1.1 and 1.4: "READ (implies DESCRIBE)"). A DENY DESCRIBE blocks that part.
pub fn accesses_of(binding: &AclBinding) -> impl Iterator<Item = Access<'_>> {
    let access = Access::of_binding(binding);
    let implied = matches!(binding.operation, Operation::Read | Operation::Write)
        .then(|| access.with_operation(Operation::Describe));
    std::iter::once(access).chain(implied)
}

/// One planned access Kafka would refuse once the plan is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedAccess<'a> {
    pub access: Access<'a>,
    /// The reason of the planned binding the access comes from (it ends with its spec row).
    pub reason: &'a str,
    /// [`Verdict::Denied`] or [`Verdict::NotAllowed`].
    pub verdict: Verdict<'a>,
}

/// The accesses the `planned` bindings of one cluster stand for ([`accesses_of`]) that Kafka
/// would refuse with `held` (what the cluster holds for their principals and `User:*`) and the
/// planned bindings themselves in place, in plan order, each access once. Without a DENY among
/// them nothing is refused: each planned ALLOW binding covers the accesses it stands for (its
/// own, and the DESCRIBE its READ or WRITE implies), so only a DENY can block one.
pub fn blocked_accesses<'a>(
    planned: &'a [ClusterAcl],
    held: impl IntoIterator<Item = &'a AclBinding>,
) -> Vec<BlockedAccess<'a>> {
    let held: Vec<&AclBinding> = held.into_iter().collect();
    let is_deny = |binding: &AclBinding| binding.permission == Permission::Deny;
    if !held.iter().any(|binding| is_deny(binding))
        && !planned.iter().any(|acl| is_deny(&acl.binding))
    {
        return Vec::new();
    }
    decide_every_access(planned, held)
}

/// [`blocked_accesses`] decided access by access.
fn decide_every_access<'a>(
    planned: &'a [ClusterAcl],
    held: Vec<&'a AclBinding>,
) -> Vec<BlockedAccess<'a>> {
    let authorizer = Authorizer::new(
        held.into_iter()
            .chain(planned.iter().map(|acl| &acl.binding)),
    );
    let mut seen = std::collections::HashSet::new();
    let mut blocked = Vec::new();
    for acl in planned {
        for access in accesses_of(&acl.binding) {
            if !seen.insert(access) {
                continue;
            }
            match authorizer.decide(&access) {
                Verdict::Allowed => {}
                verdict => blocked.push(BlockedAccess {
                    access,
                    reason: &acl.reason,
                    verdict,
                }),
            }
        }
    }
    blocked
}

#[cfg(test)]
mod tests;
