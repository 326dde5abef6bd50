//! What both resources share: the [`Flow`] trait (schema + decode + pure planner of one
//! replication flow type), and the generic [`FlowResource`] / [`FlowDataSource`] that turn a
//! flow into a Terraform resource and data source (plan, apply, read, import; the cluster
//! work is in `super::apply`).
//!
//! State shape (both resources): the inputs (optional ones with their defaults filled in),
//! `id`, `acls` (the bindings this resource manages that exist, with their reason),
//! `preexisting_acls` (the subset that existed before the resource created them: never
//! deleted by it; owned = `acls - preexisting_acls`) and, for flows with topics,
//! `internal_topics` (as they exist: actual partitions, replication factor, cleanup.policy).
//! All three are maps keyed by the row's canonical key ([`AclRow::key`], [`TopicRow::key`]);
//! `acls` and `preexisting_acls` map the key to the reason (one plan line per binding), the
//! data sources' `acls` to one object per binding.
//!
//! Plan: the planned rows come from the pure planner (unknown while an input is unknown);
//! when they differ from the state, a preflight against the clusters reports what would make
//! apply fail. Inputs have no `requires_replace`: any change is an in-place update whose
//! apply is the set difference, so only what must change is replaced.

use super::access_check::{self, DENY_CHECK};
use super::apply::{apply_flow, ApplyPlan};
use super::claims::claimant;
use super::flow::{
    check_cluster_keys, input_error_diagnostics, input_warning_diagnostics, Flow, UpgradeStep,
};
use super::preflight::{destroy_preflight, preflight, Preflight};
use super::read::{connect_all, kafka_diagnostic, read_acls};
use super::record::{
    claimant_id, reasons_by_key, same_acl_rows, Record, RecordedRows, ACLS, CLAIMANT, DATA_ACLS,
    ID, IMPORTED_REASON, INTERNAL_TOPICS, OBJECT_ACLS, OBJECT_PREEXISTING_ACLS, PREEXISTING_ACLS,
};
use super::refresh::{refresh, Refreshed};
use super::rows::{keyed_rows, AclRow, TopicRow};
use crate::clusters::Clusters;
use crate::model::outcome::adopt;
use crate::model::plan::DesiredState;
use async_trait::async_trait;
use std::collections::BTreeSet;
use std::marker::PhantomData;
use tfplugin::{
    ApplyRequest, Block, Ctx, DataSource, Diagnostic, Diagnostics, Field, Object, PlanRequest,
    Planned, RawState, Resource, Schema, UpgradedState,
};

fn schema_of<F: Flow>(description: &str, resource: bool) -> Schema {
    let mut block = F::input_attributes(Block::new(description).attr(&ID));
    if resource {
        block = F::resource_attributes(block).attr(&DENY_CHECK);
    }
    if resource {
        block = block.attr(&ACLS).attr(&PREEXISTING_ACLS).attr(&CLAIMANT);
    } else {
        block = block.attr(&DATA_ACLS);
    }
    if F::HAS_TOPICS {
        block = block.attr(&INTERNAL_TOPICS);
    }
    let version = if resource { schema_version::<F>() } else { 0 };
    Schema { version, block }
}

/// The step every resource's state takes after its flow's own: `claimant` (filled in from the
/// stored id by [`upgrade_flow_state`], as a new resource's is derived).
const CLAIMANT_STEP: UpgradeStep = UpgradeStep {
    added_attributes: &[CLAIMANT.name],
};

/// The step every resource's state takes last: `acls` and `preexisting_acls` from maps of
/// objects to maps of key to reason ([`acl_rows_as_keys`]); no attribute is added.
const ACL_KEYS_STEP: UpgradeStep = UpgradeStep {
    added_attributes: &[],
};

/// The steps from version 0: the flow's own, then [`CLAIMANT_STEP`] and [`ACL_KEYS_STEP`].
fn upgrade_steps<F: Flow>() -> Vec<&'static UpgradeStep> {
    F::UPGRADE_STEPS
        .iter()
        .chain([&CLAIMANT_STEP, &ACL_KEYS_STEP])
        .collect()
}

