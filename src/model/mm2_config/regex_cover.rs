//! MM2's topic and group filters (comma-separated Java regexes, full match, as
//! `DefaultTopicFilter` / `DefaultGroupFilter` apply them) compiled to the narrowest set of
//! LITERAL and PREFIXED ACL patterns that covers every name the filter matches.
//!
//! Invariant: the cover never misses a name the regex matches (a property test checks it).
//! Where no exact cover exists (`.*-events`, `[a-z]+`) the cover is the narrowest safe one
//! this compiler finds, and a warning says what it allows beyond the filter. Excludes
//! cannot narrow a PREFIXED pattern; they only drop LITERAL names they match.
//!
//! Rust's regex syntax (`regex-syntax`) stands in for Java's on the subset where both mean
//! the same; Java-only constructs and constructs whose meaning differs are errors, never
//! guesses. Classes are intersected with the names' alphabet (Kafka's topic characters for
//! topics), which also removes the difference between Rust's Unicode `\d`/`\w` and Java's
//! ASCII ones for topics; for groups Rust's classes are a superset of Java's, which only
//! widens the cover.

use super::super::validate::check_topic_name;
use regex_syntax::hir::{Class, Hir, HirKind, Look, Repetition};
use std::collections::BTreeMap;

/// What the names are: topics (Kafka's topic alphabet) or consumer groups (any string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Topic,
    Group,
}

impl NameKind {
    fn noun(self) -> &'static str {
        match self {
            NameKind::Topic => "topic",
            NameKind::Group => "group",
        }
    }

    fn allows(self, c: char) -> bool {
        match self {
            NameKind::Topic => c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'),
            NameKind::Group => true,
        }
    }

    fn legal_name(self, name: &str) -> bool {
        match self {
            NameKind::Topic => check_topic_name(name).is_ok(),
            NameKind::Group => !name.is_empty(),
        }
    }
}

/// The ACL patterns covering a filter. `all` means LITERAL `*` (then the lists are empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cover {
    pub literals: Vec<String>,
    pub prefixes: Vec<String>,
    pub all: bool,
    /// What the patterns allow beyond the filter, and excludes that cannot narrow them.
    pub warnings: Vec<String>,
}

impl Cover {
    /// Whether the patterns match `name` (as Kafka's authorizer matches LITERAL/PREFIXED).
    pub fn matches(&self, name: &str) -> bool {
        self.all
            || self.literals.iter().any(|l| l == name)
            || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.literals.is_empty() && self.prefixes.is_empty()
    }
}

/// A regex that cannot be compiled: Java syntax this compiler does not support, or invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("regex {regex:?}: {message}")]
pub struct RegexError {
    pub regex: String,
    pub message: String,
}

/// Splits an MM2 list value as Kafka's `ConfigDef` LIST type does: trimmed, split on commas
/// with surrounding whitespace; an empty value is an empty list.
pub fn split_list(value: &str) -> Vec<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed.split(',').map(|s| s.trim().to_string()).collect()
}

/// A full-match matcher of one regex list (for excludes and tests), in Rust's syntax.
pub fn full_match_regex(regexes: &[String]) -> Result<regex::Regex, RegexError> {
    let joined = regexes
        .iter()
        .map(|r| format!("(?:{r})"))
        .collect::<Vec<_>>()
        .join("|");
    regex::Regex::new(&format!("^(?:{joined})$")).map_err(|error| RegexError {
        regex: regexes.join(","),
        message: error.to_string(),
    })
}

