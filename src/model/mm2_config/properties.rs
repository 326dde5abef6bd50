//! A dedicated-mode `connect-mirror-maker.properties` read as Java's `Properties.load` and
//! Apache Kafka's `MirrorMakerConfig` read it: `clusters`, one herder per ordered pair whose
//! `A->B.enabled` is true or whose heartbeats are on (`clusterPairs`), connector settings
//! `A->B.x` over `x` (`connectorBaseConfig`), worker settings from `B.x` and the top-level
//! storage keys (`workerConfig`).

use super::{
    resolve_flow, ConfigError, ConfiguredFlow, Connector, Deployment, FlowSettings, Location,
    Mm2Config, Setting,
};
use std::collections::{BTreeMap, BTreeSet};

/// The key/value pairs of a properties text (the last of a repeated key wins), each with
/// the line it starts on.
#[derive(Debug, Default)]
pub struct Properties {
    entries: BTreeMap<String, Setting>,
}

impl Properties {
    pub fn get(&self, key: &str) -> Option<Setting> {
        self.entries.get(key).cloned()
    }

    fn keys(&self) -> impl Iterator<Item = (&String, &Setting)> {
        self.entries.iter()
    }
}

/// Java's `Properties.load` grammar: `#`/`!` comments, `\` line continuation, key ended by
/// an unescaped `=`, `:` or whitespace, escapes `\t \n \r \f \uXXXX`.
pub fn parse_properties(text: &str) -> Result<Properties, ConfigError> {
    let mut properties = Properties::default();
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut index = 0;
    while index < lines.len() {
        let start = index + 1;
        let first = lines[index].trim_start_matches([' ', '\t', '\u{c}']);
        index += 1;
        if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
            continue;
        }
        let mut logical = String::new();
        let mut current = first;
        loop {
            let trailing = current.chars().rev().take_while(|&c| c == '\\').count();
            if trailing % 2 == 1 && index < lines.len() {
                logical.push_str(&current[..current.len() - 1]);
                current = lines[index].trim_start_matches([' ', '\t', '\u{c}']);
                index += 1;
            } else {
                logical.push_str(if trailing % 2 == 1 {
                    &current[..current.len() - 1]
                } else {
                    current
                });
                break;
            }
        }
        let (key, value) = split_entry(&logical);
        let key = unescape(key, start)?;
        let value = unescape(value, start)?;
        properties.entries.insert(
            key,
            Setting {
                value,
                location: Location::Line(start),
            },
        );
    }
    Ok(properties)
}

/// The raw key and value of one logical line.
fn split_entry(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut key_end = line.len();
    for (at, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, '=' | ':' | ' ' | '\t' | '\u{c}') {
            key_end = at;
            break;
        }
    }
    let key = &line[..key_end];
    let mut rest = line[key_end..].trim_start_matches([' ', '\t', '\u{c}']);
    if let Some(stripped) = rest.strip_prefix(['=', ':']) {
        rest = stripped.trim_start_matches([' ', '\t', '\u{c}']);
    }
    (key, rest)
}

fn unescape(raw: &str, line: usize) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .and_then(char::from_u32)
                    .ok_or_else(|| {
                        ConfigError::new(
                            Location::Line(line),
                            format!("malformed \\uXXXX escape \\u{hex}"),
                        )
                    })?;
                out.push(code);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

/// The keys MM2's dedicated mode derives from the herder's source alias; the resource names
/// these topics and the group by MM2's defaults only.
const FIXED_WORKER_KEYS: &[&str] = &[
    "group.id",
    "config.storage.topic",
    "offset.storage.topic",
    "status.storage.topic",
];

/// Top-level prefixes `workerConfig` copies over the target cluster's `B.` settings.
const WORKER_TOP_LEVEL_PREFIXES: &[&str] = &[
    "offset.storage",
    "config.storage",
    "status.storage",
    "replication.policy",
];

struct PairSettings<'a> {
    properties: &'a Properties,
    source: &'a str,
    target: &'a str,
}

impl FlowSettings for PairSettings<'_> {
    fn get(&self, connector: Connector, key: &str) -> Option<Setting> {
        let p = self.properties;
        match connector {
            Connector::Worker => {
                let top = WORKER_TOP_LEVEL_PREFIXES
                    .iter()
                    .any(|prefix| key.starts_with(prefix))
                    .then(|| p.get(key))
                    .flatten();
                top.or_else(|| p.get(&format!("{}.{key}", self.target)))
            }
            _ => p
                .get(&format!("{}->{}.{key}", self.source, self.target))
                .or_else(|| p.get(key)),
        }
    }

    fn runs(&self, _connector: Connector) -> bool {
        true
    }
}