/// Rewrites the `acls` and `preexisting_acls` of a state decoded with object rows
/// ([`OBJECT_ACLS`]) as the current schema stores them: every row under its key
/// ([`AclRow::key`]), its reason the value. The old keys are not read (they were derived from
/// the rows); a row with an enumeration name Kafka does not have is an error on it.
fn acl_rows_as_keys(state: &mut Object, diags: &mut Diagnostics) -> Option<()> {
    for (old, new) in [
        (&OBJECT_ACLS, &ACLS),
        (&OBJECT_PREEXISTING_ACLS, &PREEXISTING_ACLS),
    ] {
        let rows = diags
            .take(old.take_known_values(state))?
            .unwrap_or_default();
        let mut valid = true;
        for row in &rows {
            if let Err(diagnostic) = row.binding(&old.path().key(&row.key())) {
                diags.push(diagnostic);
                valid = false;
            }
        }
        if !valid {
            return None;
        }
        new.put(state, &reasons_by_key(rows));
    }
    Some(())
}

/// The resource schema version: one per upgrade step.
fn schema_version<F: Flow>() -> i64 {
    upgrade_steps::<F>().len() as i64
}

/// The resource's state stored at `raw.version`, rewritten step by step into the current
/// schema: decoded with the attributes later steps added left out, those set to null.
fn upgrade_flow_state<F: Flow>(
    current: Schema,
    raw: &RawState,
    diags: &mut Diagnostics,
) -> Option<UpgradedState> {
    let version = current.version;
    if raw.version == version {
        return Some(UpgradedState::Current);
    }
    let all_steps = upgrade_steps::<F>();
    let Some(steps) = usize::try_from(raw.version)
        .ok()
        .and_then(|from| all_steps.get(from..))
    else {
        diags.push(Diagnostic::error(
            "Unsupported state version",
            format!(
                "{} state is at schema version {}, this provider knows versions 0 to {version}",
                F::TYPE_NAME,
                raw.version
            ),
        ));
        return None;
    };
    let added: Vec<&str> = steps
        .iter()
        .flat_map(|step| step.added_attributes.iter().copied())
        .collect();
    let mut old = current;
    old.version = raw.version;
    old.block
        .attributes
        .retain(|attribute| !added.contains(&attribute.name.as_str()));
    // Every earlier version stored object rows: the ACL-keys step is the last.
    for attribute in &mut old.block.attributes {
        if attribute.name == OBJECT_ACLS.name {
            *attribute = OBJECT_ACLS.schema();
        } else if attribute.name == OBJECT_PREEXISTING_ACLS.name {
            *attribute = OBJECT_PREEXISTING_ACLS.schema();
        }
    }
    let mut state = diags.take(raw.decode(&old))?;
    for name in added {
        state.insert(name.to_string(), tfplugin::Value::Null);
    }
    acl_rows_as_keys(&mut state, diags)?;
    // Derived from the stored id as for a new resource, so every plan before the upgraded
    // state is saved names the same claimant. The rows stay as stored: what
    // `acls - preexisting_acls` records as owned is claimed on the next apply
    // (`model::ownership`, "upgraded state"), so nothing is deleted or created twice.
    if let Ok(Field::Known(id)) = ID.get(&state) {
        if state.get(CLAIMANT.name).is_none_or(|value| value.is_null()) {
            CLAIMANT.set(&mut state, &claimant_id(F::TYPE_NAME, &id));
        }
    }
    Some(UpgradedState::Upgraded(state))
}

/// Validates known inputs (for ValidateResourceConfig / ValidateDataResourceConfig).
fn validate_config<F: Flow>(config: &Object, diags: &mut Diagnostics) {
    let mut object = config.clone();
    F::fill_defaults(&mut object);
    if let Some(Field::Known(inputs)) = F::decode(&object, diags) {
        input_error_diagnostics::<F>(F::validate(&inputs), diags);
    }
}

/// Splits an import id `<cluster>:<cluster>:<Type:name>` on its first two colons (the
/// principal holds a colon itself).
fn parse_import_id<'a>(id: &'a str, form: &str) -> Result<(&'a str, &'a str, &'a str), Diagnostic> {
    let mut parts = id.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(first), Some(second), Some(principal))
            if !first.is_empty() && !second.is_empty() && principal.contains(':') =>
        {
            Ok((first, second, principal))
        }
        _ => Err(Diagnostic::error(
            "Invalid import id",
            format!("expected {form} (the principal as Type:name), got {id:?}"),
        )),
    }
}

