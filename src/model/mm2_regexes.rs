//! The resource's `topic_regexes` / `group_regexes` inputs (MM2's `topics` / `groups`
//! values pasted as they are) compiled to name selections, and the plan-time checks of an
//! MM2 flow ([`MM2_CHECKS`], each with its spec row): what a regex cover allows beyond the
//! filter, and the row-10 pitfall (checkpoints on while no group ACL can cover MM2's
//! `groups` filter, whose default is every group).

use super::mm2::Mm2Inputs;
use super::mm2_config::regex_cover::{compile, split_list, Cover, NameKind};
use super::plan::{NameSelection, ALL_NAMES};
use super::validate::{InputError, Mm2Field};

pub const TOPIC_REGEXES: &str = "topic_regexes";
pub const GROUP_REGEXES: &str = "group_regexes";

/// One element of a regex input (an MM2 list value) compiled alone.
fn element_cover(kind: NameKind, value: &str) -> Result<Cover, String> {
    let key = match kind {
        NameKind::Topic => TOPIC_REGEXES,
        NameKind::Group => GROUP_REGEXES,
    };
    compile(kind, &split_list(value), key, &[], "").map_err(|e| e.to_string())
}

/// The names and prefixes of `names` + `prefixes` + the covers of `regexes` (elements that
/// do not compile add nothing: validation reports them).
fn selection(
    kind: NameKind,
    names: &[String],
    prefixes: &[String],
    regexes: &[String],
) -> NameSelection {
    let mut names = names.to_vec();
    let mut prefixes = prefixes.to_vec();
    for cover in regexes.iter().filter_map(|r| element_cover(kind, r).ok()) {
        if cover.all {
            names.push(ALL_NAMES.to_string());
        }
        names.extend(cover.literals);
        prefixes.extend(cover.prefixes);
    }
    NameSelection::new(&names, &prefixes)
}

/// The topics the flow replicates: `topics`, `topic_prefixes` and `topic_regexes`.
pub fn topic_selection(inputs: &Mm2Inputs) -> NameSelection {
    selection(
        NameKind::Topic,
        &inputs.topics,
        &inputs.topic_prefixes,
        &inputs.topic_regexes,
    )
}

/// The groups the flow checkpoints: `groups`, `group_prefixes` and `group_regexes`.
pub fn group_selection(inputs: &Mm2Inputs) -> NameSelection {
    selection(
        NameKind::Group,
        &inputs.groups,
        &inputs.group_prefixes,
        &inputs.group_regexes,
    )
}

/// Regex elements that do not compile, or select nothing, on their attribute and index.
pub fn validate_regexes(inputs: &Mm2Inputs) -> Vec<InputError<Mm2Field>> {
    let mut errors = Vec::new();
    for (field, kind, values) in [
        (
            Mm2Field::TopicRegexes,
            NameKind::Topic,
            &inputs.topic_regexes,
        ),
        (
            Mm2Field::GroupRegexes,
            NameKind::Group,
            &inputs.group_regexes,
        ),
    ] {
        for (index, value) in values.iter().enumerate() {
            let message = match element_cover(kind, value) {
                Err(message) => message,
                Ok(cover) if cover.is_empty() => format!(
                    "{value:?} matches no legal {} name",
                    match kind {
                        NameKind::Topic => "topic",
                        NameKind::Group => "group",
                    }
                ),
                Ok(_) => continue,
            };
            errors.push(InputError {
                field,
                index: Some(index),
                message,
            });
        }
    }
    errors
}

/// A plan-time check of an MM2 flow: a warning, never an error (MM2 may be configured to
/// match, which the provider cannot see).
pub struct Mm2Check {
    pub spec_row: &'static str,
    pub summary: &'static str,
    /// When it warns, as the permissions reference states it.
    pub when: &'static str,
    pub check: fn(&Mm2Inputs) -> Vec<InputError<Mm2Field>>,
}

/// Every check, with the spec row it enforces.
pub static MM2_CHECKS: &[Mm2Check] = &[
    Mm2Check {
        spec_row: "1.10 (section 6, row 10 pitfall)",
        summary: "Checkpoints cannot cover MM2's groups filter",
        when: "`emit_checkpoints` or `sync_group_offsets` is on while `groups`, `group_prefixes` and `group_regexes` are all empty: MM2's `groups` filter defaults to every group, and one group without GROUP DESCRIBE stops all checkpoints",
        check: checkpoint_groups,
    },
    Mm2Check {
        spec_row: "1.1, 1.10 (regex cover)",
        summary: "Regex cover wider than MM2's filter",
        when: "an element of `topic_regexes` / `group_regexes` has no exact LITERAL/PREFIXED cover (e.g. `.*-events`, `[a-z]+`): the warning names the pattern and what it allows beyond the regex",
        check: cover_warnings,
    },
];