/// `A->B.enabled` as `clusterPairs` reads it (`Boolean.parseBoolean`: only `true` is true).
fn pair_enabled(properties: &Properties, source: &str, target: &str) -> bool {
    properties
        .get(&format!("{source}->{target}.enabled"))
        .is_some_and(|s| s.value.trim().eq_ignore_ascii_case("true"))
}

/// Whether herder `A->B` emits heartbeats (`A->B.emit.heartbeats.enabled` over the global).
fn pair_heartbeats(properties: &Properties, source: &str, target: &str) -> bool {
    properties
        .get(&format!("{source}->{target}.emit.heartbeats.enabled"))
        .or_else(|| properties.get("emit.heartbeats.enabled"))
        .is_none_or(|s| s.value.trim().eq_ignore_ascii_case("true"))
}

/// Every enabled flow of a dedicated-mode MM2 configuration.
pub fn parse(text: &str) -> Result<Mm2Config, ConfigError> {
    let properties = parse_properties(text)?;
    let Some(clusters) = properties.get("clusters") else {
        return Err(ConfigError::new(
            Location::Document,
            "no `clusters` setting: MM2 needs the list of cluster aliases (e.g. clusters = primary, backup)",
        ));
    };
    let aliases: Vec<String> = super::regex_cover::split_list(&clusters.value);
    let mut seen = BTreeSet::new();
    for alias in &aliases {
        if alias.is_empty() || !seen.insert(alias.as_str()) {
            return Err(ConfigError::new(
                clusters.location,
                format!(
                    "clusters = {:?}: aliases must be non-empty and distinct",
                    clusters.value
                ),
            ));
        }
    }
    for key in FIXED_WORKER_KEYS {
        let names = std::iter::once(key.to_string())
            .chain(aliases.iter().map(|alias| format!("{alias}.{key}")));
        for name in names {
            if let Some(setting) = properties.get(&name) {
                return Err(ConfigError::new(
                    setting.location,
                    format!("{name} is not supported: in dedicated mode the resource names each herder's worker group and topics by MM2's defaults (`<alias>-mm2`, `mm2-configs.<alias>.internal`, ...)"),
                ));
            }
        }
    }
    let mut config = Mm2Config::default();
    for (key, setting) in properties.keys() {
        if let Some((pair, _)) = key.split_once('.') {
            if let Some((source, target)) = pair.split_once("->") {
                if !seen.contains(source) || !seen.contains(target) {
                    config.warnings.push(format!(
                        "{}: {key} names a cluster pair not in `clusters`: MM2 ignores it",
                        setting.location
                    ));
                }
            }
        }
    }
    let mut herders = BTreeSet::new();
    let mut enabled = Vec::new();
    for source in &aliases {
        for target in aliases.iter().filter(|t| *t != source) {
            let flow = pair_enabled(&properties, source, target);
            if flow || pair_heartbeats(&properties, source, target) {
                herders.insert((source.clone(), target.clone()));
            }
            if flow {
                enabled.push((source.clone(), target.clone()));
            }
        }
    }
    let mut covered = BTreeSet::new();
    for (source, target) in &enabled {
        let settings = PairSettings {
            properties: &properties,
            source,
            target,
        };
        let mut flow: ConfiguredFlow =
            resolve_flow(source, target, &settings, Deployment::Dedicated)?;
        covered.insert((source.clone(), target.clone()));
        if flow.emit_heartbeats {
            let reverse = (target.clone(), source.clone());
            if !herders.contains(&reverse) {
                flow.warnings.push(format!(
                    "the resource grants the reverse herder {target}->{source} its ACLs on {source}, but MM2 runs no {target}->{source} herder ({target}->{source}.emit.heartbeats.enabled is false)"
                ));
            }
            covered.insert(reverse);
        }
        config.flows.push(flow);
    }
    for (source, target) in herders.difference(&covered) {
        config.warnings.push(format!(
            "MM2 runs herder {source}->{target} ({source}->{target}.enabled is not true, but heartbeats are on): it writes heartbeats to {target} as the worker group {source}-mm2, and no enabled flow covers its ACLs; set {source}->{target}.emit.heartbeats.enabled = false, or enable {target}->{source}"
        ));
    }
    config.flows.sort_by_key(ConfiguredFlow::key);
    Ok(config)
}
