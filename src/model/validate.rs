//! Input validation for both flows, pure. Every error names the input field (a typed
//! [`Mm2Field`] / [`ClusterLinkField`]) and list index it belongs to; the glue maps fields
//! to attribute paths.
//! Also `normalize_principal`, the form principals are compared in.

use super::cluster_link::ClusterLinkInputs;
use super::mm2::{Mm2Deployment, Mm2Inputs};
use super::plan::ALL_NAMES;

/// Kafka's longest legal topic name.
pub const MAX_TOPIC_NAME_LEN: usize = 249;

/// An input of an MM2 flow: a field of [`Mm2Inputs`] (or of its Connect worker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mm2Field {
    SourceCluster,
    TargetCluster,
    SourceAlias,
    TargetAlias,
    Principal,
    SourcePrincipal,
    TargetPrincipal,
    Topics,
    TopicPrefixes,
    TopicRegexes,
    Groups,
    GroupPrefixes,
    GroupRegexes,
    Separator,
    InternalTopicsReplicationFactor,
    RemoteTopicsReplicationFactor,
    ConnectGroupId,
    ConnectConfigTopic,
    ConnectOffsetTopic,
    ConnectStatusTopic,
}

impl Mm2Field {
    /// Every field [`validate_mm2`] may name.
    pub const ALL: [Mm2Field; 20] = [
        Mm2Field::SourceCluster,
        Mm2Field::TargetCluster,
        Mm2Field::SourceAlias,
        Mm2Field::TargetAlias,
        Mm2Field::Principal,
        Mm2Field::SourcePrincipal,
        Mm2Field::TargetPrincipal,
        Mm2Field::Topics,
        Mm2Field::TopicPrefixes,
        Mm2Field::TopicRegexes,
        Mm2Field::Groups,
        Mm2Field::GroupPrefixes,
        Mm2Field::GroupRegexes,
        Mm2Field::Separator,
        Mm2Field::InternalTopicsReplicationFactor,
        Mm2Field::RemoteTopicsReplicationFactor,
        Mm2Field::ConnectGroupId,
        Mm2Field::ConnectConfigTopic,
        Mm2Field::ConnectOffsetTopic,
        Mm2Field::ConnectStatusTopic,
    ];
}

/// An input of a cluster link: a field of [`ClusterLinkInputs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClusterLinkField {
    SourceCluster,
    DestinationCluster,
    LinkPrincipal,
    DestinationBrokerPrincipal,
    OperatorPrincipal,
    Topics,
    TopicPrefixes,
    Groups,
    GroupPrefixes,
}

impl ClusterLinkField {
    /// Every field [`validate_cluster_link`] may name.
    pub const ALL: [ClusterLinkField; 9] = [
        ClusterLinkField::SourceCluster,
        ClusterLinkField::DestinationCluster,
        ClusterLinkField::LinkPrincipal,
        ClusterLinkField::DestinationBrokerPrincipal,
        ClusterLinkField::OperatorPrincipal,
        ClusterLinkField::Topics,
        ClusterLinkField::TopicPrefixes,
        ClusterLinkField::Groups,
        ClusterLinkField::GroupPrefixes,
    ];
}

/// One invalid input: the field (`F`, the flow's field enumeration) and, for a list, the
/// element it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError<F> {
    pub field: F,
    /// The element of a list attribute, when the error is about one element.
    pub index: Option<usize>,
    pub message: String,
}

impl<F> InputError<F> {
    fn new(field: F, message: impl Into<String>) -> Self {
        InputError {
            field,
            index: None,
            message: message.into(),
        }
    }

    fn at(field: F, index: usize, message: impl Into<String>) -> Self {
        InputError {
            field,
            index: Some(index),
            message: message.into(),
        }
    }
}

/// Checks a principal is `Type:name` and returns its normalised form for comparisons:
/// surrounding spaces trimmed, the `User`/`Group` type in Kafka's spelling, Confluent Cloud
/// resource ids (`sa-`, `u-`, `pool-`, `group-`) lower-cased and numeric ids without
/// leading zeros (`User:007` and `User:7` are the same principal).
pub fn normalize_principal(principal: &str) -> Result<String, String> {
    let trimmed = principal.trim();
    let Some((kind, name)) = trimmed.split_once(':') else {
        return Err(format!(
            "{principal:?} is not a principal: expected Type:name, e.g. User:mm2"
        ));
    };
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "{principal:?} has no valid principal type before ':' (expected e.g. User:mm2)"
        ));
    }
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        return Err(format!(
            "{principal:?} has an empty name or whitespace in the name (expected e.g. User:mm2)"
        ));
    }
    let kind = match kind.to_ascii_lowercase().as_str() {
        "user" => "User".to_string(),
        "group" => "Group".to_string(),
        _ => kind.to_string(),
    };
    let lower = name.to_ascii_lowercase();
    let name = if name.chars().all(|c| c.is_ascii_digit()) {
        let stripped = name.trim_start_matches('0');
        if stripped.is_empty() { "0" } else { stripped }.to_string()
    } else if ["sa-", "u-", "pool-", "group-"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
    {
        lower
    } else {
        name.to_string()
    };
    Ok(format!("{kind}:{name}"))
}

