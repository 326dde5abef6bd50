//! Shared ownership of bindings and internal topics, Kubernetes `ownerReferences` style:
//! each cluster keeps a compacted claims topic with one record per (object, claimant), and
//! an object is deleted only when no claim on it remains, whichever state the claimants live
//! in. This module holds the record codec and every ownership decision of one apply on one
//! cluster; the Kafka side only moves the bytes.
//!
//! Protocol (each step waits for the previous one; claims are produced with `acks=all` and
//! read to the high watermark, the first read of an apply from the beginning and each later
//! one on from where the previous ended, folded onto what that one found: a read sees every
//! acknowledged write; a claims topic the node asked does not list yet is never read as empty
//! unless the controller says it does not exist, see `timing::claims_read_next`):
//! 1. read the cluster's bindings, then the claims (a claimant claims before it creates, so
//!    every binding seen in step 1 that a claimant created has its claim visible);
//! 2. write this claimant's new claims ([`claims_to_write`]) and the pre-existing markers:
//!    bindings held with no claim at all, confirmed by reading the bindings again
//!    ([`confirm_markers`], only when there are such candidates);
//! 3. create what is missing *and* every binding or topic newly claimed in step 2, even if
//!    it exists (CreateAcls is idempotent; CreateTopics answers TOPIC_ALREADY_EXISTS);
//! 4. delete what this claimant no longer needs and holds alone;
//! 5. if anything was deleted, read the claims again and re-create every deleted object that
//!    gained a claim meanwhile ([`recreate_after_reverify`]);
//! 6. write the releases (tombstones) of what this claimant no longer needs
//!    ([`releases_after`]; a failed delete keeps its claim);
//! 7. if it kept something for other claimants, read the claims again: what none of them
//!    claims any more is deleted ([`orphans_after_release`]), then re-verified as in step 5.
//!
//! Why two concurrent applies converge: take an object `x` that claimant P deletes (step 4
//! at time `d`, re-read at `r > d`) while claimant Q needs it. Q's claim was written at `c`
//! and Q created `x` at `k > c` (step 3: newly claimed objects are always created, and an
//! older claim was followed by a create in the apply that wrote it). If `k > d`, `x` exists
//! after both. If `k < d`, then `c < k < d < r`, so P's re-read sees Q's claim and P
//! re-creates `x`. A third claimant cannot delete `x` meanwhile: it reads Q's claim too.
//! Each apply folds only the claims of the objects it needs, records or claims
//! ([`ClaimsScope`]): its decisions ask about no other, so on a cluster where many resources
//! claim, an apply's work follows its own objects (the simulation reads claims that way).
//! A killed apply leaves claims without bindings (created next run) or bindings with their
//! claims (owned next run), never a binding without the claim of the resource that made it.
//! The tests run every interleaving of two applies' steps against one simulated cluster.
//!
//! Why orphans are collected: two last claimants P and Q releasing `x` at once may each see
//! the other's claim in step 1 and keep `x`. Both release in step 6; whichever wrote its
//! release last reads, in step 7, claims with neither release missing, so it finds `x`
//! unclaimed and deletes it. A claimant R that starts to need `x` meanwhile is safe by the
//! argument above (step 7 deletes and re-reads as steps 4-5 do). The tests run every
//! interleaving of two applies with a third whole apply at every point between their steps.
//! What remains: an orphan stays (unclaimed, never a needed one deleted) when step 7's
//! read fails, and a topic is collected only by a claimant that would delete it itself (a
//! destroy with `delete_topics`, a topic its state records). A newly claimed topic that
//! conflicts with the plan (other partitions or replication factor) is not created again:
//! it is reported, and if it was deleted meanwhile the next apply creates it.

use foldhash::HashSet;
use std::collections::BTreeSet;

use super::acl::AclBinding;

mod codec;
pub use codec::{
    claim_record, parse_key, preexisting_record, record_key, release_record, ClaimRecord, Claimant,
    Claimed, Claims, ClaimsScope, PREEXISTING, PREEXISTING_NAME,
};

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
    /// Step 3 for topics: desired topics newly claimed here, created even if a read lists
    /// them (CreateTopics answers TOPIC_ALREADY_EXISTS from the controller while they
    /// exist), so a delete that a lagging read still shows cannot leave them missing; sorted.
    pub create_also_topics: Vec<String>,
}

