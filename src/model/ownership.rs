//! Shared ownership of bindings and internal topics, Kubernetes `ownerReferences` style:
//! each cluster keeps a compacted claims topic with one record per (object, claimant), and
//! an object is deleted only when no claim on it remains, whichever state the claimants live
//! in. This module holds the record codec and every ownership decision of one apply on one
//! cluster; the Kafka side only moves the bytes.
//!
//! Protocol (each step waits for the previous one; claims are produced with `acks=all` and
//! read from the beginning to the high watermark, so a read sees every acknowledged write):
//! 1. read the cluster's bindings, then the claims (a claimant claims before it creates, so
//!    every binding seen in step 1 that a claimant created has its claim visible);
//! 2. write this claimant's new claims ([`plan_ownership`]) and the pre-existing markers:
//!    bindings held with no claim at all, confirmed by reading the bindings again
//!    ([`confirm_markers`], only when there are such candidates);
//! 3. create what is missing *and* every binding newly claimed in step 2, even if it exists
//!    (CreateAcls is idempotent);
//! 4. delete what this claimant no longer needs and holds alone;
//! 5. if anything was deleted, read the claims again and re-create every deleted object that
//!    gained a claim meanwhile ([`recreate_after_reverify`]);
//! 6. write the releases (tombstones) of what this claimant no longer needs
//!    ([`releases_after`]; a failed delete keeps its claim).
//!
//! Why two concurrent applies converge: take an object `x` that claimant P deletes (step 4
//! at time `d`, re-read at `r > d`) while claimant Q needs it. Q's claim was written at `c`
//! and Q created `x` at `k > c` (step 3: newly claimed objects are always created, and an
//! older claim was followed by a create in the apply that wrote it). If `k > d`, `x` exists
//! after both. If `k < d`, then `c < k < d < r`, so P's re-read sees Q's claim and P
//! re-creates `x`. A third claimant cannot delete `x` meanwhile: it reads Q's claim too.
//! A killed apply leaves claims without bindings (created next run) or bindings with their
//! claims (owned next run), never a binding without the claim of the resource that made it.
//! The tests run every interleaving of two applies' steps against one simulated cluster.
//!
//! What this does not decide: two last claimants releasing `x` at the same moment may each
//! see the other's claim and both keep `x`, which then stays with no claim (never a needed
//! object deleted; the next resource to need it claims it as pre-existing).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::acl::AclBinding;

/// The claimant id of the marker on objects found on the cluster before any resource
/// claimed them (made by hand or by another tool): never released, so never deleted.
pub const PREEXISTING: &str = "pre-existing";

/// The readable name the pre-existing marker carries.
pub const PREEXISTING_NAME: &str =
    "pre-existing (found on the cluster before any resource claimed it; never deleted)";

/// First field of every record key: the codec version.
const KEY_VERSION: &str = "v1";

/// What a claim names, in the form objects compare in (principals normalised).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Claimed {
    Binding(AclBinding),
    Topic(String),
}

impl std::fmt::Display for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Claimed::Binding(binding) => write!(f, "{binding}"),
            Claimed::Topic(name) => write!(f, "topic {name:?}"),
        }
    }
}

/// Who claims: a stable id (the record key's last field) and a readable name (the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimant {
    pub id: String,
    pub name: String,
}

/// One record of the claims topic: `value` `None` is a tombstone (a release).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

fn push_field(key: &mut String, field: &str) {
    key.push('|');
    for character in field.chars() {
        if matches!(character, '\\' | '|') {
            key.push('\\');
        }
        key.push(character);
    }
}

/// Splits a key on unescaped `|`; `None` on a dangling or unknown escape.
fn split_fields(key: &str) -> Option<Vec<String>> {
    let mut fields = vec![String::new()];
    let mut characters = key.chars();
    while let Some(character) = characters.next() {
        match character {
            '|' => fields.push(String::new()),
            '\\' => match characters.next() {
                Some(escaped @ ('\\' | '|')) => fields.last_mut()?.push(escaped),
                _ => return None,
            },
            other => fields.last_mut()?.push(other),
        }
    }
    Some(fields)
}

/// The record key of `object` claimed by `claimant_id`:
/// `v1|acl|<resource_type>|<pattern_type>|<resource_name>|<principal>|<host>|<operation>|<permission>|<claimant>`
/// or `v1|topic|<name>|<claimant>`, `|` and `\` inside a field escaped with `\`.
pub fn record_key(object: &Claimed, claimant_id: &str) -> String {
    let mut key = String::from(KEY_VERSION);
    match object {
        Claimed::Binding(binding) => {
            for field in [
                "acl",
                binding.resource_type.as_str(),
                binding.pattern_type.as_str(),
                &binding.resource_name,
                &binding.principal,
                &binding.host,
                binding.operation.as_str(),
                binding.permission.as_str(),
            ] {
                push_field(&mut key, field);
            }
        }
        Claimed::Topic(name) => {
            push_field(&mut key, "topic");
            push_field(&mut key, name);
        }
    }
    push_field(&mut key, claimant_id);
    key
}

