//! The regex compiler, table by table, and the property that a cover never misses a name
//! the regex matches (fixed-seed generator, Rust's `regex` crate as the reference matcher).

use super::*;

fn list(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn topics(regexes: &[&str]) -> Cover {
    compile(
        NameKind::Topic,
        &list(regexes),
        "topics",
        &[],
        "topics.exclude",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// `(regexes, LITERAL names, PREFIXED names, all, warning count)`.
type CoverRow = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    bool,
    usize,
);

#[rustfmt::skip]
const TOPIC_TABLE: &[CoverRow] = &[
    (&["orders"], &["orders"], &[], false, 0),
    (&["orders\\..*"], &[], &["orders."], false, 0),
    (&["(a|b)-.*"], &[], &["a-", "b-"], false, 0),
    (&[".*"], &[], &[], true, 0),
    (&["orders", "payments"], &["orders", "payments"], &[], false, 0),
    (&["orders\\..*", "orders\\.eu\\..*", "orders\\.x"], &[], &["orders."], false, 0),
    (&["^orders$"], &["orders"], &[], false, 0),
    (&["^a$|^b$"], &["a", "b"], &[], false, 0),
    (&["orders-v[12]"], &["orders-v1", "orders-v2"], &[], false, 0),
    (&["orders(-eu)?"], &["orders", "orders-eu"], &[], false, 0),
    (&["ab{2,3}"], &["abb", "abbb"], &[], false, 0),
    (&["orders\\.[\\w.-]*"], &[], &["orders."], false, 0),
    (&["orders\\.\\d"], &["orders.0", "orders.1", "orders.2", "orders.3", "orders.4", "orders.5", "orders.6", "orders.7", "orders.8", "orders.9"], &[], false, 0),
    // No exact cover: the narrowest safe one and a warning.
    (&[".*-events"], &[], &[], true, 1),
    (&["[a-z]+"], &[], &[], true, 1),
    (&["orders\\..+"], &[], &["orders."], false, 1),
    (&["orders.v1"], &[], &["orders"], false, 1),
    (&["a+"], &["a"], &["aa"], false, 1),
    (&["orders-[a-z]+-v1"], &[], &["orders-"], false, 1),
    (&["(?i)ab"], &["AB", "Ab", "aB", "ab"], &[], false, 0),
    // Names no topic can have.
    (&["orders events"], &[], &[], false, 1),
    (&[""], &[], &[], false, 1),
];

#[test]
fn topic_regexes_compile_to_the_narrowest_cover() {
    for (regexes, literals, prefixes, all, warnings) in TOPIC_TABLE {
        let cover = topics(regexes);
        assert_eq!(cover.literals, list(literals), "{regexes:?}");
        assert_eq!(cover.prefixes, list(prefixes), "{regexes:?}");
        assert_eq!(cover.all, *all, "{regexes:?}");
        assert_eq!(
            cover.warnings.len(),
            *warnings,
            "{regexes:?}: {:?}",
            cover.warnings
        );
    }
}

#[test]
fn warnings_say_what_the_cover_allows_beyond_the_filter() {
    let cover = topics(&[".*-events"]);
    assert!(
        cover.warnings[0].contains("`.*-events`") && cover.warnings[0].contains("every topic"),
        "{:?}",
        cover.warnings
    );
    let cover = topics(&["orders\\..+"]);
    assert!(
        cover.warnings[0].contains("PREFIXED `orders.` also allows topics starting with `orders.`"),
        "{:?}",
        cover.warnings
    );
}

#[test]
fn groups_use_any_character_and_dot_star_is_exact() {
    let cover = compile(
        NameKind::Group,
        &list(&["app-.*", "billing"]),
        "groups",
        &[],
        "groups.exclude",
    )
    .unwrap();
    assert_eq!(cover.literals, list(&["billing"]));
    assert_eq!(cover.prefixes, list(&["app-"]));
    assert!(cover.warnings.is_empty(), "{:?}", cover.warnings);
    let cover = compile(NameKind::Group, &list(&["app [x]"]), "groups", &[], "g").unwrap();
    assert_eq!(cover.literals, list(&["app x"]));
}

#[test]
fn excludes_drop_literals_and_say_when_they_cannot_narrow_a_prefix() {
    let cover = compile(
        NameKind::Topic,
        &list(&["orders", "orders-internal", "billing\\..*"]),
        "topics",
        &list(&[".*[\\-\\.]internal", "__.*"]),
        "topics.exclude",
    )
    .unwrap();
    assert_eq!(cover.literals, list(&["orders"]));
    assert_eq!(cover.prefixes, list(&["billing."]));
    assert_eq!(cover.warnings.len(), 2, "{:?}", cover.warnings);
    assert!(cover.warnings[0].contains("`orders-internal`"));
    assert!(cover.warnings[1].contains("cannot narrow PREFIXED `billing.`"));
    // An exclude that cannot meet the prefix is not mentioned.
    let cover = compile(
        NameKind::Topic,
        &list(&["billing\\..*"]),
        "topics",
        &list(&["__.*"]),
        "topics.exclude",
    )
    .unwrap();
    assert!(cover.warnings.is_empty(), "{:?}", cover.warnings);
}

#[test]
fn unsupported_or_java_only_syntax_is_an_error_naming_the_regex() {
    for regex in [
        "orders(?=x)",
        "(a)\\1",
        "\\Qa.b\\E",
        "a{,3}",
        "a{1",
        "[[:alpha:]]",
        "a\\bb",
        "\\v",
        "orders*+",
        "(",
    ] {
        let error = compile(NameKind::Topic, &list(&[regex]), "topics", &[], "x").unwrap_err();
        assert_eq!(error.regex, regex);
        assert!(!error.message.is_empty());
    }
    // Escaped characters are literals, not the start of Java-only syntax.
    let cover = topics(&["a\\[:b", "c\\}+"]);
    assert_eq!(
        cover.literals,
        list(&[]),
        "`[` and `:` are not topic characters"
    );
    assert_eq!(cover.prefixes, list(&[]));
    let error = compile(NameKind::Topic, &list(&["a{1"]), "t", &[], "x").unwrap_err();
    assert!(
        error.message.contains("splits the list on commas"),
        "{error}"
    );
}

#[test]
fn lists_split_as_kafka_config_def_does() {
    assert_eq!(split_list(" a , b,c "), list(&["a", "b", "c"]));
    assert_eq!(split_list("  "), Vec::<String>::new());
    assert_eq!(split_list("a,,b"), list(&["a", "", "b"]));
}

/// xorshift64*: a fixed-seed generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PROPERTY_REGEXES: &[&str] = &[
    "a",
    "ab.*",
    "(a|b)-.*",
    ".*",
    ".*-a",
    "[ab]+",
    "a+b?",
    "ab{1,3}",
    "(ab)*c",
    "a.b",
    "(a|ab)(c|bcd)",
    "[a-c]x[0-1]*",
    "a|b.|c-.*",
    "(?i)ab",
    "a\\.b\\..*",
    "[^a].*",
    "a?b?c?",
    "(a.)+",
    "[-_.]a*",
    "x(y|z(w|v))*",
    "[a-z]{2}",
    "[ab]{0,4}c",
    "a*",
    "^a.*b$",
    "(a|b|c|x|y|z|0|1|_|-|.)+",
];

#[test]
fn covers_never_miss_a_name_the_regex_matches() {
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    for regex in PROPERTY_REGEXES {
        // The regex's own characters and two others, so that matching names are frequent.
        let mut alphabet: Vec<char> = regex
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c))
            .chain("x.".chars())
            .collect();
        alphabet.sort();
        alphabet.dedup();
        for kind in [NameKind::Topic, NameKind::Group] {
            let cover = compile(kind, &list(&[regex]), "topics", &[], "x")
                .unwrap_or_else(|e| panic!("{e}"));
            let matcher = full_match_regex(&list(&[regex])).unwrap();
            let mut matched = 0;
            for _ in 0..3000 {
                let len = rng.below(9);
                let name: String = (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect();
                if matcher.is_match(&name) && kind.legal_name(&name) {
                    matched += 1;
                    assert!(
                        cover.matches(&name),
                        "{kind:?} {regex:?} matches {name:?} but the cover {cover:?} does not"
                    );
                }
            }
            assert!(
                matched > 0,
                "{regex:?}: the generator produced no matching name"
            );
        }
    }
}