/// Compiles MM2's `includes` (each one regex, already split) minus `excludes` to a cover.
/// `include_key` / `exclude_key` name the settings in warnings (e.g. `topics`).
pub fn compile(
    kind: NameKind,
    includes: &[String],
    include_key: &str,
    excludes: &[String],
    exclude_key: &str,
) -> Result<Cover, RegexError> {
    let compiler = Compiler { kind };
    // Item -> (exact, the first regex that produced it).
    let mut items: BTreeMap<String, ItemInfo> = BTreeMap::new();
    let mut warnings = Vec::new();
    for regex in includes {
        let parsed = parse(regex)?;
        let found = compiler.items(&parsed).map_err(|message| RegexError {
            regex: regex.clone(),
            message,
        })?;
        let mut legal = 0;
        for item in found {
            let (text, open, exact) = match item {
                Item::Literal(text) => (text, false, true),
                Item::Prefix { text, exact } => (text, true, exact),
            };
            if !open && !kind.legal_name(&text) {
                continue;
            }
            if open && kind == NameKind::Topic && text.len() >= 249 {
                continue;
            }
            legal += 1;
            let info = items.entry(key(&text, open)).or_insert(ItemInfo {
                text,
                open,
                exact,
                origin: regex.clone(),
            });
            info.exact |= exact;
        }
        if legal == 0 {
            warnings.push(format!(
                "{include_key} regex `{regex}` matches no legal {} name: no ACL for it",
                kind.noun()
            ));
        }
    }
    let excluded = if excludes.is_empty() {
        None
    } else {
        for regex in excludes {
            parse(regex)?;
        }
        Some(full_match_regex(excludes)?)
    };
    // Literals an exclude matches are never replicated: no ACL is needed for them.
    if let Some(excluded) = &excluded {
        let dropped: Vec<String> = items
            .values()
            .filter(|i| !i.open && excluded.is_match(&i.text))
            .map(|i| i.text.clone())
            .collect();
        for name in &dropped {
            items.remove(&key(name, false));
            warnings.push(format!(
                "`{name}` matches {include_key} but also {exclude_key}: MM2 skips it, no ACL for it"
            ));
        }
    }
    // A prefix covers the literals and longer prefixes under it.
    let prefixes: Vec<(String, bool)> = items
        .values()
        .filter(|i| i.open)
        .map(|i| (i.text.clone(), i.exact))
        .collect();
    items.retain(|_, item| {
        !prefixes.iter().any(|(p, _)| {
            item.text.starts_with(p.as_str()) && (!item.open || item.text.len() > p.len())
        })
    });
    let mut cover = Cover::default();
    for item in items.values() {
        match (item.open, item.text.is_empty()) {
            (true, true) => {
                cover.all = true;
                if !item.exact {
                    warnings.push(format!(
                        "{include_key} regex `{}` has no LITERAL/PREFIXED cover narrower than all {}s: the ACLs use `*` and allow every {}",
                        item.origin,
                        kind.noun(),
                        kind.noun()
                    ));
                }
            }
            (true, false) => {
                cover.prefixes.push(item.text.clone());
                if !item.exact {
                    warnings.push(format!(
                        "{include_key} regex `{}` has no exact LITERAL/PREFIXED cover: PREFIXED `{}` also allows {}s starting with `{}` that the regex does not match",
                        item.origin,
                        item.text,
                        kind.noun(),
                        item.text
                    ));
                }
            }
            (false, _) => cover.literals.push(item.text.clone()),
        }
    }
    if cover.all {
        cover.literals.clear();
        cover.prefixes.clear();
    }
    if let Some(excluded) = &excluded {
        let widened: Vec<String> = if cover.all {
            vec!["`*`".to_string()]
        } else {
            cover
                .prefixes
                .iter()
                .filter(|p| compiler.may_match_under(excludes, p))
                .map(|p| format!("PREFIXED `{p}`"))
                .collect()
        };
        if !widened.is_empty() && !excluded.as_str().is_empty() {
            warnings.push(format!(
                "{exclude_key} (`{}`) cannot narrow {}: ACLs cannot subtract, so they also allow the excluded {}s",
                excludes.join(", "),
                widened.join(", "),
                kind.noun()
            ));
        }
    }
    cover.warnings = warnings;
    Ok(cover)
}

struct ItemInfo {
    text: String,
    open: bool,
    exact: bool,
    origin: String,
}