/// A [`Flow`] as a Terraform resource.
pub struct FlowResource<F>(PhantomData<F>);

impl<F: Flow> FlowResource<F> {
    pub fn new() -> Self {
        FlowResource(PhantomData)
    }
}

impl<F: Flow> Default for FlowResource<F> {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl<F: Flow> Resource<Clusters> for FlowResource<F> {
    fn type_name(&self) -> &'static str {
        F::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema_of::<F>(F::RESOURCE_DESCRIPTION, true)
    }

    fn validate(&self, config: &Object, diags: &mut Diagnostics) {
        validate_config::<F>(config, diags);
        access_check::validate(config, diags);
    }

    fn upgrade_state(&self, raw: &RawState, diags: &mut Diagnostics) -> Option<UpgradedState> {
        upgrade_flow_state::<F>(self.schema(), raw, diags)
    }

    /// Plan sets all three from the planner (or unknown), apply from what the clusters hold.
    fn recomputed_attributes(&self) -> &'static [&'static str] {
        if F::HAS_TOPICS {
            &[ACLS.name, PREEXISTING_ACLS.name, INTERNAL_TOPICS.name]
        } else {
            &[ACLS.name, PREEXISTING_ACLS.name]
        }
    }

    async fn plan_destroy(
        &self,
        ctx: Ctx<'_, Clusters>,
        mut prior: Object,
        diags: &mut Diagnostics,
    ) {
        let id = match ID.get(&prior) {
            Ok(Field::Known(id)) => id,
            _ => String::new(),
        };
        let me = match CLAIMANT.get(&prior) {
            Ok(Field::Known(me)) => me,
            _ => claimant_id(F::TYPE_NAME, &id),
        };
        let delete_topics = F::HAS_TOPICS && F::delete_topics_on_destroy(&prior);
        let Some(record) = Record::take(&mut prior, diags) else {
            return;
        };
        let me = claimant(F::TYPE_NAME, &id, &me);
        destroy_preflight(&ctx, record, &me, delete_topics, diags).await;
    }

    async fn plan(
        &self,
        ctx: Ctx<'_, Clusters>,
        request: PlanRequest,
        diags: &mut Diagnostics,
    ) -> Option<Planned> {
        let mut planned = request.proposed;
        F::fill_defaults(&mut planned);
        check_cluster_keys::<F>(ctx.provider, &planned, diags);
        // Kept from the prior state (Terraform proposes it); a new resource's is derived from
        // its id once its inputs are known (below).
        if planned
            .get(CLAIMANT.name)
            .is_none_or(|value| value.is_null())
        {
            match request.prior.as_ref().map(|prior| CLAIMANT.get(prior)) {
                Some(Ok(Field::Known(id))) => CLAIMANT.set(&mut planned, &id),
                _ => CLAIMANT.set_unknown(&mut planned),
            }
        }
        let recorded = request.prior.as_ref().map(RecordedRows::of);
        match F::decode(&planned, diags)? {
            Field::Known(inputs) => {
                let errors = F::validate(&inputs);
                if !errors.is_empty() {
                    input_error_diagnostics::<F>(errors, diags);
                    return None;
                }
                input_warning_diagnostics::<F>(F::warnings(&inputs), diags);
                let desired = F::plan(&inputs);
                // Rows are made one at a time as they are written: 60 000 of them at once
                // would double the plan's memory for large flows.
                let acls = AclRow::keys_of(&desired.acls);
                let topics = keyed_rows(desired.topics.iter().map(TopicRow::from), TopicRow::key);
                ID.set(&mut planned, &F::id(&inputs));
                if !matches!(CLAIMANT.get(&planned), Ok(Field::Known(_))) {
                    CLAIMANT.set(&mut planned, &claimant_id(F::TYPE_NAME, &F::id(&inputs)));
                }
                let capacity = recorded.as_ref().map_or(0, |r| r.encoded_len(ACLS.name));
                ACLS.put_made(&mut planned, &acls, |acl| acl.reason.to_string(), capacity);
                if F::HAS_TOPICS {
                    INTERNAL_TOPICS.put(&mut planned, &topics);
                }
                // Unchanged when the planned rows encode to the bytes Terraform sent (no prior
                // row decoded) or, failing that, equal the prior rows.
                let prior = match (&recorded, request.prior) {
                    (Some(recorded), _) if recorded.encodes_same::<F>(&planned) => None,
                    (_, Some(mut prior)) => Some(Record::take(&mut prior, diags)?),
                    (_, None) => Some(Record::default()),
                };
                let unchanged = |prior: &Record| {
                    same_acl_rows(&prior.acls, acls.iter().map(|(_, acl)| AclRow::from(*acl)))
                        && (!F::HAS_TOPICS || same_rows(&prior.topics, topics.values().cloned()))
                };
                match (recorded, prior) {
                    // Unchanged: the prior rows as they came, pre-existing ones included.
                    (Some(recorded), None) => recorded.restore(&mut planned),
                    (Some(recorded), Some(prior)) if unchanged(&prior) => {
                        recorded.restore(&mut planned)
                    }
                    (_, prior) => {
                        PREEXISTING_ACLS.set_unknown(&mut planned);
                        if !diags.has_errors() {
                            let prior = prior.unwrap_or_default();
                            let me = match CLAIMANT.get(&planned) {
                                Ok(Field::Known(id)) => {
                                    Some(claimant(F::TYPE_NAME, &F::id(&inputs), &id))
                                }
                                _ => None,
                            };
                            let checks = Preflight {
                                desired: &desired,
                                prior,
                                claimant: me.as_ref(),
                            };
                            preflight::<F>(&ctx, &inputs, checks, &planned, diags).await;
                        }
                    }
                }
            }
            _ => {
                ID.set_unknown(&mut planned);
                ACLS.set_unknown(&mut planned);
                PREEXISTING_ACLS.set_unknown(&mut planned);
                if F::HAS_TOPICS {
                    INTERNAL_TOPICS.set_unknown(&mut planned);
                }
            }
        }
        Some(Planned {
            planned,
            requires_replace: Vec::new(),
        })
    }

    async fn apply(
        &self,
        ctx: Ctx<'_, Clusters>,
        request: ApplyRequest,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        let mut prior_state = request.prior;
        let prior = match prior_state.as_mut() {
            Some(state) => Record::take(state, diags)?,
            None => Record::default(),
        };
        match request.planned {
            None => {
                // Destroy: delete what the resource owns (and topics when asked to).
                let state = prior_state?;
                let id = match ID.get(&state) {
                    Ok(Field::Known(id)) => id,
                    _ => String::new(),
                };
                let me = match CLAIMANT.get(&state) {
                    Ok(Field::Known(me)) => me,
                    _ => claimant_id(F::TYPE_NAME, &id),
                };
                let plan = ApplyPlan {
                    desired_acls: &[],
                    desired_topics: &[],
                    prior,
                    delete_topics: F::HAS_TOPICS && F::delete_topics_on_destroy(&state),
                    claimant: claimant(F::TYPE_NAME, &id, &me),
                };
                let left = apply_flow(&ctx, plan, diags).await;
                // Done: the resource is gone. Failed partway: the state records exactly what
                // is left (pre-existing rows included, even when nothing owned is left).
                if !diags.has_errors() {
                    return None;
                }
                let mut state = state;
                left.write::<F>(&mut state);
                Some(state)
            }
            Some(mut planned) => {
                let inputs = match F::decode(&planned, diags)? {
                    Field::Known(inputs) => inputs,
                    _ => {
                        diags.push(Diagnostic::error(
                            "Inputs not known at apply",
                            "every input must be known when the flow is applied",
                        ));
                        return None;
                    }
                };
                let desired = F::plan(&inputs);
                let me = match diags.take(CLAIMANT.get(&planned))? {
                    Field::Known(me) => me,
                    _ => claimant_id(F::TYPE_NAME, &F::id(&inputs)),
                };
                CLAIMANT.set(&mut planned, &me);
                // Rows adopted by import keep their reason while the rows do not change
                // otherwise, as plan promised (`same_acl_rows`).
                let prior_rows = prior.has_imported_rows().then(|| prior.clone());
                let plan = ApplyPlan {
                    desired_acls: &desired.acls,
                    desired_topics: if F::HAS_TOPICS { &desired.topics } else { &[] },
                    prior,
                    delete_topics: false,
                    claimant: claimant(F::TYPE_NAME, &F::id(&inputs), &me),
                };
                let mut record = apply_flow(&ctx, plan, diags).await;
                if let Some(prior) = prior_rows {
                    if record.topics == prior.topics
                        && same_acl_rows(&prior.acls, record.acls.iter().cloned())
                    {
                        record.acls = prior.acls;
                    }
                }
                ID.set(&mut planned, &F::id(&inputs));
                record.write::<F>(&mut planned);
                Some(planned)
            }
        }
    }

    async fn read(
        &self,
        ctx: Ctx<'_, Clusters>,
        mut state: Object,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        match refresh(&ctx, &mut state, diags).await? {
            Refreshed::Unchanged => {}
            Refreshed::Changed(record) => record.write::<F>(&mut state),
        }
        Some(state)
    }

    async fn import(
        &self,
        ctx: Ctx<'_, Clusters>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        let (first, second, principal) = match parse_import_id(id, F::IMPORT_ID_FORM) {
            Ok(parts) => parts,
            Err(diagnostic) => {
                diags.push(diagnostic);
                return None;
            }
        };
        // Every attribute null, then the inputs of the id and the defaults.
        let mut state: Object = self
            .schema()
            .block
            .attributes
            .iter()
            .map(|attribute| (attribute.name.clone(), tfplugin::Value::Null))
            .collect();
        state.extend(F::import_inputs(first, second, principal));
        F::fill_defaults(&mut state);
        // The plan of the inputs the id implies (the others at their defaults) gives the
        // adopted bindings it needs their reason, so a configuration with those inputs plans
        // no change; the topics it would use are recorded and refresh keeps those that exist.
        let implied = match F::decode(&state, diags) {
            Some(Field::Known(inputs)) => F::plan(&inputs),
            _ => DesiredState::default(),
        };
        let mut record = Record::default();
        let clusters = [first.to_string(), second.to_string()];
        for (cluster, connection) in connect_all(&ctx, clusters).await {
            let cluster = cluster.as_str();
            let admin = match connection {
                Ok(admin) => admin,
                Err(diagnostic) => {
                    diags.push(diagnostic);
                    return None;
                }
            };
            // Import cannot tell how many bindings the principal holds: read it split.
            match read_acls(&admin, cluster, &[principal.to_string()], None).await {
                Ok(held) => record
                    .acls
                    .extend(adopt(&held, &implied.acls).into_iter().map(
                        |((cluster, binding), reason)| {
                            AclRow::new(cluster, binding, reason.unwrap_or(IMPORTED_REASON))
                        },
                    )),
                Err(error) => {
                    diags.push(kafka_diagnostic("Cannot read ACLs", &error));
                    return None;
                }
            }
        }
        if F::HAS_TOPICS {
            record.topics = implied.topics.iter().map(TopicRow::from).collect();
        }
        ID.set(&mut state, &id.to_string());
        CLAIMANT.set(&mut state, &claimant_id(F::TYPE_NAME, id));
        record.write::<F>(&mut state);
        Some(state)
    }
}

