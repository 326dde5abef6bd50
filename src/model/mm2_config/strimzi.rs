//! A Strimzi `KafkaMirrorMaker2` resource (YAML, or JSON, which YAML reads too) read as
//! Strimzi deploys it (`kafka.strimzi.io/v1beta2`): MM2's connectors on one Kafka Connect
//! cluster that runs against `spec.connectCluster`, one flow per `spec.mirrors[]` entry,
//! each connector deployed only when its spec is present, `topicsPattern` / `groupsPattern`
//! as the connectors' `topics` / `groups`, and the worker's group and topics from the
//! Connect cluster's `config` (Strimzi's defaults `mirrormaker2-cluster[-configs|...]`).

use super::{
    resolve_flow, ConfigError, Connector, Deployment, FlowSettings, Location, Mm2Config, Setting,
};
use crate::model::mm2::ConnectWorker;
use std::collections::BTreeMap;
use yaml_rust2::{Yaml, YamlLoader};

fn at(path: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::new(Location::Path(path.to_string()), message)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A mapping's entries by key, refusing keys that are not strings.
fn mapping<'a>(yaml: &'a Yaml, path: &str) -> Result<BTreeMap<&'a str, &'a Yaml>, ConfigError> {
    let Yaml::Hash(hash) = yaml else {
        return Err(at(path, "expected a mapping"));
    };
    hash.iter()
        .map(|(key, value)| match key {
            Yaml::String(key) => Ok((key.as_str(), value)),
            _ => Err(at(path, "a mapping key is not a string")),
        })
        .collect()
}

/// A scalar as MM2 would see it in a connector config (numbers and booleans as text).
fn scalar(yaml: &Yaml, path: &str) -> Result<String, ConfigError> {
    match yaml {
        Yaml::String(s) | Yaml::Real(s) => Ok(s.clone()),
        Yaml::Integer(i) => Ok(i.to_string()),
        Yaml::Boolean(b) => Ok(b.to_string()),
        _ => Err(at(path, "expected a string, number or boolean")),
    }
}

fn string(
    map: &BTreeMap<&str, &Yaml>,
    key: &str,
    path: &str,
) -> Result<Option<String>, ConfigError> {
    map.get(key)
        .filter(|v| !matches!(v, Yaml::Null))
        .map(|v| scalar(v, &join(path, key)))
        .transpose()
}

fn required(map: &BTreeMap<&str, &Yaml>, key: &str, path: &str) -> Result<String, ConfigError> {
    string(map, key, path)?.ok_or_else(|| at(&join(path, key), "missing"))
}

fn reject_unknown(
    map: &BTreeMap<&str, &Yaml>,
    known: &[&str],
    path: &str,
) -> Result<(), ConfigError> {
    match map.keys().find(|key| !known.contains(key)) {
        Some(key) => Err(at(
            &join(path, key),
            format!("unknown field (known here: {})", known.join(", ")),
        )),
        None => Ok(()),
    }
}

/// A `config` mapping: key -> setting with its path.
fn config_of(
    map: &BTreeMap<&str, &Yaml>,
    path: &str,
) -> Result<BTreeMap<String, Setting>, ConfigError> {
    let Some(config) = map.get("config").filter(|v| !matches!(v, Yaml::Null)) else {
        return Ok(BTreeMap::new());
    };
    let config_path = join(path, "config");
    mapping(config, &config_path)?
        .into_iter()
        .map(|(key, value)| {
            let path = join(&config_path, key);
            Ok((
                key.to_string(),
                Setting {
                    value: scalar(value, &path)?,
                    location: Location::Path(path),
                },
            ))
        })
        .collect()
}

const CONNECTOR_FIELDS: &[&str] = &[
    "config",
    "tasksMax",
    "state",
    "pause",
    "autoRestart",
    "listOffsets",
    "alterOffsets",
];
const MIRROR_FIELDS: &[&str] = &[
    "sourceCluster",
    "targetCluster",
    "sourceConnector",
    "checkpointConnector",
    "heartbeatConnector",
    "topicsPattern",
    "topicsExcludePattern",
    "topicsBlacklistPattern",
    "groupsPattern",
    "groupsExcludePattern",
    "groupsBlacklistPattern",
];

/// One mirror's connectors: `None` when the connector's spec is absent (not deployed).
struct MirrorSettings {
    connectors: BTreeMap<&'static str, Option<BTreeMap<String, Setting>>>,
    worker: BTreeMap<String, Setting>,
}

fn connector_name(connector: Connector) -> &'static str {
    match connector {
        Connector::Source => "sourceConnector",
        Connector::Checkpoint => "checkpointConnector",
        Connector::Heartbeat => "heartbeatConnector",
        Connector::Worker => "worker",
    }
}

impl FlowSettings for MirrorSettings {
    fn get(&self, connector: Connector, key: &str) -> Option<Setting> {
        match connector {
            Connector::Worker => self.worker.get(key).cloned(),
            _ => self
                .connectors
                .get(connector_name(connector))
                .and_then(|c| c.as_ref())
                .and_then(|c| c.get(key).cloned()),
        }
    }

    fn runs(&self, connector: Connector) -> bool {
        match connector {
            Connector::Worker => true,
            _ => matches!(
                self.connectors.get(connector_name(connector)),
                Some(Some(_))
            ),
        }
    }
}

