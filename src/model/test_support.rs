//! Helpers shared by the model's tests: binding constructors, plan-to-set conversion and a
//! fixed-seed shuffle (no dependency on a random crate).

use std::collections::BTreeSet;

use super::acl::{AclBinding, Operation, PatternType, ResourceType};
use super::plan::DesiredState;

pub type Grant = (String, AclBinding);

pub fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// One expected ALLOW binding from any host.
pub fn grant(
    cluster: &str,
    principal: &str,
    resource_type: ResourceType,
    name: &str,
    pattern_type: PatternType,
    operation: Operation,
) -> Grant {
    (
        cluster.to_string(),
        AclBinding::allow(principal, resource_type, name, pattern_type, operation),
    )
}

/// Every (cluster, binding) of a plan.
pub fn grants(state: &DesiredState) -> BTreeSet<Grant> {
    state
        .acls
        .iter()
        .map(|acl| (acl.cluster.clone(), acl.binding.clone()))
        .collect()
}

/// Asserts a plan's grants equal the expected ones, listing what is missing and what is extra.
pub fn assert_same_grants(case: &str, expected: &BTreeSet<Grant>, actual: &BTreeSet<Grant>) {
    let missing: Vec<_> = expected.difference(actual).collect();
    let extra: Vec<_> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{case}\nmissing: {missing:#?}\nextra: {extra:#?}"
    );
}

/// A permutation of `list` chosen by `seed` (Fisher-Yates over a linear congruential generator).
pub fn shuffled<T: Clone>(list: &[T], seed: u64) -> Vec<T> {
    let mut out = list.to_vec();
    let mut state = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    for i in (1..out.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((state >> 33) as usize) % (i + 1);
        out.swap(i, j);
    }
    out
}