/// A legal Kafka topic name: 1-249 of ASCII alphanumerics, `.`, `_`, `-`, and not `.`/`..`.
pub fn check_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("topic name is empty".to_string());
    }
    if name == "." || name == ".." {
        return Err(format!("{name:?} is not a legal topic name"));
    }
    if name.len() > MAX_TOPIC_NAME_LEN {
        return Err(format!(
            "topic name is {} characters long; Kafka allows at most {MAX_TOPIC_NAME_LEN}",
            name.len()
        ));
    }
    check_topic_chars(name, "topic name")
}

fn check_topic_chars(value: &str, what: &str) -> Result<(), String> {
    match value
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        Some(bad) => Err(format!(
            "{what} {value:?} contains {bad:?}; Kafka topic names allow only ASCII letters, digits, '.', '_' and '-'"
        )),
        None => Ok(()),
    }
}

fn check_principal<F>(field: F, principal: &str, errors: &mut Vec<InputError<F>>) {
    if let Err(message) = normalize_principal(principal) {
        errors.push(InputError::new(field, message));
    }
}

fn check_optional_principal<F>(
    field: F,
    principal: &Option<String>,
    errors: &mut Vec<InputError<F>>,
) {
    if let Some(principal) = principal {
        check_principal(field, principal, errors);
    }
}

/// An alias is used inside topic names, so it must be a legal topic-name fragment.
fn check_alias<F>(field: F, alias: &str, errors: &mut Vec<InputError<F>>) {
    if alias.is_empty() {
        errors.push(InputError::new(field, "alias is empty"));
    } else if let Err(message) = check_topic_chars(alias, "alias") {
        errors.push(InputError::new(field, message));
    }
}

/// `topics` entries (`*` allowed), `topic_prefixes` entries, and a non-empty selection.
fn check_topic_selection<F: Copy>(
    (topics, topics_field): (&[String], F),
    (prefixes, prefixes_field): (&[String], F),
    errors: &mut Vec<InputError<F>>,
) {
    if topics.is_empty() && prefixes.is_empty() {
        errors.push(InputError::new(
            topics_field,
            "no topic selected: set topics (names, or [\"*\"] for all) or topic_prefixes",
        ));
    }
    for (index, topic) in topics.iter().enumerate() {
        if topic == ALL_NAMES {
            continue;
        }
        if let Err(message) = check_topic_name(topic) {
            errors.push(InputError::at(topics_field, index, message));
        }
    }
    for (index, prefix) in prefixes.iter().enumerate() {
        let checked = if prefix.is_empty() {
            Err("prefix is empty (use topics = [\"*\"] for all topics)".to_string())
        } else if prefix.len() > MAX_TOPIC_NAME_LEN {
            Err(format!(
                "prefix is {} characters long; Kafka topic names have at most {MAX_TOPIC_NAME_LEN}",
                prefix.len()
            ))
        } else {
            check_topic_chars(prefix, "prefix")
        };
        if let Err(message) = checked {
            errors.push(InputError::at(prefixes_field, index, message));
        }
    }
}

fn check_group_selection<F: Copy>(
    (groups, groups_field): (&[String], F),
    (prefixes, prefixes_field): (&[String], F),
    errors: &mut Vec<InputError<F>>,
) {
    for (index, group) in groups.iter().enumerate() {
        if group.is_empty() {
            errors.push(InputError::at(groups_field, index, "group name is empty"));
        }
    }
    for (index, prefix) in prefixes.iter().enumerate() {
        if prefix.is_empty() {
            errors.push(InputError::at(
                prefixes_field,
                index,
                "prefix is empty (use groups = [\"*\"] for all groups)",
            ));
        }
    }
}