/// Every flow of a `KafkaMirrorMaker2` resource.
pub fn parse(text: &str) -> Result<Mm2Config, ConfigError> {
    let documents = YamlLoader::load_from_str(text).map_err(|error| {
        let marker = error.marker();
        ConfigError::new(
            Location::Path(format!(
                "line {}, column {}",
                marker.line(),
                marker.col() + 1
            )),
            format!("not valid YAML or JSON: {}", error.info()),
        )
    })?;
    let [document] = documents.as_slice() else {
        return Err(ConfigError::new(
            Location::Document,
            format!("expected one document, found {}", documents.len()),
        ));
    };
    let root = mapping(document, "")?;
    match string(&root, "kind", "")?.as_deref() {
        Some("KafkaMirrorMaker2") => {}
        other => {
            return Err(at(
                "kind",
                format!("expected KafkaMirrorMaker2, found {other:?}"),
            ))
        }
    }
    let spec_yaml = root.get("spec").ok_or_else(|| at("spec", "missing"))?;
    let spec = mapping(spec_yaml, "spec")?;
    if spec.contains_key("target") {
        return Err(at("spec.target", "the `spec.target` form is not supported yet: use `spec.clusters` with `spec.connectCluster` (kafka.strimzi.io/v1beta2)"));
    }
    let connect_cluster = required(&spec, "connectCluster", "spec")?;
    let clusters_yaml = spec
        .get("clusters")
        .ok_or_else(|| at("spec.clusters", "missing"))?;
    let Yaml::Array(clusters) = clusters_yaml else {
        return Err(at("spec.clusters", "expected a list"));
    };
    let mut aliases = BTreeMap::new();
    for (index, cluster) in clusters.iter().enumerate() {
        let path = format!("spec.clusters[{index}]");
        let map = mapping(cluster, &path)?;
        let alias = required(&map, "alias", &path)?;
        let config = config_of(&map, &path)?;
        if aliases.insert(alias.clone(), config).is_some() {
            return Err(at(
                &join(&path, "alias"),
                format!("alias {alias:?} appears twice"),
            ));
        }
    }
    let Some(worker) = aliases.get(&connect_cluster).cloned() else {
        return Err(at(
            "spec.connectCluster",
            format!("{connect_cluster:?} is not an alias in spec.clusters"),
        ));
    };
    let defaults = ConnectWorker::strimzi_defaults();
    let worker_name =
        |key: &str, default: String| worker.get(key).map_or(default, |s| s.value.clone());
    let deployment = Deployment::Connect {
        group_id: worker_name("group.id", defaults.group_id),
        config_topic: worker_name("config.storage.topic", defaults.config_topic),
        offset_topic: worker_name("offset.storage.topic", defaults.offset_topic),
        status_topic: worker_name("status.storage.topic", defaults.status_topic),
    };
    let Some(Yaml::Array(mirrors)) = spec.get("mirrors").copied() else {
        return Err(at("spec.mirrors", "missing or not a list"));
    };
    let mut config = Mm2Config::default();
    for (index, mirror) in mirrors.iter().enumerate() {
        let path = format!("spec.mirrors[{index}]");
        let map = mapping(mirror, &path)?;
        reject_unknown(&map, MIRROR_FIELDS, &path)?;
        let source = required(&map, "sourceCluster", &path)?;
        let target = required(&map, "targetCluster", &path)?;
        for (key, alias) in [("sourceCluster", &source), ("targetCluster", &target)] {
            if !aliases.contains_key(alias) {
                return Err(at(
                    &join(&path, key),
                    format!("{alias:?} is not an alias in spec.clusters"),
                ));
            }
        }
        if target != connect_cluster {
            return Err(at(
                &join(&path, "targetCluster"),
                format!("{target:?} is not spec.connectCluster ({connect_cluster:?}): Strimzi runs MM2's connectors on the target cluster"),
            ));
        }
        let mut connectors = BTreeMap::new();
        for name in [
            "sourceConnector",
            "checkpointConnector",
            "heartbeatConnector",
        ] {
            let spec = match map.get(name).filter(|v| !matches!(v, Yaml::Null)) {
                None => None,
                Some(yaml) => {
                    let connector_path = join(&path, name);
                    let fields = mapping(yaml, &connector_path)?;
                    reject_unknown(&fields, CONNECTOR_FIELDS, &connector_path)?;
                    Some(config_of(&fields, &connector_path)?)
                }
            };
            connectors.insert(name, spec);
        }
        // Strimzi writes the patterns into the connectors' `topics` / `groups` settings.
        for (field, legacy, connector, key) in [
            ("topicsPattern", None, "sourceConnector", "topics"),
            (
                "topicsExcludePattern",
                Some("topicsBlacklistPattern"),
                "sourceConnector",
                "topics.exclude",
            ),
            ("groupsPattern", None, "checkpointConnector", "groups"),
            (
                "groupsExcludePattern",
                Some("groupsBlacklistPattern"),
                "checkpointConnector",
                "groups.exclude",
            ),
        ] {
            let found = [Some(field), legacy]
                .into_iter()
                .flatten()
                .find_map(|f| map.get(f).map(|v| (f, v)));
            if let Some((found_field, value)) = found {
                let value_path = join(&path, found_field);
                let setting = Setting {
                    value: scalar(value, &value_path)?,
                    location: Location::Path(value_path),
                };
                if let Some(Some(config)) = connectors.get_mut(connector) {
                    config.insert(key.to_string(), setting);
                }
            }
        }
        let settings = MirrorSettings {
            connectors,
            worker: worker.clone(),
        };
        let flow = resolve_flow(&source, &target, &settings, deployment.clone())?;
        if config.flows.iter().any(|f| f.key() == flow.key()) {
            return Err(at(&path, format!("a second mirror {}", flow.key())));
        }
        if !settings.runs(Connector::Source) {
            config.warnings.push(format!(
                "{path}: no sourceConnector, so MM2 replicates no topics for {}; the flow's topic ACLs are still planned",
                flow.key()
            ));
        }
        config.flows.push(flow);
    }
    config.flows.sort_by_key(super::ConfiguredFlow::key);
    Ok(config)
}