/// The object and claimant id a key names; `None` for keys this codec does not write
/// (another version, or a record written by hand), which the fold skips.
pub fn parse_key(key: &[u8]) -> Option<(Claimed, String)> {
    let fields = split_fields(std::str::from_utf8(key).ok()?)?;
    let [version, kind, rest @ ..] = fields.as_slice() else {
        return None;
    };
    if version != KEY_VERSION {
        return None;
    }
    match (kind.as_str(), rest) {
        ("acl", [rt, pt, name, principal, host, op, perm, claimant]) => {
            let binding = AclBinding {
                resource_type: rt.parse().ok()?,
                resource_name: name.clone(),
                pattern_type: pt.parse().ok()?,
                principal: principal.clone(),
                host: host.clone(),
                operation: op.parse().ok()?,
                permission: perm.parse().ok()?,
            };
            Some((Claimed::Binding(binding), claimant.clone()))
        }
        ("topic", [name, claimant]) => Some((Claimed::Topic(name.clone()), claimant.clone())),
        _ => None,
    }
}

/// The record claiming `object` for `claimant`.
pub fn claim_record(object: &Claimed, claimant: &Claimant) -> ClaimRecord {
    ClaimRecord {
        key: record_key(object, &claimant.id).into_bytes(),
        value: Some(claimant.name.clone().into_bytes()),
    }
}

/// The marker record of an object found on the cluster before any claim.
pub fn preexisting_record(object: &Claimed) -> ClaimRecord {
    ClaimRecord {
        key: record_key(object, PREEXISTING).into_bytes(),
        value: Some(PREEXISTING_NAME.as_bytes().to_vec()),
    }
}

/// The tombstone releasing `claimant_id`'s claim on `object`.
pub fn release_record(object: &Claimed, claimant_id: &str) -> ClaimRecord {
    ClaimRecord {
        key: record_key(object, claimant_id).into_bytes(),
        value: None,
    }
}

/// The claims of one cluster as they stand after the records read: per object, the
/// claimants' ids and names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    by_object: HashMap<Claimed, BTreeMap<String, String>>,
    /// Records whose key this codec does not read (left alone, never deleted).
    pub skipped: usize,
}

impl Claims {
    /// Folds records in offset order: a value claims, a tombstone releases (what compaction
    /// keeps is the last record per key, which is what the fold ends with).
    pub fn from_records<'a>(
        records: impl IntoIterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    ) -> Claims {
        let mut claims = Claims::default();
        for (key, value) in records {
            claims.fold(key, value);
        }
        claims
    }

    /// Applies records written after the read (what this apply itself produced).
    pub fn with(mut self, records: &[ClaimRecord]) -> Claims {
        for record in records {
            self.fold(&record.key, record.value.as_deref());
        }
        self
    }

    fn fold(&mut self, key: &[u8], value: Option<&[u8]>) {
        let Some((object, claimant)) = parse_key(key) else {
            self.skipped += 1;
            return;
        };
        match value {
            Some(value) => {
                let name = String::from_utf8_lossy(value).into_owned();
                self.by_object
                    .entry(object)
                    .or_default()
                    .insert(claimant, name);
            }
            None => {
                if let Some(claimants) = self.by_object.get_mut(&object) {
                    claimants.remove(&claimant);
                    if claimants.is_empty() {
                        self.by_object.remove(&object);
                    }
                }
            }
        }
    }

    /// Whether `claimant_id` claims `object`.
    pub fn has(&self, object: &Claimed, claimant_id: &str) -> bool {
        self.by_object
            .get(object)
            .is_some_and(|claimants| claimants.contains_key(claimant_id))
    }

    /// Whether anyone claims `object`.
    pub fn is_claimed(&self, object: &Claimed) -> bool {
        self.by_object.contains_key(object)
    }

    /// The names of the claimants of `object` other than `claimant_id`, sorted by id.
    pub fn others(&self, object: &Claimed, claimant_id: &str) -> Vec<String> {
        self.others_except(object, &[claimant_id])
    }

    /// The names of the claimants of `object` whose ids are not in `ignored`, sorted by id.
    pub fn others_except(&self, object: &Claimed, ignored: &[&str]) -> Vec<String> {
        self.by_object
            .get(object)
            .into_iter()
            .flatten()
            .filter(|(id, _)| !ignored.contains(&id.as_str()))
            .map(|(id, name)| describe_claimant(id, name))
            .collect()
    }

    /// Every object `claimant_id` claims.
    pub fn claimed_by<'a>(&'a self, claimant_id: &'a str) -> impl Iterator<Item = &'a Claimed> {
        self.by_object
            .iter()
            .filter(move |(_, claimants)| claimants.contains_key(claimant_id))
            .map(|(object, _)| object)
    }

    /// How many (object, claimant) pairs stand.
    pub fn len(&self) -> usize {
        self.by_object.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_object.is_empty()
    }
}