/// Sort key of an item: literals and prefixes of the same text stay apart.
fn key(text: &str, open: bool) -> String {
    format!("{text}\u{0}{}", u8::from(open))
}

/// Java-only syntax, or syntax Rust accepts with another meaning, is refused before parsing.
fn java_differences(regex: &str) -> Option<&'static str> {
    let mut chars = regex.chars().peekable();
    let mut previous = None;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next();
                let message = match next {
                    Some('v') => Some("`\\v` is a vertical-whitespace class in Java but a single character in this compiler's syntax"),
                    Some('Q') | Some('E') => Some("`\\Q...\\E` quoting is not supported: escape each character instead"),
                    Some('<') | Some('>') => Some("`\\<` and `\\>` are literal characters in Java; write `<` / `>`"),
                    Some(c) if c.is_ascii_digit() => Some("backreferences and octal escapes are not supported"),
                    _ => None,
                };
                if message.is_some() {
                    return message;
                }
                // An escaped character is a literal: it starts no `[:` and ends no quantifier.
                previous = None;
                continue;
            }
            '+' if matches!(previous, Some('*' | '+' | '?' | '}')) => {
                return Some("possessive quantifiers (`*+`, `++`, `?+`) are not supported");
            }
            '{' if chars.peek() == Some(&',') => {
                return Some("`{,n}` is not a Java quantifier (MM2 would reject it)");
            }
            ':' if previous == Some('[') => {
                return Some("`[:name:]` is a POSIX class here but a plain character set in Java: write the characters out");
            }
            _ => {}
        }
        previous = Some(c);
    }
    None
}

fn parse(regex: &str) -> Result<Hir, RegexError> {
    if let Some(message) = java_differences(regex) {
        return Err(RegexError {
            regex: regex.to_string(),
            message: message.to_string(),
        });
    }
    regex_syntax::ParserBuilder::new()
        .build()
        .parse(regex)
        .map_err(|error| {
            let text = error.to_string();
            let hint = if text.contains("repetition") && regex.contains('{') {
                " (MM2 splits the list on commas, so a `{n,m}` quantifier is cut in two; use `{n}` or alternatives)"
            } else {
                ""
            };
            RegexError {
                regex: regex.to_string(),
                message: format!(
                    "not supported or not valid: {}{hint}",
                    text.lines().last().unwrap_or_default().trim()
                ),
            }
        })
}

/// Literal: exactly this string. Prefix: every string starting with it (`exact` when the
/// regex matches all of them).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Literal(String),
    Prefix { text: String, exact: bool },
}

impl Item {
    fn text(&self) -> &str {
        match self {
            Item::Literal(text) | Item::Prefix { text, .. } => text,
        }
    }
}

/// More items than this collapse into one prefix (their longest common prefix).
const MAX_ITEMS: usize = 64;
/// A class with at most this many characters (after the alphabet) becomes literals.
const MAX_CLASS: usize = 10;
/// Literal text longer than this collapses (no topic name is longer than 249).
const MAX_TEXT: usize = 512;

struct Compiler {
    kind: NameKind,
}

fn is_edge_look(hir: &Hir) -> bool {
    matches!(
        hir.kind(),
        HirKind::Look(
            Look::Start | Look::End | Look::StartLF | Look::EndLF | Look::StartCRLF | Look::EndCRLF
        )
    )
}

fn nullable(hir: &Hir) -> bool {
    hir.properties().minimum_len() == Some(0)
}

