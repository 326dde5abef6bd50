//! Every interleaving of two applies' steps (the protocol of `super`'s module comment,
//! bindings only) against one simulated cluster: nothing a claimant needs is left deleted,
//! and what no claimant needs is gone once both have finished.

use super::tests::{binding, claimant};
use super::*;
use foldhash::HashSetExt;

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
    claims: Vec<ClaimRecord>,
    deleted: Vec<Claimed>,
    orphans: Vec<AclBinding>,
    /// The steps that do something for this apply (the others are no-ops whatever the
    /// interleaving, so they are left out of it): claims and creates only when it needs
    /// something, deletes, releases and the orphan collection only when it releases.
    steps: Vec<usize>,
}

impl Apply {
    fn new(id: &str, desired: &[&AclBinding], state_owned: &[&AclBinding]) -> Apply {
        let desired: Vec<AclBinding> = desired.iter().map(|b| (*b).clone()).collect();
        let state_owned: HashSet<AclBinding> = state_owned.iter().map(|b| (*b).clone()).collect();
        let needs = !desired.is_empty();
        let releases = state_owned.iter().any(|b| !desired.contains(b));
        let steps = (0..Apply::STEPS)
            .filter(|step| match step {
                0 | 1 => true,
                2 | 3 => needs,
                _ => releases,
            })
            .collect();
        Apply {
            me: claimant(id),
            desired,
            state_owned,
            actual: HashSet::new(),
            plan: OwnershipPlan::default(),
            claims: Vec::new(),
            deleted: Vec::new(),
            orphans: Vec::new(),
            steps,
        }
    }

    const STEPS: usize = 10;

    /// The claims as this apply reads them: kept only for the objects it needs, records and
    /// claims (`ClaimsScope`), so every interleaving also checks that its decisions need no
    /// other object's claims.
    fn claims(&self, world: &World) -> Claims {
        let objects: Vec<Claimed> = self
            .desired
            .iter()
            .chain(&self.state_owned)
            .cloned()
            .map(Claimed::Binding)
            .collect();
        Claims::scoped(ClaimsScope::new(&self.me.id, &objects)).with(&world.log)
    }

    /// Runs every step at once (an apply that does not interleave).
    fn run(&mut self, world: &mut World) {
        for step in self.steps.clone() {
            self.step(step, world);
        }
    }