/// How a warning names a claimant: its readable name and its id.
fn describe_claimant(id: &str, name: &str) -> String {
    if id == PREEXISTING {
        PREEXISTING_NAME.to_string()
    } else {
        format!("{name} (claimant {id})")
    }
}

/// What one resource needs and records on one cluster, plus the claims as read.
/// Bindings are in compared form (principals normalised).
#[derive(Debug, Clone, Copy)]
pub struct OwnershipInput<'a> {
    pub me: &'a Claimant,
    /// The bindings the resource needs now (empty on destroy).
    pub desired: &'a [AclBinding],
    /// What the cluster holds for the managed principals, read before the claims.
    pub actual: &'a HashSet<AclBinding>,
    /// What the prior state records as owned (`acls - preexisting_acls`): the resource's
    /// own even without a claim record (a state from before the claims record, or claims
    /// removed by hand).
    pub state_owned: &'a HashSet<AclBinding>,
    /// The internal topics the resource needs now, and those the prior state records.
    pub desired_topics: &'a BTreeSet<String>,
    pub state_topics: &'a BTreeSet<String>,
    /// Destroy with `delete_internal_topics_on_destroy`: released topics no one else
    /// claims are deleted.
    pub delete_topics: bool,
    pub claims: &'a Claims,
}

/// An object leaving this resource that stays because other claimants still need it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeptForOthers {
    pub object: Claimed,
    /// The other claimants, as warnings name them.
    pub claimants: Vec<String>,
}

/// The ownership decisions of one apply on one cluster (see the module comment's steps).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnershipPlan {
    /// Step 2: this resource's claims to write before anything is created.
    pub claims: Vec<ClaimRecord>,
    /// Desired bindings held with no claim at all (and not owned in state): pre-existing if
    /// the cluster still holds them when read again after the claims ([`confirm_markers`]).
    pub marker_candidates: Vec<AclBinding>,
    /// Step 3: existing bindings newly claimed here, created again (idempotent) so a
    /// concurrent delete cannot leave them missing; sorted.
    pub create_also: Vec<AclBinding>,
    /// What this resource no longer needs and holds alone: the owned set reconcile may
    /// delete from (the self-lockout guard still applies).
    pub exclusive: HashSet<AclBinding>,
    /// Objects leaving this resource that stay on the cluster (a plan warning); sorted.
    pub kept_for_others: Vec<KeptForOthers>,
    /// Objects this resource no longer needs and has a claim on (released in step 6).
    pub release: Vec<Claimed>,
    /// Pre-existing markers on objects this resource's state records as its own and no
    /// longer needs (released in step 6 with them).
    pub marker_releases: Vec<Claimed>,
    /// Desired bindings whose pre-existing marker was read (confirmed candidates join them).
    pub preexisting: HashSet<AclBinding>,
    /// Topics to delete (only with `delete_topics`): released and claimed by no one else.
    pub topics_to_delete: Vec<String>,
}

/// Decides what to claim, mark, create, keep and release (module comment, steps 2-4).
pub fn plan_ownership(input: OwnershipInput<'_>) -> OwnershipPlan {
    let me = input.me;
    let claims = input.claims;
    let mut plan = OwnershipPlan::default();
    let desired: HashSet<&AclBinding> = input.desired.iter().collect();

    for binding in &desired {
        let object = Claimed::Binding((*binding).clone());
        let held = input.actual.contains(*binding);
        if !claims.has(&object, &me.id) {
            plan.claims.push(claim_record(&object, me));
            if held {
                plan.create_also.push((*binding).clone());
            }
        }
        if claims.has(&object, PREEXISTING) {
            if input.state_owned.contains(*binding) {
                // Recorded as created or imported by this resource: its own, not pre-existing.
                plan.claims.push(release_record(&object, PREEXISTING));
            } else {
                plan.preexisting.insert((*binding).clone());
            }
        } else if held && !claims.is_claimed(&object) && !input.state_owned.contains(*binding) {
            plan.marker_candidates.push((*binding).clone());
        }
    }
    for topic in input.desired_topics {
        let object = Claimed::Topic(topic.clone());
        if !claims.has(&object, &me.id) {
            plan.claims.push(claim_record(&object, me));
        }
    }

    // What this resource holds: recorded owned in state, or claimed by it.
    let mut mine_bindings: HashSet<AclBinding> = input.state_owned.clone();
    let mut mine_topics: BTreeSet<String> = input.state_topics.clone();
    for object in claims.claimed_by(&me.id) {
        match object {
            Claimed::Binding(binding) => {
                mine_bindings.insert(binding.clone());
            }
            Claimed::Topic(name) => {
                mine_topics.insert(name.clone());
            }
        }
    }
    for binding in mine_bindings {
        let object = Claimed::Binding(binding.clone());
        if desired.contains(&binding) {
            continue;
        }
        // A pre-existing marker does not hold what this resource's state records as its own
        // (created, or adopted by import): that marker is released with the binding.
        let owned_in_state = input.state_owned.contains(&binding);
        let ignored: &[&str] = if owned_in_state {
            &[me.id.as_str(), PREEXISTING]
        } else {
            &[me.id.as_str()]
        };
        let others = claims.others_except(&object, ignored);
        if claims.has(&object, &me.id) {
            plan.release.push(object.clone());
        }
        if owned_in_state && claims.has(&object, PREEXISTING) {
            plan.marker_releases.push(object.clone());
        }
        if others.is_empty() {
            plan.exclusive.insert(binding);
        } else if input.actual.contains(&binding) {
            plan.kept_for_others.push(KeptForOthers {
                object,
                claimants: others,
            });
        }
    }
    for topic in mine_topics {
        if input.desired_topics.contains(&topic) {
            continue;
        }
        let object = Claimed::Topic(topic.clone());
        let others = claims.others(&object, &me.id);
        if input.delete_topics {
            if others.is_empty() {
                plan.topics_to_delete.push(topic);
            } else {
                plan.kept_for_others.push(KeptForOthers {
                    object: object.clone(),
                    claimants: others,
                });
            }
        }
        if claims.has(&object, &me.id) {
            plan.release.push(object);
        }
    }
    plan.create_also.sort();
    plan.marker_candidates.sort();
    plan.kept_for_others.sort();
    plan.release.sort();
    plan.marker_releases.sort();
    plan.topics_to_delete.sort();
    plan
}