impl Compiler {
    fn items(&self, hir: &Hir) -> Result<Vec<Item>, String> {
        match hir.kind() {
            HirKind::Empty => Ok(vec![Item::Literal(String::new())]),
            HirKind::Literal(literal) => {
                let text = std::str::from_utf8(&literal.0)
                    .map_err(|_| "matches bytes that are not UTF-8".to_string())?;
                if text.chars().all(|c| self.kind.allows(c)) {
                    Ok(vec![Item::Literal(text.to_string())])
                } else {
                    Ok(Vec::new())
                }
            }
            HirKind::Class(class) => Ok(self.class(class)),
            // MM2 matches whole names: `^` and `$` at the edges change nothing, and elsewhere
            // reading them as empty only widens the cover.
            HirKind::Look(_) if is_edge_look(hir) => Ok(vec![Item::Literal(String::new())]),
            HirKind::Look(look) => Err(format!(
                "{look:?} (a word boundary) is not supported: Java and this compiler disagree on word characters"
            )),
            HirKind::Repetition(repetition) => self.repetition(repetition),
            HirKind::Capture(capture) => self.items(&capture.sub),
            HirKind::Concat(parts) => self.concat(parts),
            HirKind::Alternation(branches) => {
                let mut all = Vec::new();
                for branch in branches {
                    all.extend(self.items(branch)?);
                }
                Ok(bounded(all))
            }
        }
    }

    /// The class's characters within the alphabet, `None` when there are more than
    /// [`MAX_CLASS`].
    fn class_chars(&self, class: &Class) -> Option<Vec<char>> {
        let mut chars = Vec::new();
        let ranges: Vec<(u32, u32)> = match class {
            Class::Unicode(c) => c
                .ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end())))
                .collect(),
            Class::Bytes(c) => c
                .ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end())))
                .collect(),
        };
        for (start, end) in ranges {
            if self.kind == NameKind::Group && end - start >= MAX_CLASS as u32 {
                return None;
            }
            let end = match self.kind {
                NameKind::Topic => end.min(0x7F),
                NameKind::Group => end,
            };
            for code in start..=end {
                if let Some(c) = char::from_u32(code).filter(|&c| self.kind.allows(c)) {
                    chars.push(c);
                    if chars.len() > MAX_CLASS {
                        return None;
                    }
                }
            }
        }
        Some(chars)
    }

    fn class(&self, class: &Class) -> Vec<Item> {
        match self.class_chars(class) {
            Some(chars) => chars
                .into_iter()
                .map(|c| Item::Literal(c.to_string()))
                .collect(),
            None => vec![Item::Prefix {
                text: String::new(),
                exact: false,
            }],
        }
    }

    /// Whether `hir` is one character from a class holding the whole alphabet (for groups:
    /// every character but line terminators, which Java's `.` leaves out).
    fn is_universal(&self, hir: &Hir) -> bool {
        let HirKind::Class(Class::Unicode(class)) = hir.kind() else {
            return false;
        };
        let contains = |c: char| {
            class
                .ranges()
                .iter()
                .any(|r| r.start() <= c && c <= r.end())
        };
        match self.kind {
            NameKind::Topic => (0u8..0x80)
                .map(char::from)
                .filter(|&c| self.kind.allows(c))
                .all(contains),
            NameKind::Group => {
                let skippable = |code: u32| {
                    (0xD800..=0xDFFF).contains(&code)
                        || matches!(code, 0x0A | 0x0D | 0x85 | 0x2028 | 0x2029)
                };
                let mut next = 0u32;
                for range in class.ranges() {
                    if !(next..u32::from(range.start())).all(skippable) {
                        return false;
                    }
                    next = u32::from(range.end()) + 1;
                }
                (next..=0x10FFFF).all(skippable)
            }
        }
    }

    fn concat(&self, parts: &[Hir]) -> Result<Vec<Item>, String> {
        let mut acc = vec![Item::Literal(String::new())];
        for part in parts {
            let next = self.items(part)?;
            acc = concat_items(&acc, &next, nullable(part));
        }
        Ok(acc)
    }

    fn repetition(&self, repetition: &Repetition) -> Result<Vec<Item>, String> {
        let (min, max) = (repetition.min, repetition.max);
        if max.is_none() && self.is_universal(&repetition.sub) {
            return Ok(vec![Item::Prefix {
                text: String::new(),
                exact: min == 0,
            }]);
        }
        let sub = self.items(&repetition.sub)?;
        let sub_nullable = nullable(&repetition.sub);
        let mut acc = vec![Item::Literal(String::new())];
        for _ in 0..min {
            let next = concat_items(&acc, &sub, sub_nullable);
            if next == acc {
                break;
            }
            acc = next;
        }
        match max {
            Some(max) => {
                let mut all = acc.clone();
                let mut current = acc;
                for _ in min..max {
                    let next = concat_items(&current, &sub, sub_nullable);
                    if next == current {
                        break;
                    }
                    all.extend(next.iter().cloned());
                    all = bounded(all);
                    current = next;
                }
                Ok(bounded(all))
            }
            None => {
                // Zero more repetitions, or at least one more: a string starting with an item.
                let mut rest = vec![Item::Literal(String::new())];
                rest.extend(sub.into_iter().map(|item| match item {
                    Item::Literal(text) => Item::Prefix { text, exact: false },
                    prefix => prefix,
                }));
                Ok(concat_items(&acc, &bounded(rest), true))
            }
        }
    }

    /// Whether the exclude regexes may match some name starting with `prefix` (their covers
    /// meet it). Errors were reported when the excludes were parsed.
    fn may_match_under(&self, excludes: &[String], prefix: &str) -> bool {
        excludes.iter().any(|regex| {
            let Ok(items) = parse(regex).and_then(|hir| {
                self.items(&hir).map_err(|message| RegexError {
                    regex: regex.clone(),
                    message,
                })
            }) else {
                return true;
            };
            items.iter().any(|item| match item {
                Item::Literal(text) => text.starts_with(prefix),
                Item::Prefix { text, .. } => {
                    text.starts_with(prefix) || prefix.starts_with(text.as_str())
                }
            })
        })
    }
}

