//! Kafka's topic name rules (`Topic.validate` in Apache Kafka's `clients`), shared by input
//! validation and the MM2 regex compiler.

/// Kafka's longest legal topic name.
pub const MAX_TOPIC_NAME_LEN: usize = 249;

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

pub fn check_topic_chars(value: &str, what: &str) -> Result<(), String> {
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