/// Step 2's markers: the candidates the cluster still holds when read again after the
/// claims. A claimant's binding seen before the claims read whose last claim was released in
/// between was deleted before that release (step 4 precedes step 6), so it is gone by this
/// read and not mistaken for one made by hand. Returns the marker records; the confirmed
/// bindings join `plan.preexisting`.
pub fn confirm_markers(
    plan: &mut OwnershipPlan,
    actual_again: &HashSet<AclBinding>,
) -> Vec<ClaimRecord> {
    let confirmed: Vec<AclBinding> = std::mem::take(&mut plan.marker_candidates)
        .into_iter()
        .filter(|binding| actual_again.contains(binding))
        .collect();
    let records = confirmed
        .iter()
        .map(|binding| preexisting_record(&Claimed::Binding(binding.clone())))
        .collect();
    plan.preexisting.extend(confirmed);
    records
}

/// Step 5: the deleted objects that gained a claim (by anyone but `me_id`) between the
/// first claims read and the re-read; they are created again. Sorted.
pub fn recreate_after_reverify(deleted: &[Claimed], reread: &Claims, me_id: &str) -> Vec<Claimed> {
    let mut again: Vec<Claimed> = deleted
        .iter()
        .filter(|object| !reread.others(object, me_id).is_empty())
        .cloned()
        .collect();
    again.sort();
    again.dedup();
    again
}

/// Step 6: the release tombstones to write. A release whose delete failed is held back
/// (the object is still there and still this resource's, so the next apply deletes it
/// again); objects re-created in step 5 are released (others hold them now).
pub fn releases_after(
    plan: &OwnershipPlan,
    failed_deletes: &HashSet<Claimed>,
    me_id: &str,
) -> Vec<ClaimRecord> {
    let released = plan.release.iter().map(|object| (object, me_id));
    let markers = plan
        .marker_releases
        .iter()
        .map(|object| (object, PREEXISTING));
    released
        .chain(markers)
        .filter(|(object, _)| !failed_deletes.contains(*object))
        .map(|(object, id)| release_record(object, id))
        .collect()
}