/// `left` followed by `right` (whose language contains the empty string when `nullable`).
fn concat_items(left: &[Item], right: &[Item], nullable: bool) -> Vec<Item> {
    let mut out = Vec::new();
    if right.is_empty() {
        return out;
    }
    for item in left {
        match item {
            Item::Prefix { text, exact } => out.push(Item::Prefix {
                text: text.clone(),
                exact: *exact && nullable,
            }),
            Item::Literal(head) => {
                for next in right {
                    out.push(match next {
                        Item::Literal(tail) => Item::Literal(format!("{head}{tail}")),
                        Item::Prefix { text, exact } => Item::Prefix {
                            text: format!("{head}{text}"),
                            exact: *exact,
                        },
                    });
                }
            }
        }
    }
    bounded(out)
}

/// Deduplicated (a prefix exact if any copy is), collapsed to one prefix when too many or
/// too long.
fn bounded(items: Vec<Item>) -> Vec<Item> {
    let mut merged: BTreeMap<(String, bool), bool> = BTreeMap::new();
    for item in &items {
        let (text, open, exact) = match item {
            Item::Literal(text) => (text.clone(), false, true),
            Item::Prefix { text, exact } => (text.clone(), true, *exact),
        };
        *merged.entry((text, open)).or_insert(false) |= exact;
    }
    let out: Vec<Item> = merged
        .into_iter()
        .map(|((text, open), exact)| {
            if open {
                Item::Prefix { text, exact }
            } else {
                Item::Literal(text)
            }
        })
        .collect();
    if out.len() <= MAX_ITEMS && out.iter().all(|i| i.text().len() <= MAX_TEXT) {
        return out;
    }
    let mut common: &str = out[0].text();
    for item in &out[1..] {
        let text = item.text();
        let shared = common
            .char_indices()
            .zip(text.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((at, a), _)| at + a.len_utf8());
        common = &common[..shared];
    }
    let common: String = common.chars().take(MAX_TEXT).collect();
    vec![Item::Prefix {
        text: common,
        exact: false,
    }]
}

#[cfg(test)]
#[path = "regex_cover_tests.rs"]
mod tests;