fn check_replication_factor<F>(field: F, value: i16, errors: &mut Vec<InputError<F>>) {
    if value < 1 {
        errors.push(InputError::new(
            field,
            format!("replication factor {value} is below 1"),
        ));
    }
}

/// Every problem with the inputs of an MM2 flow (empty when valid).
pub fn validate_mm2(inputs: &Mm2Inputs) -> Vec<InputError<Mm2Field>> {
    let mut errors = Vec::new();
    if inputs.source_cluster == inputs.target_cluster {
        errors.push(InputError::new(
            Mm2Field::TargetCluster,
            format!(
                "source_cluster and target_cluster are both {:?}; a flow needs two clusters",
                inputs.source_cluster
            ),
        ));
    }
    check_alias(Mm2Field::SourceAlias, &inputs.source_alias, &mut errors);
    check_alias(Mm2Field::TargetAlias, &inputs.target_alias, &mut errors);
    if inputs.source_alias == inputs.target_alias {
        errors.push(InputError::new(
            Mm2Field::TargetAlias,
            format!(
                "source_alias and target_alias are both {:?}; MM2 needs distinct aliases",
                inputs.source_alias
            ),
        ));
    }
    check_optional_principal(Mm2Field::Principal, &inputs.principal, &mut errors);
    check_optional_principal(
        Mm2Field::SourcePrincipal,
        &inputs.source_principal,
        &mut errors,
    );
    check_optional_principal(
        Mm2Field::TargetPrincipal,
        &inputs.target_principal,
        &mut errors,
    );
    if inputs.principal.is_none()
        && (inputs.source_principal.is_none() || inputs.target_principal.is_none())
    {
        errors.push(InputError::new(
            Mm2Field::Principal,
            "set principal, or both source_principal and target_principal",
        ));
    }
    // `topic_regexes` alone is a selection too (checked by `validate_regexes`).
    if inputs.topic_regexes.is_empty()
        || !inputs.topics.is_empty()
        || !inputs.topic_prefixes.is_empty()
    {
        check_topic_selection(
            (&inputs.topics, Mm2Field::Topics),
            (&inputs.topic_prefixes, Mm2Field::TopicPrefixes),
            &mut errors,
        );
    }
    errors.extend(super::mm2_regexes::validate_regexes(inputs));
    check_group_selection(
        (&inputs.groups, Mm2Field::Groups),
        (&inputs.group_prefixes, Mm2Field::GroupPrefixes),
        &mut errors,
    );
    if inputs.separator.is_empty() {
        errors.push(InputError::new(Mm2Field::Separator, "separator is empty"));
    } else if let Err(message) = check_topic_chars(&inputs.separator, "separator") {
        errors.push(InputError::new(Mm2Field::Separator, message));
    }
    check_replication_factor(
        Mm2Field::InternalTopicsReplicationFactor,
        inputs.internal_topics_replication_factor,
        &mut errors,
    );
    check_replication_factor(
        Mm2Field::RemoteTopicsReplicationFactor,
        inputs.remote_topics_replication_factor,
        &mut errors,
    );
    if let Mm2Deployment::Connect(worker) = &inputs.deployment {
        if worker.group_id.is_empty() {
            errors.push(InputError::new(
                Mm2Field::ConnectGroupId,
                "group id is empty",
            ));
        }
        for (attribute, topic) in [
            (Mm2Field::ConnectConfigTopic, &worker.config_topic),
            (Mm2Field::ConnectOffsetTopic, &worker.offset_topic),
            (Mm2Field::ConnectStatusTopic, &worker.status_topic),
        ] {
            if let Err(message) = check_topic_name(topic) {
                errors.push(InputError::new(attribute, message));
            }
        }
    }
    errors
}