    fn step(&mut self, step: usize, world: &mut World) {
        match step {
            0 => self.actual = world.bindings.clone(),
            1 => {
                let claims = self.claims(world);
                let input = OwnershipInput {
                    me: &self.me,
                    desired: &self.desired,
                    actual: &self.actual,
                    state_owned: &self.state_owned,
                    desired_topics: &BTreeSet::new(),
                    state_topics: &BTreeSet::new(),
                    delete_topics: false,
                    claims: &claims,
                };
                self.plan = plan_ownership(input);
                self.claims = claims_to_write(input);
            }
            2 => {
                let markers = confirm_markers(&mut self.plan, &world.bindings);
                world.log.extend(self.claims.iter().cloned().chain(markers));
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
            5 => self.reverify(&self.deleted.clone(), world),
            6 => world
                .log
                .extend(releases_after(&self.plan, &HashSet::new(), &self.me.id)),
            // Step 7 (the orphan collection): read the claims, delete, re-read.
            7 => {
                self.orphans =
                    orphans_after_release(&self.plan, &self.claims(world), &BTreeSet::new())
                        .into_iter()
                        .filter_map(|object| match object {
                            Claimed::Binding(binding) => Some(binding),
                            Claimed::Topic(_) => None,
                        })
                        .collect();
            }
            8 => self
                .orphans
                .retain(|binding| world.bindings.remove(binding)),
            _ => {
                let deleted: Vec<Claimed> =
                    self.orphans.iter().cloned().map(Claimed::Binding).collect();
                self.reverify(&deleted, world);
            }
        }
    }

    /// Step 5: re-creates the deleted objects that gained a claim.
    fn reverify(&self, deleted: &[Claimed], world: &mut World) {
        if deleted.is_empty() {
            return;
        }
        for object in recreate_after_reverify(&self.plan, deleted, &self.claims(world), &self.me.id)
        {
            if let Claimed::Binding(binding) = object {
                world.bindings.insert(binding);
            }
        }
    }
}

/// Runs every interleaving of two applies' steps on a fresh world from `setup`; a third
/// apply from `setup`, if any, runs whole at each point of each interleaving in turn.
/// Returns the number of runs.
fn every_interleaving(
    setup: &dyn Fn() -> (World, Apply, Apply, Option<Apply>),
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
    let (_, first, second, third) = setup();
    let all = orders(first.steps.len(), second.steps.len());
    let points = if third.is_some() {
        first.steps.len() + second.steps.len() + 1
    } else {
        1
    };
    let mut runs = 0;
    for order in &all {
        for point in 0..points {
            let (mut world, mut first, mut second, mut third) = setup();
            let (mut i, mut j) = (0, 0);
            let mut trace = String::new();
            for (at, &first_moves) in order.iter().enumerate() {
                if at == point {
                    if let Some(third) = third.as_mut() {
                        third.run(&mut world);
                        trace.push('O');
                    }
                }
                if first_moves {
                    first.step(first.steps[i], &mut world);
                    i += 1;
                    trace.push('P');
                } else {
                    second.step(second.steps[j], &mut world);
                    j += 1;
                    trace.push('Q');
                }
            }
            if point == order.len() {
                if let Some(third) = third.as_mut() {
                    third.run(&mut world);
                    trace.push('O');
                }
            }
            check(&world, &trace);
            runs += 1;
        }
    }
    runs
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
                None,
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
    assert_eq!(runs, 495, "8 steps of P's and 4 of Q's");

    // Two new claimants of a binding that does not exist yet: created, owned by both.
    every_interleaving(
        &|| {
            (
                World::default(),
                Apply::new("p", &[&x], &[]),
                Apply::new("q", &[&x], &[]),
                None,
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
        Apply::new(id, &[], &[&x]).run(&mut world);
        assert_eq!(world.bindings.contains(&x), id == "p", "after {id}");
    }
    assert!(world.claims().is_empty());
}

#[test]
fn two_last_claimants_releasing_at_once_leave_nothing_behind() {
    let x = binding("x");
    let object = Claimed::Binding(x.clone());
    let runs = every_interleaving(
        &|| {
            let mut world = World::default();
            world.bindings.insert(x.clone());
            world.log.push(claim_record(&object, &claimant("p")));
            world.log.push(claim_record(&object, &claimant("q")));
            (
                world,
                Apply::new("p", &[], &[&x]),
                Apply::new("q", &[], &[&x]),
                None,
            )
        },
        &|world, trace| {
            assert!(!world.bindings.contains(&x), "x left behind: {trace}");
            assert!(world.claims().is_empty(), "{trace}");
        },
    );
    assert_eq!(runs, 12870, "8 steps each");
}

#[test]
fn collecting_an_orphan_never_deletes_it_under_a_new_claimant() {
    let x = binding("x");
    let object = Claimed::Binding(x.clone());
    // P and O are the last claimants of x and release it (O whole, at every point), while
    // Q starts to need it: P may find x orphaned and delete it while Q claims and creates.
    let runs = every_interleaving(
        &|| {
            let mut world = World::default();
            world.bindings.insert(x.clone());
            world.log.push(claim_record(&object, &claimant("p")));
            world.log.push(claim_record(&object, &claimant("o")));
            (
                world,
                Apply::new("p", &[], &[&x]),
                Apply::new("q", &[&x], &[]),
                Some(Apply::new("o", &[], &[&x])),
            )
        },
        &|world, trace| {
            assert!(world.bindings.contains(&x), "x deleted under Q: {trace}");
            let claims = world.claims();
            assert!(
                claims.has(&object, "q") && !claims.has(&object, "p") && !claims.has(&object, "o"),
                "{trace}"
            );
        },
    );
    assert_eq!(runs, 495 * 13);
}
