//! A complete provider: `terraform-provider-example` with one resource, `example_note`, whose
//! `text` is computed from the provider's `greeting` and the note's `name`. It keeps nothing
//! outside Terraform state, so apply hands back the planned state.
//!
//! ```hcl
//! provider "example" {
//!   greeting = "hello"
//! }
//!
//! resource "example_note" "first" {
//!   name = "world" # text = "hello world"
//! }
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use tfplugin::serve::{run, ServeConfig};
use tfplugin::{
    async_trait, ApplyRequest, Attr, Block, CancellationToken, Ctx, DataSource, Diagnostic,
    Diagnostics, Field, Object, PlanRequest, Planned, Provider, Resource, Schema,
};

// Each attribute is declared once: the constant gives the schema entry, and reads and writes
// the value under that name and type.
const GREETING: Attr<String> = Attr::optional("greeting", "The first word of every note.");
const NAME: Attr<String> =
    Attr::required("name", "Name of the note; changing it replaces the note.").requires_replace();
const TEXT: Attr<String> = Attr::computed("text", "The provider's greeting and the name.");

struct ExampleProvider;

/// What `configure` makes of the `provider "example" { }` block; every resource call gets it
/// as `ctx.provider`.
struct Configured {
    greeting: String,
}

#[async_trait]
impl Provider for ExampleProvider {
    type State = Configured;

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block::new("An example provider.").attr(&GREETING),
        }
    }

    fn validate(&self, _config: &Object, _diags: &mut Diagnostics) {}

    async fn configure(
        &self,
        config: &Object,
        _cancel: &CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Configured> {
        let greeting = match diags.take(GREETING.get(config))? {
            Field::Known(greeting) => greeting,
            // Unset, or not known until apply (values may still be unknown during plan).
            Field::Null | Field::Unknown => "hello".to_string(),
        };
        Some(Configured { greeting })
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Configured>>> {
        vec![Arc::new(Note)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Configured>>> {
        Vec::new()
    }
}

struct Note;

#[async_trait]
impl Resource<Configured> for Note {
    fn type_name(&self) -> &'static str {
        "example_note"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block::new("A note kept in Terraform state.")
                .attr(&NAME)
                .attr(&TEXT),
        }
    }

    /// Static checks, reported on the attribute they concern (unknown values are skipped).
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
        ctx: Ctx<'_, Configured>,
        request: PlanRequest,
        diags: &mut Diagnostics,
    ) -> Option<Planned> {
        let mut planned = request.proposed;
        match diags.take(NAME.get(&planned))? {
            Field::Known(name) => {
                let text = format!("{} {name}", ctx.provider.greeting);
                TEXT.set(&mut planned, &text);
            }
            Field::Null | Field::Unknown => TEXT.set_unknown(&mut planned),
        }
        let mut requires_replace = Vec::new();
        if let Some(prior) = &request.prior {
            NAME.replace_if_changed(prior, &planned, &mut requires_replace);
        }
        Some(Planned {
            planned,
            requires_replace,
        })
    }

    async fn apply(
        &self,
        _ctx: Ctx<'_, Configured>,
        request: ApplyRequest,
        _diags: &mut Diagnostics,
    ) -> Option<Object> {
        // Nothing to create outside Terraform: the planned state (None on destroy) is the new
        // state. A real resource makes its calls here, watching `ctx.cancel`, and returns what
        // exists afterwards, also when it fails halfway.
        request.planned
    }

    async fn read(
        &self,
        _ctx: Ctx<'_, Configured>,
        state: Object,
        _diags: &mut Diagnostics,
    ) -> Option<Object> {
        Some(state)
    }

    async fn import(
        &self,
        ctx: Ctx<'_, Configured>,
        id: &str,
        _diags: &mut Diagnostics,
    ) -> Option<Object> {
        let mut state = Object::new();
        NAME.set(&mut state, &id.to_string());
        TEXT.set(&mut state, &format!("{} {id}", ctx.provider.greeting));
        Some(state)
    }
}

fn main() -> ExitCode {
    let debug = std::env::args().any(|arg| arg == "--debug");
    let config = ServeConfig::new("example", "registry.terraform.io/example-org/example")
        .log_targets(&["notes"])
        .debug(debug);
    run(ExampleProvider, config)
}