/// Row 10: checkpoints (or group offset sync) on and no group selected. MM2's `groups`
/// filter defaults to every group; with CLUSTER DESCRIBE on the source, ListGroups returns
/// them all, and one group without GROUP DESCRIBE fails the whole offset lookup.
fn checkpoint_groups(inputs: &Mm2Inputs) -> Vec<InputError<Mm2Field>> {
    let uses_groups = inputs.emit_checkpoints || inputs.sync_group_offsets;
    if !uses_groups || !group_selection(inputs).is_empty() {
        return Vec::new();
    }
    let switch = if inputs.emit_checkpoints {
        "emit_checkpoints"
    } else {
        "sync_group_offsets"
    };
    vec![InputError {
        field: Mm2Field::Groups,
        index: None,
        message: format!(
            "{switch} is on but no group is given (groups, group_prefixes and group_regexes are empty): MM2's `groups` filter defaults to every group (`.*`), and without GROUP DESCRIBE on the groups it matches MM2 emits no checkpoints at all (spec row 1.10). Set group_regexes to MM2's `groups` value, groups = [\"*\"], or turn {switch} off."
        ),
    }]
}

/// What the covers of `topic_regexes` / `group_regexes` allow beyond MM2's filters.
fn cover_warnings(inputs: &Mm2Inputs) -> Vec<InputError<Mm2Field>> {
    let mut warnings = Vec::new();
    for (field, kind, values) in [
        (
            Mm2Field::TopicRegexes,
            NameKind::Topic,
            &inputs.topic_regexes,
        ),
        (
            Mm2Field::GroupRegexes,
            NameKind::Group,
            &inputs.group_regexes,
        ),
    ] {
        for (index, value) in values.iter().enumerate() {
            if let Ok(cover) = element_cover(kind, value) {
                warnings.extend(cover.warnings.into_iter().map(|message| InputError {
                    field,
                    index: Some(index),
                    message,
                }));
            }
        }
    }
    warnings
}

/// Every check's warnings, with the check's summary.
pub fn mm2_warnings(inputs: &Mm2Inputs) -> Vec<(&'static str, InputError<Mm2Field>)> {
    MM2_CHECKS
        .iter()
        .flat_map(|check| {
            (check.check)(inputs)
                .into_iter()
                .map(|w| (check.summary, w))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Mm2Inputs {
        Mm2Inputs::with_defaults("a", "b", "User:mm2")
    }

    #[test]
    fn regexes_add_to_the_literal_lists() {
        let mut flow = inputs();
        flow.topics = vec!["audit".into()];
        flow.topic_regexes = vec!["orders\\..*, payments".into()];
        assert_eq!(
            topic_selection(&flow),
            NameSelection::new(&["audit".into(), "payments".into()], &["orders.".into()])
        );
        flow.group_regexes = vec![".*".into()];
        assert!(group_selection(&flow).is_all());
    }

    #[test]
    fn bad_regexes_are_errors_on_their_element() {
        let mut flow = inputs();
        flow.topic_regexes = vec!["orders".into(), "(x".into(), "a b".into()];
        let errors = validate_regexes(&flow);
        let at: Vec<(Mm2Field, Option<usize>)> =
            errors.iter().map(|e| (e.field, e.index)).collect();
        assert_eq!(
            at,
            [
                (Mm2Field::TopicRegexes, Some(1)),
                (Mm2Field::TopicRegexes, Some(2))
            ]
        );
    }

    #[test]
    fn row_10_warns_when_checkpoints_have_no_groups() {
        let mut flow = inputs();
        flow.topics = vec!["orders".into()];
        let warnings = mm2_warnings(&flow);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].1.field, Mm2Field::Groups);
        assert!(warnings[0].1.message.contains("every group"));
        for fix in [
            |f: &mut Mm2Inputs| f.groups = vec!["*".into()],
            |f: &mut Mm2Inputs| f.group_regexes = vec!["app-.*".into()],
            |f: &mut Mm2Inputs| f.emit_checkpoints = false,
        ] {
            let mut fixed = flow.clone();
            fix(&mut fixed);
            assert!(mm2_warnings(&fixed).is_empty());
        }
        flow.emit_checkpoints = false;
        flow.sync_group_offsets = true;
        assert!(mm2_warnings(&flow)[0]
            .1
            .message
            .starts_with("sync_group_offsets"));
    }

    #[test]
    fn permissions_reference_lists_every_check() {
        let doc = include_str!("../../docs/guides/permissions-reference.md");
        for check in MM2_CHECKS {
            let row = format!(
                "| {} | {} | {} |",
                check.spec_row, check.summary, check.when
            );
            assert!(
                doc.contains(&row),
                "docs/guides/permissions-reference.md lacks the MM2_CHECKS row:\n{row}"
            );
        }
    }

    #[test]
    fn inexact_covers_warn_on_their_element() {
        let mut flow = inputs();
        flow.groups = vec!["*".into()];
        flow.topic_regexes = vec!["orders".into(), ".*-events".into()];
        let warnings = mm2_warnings(&flow);
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            (warnings[0].1.field, warnings[0].1.index),
            (Mm2Field::TopicRegexes, Some(1))
        );
    }
}
