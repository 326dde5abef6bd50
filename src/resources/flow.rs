//! What a replication flow type provides ([`Flow`]: inputs, schema, decode, pure planner)
//! and the helpers its decoders share: reading inputs, filling defaults, mapping the
//! model's input errors and cluster keys to attribute paths.

use crate::clusters::Clusters;
use crate::model::plan::{DesiredState, InternalTopic};
use crate::model::validate::InputError;
use std::collections::BTreeMap;
use tfplugin::{Attr, AttributePath, Block, Diagnostic, Diagnostics, Field, Object};

/// One replication flow type: its inputs, how they are read from Terraform values and the
/// pure planner. [`FlowResource`] and [`FlowDataSource`] do the rest.
pub trait Flow: Send + Sync + 'static {
    type Inputs: Send + Sync;

    /// Resource and data source type name.
    const TYPE_NAME: &'static str;
    const RESOURCE_DESCRIPTION: &'static str;
    const DATA_SOURCE_DESCRIPTION: &'static str;
    /// Whether the flow has internal topics (`internal_topics` attribute).
    const HAS_TOPICS: bool;
    /// The attributes that name provider cluster keys.
    const CLUSTER_ATTRIBUTES: &'static [&'static Attr<String>];
    /// What `terraform import` takes, e.g. `<source_cluster>:<target_cluster>:<principal>`.
    const IMPORT_ID_FORM: &'static str;

    /// Adds the input attributes shared by the resource and the data source.
    fn input_attributes(block: Block) -> Block;
    /// Adds the resource-only inputs (e.g. what destroy does).
    fn resource_attributes(block: Block) -> Block {
        block
    }
    /// Replaces null optional inputs with their defaults (unknown where they derive from an
    /// unknown value).
    fn fill_defaults(object: &mut Object);
    /// The inputs, `Unknown` when any is not known yet; `None` after a diagnostic.
    fn decode(object: &Object, diags: &mut Diagnostics) -> Option<Field<Self::Inputs>>;
    /// The input fields the model's validator names.
    type Field: Copy + std::fmt::Debug + Send + Sync + 'static;
    /// Every field (each must map to an attribute of the schema).
    const FIELDS: &'static [Self::Field];
    /// The attribute holding `field`.
    fn attribute(field: Self::Field) -> &'static str;
    fn validate(inputs: &Self::Inputs) -> Vec<InputError<Self::Field>>;
    fn plan(inputs: &Self::Inputs) -> DesiredState;
    /// The resource id, in the import form.
    fn id(inputs: &Self::Inputs) -> String;
    /// Inputs for an import id `(first cluster, second cluster, principal)`, with every other
    /// input at its default (topic selections empty).
    fn import_inputs(first_cluster: &str, second_cluster: &str, principal: &str) -> Object;
    /// Where a preflight error about a topic's replication factor belongs (flows with topics
    /// override this).
    fn replication_factor_path(_topic: &InternalTopic, _inputs: &Self::Inputs) -> AttributePath {
        AttributePath::root()
    }
    /// Whether destroy deletes the internal topics (resource state).
    fn delete_topics_on_destroy(_state: &Object) -> bool {
        false
    }
    /// Plan-time warnings about valid inputs, each with a summary (e.g. MM2 checks).
    fn warnings(_inputs: &Self::Inputs) -> Vec<(&'static str, InputError<Self::Field>)> {
        Vec::new()
    }
    /// The resource's state upgrades: step `k` rewrites version `k` into `k + 1`, so the
    /// resource schema version is the number of steps.
    const UPGRADE_STEPS: &'static [UpgradeStep] = &[];
}

/// One state upgrade, version `k -> k + 1`: the attributes version `k + 1` added (null in
/// the upgraded state: optional inputs without a default).
pub struct UpgradeStep {
    pub added_attributes: &'static [&'static str],
}

