//! `kafkamirror_test_note`: a resource that stores nothing outside Terraform state, built only
//! with the `test-resources` feature. The end-to-end harness keeps it only for what the real
//! resources cannot show yet: replacement (`requires_replace`: the real resources update in
//! place), a state upgrade (no real resource has an older schema version yet) and a cluster
//! whose address is unknown at plan time (the real resources would contact the other one).
//! Everything else runs on the real resources and data sources.
//!
//! Schema version 1; version 0 called the `text` attribute `body` (see `upgrade_state`).

use crate::clusters::Clusters;
use async_trait::async_trait;
use std::collections::BTreeSet;
use tfplugin::tf_object;
use tfplugin::{
    ApplyRequest, Attr, Block, Ctx, Diagnostic, Diagnostics, Field, Object, PlanRequest, Planned,
    RawState, Resource, Schema, UpgradedState,
};

tf_object! {
    /// One word of the note's text and where it stands.
    pub struct Word {
        pub position: i64,
        pub word: String,
    }
}

const ID: Attr<String> = Attr::computed("id", "Same as name.");
const NAME: Attr<String> =
    Attr::required("name", "Name of the note; changing it replaces the note.").requires_replace();
const TEXT: Attr<String> = Attr::optional("text", "The note's text.");
const CLUSTER: Attr<String> = Attr::optional(
    "cluster",
    "A provider cluster alias that must exist (checks the provider's cluster map).",
);
/// A typed set of objects, not a nested attribute: Terraform 1.0.3 crashes rendering plans
/// with computed nested attributes.
const WORDS: Attr<BTreeSet<Word>> =
    Attr::computed("words", "The words of text, with their positions.");

/// Version 0 of the schema: `body` instead of `text`, no `words`.
const BODY_V0: Attr<String> = Attr::optional("body", "The note's text (version 0).");

pub struct TestNote;

fn words_of(text: &str) -> BTreeSet<Word> {
    text.split_whitespace()
        .enumerate()
        .map(|(position, word)| Word {
            position: position as i64,
            word: word.to_string(),
        })
        .collect()
}

/// Fills the computed attributes of a state from its (known) name and text.
fn complete_state(state: &mut Object, diags: &mut Diagnostics) {
    if let Some(name) = diags.take(NAME.require(state)) {
        ID.set(state, &name);
    }
    if let Some(text) = diags.take(TEXT.known(state)) {
        WORDS.set(state, &words_of(text.as_deref().unwrap_or("")));
    }
}

#[async_trait]
impl Resource<Clusters> for TestNote {
    fn type_name(&self) -> &'static str {
        "kafkamirror_test_note"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 1,
            block: Block::new("A note kept only in Terraform state (test builds only).")
                .attr(&ID)
                .attr(&NAME)
                .attr(&TEXT)
                .attr(&CLUSTER)
                .attr(&WORDS),
        }
    }

    fn validate(&self, config: &Object, diags: &mut Diagnostics) {
        if let Some(Field::Known(name)) = diags.take(NAME.get(config)) {
            if name.trim().is_empty() {
                diags.push(
                    Diagnostic::error("Empty name", "name must not be blank").at(NAME.path()),
                );
            }
        }
    }

    async fn plan(
        &self,
        ctx: Ctx<'_, Clusters>,
        request: PlanRequest,
        diags: &mut Diagnostics,
    ) -> Option<Planned> {
        let mut planned = request.proposed;
        if let Some(Field::Known(alias)) = diags.take(CLUSTER.get(&request.config)) {
            if !ctx.provider.is_pending(&alias) {
                if let Err(diagnostic) = ctx.provider.cluster(&alias) {
                    diags.push(diagnostic.at(CLUSTER.path()));
                }
            }
        }
        let mut requires_replace = Vec::new();
        match &request.prior {
            Some(prior) => NAME.replace_if_changed(prior, &planned, &mut requires_replace),
            None => ID.set_unknown(&mut planned),
        }
        if !requires_replace.is_empty() {
            ID.set_unknown(&mut planned);
        }
        match diags.take(TEXT.get(&planned))? {
            Field::Unknown => WORDS.set_unknown(&mut planned),
            Field::Null => WORDS.set(&mut planned, &BTreeSet::new()),
            Field::Known(text) => WORDS.set(&mut planned, &words_of(&text)),
        }
        Some(Planned {
            planned,
            requires_replace,
        })
    }

    async fn apply(
        &self,
        ctx: Ctx<'_, Clusters>,
        request: ApplyRequest,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        if ctx.cancel.is_cancelled() {
            diags.push(Diagnostic::error(
                "Cancelled",
                "Terraform asked the provider to stop",
            ));
            return None;
        }
        let mut state = request.planned?;
        complete_state(&mut state, diags);
        Some(state)
    }

    async fn read(
        &self,
        _ctx: Ctx<'_, Clusters>,
        mut state: Object,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        complete_state(&mut state, diags);
        Some(state)
    }

    /// Import id: `NAME` or `NAME:TEXT`.
    async fn import(
        &self,
        _ctx: Ctx<'_, Clusters>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Object> {
        let (name, text) = match id.split_once(':') {
            Some((name, text)) => (name, Some(text.to_string())),
            None => (id, None),
        };
        if name.is_empty() {
            diags.push(Diagnostic::error(
                "Invalid import id",
                "expected NAME or NAME:TEXT",
            ));
            return None;
        }
        let mut state = Object::new();
        NAME.set(&mut state, &name.to_string());
        TEXT.set_optional(&mut state, text.as_ref());
        CLUSTER.set_null(&mut state);
        complete_state(&mut state, diags);
        Some(state)
    }

    fn upgrade_state(&self, raw: &RawState, diags: &mut Diagnostics) -> Option<UpgradedState> {
        match raw.version {
            0 => {
                let v0 = Schema {
                    version: 0,
                    block: Block::new("version 0").attr(&ID).attr(&NAME).attr(&BODY_V0),
                };
                let old = diags.take(raw.decode(&v0))?;
                let mut state = Object::new();
                NAME.set(&mut state, &diags.take(NAME.require(&old))?);
                TEXT.set_optional(&mut state, diags.take(BODY_V0.known(&old))?.as_ref());
                CLUSTER.set_null(&mut state);
                complete_state(&mut state, diags);
                Some(UpgradedState::Upgraded(state))
            }
            1 => Some(UpgradedState::Current),
            other => {
                diags.push(Diagnostic::error(
                    "Unsupported state version",
                    format!(
                        "kafkamirror_test_note state version {other} is newer than this provider"
                    ),
                ));
                None
            }
        }
    }
}