/// Every problem with the inputs of a cluster link (empty when valid).
pub fn validate_cluster_link(inputs: &ClusterLinkInputs) -> Vec<InputError<ClusterLinkField>> {
    let mut errors = Vec::new();
    if inputs.source_cluster == inputs.destination_cluster {
        errors.push(InputError::new(
            ClusterLinkField::DestinationCluster,
            format!(
                "source_cluster and destination_cluster are both {:?}; a link needs two clusters",
                inputs.source_cluster
            ),
        ));
    }
    check_principal(
        ClusterLinkField::LinkPrincipal,
        &inputs.link_principal,
        &mut errors,
    );
    check_optional_principal(
        ClusterLinkField::DestinationBrokerPrincipal,
        &inputs.destination_broker_principal,
        &mut errors,
    );
    check_optional_principal(
        ClusterLinkField::OperatorPrincipal,
        &inputs.operator_principal,
        &mut errors,
    );
    check_topic_selection(
        (&inputs.topics, ClusterLinkField::Topics),
        (&inputs.topic_prefixes, ClusterLinkField::TopicPrefixes),
        &mut errors,
    );
    check_group_selection(
        (&inputs.groups, ClusterLinkField::Groups),
        (&inputs.group_prefixes, ClusterLinkField::GroupPrefixes),
        &mut errors,
    );
    if inputs.destination_broker_principal.is_none() {
        if inputs.consumer_offset_sync {
            errors.push(InputError::new(
ClusterLinkField::DestinationBrokerPrincipal,
                "consumer_offset_sync = true needs destination_broker_principal: the destination brokers migrate the offsets and need READ on topics and groups and ALTER on mirror topics",
            ));
        }
        if inputs.acl_sync {
            errors.push(InputError::new(
ClusterLinkField::DestinationBrokerPrincipal,
                "acl_sync = true needs destination_broker_principal: the destination brokers create the synced ACLs and need ALTER on the destination cluster",
            ));
        }
    }
    if inputs.consumer_offset_sync && inputs.groups.is_empty() && inputs.group_prefixes.is_empty() {
        errors.push(InputError::new(
ClusterLinkField::Groups,
            "consumer_offset_sync = true needs the groups to sync: set groups (names, or [\"*\"] for all) or group_prefixes",
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mm2::ConnectWorker;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn valid_mm2() -> Mm2Inputs {
        let mut inputs = Mm2Inputs::with_defaults("primary", "dr", "User:mm2");
        inputs.topics = strings(&["orders"]);
        inputs
    }

    fn valid_link() -> ClusterLinkInputs {
        let mut inputs = ClusterLinkInputs::with_defaults("onprem", "cloud", "User:link");
        inputs.topics = strings(&["orders"]);
        inputs
    }

    fn attributes<F: Copy>(errors: &[InputError<F>]) -> Vec<(F, Option<usize>)> {
        errors.iter().map(|e| (e.field, e.index)).collect()
    }

    #[test]
    fn valid_inputs_have_no_errors() {
        assert_eq!(validate_mm2(&valid_mm2()), vec![]);
        assert_eq!(validate_cluster_link(&valid_link()), vec![]);
    }

    #[test]
    fn principals_need_type_and_name() {
        for bad in ["mm2", ":mm2", "User:", "Us er:mm2", "User:m m2", ""] {
            assert!(normalize_principal(bad).is_err(), "{bad:?} accepted");
        }
        let mut inputs = valid_mm2();
        inputs.principal = Some("mm2".to_string());
        assert_eq!(
            attributes(&validate_mm2(&inputs)),
            vec![(Mm2Field::Principal, None)]
        );
    }

    #[test]
    fn confluent_cloud_principals_normalise() {
        assert_eq!(
            normalize_principal(" User:sa-AbC12 ").unwrap(),
            "User:sa-abc12"
        );
        assert_eq!(normalize_principal("user:123456").unwrap(), "User:123456");
        assert_eq!(normalize_principal("User:000123").unwrap(), "User:123");
        assert_eq!(normalize_principal("User:Alice").unwrap(), "User:Alice");
        assert_eq!(
            normalize_principal("User:sa-xyz").unwrap(),
            normalize_principal("USER:SA-XYZ").unwrap()
        );
    }

    #[test]
    fn aliases_must_be_topic_name_fragments() {
        let mut inputs = valid_mm2();
        inputs.source_alias = "prim ary".to_string();
        inputs.target_alias = "dr/1".to_string();
        assert_eq!(
            attributes(&validate_mm2(&inputs)),
            vec![(Mm2Field::SourceAlias, None), (Mm2Field::TargetAlias, None)]
        );
    }

    #[test]
    fn same_cluster_and_same_alias_are_rejected() {
        let mut inputs = valid_mm2();
        inputs.target_cluster = "primary".to_string();
        inputs.target_alias = "primary".to_string();
        assert_eq!(
            attributes(&validate_mm2(&inputs)),
            vec![
                (Mm2Field::TargetCluster, None),
                (Mm2Field::TargetAlias, None)
            ]
        );
        let mut link = valid_link();
        link.destination_cluster = "onprem".to_string();
        assert_eq!(
            attributes(&validate_cluster_link(&link)),
            vec![(ClusterLinkField::DestinationCluster, None)]
        );
    }

    #[test]
    fn topic_selection_is_checked_per_element() {
        let mut inputs = valid_mm2();
        inputs.topics = strings(&["ok", "bad name", ".", "..", &"x".repeat(250), "*"]);
        inputs.topic_prefixes = strings(&["", "fine."]);
        assert_eq!(
            attributes(&validate_mm2(&inputs)),
            vec![
                (Mm2Field::Topics, Some(1)),
                (Mm2Field::Topics, Some(2)),
                (Mm2Field::Topics, Some(3)),
                (Mm2Field::Topics, Some(4)),
                (Mm2Field::TopicPrefixes, Some(0)),
            ]
        );
        inputs.topics = strings(&[&"x".repeat(249)]);
        inputs.topic_prefixes.clear();
        assert_eq!(validate_mm2(&inputs), vec![]);
    }

    #[test]
    fn empty_topic_selection_is_rejected() {
        let mut inputs = valid_mm2();
        inputs.topics.clear();
        assert_eq!(
            attributes(&validate_mm2(&inputs)),
            vec![(Mm2Field::Topics, None)]
        );
        inputs.topic_prefixes = strings(&["billing."]);
        assert_eq!(validate_mm2(&inputs), vec![]);
    }

    #[test]
    fn replication_factor_and_separator() {
        let mut inputs = valid_mm2();
        inputs.internal_topics_replication_factor = 0;
        inputs.remote_topics_replication_factor = -1;
        inputs.separator = String::new();
        assert_eq!(
            attributes(&validate_mm2(&inputs)),
            vec![
                (Mm2Field::Separator, None),
                (Mm2Field::InternalTopicsReplicationFactor, None),
                (Mm2Field::RemoteTopicsReplicationFactor, None),
            ]
        );
        inputs = valid_mm2();
        inputs.separator = "/".to_string();
        assert_eq!(
            attributes(&validate_mm2(&inputs)),
            vec![(Mm2Field::Separator, None)]
        );
    }

    #[test]
    fn principal_overrides_replace_the_shared_principal() {
        let mut inputs = valid_mm2();
        inputs.principal = None;
        inputs.source_principal = Some("User:a".to_string());
        assert_eq!(
            attributes(&validate_mm2(&inputs)),
            vec![(Mm2Field::Principal, None)]
        );
        inputs.target_principal = Some("User:b".to_string());
        assert_eq!(validate_mm2(&inputs), vec![]);
    }

    #[test]
    fn connect_worker_names_are_checked() {
        let mut inputs = valid_mm2();
        let mut worker = ConnectWorker::strimzi_defaults();
        worker.group_id = String::new();
        worker.status_topic = "bad topic".to_string();
        inputs.deployment = Mm2Deployment::Connect(worker);
        assert_eq!(
            attributes(&validate_mm2(&inputs)),
            vec![
                (Mm2Field::ConnectGroupId, None),
                (Mm2Field::ConnectStatusTopic, None)
            ]
        );
    }

    #[test]
    fn offset_sync_needs_broker_principal_and_groups() {
        let mut link = valid_link();
        link.consumer_offset_sync = true;
        assert_eq!(
            attributes(&validate_cluster_link(&link)),
            vec![
                (ClusterLinkField::DestinationBrokerPrincipal, None),
                (ClusterLinkField::Groups, None)
            ]
        );
        link.destination_broker_principal = Some("User:kafka".to_string());
        link.groups = strings(&["*"]);
        assert_eq!(validate_cluster_link(&link), vec![]);
    }

    #[test]
    fn acl_sync_needs_broker_principal() {
        let mut link = valid_link();
        link.acl_sync = true;
        assert_eq!(
            attributes(&validate_cluster_link(&link)),
            vec![(ClusterLinkField::DestinationBrokerPrincipal, None)]
        );
    }

    /// Random strings never make a validator panic (fixed-seed generator, no dependency).
    #[test]
    fn validators_do_not_panic_on_random_strings() {
        let alphabet: Vec<char> = "aZ09._-:* /\u{e9}\u{0}\u{1F600}".chars().collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let len = (state >> 58) as usize;
            let text: String = (0..len)
                .map(|i| alphabet[((state >> (i % 50)) as usize) % alphabet.len()])
                .collect();
            let _ = normalize_principal(&text);
            let _ = check_topic_name(&text);
            let mut inputs = valid_mm2();
            inputs.source_alias = text.clone();
            inputs.topics = vec![text.clone()];
            inputs.principal = Some(text.clone());
            let _ = validate_mm2(&inputs);
        }
    }
}