/// Maps the model's warnings to warning diagnostics on their attribute (and list element).
pub fn input_warning_diagnostics<F: Flow>(
    warnings: Vec<(&'static str, InputError<F::Field>)>,
    diags: &mut Diagnostics,
) {
    for (summary, warning) in warnings {
        let mut path = AttributePath::attribute(F::attribute(warning.field));
        if let Some(index) = warning.index {
            path = path.index(index);
        }
        diags.push(Diagnostic::warning(summary, warning.message).at(path));
    }
}

/// Maps the model's input errors to diagnostics on their attribute (and list element).
pub fn input_error_diagnostics<F: Flow>(
    errors: Vec<InputError<F::Field>>,
    diags: &mut Diagnostics,
) {
    for error in errors {
        let mut path = AttributePath::attribute(F::attribute(error.field));
        if let Some(index) = error.index {
            path = path.index(index);
        }
        diags.push(Diagnostic::error("Invalid input", error.message).at(path));
    }
}

/// Reads input attributes one by one, remembering whether any was unknown.
pub struct InputReader<'a> {
    object: &'a Object,
    pub unknown: bool,
    pub failed: bool,
}

impl<'a> InputReader<'a> {
    pub fn new(object: &'a Object) -> Self {
        InputReader {
            object,
            unknown: false,
            failed: false,
        }
    }

    /// The value (`None` when null or unknown).
    pub fn get<T: tfplugin::schema::AttrType>(
        &mut self,
        attr: &Attr<T>,
        diags: &mut Diagnostics,
    ) -> Option<T> {
        match diags.take(attr.get(self.object)) {
            None => {
                self.failed = true;
                None
            }
            Some(Field::Unknown) => {
                self.unknown = true;
                None
            }
            Some(Field::Null) => None,
            Some(Field::Known(value)) => Some(value),
        }
    }

    /// A string input naming one of an enumeration's values.
    pub fn parse<E: std::str::FromStr>(
        &mut self,
        attr: &Attr<String>,
        diags: &mut Diagnostics,
    ) -> Option<E>
    where
        E::Err: std::fmt::Display,
    {
        let text = self.get(attr, diags)?;
        match text.parse() {
            Ok(value) => Some(value),
            Err(error) => {
                diags.push(Diagnostic::error("Invalid value", format!("{error}")).at(attr.path()));
                self.failed = true;
                None
            }
        }
    }

    /// The outcome once every input was read: `Unknown` if one was unknown.
    pub fn finish<T>(&self, build: impl FnOnce() -> Option<T>) -> Option<Field<T>> {
        if self.failed {
            return None;
        }
        if self.unknown {
            return Some(Field::Unknown);
        }
        build().map(Field::Known)
    }
}

/// Sets a null attribute to `value`.
pub fn default_to<T: tfplugin::schema::AttrType>(object: &mut Object, attr: &Attr<T>, value: T) {
    if object.get(attr.name).is_none_or(|v| v.is_null()) {
        attr.set(object, &value);
    }
}

/// Sets a null string attribute to the value of another (unknown if that one is unknown).
pub fn default_to_attribute(object: &mut Object, attr: &Attr<String>, from: &Attr<String>) {
    if object.get(attr.name).is_none_or(|v| v.is_null()) {
        let value = object
            .get(from.name)
            .cloned()
            .unwrap_or(tfplugin::Value::Null);
        object.insert(attr.name.to_string(), value);
    }
}

/// Checks the cluster keys the inputs name exist in the provider config.
pub(crate) fn check_cluster_keys<F: Flow>(
    provider: &Clusters,
    object: &Object,
    diags: &mut Diagnostics,
) {
    for attr in F::CLUSTER_ATTRIBUTES {
        if let Some(Field::Known(alias)) = diags.take(attr.get(object)) {
            if !provider.is_pending(&alias) {
                if let Err(diagnostic) = provider.cluster(&alias) {
                    diags.push(diagnostic.at(attr.path()));
                }
            }
        }
    }
}

/// The attribute naming each cluster key, for diagnostics about a cluster.
pub(crate) fn cluster_paths<F: Flow>(object: &Object) -> BTreeMap<String, AttributePath> {
    let mut paths = BTreeMap::new();
    for attr in F::CLUSTER_ATTRIBUTES {
        if let Ok(Field::Known(alias)) = attr.get(object) {
            paths.entry(alias).or_insert_with(|| attr.path());
        }
    }
    paths
}
