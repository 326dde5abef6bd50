//! The resource's `topic_regexes` / `group_regexes` inputs (MM2's `topics` / `groups`
//! values pasted as they are) compiled, element by element, into the name selections the
//! planner expands: literal names and prefixes plus each regex's cover.

use super::mm2_config::regex_cover::{compile, split_list, Cover, NameKind};
use super::plan::{NameSelection, ALL_NAMES};

pub const TOPIC_REGEXES: &str = "topic_regexes";
pub const GROUP_REGEXES: &str = "group_regexes";

/// One element of a regex input (an MM2 list value) compiled alone.
pub fn element_cover(kind: NameKind, value: &str) -> Result<Cover, String> {
    let key = match kind {
        NameKind::Topic => TOPIC_REGEXES,
        NameKind::Group => GROUP_REGEXES,
    };
    compile(kind, &split_list(value), key, &[], "").map_err(|e| e.to_string())
}

/// The names and prefixes of `names` + `prefixes` + the covers of `regexes` (elements that
/// do not compile add nothing: validation reports them).
pub fn selection(
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