/// Whether the recorded rows are the planned ones (`planned` has no duplicates).
fn same_rows<R: Ord>(
    recorded: &BTreeSet<R>,
    mut planned: impl ExactSizeIterator<Item = R>,
) -> bool {
    recorded.len() == planned.len() && planned.all(|row| recorded.contains(&row))
}

/// A [`Flow`] as a Terraform data source: the planned sets, without contacting a cluster.
pub struct FlowDataSource<F>(PhantomData<F>);

impl<F: Flow> FlowDataSource<F> {
    pub fn new() -> Self {
        FlowDataSource(PhantomData)
    }
}

impl<F: Flow> Default for FlowDataSource<F> {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl<F: Flow> DataSource<Clusters> for FlowDataSource<F> {
    fn type_name(&self) -> &'static str {
        F::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema_of::<F>(F::DATA_SOURCE_DESCRIPTION, false)
    }

    fn validate(&self, config: &Object, diags: &mut Diagnostics) {
        validate_config::<F>(config, diags);
    }

    async fn read(
        &self,
        _ctx: Ctx<'_, Clusters>,
        mut config: Object,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        F::fill_defaults(&mut config);
        let Field::Known(inputs) = F::decode(&config, diags)? else {
            diags.push(Diagnostic::error(
                "Inputs not known",
                "every input must be known when the data source is read",
            ));
            return None;
        };
        let errors = F::validate(&inputs);
        if !errors.is_empty() {
            input_error_diagnostics::<F>(errors, diags);
            return None;
        }
        let desired = F::plan(&inputs);
        ID.set(&mut config, &F::id(&inputs));
        let acls = desired.acls.iter().map(AclRow::from);
        DATA_ACLS.put(&mut config, &keyed_rows(acls, AclRow::key));
        if F::HAS_TOPICS {
            let topics = desired.topics.iter().map(TopicRow::from);
            INTERNAL_TOPICS.put(&mut config, &keyed_rows(topics, TopicRow::key));
        }
        Some(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::validate::{InputError, Mm2Field};
    use crate::resources::mm2::Mm2Flow;

    #[test]
    fn import_id_splits_on_the_first_two_colons() {
        assert_eq!(
            parse_import_id("primary:dr:User:mm2", "F").unwrap(),
            ("primary", "dr", "User:mm2")
        );
        for bad in [
            "primary:dr",
            "primary:dr:mm2",
            ":dr:User:x",
            "primary::User:x",
        ] {
            let error = parse_import_id(bad, "<a>:<b>:<principal>").unwrap_err();
            assert!(error.detail.contains("<a>:<b>:<principal>"), "{bad}");
        }
    }

    #[test]
    fn input_errors_land_on_their_attribute_and_element() {
        let mut diags = Diagnostics::new();
        input_error_diagnostics::<Mm2Flow>(
            vec![
                InputError {
                    field: Mm2Field::Topics,
                    index: Some(1),
                    message: "bad".into(),
                },
                InputError {
                    field: Mm2Field::Separator,
                    index: None,
                    message: "bad".into(),
                },
            ],
            &mut diags,
        );
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.path.clone().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["topics[1]", "replication_policy_separator"]);
    }

    fn every_field_is_an_input_attribute<F: Flow>() {
        let resource = FlowResource::<F>::new().schema().block;
        let data_source = FlowDataSource::<F>::new().schema().block;
        for block in [resource, data_source] {
            let names: BTreeSet<&str> = block.attributes.iter().map(|a| a.name.as_str()).collect();
            for field in F::FIELDS {
                let attribute = F::attribute(*field);
                assert!(
                    names.contains(attribute),
                    "{}: {field:?} maps to {attribute:?}, not an attribute of the schema",
                    F::TYPE_NAME
                );
            }
        }
    }

    #[test]
    fn every_input_field_maps_to_an_attribute_of_the_schema() {
        every_field_is_an_input_attribute::<Mm2Flow>();
        every_field_is_an_input_attribute::<crate::resources::cluster_link::ClusterLinkFlow>();
    }

    fn mm2_object(values: Vec<(&str, tfplugin::Value)>) -> Object {
        let mut object: Object = FlowResource::<Mm2Flow>::new()
            .schema()
            .block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), tfplugin::Value::Null))
            .collect();
        for (key, value) in values {
            object.insert(key.to_string(), value);
        }
        object
    }

    #[test]
    fn defaults_are_mm2s_and_unknown_inputs_make_the_flow_unknown() {
        use crate::model::mm2::Mm2Inputs;
        use tfplugin::Value;
        let mut object = mm2_object(vec![
            ("source_cluster", Value::string("primary")),
            ("target_cluster", Value::string("dr")),
            ("principal", Value::string("User:mm2")),
        ]);
        Mm2Flow::fill_defaults(&mut object);
        let mut diags = Diagnostics::new();
        let Some(Field::Known(inputs)) = Mm2Flow::decode(&object, &mut diags) else {
            panic!("{diags:?}");
        };
        assert_eq!(
            inputs,
            Mm2Inputs::with_defaults("primary", "dr", "User:mm2")
        );

        let mut object = mm2_object(vec![
            ("source_cluster", Value::Unknown),
            ("target_cluster", Value::string("dr")),
            ("principal", Value::string("User:mm2")),
        ]);
        Mm2Flow::fill_defaults(&mut object);
        assert_eq!(
            object["source_alias"],
            Value::Unknown,
            "alias follows the key"
        );
        assert!(matches!(
            Mm2Flow::decode(&object, &mut diags),
            Some(Field::Unknown)
        ));
    }

    #[test]
    fn unknown_enumeration_value_is_a_diagnostic_on_the_attribute() {
        use tfplugin::Value;
        let mut object = mm2_object(vec![
            ("source_cluster", Value::string("primary")),
            ("target_cluster", Value::string("dr")),
            ("principal", Value::string("User:mm2")),
            ("replication_policy", Value::string("fancy")),
        ]);
        Mm2Flow::fill_defaults(&mut object);
        let mut diags = Diagnostics::new();
        assert!(Mm2Flow::decode(&object, &mut diags).is_none());
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.path.clone().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["replication_policy"]);
    }

    #[test]
    fn mm2_state_of_version_0_upgrades_with_null_regex_inputs_and_a_derived_claimant() {
        use tfplugin::Value;
        let resource = FlowResource::<Mm2Flow>::new();
        assert_eq!(resource.schema().version, 4);
        let v0 = br#"{"id":"primary:dr:User:mm2","source_cluster":"primary","target_cluster":"dr","principal":"User:mm2","topics":["orders"],"acls":{}}"#;
        let mut diags = Diagnostics::new();
        let raw = RawState {
            version: 0,
            json: v0.to_vec().into(),
        };
        let Some(UpgradedState::Upgraded(state)) = resource.upgrade_state(&raw, &mut diags) else {
            panic!("not upgraded: {diags:?}");
        };
        assert_eq!(state["topic_regexes"], Value::Null);
        assert_eq!(state["group_regexes"], Value::Null);
        assert_eq!(state["upstream_aliases"], Value::Null, "both steps run");
        assert_eq!(state["source_cluster"], Value::string("primary"));
        let claimant = claimant_id(Mm2Flow::TYPE_NAME, "primary:dr:User:mm2");
        assert_eq!(state["claimant"], Value::string(&claimant));
        // A version-0 state never held the new attributes.
        let raw = RawState {
            version: 0,
            json: br#"{"topic_regexes":null}"#.to_vec().into(),
        };
        assert!(resource.upgrade_state(&raw, &mut diags).is_none());
        // Version 1 (with the regex inputs) takes the access-check step and the claimant step.
        let v1 = br#"{"id":"primary:dr:User:mm2","topic_regexes":null,"group_regexes":null}"#;
        let raw = RawState {
            version: 1,
            json: v1.to_vec().into(),
        };
        let Some(UpgradedState::Upgraded(state)) = resource.upgrade_state(&raw, &mut diags) else {
            panic!("not upgraded: {diags:?}");
        };
        assert_eq!(state["claimant"], Value::string(&claimant));
        let raw = RawState {
            version: 4,
            json: v0.to_vec().into(),
        };
        assert!(matches!(
            resource.upgrade_state(&raw, &mut diags),
            Some(UpgradedState::Current)
        ));
        let raw = RawState {
            version: 5,
            json: v0.to_vec().into(),
        };
        let mut diags = Diagnostics::new();
        assert!(resource.upgrade_state(&raw, &mut diags).is_none());
        assert!(diags.has_errors());
    }

    #[test]
    fn states_of_the_previous_version_upgrade_with_null_chain_and_access_inputs() {
        use crate::resources::cluster_link::ClusterLinkFlow;
        use tfplugin::Value;
        let mm2 = FlowResource::<Mm2Flow>::new();
        let v1 = br#"{"source_cluster":"primary","target_cluster":"dr","principal":"User:mm2","topics":["orders"],"topic_regexes":null,"acls":{}}"#;
        let mut diags = Diagnostics::new();
        let raw = RawState {
            version: 1,
            json: v1.to_vec().into(),
        };
        let Some(UpgradedState::Upgraded(state)) = mm2.upgrade_state(&raw, &mut diags) else {
            panic!("not upgraded: {diags:?}");
        };
        for added in ["upstream_aliases", "idempotent_write", "deny_check"] {
            assert_eq!(state[added], Value::Null, "{added}");
        }
        assert_eq!(state["topics"], Value::List(vec![Value::string("orders")]));
        // A version-1 state never held them.
        let raw = RawState {
            version: 1,
            json: br#"{"deny_check":"error"}"#.to_vec().into(),
        };
        assert!(mm2.upgrade_state(&raw, &mut diags).is_none());

        let link = FlowResource::<ClusterLinkFlow>::new();
        assert_eq!(link.schema().version, 3);
        let v0 = br#"{"source_cluster":"a","destination_cluster":"b","link_principal":"User:l","acls":{}}"#;
        let raw = RawState {
            version: 0,
            json: v0.to_vec().into(),
        };
        let Some(UpgradedState::Upgraded(state)) = link.upgrade_state(&raw, &mut diags) else {
            panic!("not upgraded: {diags:?}");
        };
        assert_eq!(state["deny_check"], Value::Null);
        assert_eq!(state["link_principal"], Value::string("User:l"));
    }

    #[test]
    fn object_rows_of_every_earlier_version_become_keys_with_their_reasons() {
        use tfplugin::Value;
        let row = r#"{"cluster":"dr","resource_type":"GROUP","pattern_type":"LITERAL","resource_name":"orders app|v1","principal":"User:mm2","host":"*","operation":"READ","permission":"ALLOW","reason":"why"}"#;
        let other = r#"{"cluster":"primary","resource_type":"TOPIC","pattern_type":"PREFIXED","resource_name":"billing.","principal":"User:mm2","host":"10.0.0.1","operation":"DESCRIBE","permission":"ALLOW","reason":"because"}"#;
        let mm2 = FlowResource::<Mm2Flow>::new();
        for version in 0..4 {
            let json = format!(
                r#"{{"id":"primary:dr:User:mm2","acls":{{"dr|GROUP|LITERAL|orders app\\|v1|User:mm2|*|READ|ALLOW":{row},"x":{other}}},"preexisting_acls":{{"x":{other}}}}}"#
            );
            let raw = RawState {
                version,
                json: json.into_bytes().into(),
            };
            let mut diags = Diagnostics::new();
            let Some(UpgradedState::Upgraded(mut state)) = mm2.upgrade_state(&raw, &mut diags)
            else {
                panic!("version {version} not upgraded: {diags:?}");
            };
            let acls = ACLS.take_known(&mut state).unwrap().unwrap();
            let preexisting = PREEXISTING_ACLS.take_known(&mut state).unwrap().unwrap();
            let expected =
                |entries: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
                    entries
                        .iter()
                        .map(|(key, reason)| (key.to_string(), reason.to_string()))
                        .collect()
                };
            let prefixed = "primary User:mm2 ALLOW DESCRIBE TOPIC PREFIXED billing. @10.0.0.1";
            assert_eq!(
                acls,
                expected(&[
                    (
                        "dr User:mm2 ALLOW READ GROUP LITERAL orders%20app|v1",
                        "why"
                    ),
                    (prefixed, "because"),
                ]),
                "version {version}"
            );
            assert_eq!(preexisting, expected(&[(prefixed, "because")]));
            assert_eq!(
                state["claimant"],
                Value::string(claimant_id(Mm2Flow::TYPE_NAME, "primary:dr:User:mm2"))
            );
        }
        let broken = RawState {
            version: 3,
            json: format!(r#"{{"acls":{{"x":{}}}}}"#, row.replace("READ", "read"))
                .into_bytes()
                .into(),
        };
        let mut diags = Diagnostics::new();
        assert!(mm2.upgrade_state(&broken, &mut diags).is_none());
        assert!(diags.iter().any(|d| d.detail.contains("READ")), "{diags:?}");
    }
}
