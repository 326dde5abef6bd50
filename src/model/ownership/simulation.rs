//! Every interleaving of two applies' steps (the protocol of `super`'s module comment)
//! against one simulated cluster: nothing a claimant needs is left deleted.

use super::tests::{binding, claimant};
use super::*;

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
                    let again = recreate_after_reverify(
                        &self.plan,
                        &self.deleted,
                        &world.claims(),
                        &self.me.id,
                    );
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