/// Settings an internal topic must have to be adopted when it appeared between plan and
/// apply (`TOPIC_ALREADY_EXISTS`): the planned partitions, replication factor and managed
/// configs. `Err` lists what differs as `setting: found X, planned Y`.
pub fn adoptable(
    planned: &super::plan::InternalTopic,
    found: &super::reconcile::ExistingTopic,
) -> Result<(), Vec<String>> {
    let mut differences = Vec::new();
    if found.partitions != planned.partitions {
        differences.push(format!(
            "partitions: found {}, planned {}",
            found.partitions, planned.partitions
        ));
    }
    if found.replication_factor != planned.replication_factor {
        differences.push(format!(
            "replication factor: found {}, planned {}",
            found.replication_factor, planned.replication_factor
        ));
    }
    for (key, expected) in &planned.configs {
        let actual = found.configs.get(key);
        if actual != Some(expected) {
            differences.push(format!(
                "{key}: found {}, planned {expected:?}",
                actual.map_or("(unset)".to_string(), |v| format!("{v:?}"))
            ));
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(differences)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::acl::{Operation, PatternType, ResourceType};
    use crate::model::plan::{InternalTopic, CLEANUP_POLICY, COMPACT};
    use crate::model::reconcile::ExistingTopic;

    fn binding(name: &str) -> AclBinding {
        AclBinding::allow(
            "User:mm2",
            ResourceType::Topic,
            name,
            PatternType::Literal,
            Operation::Write,
        )
    }

    fn claimant(id: &str) -> Claimant {
        Claimant {
            id: id.to_string(),
            name: format!("flow {id}"),
        }
    }

    fn claims_of(entries: &[(&Claimed, &str)]) -> Claims {
        let records: Vec<ClaimRecord> = entries
            .iter()
            .map(|(object, id)| match *id {
                PREEXISTING => preexisting_record(object),
                id => claim_record(object, &claimant(id)),
            })
            .collect();
        Claims::default().with(&records)
    }

    #[test]
    fn keys_round_trip_with_separators_inside_fields() {
        let odd = AclBinding::allow(
            "User:a|b\\c",
            ResourceType::Group,
            "g|1\\",
            PatternType::Prefixed,
            Operation::Read,
        );
        for object in [
            Claimed::Binding(binding("heartbeats")),
            Claimed::Binding(odd),
            Claimed::Topic("mm2-configs.a.internal".into()),
            Claimed::Topic("we|ird".into()),
        ] {
            for id in ["3f2a", PREEXISTING, "id|with\\bars"] {
                let key = record_key(&object, id);
                assert_eq!(
                    parse_key(key.as_bytes()),
                    Some((object.clone(), id.to_string())),
                    "{key}"
                );
            }
        }
        assert_eq!(
            record_key(&Claimed::Topic("heartbeats".into()), "c1"),
            "v1|topic|heartbeats|c1"
        );
        for foreign in [
            &b"v2|topic|t|c"[..],
            b"v1|topic|t",
            b"v1|acl|TOPIC|LITERAL|t|User:x|*|READ|ALLOW",
            b"v1|acl|NOPE|LITERAL|t|User:x|*|READ|ALLOW|c",
            b"v1|topic|dangling\\",
            b"\xff\xfe",
            b"",
        ] {
            assert_eq!(parse_key(foreign), None, "{foreign:?}");
        }
    }

    #[test]
    fn the_fold_keeps_the_last_record_per_key_and_skips_foreign_keys() {
        let x = Claimed::Binding(binding("x"));
        let a = claim_record(&x, &claimant("a"));
        let b = claim_record(&x, &claimant("b"));
        let a_gone = release_record(&x, "a");
        let records = [
            (a.key.as_slice(), a.value.as_deref()),
            (b"not ours".as_slice(), Some(b"?".as_slice())),
            (b.key.as_slice(), b.value.as_deref()),
            (a_gone.key.as_slice(), None),
        ];
        let claims = Claims::from_records(records);
        assert_eq!(claims.skipped, 1);
        assert!(!claims.has(&x, "a"));
        assert!(claims.has(&x, "b"));
        assert_eq!(claims.others(&x, "a"), ["flow b (claimant b)"]);
        assert_eq!(claims.len(), 1);

        let all_gone = claims.with(&[release_record(&x, "b")]);
        assert!(!all_gone.is_claimed(&x));
        assert!(all_gone.is_empty());
    }

    /// One binding `x` seen from claimant `m`; `o` is another claimant.
    struct Case {
        name: &'static str,
        desired: bool,
        on_cluster: bool,
        state_owned: bool,
        claimed_by: &'static [&'static str],
        // Expected:
        writes: &'static [&'static str],
        create_also: bool,
        exclusive: bool,
        kept_for: &'static [&'static str],
        release: bool,
        preexisting: bool,
    }

    const CASES: &[Case] = &[
        Case {
            name: "new binding: claimed before it is created",
            desired: true,
            on_cluster: false,
            state_owned: false,
            claimed_by: &[],
            writes: &["m"],
            create_also: false,
            exclusive: false,
            kept_for: &[],
            release: false,
            preexisting: false,
        },
        Case {
            name: "made by hand: claimed and marked pre-existing",
            desired: true,
            on_cluster: true,
            state_owned: false,
            claimed_by: &[],
            writes: &["m", PREEXISTING],
            create_also: true,
            exclusive: false,
            kept_for: &[],
            release: false,
            preexisting: true,
        },
        Case {
            name: "a sibling's: claimed too, created again, not pre-existing",
            desired: true,
            on_cluster: true,
            state_owned: false,
            claimed_by: &["o"],
            writes: &["m"],
            create_also: true,
            exclusive: false,
            kept_for: &[],
            release: false,
            preexisting: false,
        },
        Case {
            name: "already ours: nothing to write",
            desired: true,
            on_cluster: true,
            state_owned: true,
            claimed_by: &["m"],
            writes: &[],
            create_also: false,
            exclusive: false,
            kept_for: &[],
            release: false,
            preexisting: false,
        },
        Case {
            name: "killed apply: our claim, no binding yet",
            desired: true,
            on_cluster: false,
            state_owned: false,
            claimed_by: &["m"],
            writes: &[],
            create_also: false,
            exclusive: false,
            kept_for: &[],
            release: false,
            preexisting: false,
        },
        Case {
            name: "upgraded state: owned in state, claimed now, no marker",
            desired: true,
            on_cluster: true,
            state_owned: true,
            claimed_by: &[],
            writes: &["m"],
            create_also: true,
            exclusive: false,
            kept_for: &[],
            release: false,
            preexisting: false,
        },
        Case {
            name: "marked binding stays pre-existing",
            desired: true,
            on_cluster: true,
            state_owned: false,
            claimed_by: &["m", PREEXISTING],
            writes: &[],
            create_also: false,
            exclusive: false,
            kept_for: &[],
            release: false,
            preexisting: true,
        },
        Case {
            name: "leaving, ours alone: deleted and released",
            desired: false,
            on_cluster: true,
            state_owned: true,
            claimed_by: &["m"],
            writes: &[],
            create_also: false,
            exclusive: true,
            kept_for: &[],
            release: true,
            preexisting: false,
        },
        Case {
            name: "leaving, a sibling needs it: kept and released",
            desired: false,
            on_cluster: true,
            state_owned: true,
            claimed_by: &["m", "o"],
            writes: &[],
            create_also: false,
            exclusive: false,
            kept_for: &["o"],
            release: true,
            preexisting: false,
        },
        Case {
            name: "leaving, pre-existing: kept",
            desired: false,
            on_cluster: true,
            state_owned: false,
            claimed_by: &["m", PREEXISTING],
            writes: &[],
            create_also: false,
            exclusive: false,
            kept_for: &[PREEXISTING],
            release: true,
            preexisting: false,
        },
        Case {
            name: "leaving, upgraded state: deleted, no claim to release",
            desired: false,
            on_cluster: true,
            state_owned: true,
            claimed_by: &[],
            writes: &[],
            create_also: false,
            exclusive: true,
            kept_for: &[],
            release: false,
            preexisting: false,
        },
        Case {
            name: "leaving, already gone, shared: released, nothing kept",
            desired: false,
            on_cluster: false,
            state_owned: true,
            claimed_by: &["m", "o"],
            writes: &[],
            create_also: false,
            exclusive: false,
            kept_for: &[],
            release: true,
            preexisting: false,
        },
        Case {
            name: "not ours, not needed: untouched",
            desired: false,
            on_cluster: true,
            state_owned: false,
            claimed_by: &["o"],
            writes: &[],
            create_also: false,
            exclusive: false,
            kept_for: &[],
            release: false,
            preexisting: false,
        },
    ];

    #[test]
    fn binding_ownership_decisions() {
        let me = claimant("m");
        let x = binding("x");
        let object = Claimed::Binding(x.clone());
        for case in CASES {
            let desired = if case.desired {
                vec![x.clone()]
            } else {
                vec![]
            };
            let actual: HashSet<_> = case.on_cluster.then(|| x.clone()).into_iter().collect();
            let owned: HashSet<_> = case.state_owned.then(|| x.clone()).into_iter().collect();
            let entries: Vec<(&Claimed, &str)> =
                case.claimed_by.iter().map(|id| (&object, *id)).collect();
            let claims = claims_of(&entries);
            let plan = plan_ownership(OwnershipInput {
                me: &me,
                desired: &desired,
                actual: &actual,
                state_owned: &owned,
                desired_topics: &BTreeSet::new(),
                state_topics: &BTreeSet::new(),
                delete_topics: false,
                claims: &claims,
            });
            let mut plan = plan;
            let markers = confirm_markers(&mut plan, &actual);
            let writes: Vec<String> = plan
                .claims
                .iter()
                .chain(&markers)
                .map(|record| {
                    let (claimed, id) = parse_key(&record.key).unwrap();
                    assert_eq!(claimed, object, "{}", case.name);
                    assert!(
                        record.value.is_some(),
                        "{}: claims before creating are never tombstones",
                        case.name
                    );
                    id
                })
                .collect();
            assert_eq!(writes, case.writes, "{}", case.name);
            assert_eq!(
                plan.create_also == [x.clone()],
                case.create_also,
                "{}",
                case.name
            );
            assert_eq!(plan.exclusive.contains(&x), case.exclusive, "{}", case.name);
            let kept: Vec<String> = plan
                .kept_for_others
                .iter()
                .flat_map(|k| k.claimants.clone())
                .collect();
            let expected_kept: Vec<String> = case
                .kept_for
                .iter()
                .map(|id| match *id {
                    PREEXISTING => PREEXISTING_NAME.to_string(),
                    id => format!("flow {id} (claimant {id})"),
                })
                .collect();
            assert_eq!(kept, expected_kept, "{}", case.name);
            assert_eq!(
                plan.release == [object.clone()],
                case.release,
                "{}",
                case.name
            );
            assert_eq!(
                plan.preexisting.contains(&x),
                case.preexisting,
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn topic_ownership_decisions() {
        let me = claimant("m");
        let topic = |name: &str| Claimed::Topic(name.to_string());
        let claims = claims_of(&[
            (&topic("mine"), "m"),
            (&topic("shared"), "m"),
            (&topic("shared"), "o"),
            (&topic("wanted"), "m"),
        ]);
        let desired: BTreeSet<String> = ["wanted".to_string(), "new".to_string()].into();
        let recorded: BTreeSet<String> = ["mine", "shared", "recorded-only", "wanted"]
            .map(String::from)
            .into();
        for delete_topics in [false, true] {
            let plan = plan_ownership(OwnershipInput {
                me: &me,
                desired: &[],
                actual: &HashSet::new(),
                state_owned: &HashSet::new(),
                desired_topics: &desired,
                state_topics: &recorded,
                delete_topics,
                claims: &claims,
            });
            assert_eq!(plan.claims, vec![claim_record(&topic("new"), &me)]);
            assert_eq!(plan.release, vec![topic("mine"), topic("shared")]);
            if delete_topics {
                assert_eq!(plan.topics_to_delete, ["mine", "recorded-only"]);
                assert_eq!(
                    plan.kept_for_others,
                    vec![KeptForOthers {
                        object: topic("shared"),
                        claimants: vec!["flow o (claimant o)".into()]
                    }]
                );
            } else {
                assert!(plan.topics_to_delete.is_empty());
                assert!(plan.kept_for_others.is_empty());
            }
        }
    }

    #[test]
    fn deleted_objects_that_gained_a_claim_are_created_again() {
        let x = Claimed::Binding(binding("x"));
        let y = Claimed::Binding(binding("y"));
        let t = Claimed::Topic("heartbeats".into());
        let reread = claims_of(&[(&x, "m"), (&y, "o"), (&t, PREEXISTING)]);
        assert_eq!(
            recreate_after_reverify(&[x.clone(), y.clone(), t.clone()], &reread, "m"),
            vec![y, t]
        );
        assert!(recreate_after_reverify(&[x], &Claims::default(), "m").is_empty());
    }

    #[test]
    fn a_failed_delete_keeps_its_claim() {
        let x = Claimed::Binding(binding("x"));
        let y = Claimed::Binding(binding("y"));
        let plan = OwnershipPlan {
            release: vec![x.clone(), y.clone()],
            ..OwnershipPlan::default()
        };
        let failed: HashSet<Claimed> = [y].into();
        assert_eq!(
            releases_after(&plan, &failed, "m"),
            vec![release_record(&x, "m")]
        );
    }

    #[test]
    fn topics_created_meanwhile_are_adopted_only_as_planned() {
        let planned = InternalTopic {
            cluster: "b".into(),
            name: "mm2-configs.a.internal".into(),
            partitions: 1,
            replication_factor: 3,
            configs: BTreeMap::from([(CLEANUP_POLICY.to_string(), COMPACT.to_string())]),
            reason: "test".into(),
        };
        let found = |partitions, rf, policy: Option<&str>| ExistingTopic {
            partitions,
            replication_factor: rf,
            configs: policy
                .map(|p| BTreeMap::from([(CLEANUP_POLICY.to_string(), p.to_string())]))
                .unwrap_or_default(),
        };
        assert_eq!(adoptable(&planned, &found(1, 3, Some(COMPACT))), Ok(()));
        assert_eq!(
            adoptable(&planned, &found(25, 3, Some("delete"))),
            Err(vec![
                "partitions: found 25, planned 1".to_string(),
                "cleanup.policy: found \"delete\", planned \"compact\"".to_string(),
            ])
        );
        assert_eq!(
            adoptable(&planned, &found(1, 1, None)),
            Err(vec![
                "replication factor: found 1, planned 3".to_string(),
                "cleanup.policy: found (unset), planned \"compact\"".to_string(),
            ])
        );
    }

    /// One cluster (its bindings and its claims log) shared by concurrent applies.
    #[derive(Default)]
    struct World {
        bindings: HashSet<AclBinding>,
        log: Vec<ClaimRecord>,
    }

    impl World {
        fn claims(&self) -> Claims {
            Claims::default().with(&self.log)
        }
    }

    /// One apply of the module comment's protocol, one step at a time.
    struct Apply {
        me: Claimant,
        desired: Vec<AclBinding>,
        state_owned: HashSet<AclBinding>,
        actual: HashSet<AclBinding>,
        plan: OwnershipPlan,
        deleted: Vec<Claimed>,
    }

    impl Apply {
        fn new(id: &str, desired: &[&AclBinding], state_owned: &[&AclBinding]) -> Apply {
            Apply {
                me: claimant(id),
                desired: desired.iter().map(|b| (*b).clone()).collect(),
                state_owned: state_owned.iter().map(|b| (*b).clone()).collect(),
                actual: HashSet::new(),
                plan: OwnershipPlan::default(),
                deleted: Vec::new(),
            }
        }

        const STEPS: usize = 7;

        fn step(&mut self, step: usize, world: &mut World) {
            match step {
                0 => self.actual = world.bindings.clone(),
                1 => {
                    let claims = world.claims();
                    self.plan = plan_ownership(OwnershipInput {
                        me: &self.me,
                        desired: &self.desired,
                        actual: &self.actual,
                        state_owned: &self.state_owned,
                        desired_topics: &BTreeSet::new(),
                        state_topics: &BTreeSet::new(),
                        delete_topics: false,
                        claims: &claims,
                    });
                }
                2 => {
                    let markers = confirm_markers(&mut self.plan, &world.bindings);
                    world
                        .log
                        .extend(self.plan.claims.iter().cloned().chain(markers));
                }
                3 => {
                    let missing = self.desired.iter().filter(|b| !self.actual.contains(*b));
                    world
                        .bindings
                        .extend(missing.chain(&self.plan.create_also).cloned());
                }
                4 => {
                    for binding in &self.plan.exclusive {
                        if self.actual.contains(binding) && world.bindings.remove(binding) {
                            self.deleted.push(Claimed::Binding(binding.clone()));
                        }
                    }
                }
                5 => {
                    if !self.deleted.is_empty() {
                        let again =
                            recreate_after_reverify(&self.deleted, &world.claims(), &self.me.id);
                        for object in again {
                            if let Claimed::Binding(binding) = object {
                                world.bindings.insert(binding);
                            }
                        }
                    }
                }
                _ => world
                    .log
                    .extend(releases_after(&self.plan, &HashSet::new(), &self.me.id)),
            }
        }
    }

    /// Runs every interleaving of two applies' steps on a fresh world from `setup`.
    fn every_interleaving(
        setup: &dyn Fn() -> (World, Apply, Apply),
        check: &dyn Fn(&World, &str),
    ) -> usize {
        fn orders(a: usize, b: usize) -> Vec<Vec<bool>> {
            match (a, b) {
                (0, 0) => vec![vec![]],
                _ => {
                    let mut all = Vec::new();
                    if a > 0 {
                        for mut rest in orders(a - 1, b) {
                            rest.insert(0, true);
                            all.push(rest);
                        }
                    }
                    if b > 0 {
                        for mut rest in orders(a, b - 1) {
                            rest.insert(0, false);
                            all.push(rest);
                        }
                    }
                    all
                }
            }
        }
        let all = orders(Apply::STEPS, Apply::STEPS);
        for order in &all {
            let (mut world, mut first, mut second) = setup();
            let (mut i, mut j) = (0, 0);
            for &first_moves in order {
                if first_moves {
                    first.step(i, &mut world);
                    i += 1;
                } else {
                    second.step(j, &mut world);
                    j += 1;
                }
            }
            let trace: String = order.iter().map(|&f| if f { 'P' } else { 'Q' }).collect();
            check(&world, &trace);
        }
        all.len()
    }

    #[test]
    fn concurrent_applies_never_leave_a_needed_binding_deleted() {
        let x = binding("x");
        // P releases x (it held it alone) while Q starts to need it.
        let runs = every_interleaving(
            &|| {
                let mut world = World::default();
                world.bindings.insert(x.clone());
                world
                    .log
                    .push(claim_record(&Claimed::Binding(x.clone()), &claimant("p")));
                (
                    world,
                    Apply::new("p", &[], &[&x]),
                    Apply::new("q", &[&x], &[]),
                )
            },
            &|world, trace| {
                assert!(world.bindings.contains(&x), "x deleted under Q: {trace}");
                let claims = world.claims();
                let object = Claimed::Binding(x.clone());
                assert!(
                    claims.has(&object, "q") && !claims.has(&object, "p"),
                    "{trace}"
                );
                assert!(
                    !claims.has(&object, PREEXISTING),
                    "a claimant's binding marked pre-existing: {trace}"
                );
            },
        );
        assert_eq!(runs, 3432);

        // Two new claimants of a binding that does not exist yet: created, owned by both.
        every_interleaving(
            &|| {
                (
                    World::default(),
                    Apply::new("p", &[&x], &[]),
                    Apply::new("q", &[&x], &[]),
                )
            },
            &|world, trace| {
                assert!(world.bindings.contains(&x), "{trace}");
                let claims = world.claims();
                let object = Claimed::Binding(x.clone());
                assert!(
                    claims.has(&object, "p") && claims.has(&object, "q"),
                    "{trace}"
                );
            },
        );
    }

    #[test]
    fn sequential_releases_delete_what_no_one_needs() {
        let x = binding("x");
        let object = Claimed::Binding(x.clone());
        let mut world = World::default();
        world.bindings.insert(x.clone());
        world.log.push(claim_record(&object, &claimant("p")));
        world.log.push(claim_record(&object, &claimant("q")));
        for id in ["p", "q"] {
            let mut apply = Apply::new(id, &[], &[&x]);
            for step in 0..Apply::STEPS {
                apply.step(step, &mut world);
            }
            assert_eq!(world.bindings.contains(&x), id == "p", "after {id}");
        }
        assert!(world.claims().is_empty());
    }
}