/// Decides what to mark, create, keep and release (module comment, steps 2-4): `leaving`
/// plus the markers and creates of what the resource needs; [`claims_to_write`] gives step
/// 2's claims from the same input.
pub fn plan_ownership(input: OwnershipInput<'_>) -> OwnershipPlan {
    let me = input.me;
    let claims = input.claims;
    let mut plan = leaving(input);
    for binding in input.desired {
        let object = Claimed::Binding(binding.clone());
        let held = input.actual.contains(binding);
        if held && !claims.has(&object, &me.id) {
            plan.create_also.push(binding.clone());
        }
        if claims.has(&object, PREEXISTING) {
            // One its state records as created or imported is its own, not pre-existing
            // (`claims_to_write` releases that marker).
            if !input.state_owned.contains(binding) {
                plan.preexisting.insert(binding.clone());
            }
        } else if held && !claims.is_claimed(&object) && !input.state_owned.contains(binding) {
            plan.marker_candidates.push(binding.clone());
        }
    }
    for topic in input.desired_topics {
        let object = Claimed::Topic(topic.clone());
        if !claims.has(&object, &me.id) {
            plan.create_also_topics.push(topic.clone());
        }
    }
    plan.create_also.sort();
    plan.create_also.dedup();
    plan.marker_candidates.sort();
    plan.marker_candidates.dedup();
    plan
}

/// Step 2's records: this resource's claim on each needed object it does not claim yet, and
/// the release of the pre-existing marker on a needed binding its state records as created
/// or imported (its own, not pre-existing). Only apply writes them; plan needs only
/// [`plan_ownership`].
pub fn claims_to_write(input: OwnershipInput<'_>) -> Vec<ClaimRecord> {
    let (me, claims) = (input.me, input.claims);
    let mut records = Vec::new();
    for binding in input.desired {
        let object = Claimed::Binding(binding.clone());
        if !claims.has(&object, &me.id) {
            records.push(claim_record(&object, me));
        }
        if claims.has(&object, PREEXISTING) && input.state_owned.contains(binding) {
            records.push(release_record(&object, PREEXISTING));
        }
    }
    for topic in input.desired_topics {
        let object = Claimed::Topic(topic.clone());
        if !claims.has(&object, &me.id) {
            records.push(claim_record(&object, me));
        }
    }
    records
}

/// What leaves the resource (steps 4 and 6, and what plan shows): what it holds alone and
/// may delete (`exclusive`, `topics_to_delete`), what stays for other claimants
/// (`kept_for_others`) and what it releases; the other fields stay empty.
fn leaving(input: OwnershipInput<'_>) -> OwnershipPlan {
    let me = input.me;
    let claims = input.claims;
    let mut plan = OwnershipPlan::default();
    let desired: HashSet<&AclBinding> = input.desired.iter().collect();

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

/// Step 5: the deleted objects that gained a claim between the first claims read and the
/// re-read, by anyone but `me_id` (and but the pre-existing markers `plan` itself releases);
/// they are created again. Sorted.
pub fn recreate_after_reverify(
    plan: &OwnershipPlan,
    deleted: &[Claimed],
    reread: &Claims,
    me_id: &str,
) -> Vec<Claimed> {
    let marker_released: HashSet<&Claimed> = plan.marker_releases.iter().collect();
    let mut again: Vec<Claimed> = deleted
        .iter()
        .filter(|object| {
            let ignored: &[&str] = if marker_released.contains(object) {
                &[me_id, PREEXISTING]
            } else {
                &[me_id]
            };
            !reread.others_except(object, ignored).is_empty()
        })
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

/// Step 7, after the releases: the objects this resource left for other claimants
/// (`plan.kept_for_others`) that no claim in `claims`, read after the releases, names any
/// more. Their last claimants released them at the same moment, each seeing the other's
/// claim; this resource deletes them as it would have had it been last, then re-verifies
/// as in step 5 ([`recreate_after_reverify`]). Only what it would itself delete: bindings,
/// and topics when it deletes topics (`kept_for_others` names topics only then) and its
/// state records them (`recorded_topics`: the sizes and configs to re-create them with).
/// Sorted.
pub fn orphans_after_release(
    plan: &OwnershipPlan,
    claims: &Claims,
    recorded_topics: &BTreeSet<String>,
) -> Vec<Claimed> {
    let mut orphans: Vec<Claimed> = plan
        .kept_for_others
        .iter()
        .map(|kept| &kept.object)
        .filter(|object| match object {
            Claimed::Binding(_) => true,
            Claimed::Topic(name) => recorded_topics.contains(name),
        })
        .filter(|object| !claims.is_claimed(object))
        .cloned()
        .collect();
    orphans.sort();
    orphans.dedup();
    orphans
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
mod simulation;
#[cfg(test)]
mod tests;
