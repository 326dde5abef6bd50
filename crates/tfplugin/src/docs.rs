//! Registry documentation rendered from schemas, in the layout `tfplugindocs` produces:
//! `index.md` (provider), `resources/<name>.md` and `data-sources/<name>.md`, each with front
//! matter, the example from `examples/`, and a `## Schema` section (Required / Optional /
//! Read-Only, types, descriptions, nested blocks and objects); resources also get `## Import`
//! from `examples/resources/<type>/import.sh`. Also checks that every attribute and block is
//! described (the docs are only as good as the descriptions).

use super::api::Provider;
use super::schema::{Attribute, Block, Nesting, Presence, Schema};
use super::value::Type;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Everything a provider's docs are rendered from.
pub struct ProviderSchemas {
    /// The provider's local name, e.g. `example` (prefix of every type name).
    pub provider_name: String,
    pub provider: Schema,
    /// Type name and schema of each resource, e.g. `example_thing`.
    pub resources: Vec<(String, Schema)>,
    pub data_sources: Vec<(String, Schema)>,
}

impl ProviderSchemas {
    /// The schemas `provider` serves, minus the types `exclude` rejects (e.g. test-only ones).
    pub fn of<P: Provider>(
        provider_name: &str,
        provider: &P,
        exclude: impl Fn(&str) -> bool,
    ) -> ProviderSchemas {
        let mut resources: Vec<(String, Schema)> = provider
            .resources()
            .iter()
            .filter(|r| !exclude(r.type_name()))
            .map(|r| (r.type_name().to_string(), r.schema()))
            .collect();
        let mut data_sources: Vec<(String, Schema)> = provider
            .data_sources()
            .iter()
            .filter(|d| !exclude(d.type_name()))
            .map(|d| (d.type_name().to_string(), d.schema()))
            .collect();
        resources.sort_by(|a, b| a.0.cmp(&b.0));
        data_sources.sort_by(|a, b| a.0.cmp(&b.0));
        ProviderSchemas {
            provider_name: provider_name.to_string(),
            provider: provider.schema(),
            resources,
            data_sources,
        }
    }

    /// Every schema with a label: `provider`, `resource example_x`, `data source example_x`.
    pub fn labelled(&self) -> Vec<(String, &Schema)> {
        let mut all = vec![("provider".to_string(), &self.provider)];
        all.extend(
            self.resources
                .iter()
                .map(|(name, schema)| (format!("resource {name}"), schema)),
        );
        all.extend(
            self.data_sources
                .iter()
                .map(|(name, schema)| (format!("data source {name}"), schema)),
        );
        all
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("missing example {path}: every documented type needs one (see examples/README.md)")]
    MissingExample { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("schema descriptions are incomplete (the docs are built from them):\n  {}", .0.join("\n  "))]
    Undescribed(Vec<String>),
}

/// One generated page: its path relative to the docs folder and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub path: PathBuf,
    pub content: String,
}

/// The folders (relative to the docs folder) whose `.md` files are all generated.
const GENERATED_DIRS: [&str; 2] = ["resources", "data-sources"];

/// Schema places with an empty description, or sensitive attributes whose description does not
/// say "sensitive", e.g. `resource example_x: attribute rows has no description`.
pub fn description_problems(schemas: &ProviderSchemas) -> Vec<String> {
    let mut problems = Vec::new();
    for (label, schema) in schemas.labelled() {
        if schema.block.description.trim().is_empty() {
            problems.push(format!("{label}: the schema itself has no description"));
        }
        block_problems(&label, "", &schema.block, &mut problems);
    }
    problems
}

fn block_problems(label: &str, prefix: &str, block: &Block, problems: &mut Vec<String>) {
    for attribute in &block.attributes {
        attribute_problems(label, prefix, attribute, problems);
    }
    for nested in &block.blocks {
        let path = format!("{prefix}{}", nested.name);
        if nested.block.description.trim().is_empty() {
            problems.push(format!("{label}: block {path} has no description"));
        }
        block_problems(label, &format!("{path}."), &nested.block, problems);
    }
}

fn attribute_problems(
    label: &str,
    prefix: &str,
    attribute: &Attribute,
    problems: &mut Vec<String>,
) {
    let path = format!("{prefix}{}", attribute.name);
    if attribute.description.trim().is_empty() {
        problems.push(format!("{label}: attribute {path} has no description"));
    } else if attribute.sensitive && !attribute.description.to_lowercase().contains("sensitive") {
        problems.push(format!(
            "{label}: attribute {path} is sensitive but its description does not say so"
        ));
    }
    if let Some(nested) = &attribute.nested {
        for field in &nested.attributes {
            attribute_problems(label, &format!("{path}."), field, problems);
        }
    }
}

/// Renders every generated page from `schemas` and the examples under `examples`.
pub fn render(schemas: &ProviderSchemas, examples: &Path) -> Result<Vec<Page>, DocsError> {
    render_with_provider_notes(schemas, examples, "")
}

/// [`render`], with `provider_notes` (Markdown sections, may be empty) on the provider page
/// between its example and its schema.
pub fn render_with_provider_notes(
    schemas: &ProviderSchemas,
    examples: &Path,
    provider_notes: &str,
) -> Result<Vec<Page>, DocsError> {
    let problems = description_problems(schemas);
    if !problems.is_empty() {
        return Err(DocsError::Undescribed(problems));
    }
    let provider = &schemas.provider_name;
    let mut pages = vec![Page {
        path: PathBuf::from("index.md"),
        content: render_page(&PageSpec {
            page_title: format!("{provider} Provider"),
            heading: format!("{provider} Provider"),
            schema: &schemas.provider,
            example: required_example(examples, "provider/provider.tf")?,
            notes: provider_notes,
            import: None,
        }),
    }];
    for (kind, folder, file, list) in [
        ("Resource", "resources", "resource.tf", &schemas.resources),
        (
            "Data Source",
            "data-sources",
            "data-source.tf",
            &schemas.data_sources,
        ),
    ] {
        for (type_name, schema) in list {
            let short = type_name
                .strip_prefix(&format!("{provider}_"))
                .unwrap_or(type_name);
            let import = if kind == "Resource" {
                optional_example(examples, &format!("{folder}/{type_name}/import.sh"))?
            } else {
                None
            };
            pages.push(Page {
                path: Path::new(folder).join(format!("{short}.md")),
                content: render_page(&PageSpec {
                    page_title: format!("{type_name} {kind} - terraform-provider-{provider}"),
                    heading: format!("{type_name} ({kind})"),
                    schema,
                    example: required_example(examples, &format!("{folder}/{type_name}/{file}"))?,
                    notes: "",
                    import,
                }),
            });
        }
    }
    Ok(pages)
}

/// `examples/<relative>` with trailing blank lines trimmed; `None` when there is no such file.
fn optional_example(examples: &Path, relative: &str) -> Result<Option<String>, DocsError> {
    let path = examples.join(relative);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(format!("{}\n", text.trim_end()))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(DocsError::Read { path, source }),
    }
}

fn required_example(examples: &Path, relative: &str) -> Result<String, DocsError> {
    optional_example(examples, relative)?.ok_or_else(|| DocsError::MissingExample {
        path: examples.join(relative),
    })
}

struct PageSpec<'a> {
    page_title: String,
    heading: String,
    schema: &'a Schema,
    /// Terraform configuration shown under "Example Usage".
    example: String,
    /// Markdown sections after the example (empty: none).
    notes: &'a str,
    import: Option<String>,
}

fn render_page(spec: &PageSpec) -> String {
    let description = spec.schema.block.description.trim();
    let mut out = String::new();
    out.push_str("---\n");
    out.push_str(
        "# Generated from the provider schema and examples/ by `make docs`: do not edit.\n",
    );
    let _ = writeln!(out, "page_title: {:?}", spec.page_title);
    out.push_str("subcategory: \"\"\n");
    out.push_str("description: |-\n");
    for line in description.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("---\n\n");
    let _ = writeln!(out, "# {}\n", spec.heading);
    let _ = writeln!(out, "{description}\n");
    let _ = write!(
        out,
        "## Example Usage\n\n```terraform\n{}```\n\n",
        spec.example
    );
    if !spec.notes.is_empty() {
        let _ = write!(out, "{}\n\n", spec.notes.trim_end());
    }
    out.push_str("## Schema\n");
    let mut nested = Vec::new();
    render_members(&spec.schema.block, "", &mut out, &mut nested);
    // Nested schemas in the order they were linked; each may queue deeper ones.
    let mut next = 0;
    while next < nested.len() {
        let item: Nested = nested[next].clone();
        next += 1;
        let _ = write!(
            out,
            "\n<a id=\"{}\"></a>\n### Nested Schema for `{}`\n",
            item.anchor, item.path
        );
        match &item.members {
            Members::Block(block) => {
                render_members(block, &format!("{}.", item.path), &mut out, &mut nested)
            }
            Members::Attributes(attributes) => {
                let block = Block {
                    attributes: attributes.clone(),
                    ..Block::default()
                };
                render_members(&block, &format!("{}.", item.path), &mut out, &mut nested)
            }
            Members::ObjectFields { fields, section } => {
                let _ = writeln!(out, "\n{section}:\n");
                for (name, ty) in fields {
                    let _ = write!(out, "- `{name}` ({})", type_label(ty));
                    link_object_type(
                        &format!("{}.{name}", item.path),
                        ty,
                        section,
                        &mut out,
                        &mut nested,
                    );
                    out.push('\n');
                }
            }
        }
    }
    if let Some(import) = &spec.import {
        let _ = write!(
            out,
            "\n## Import\n\nImport is supported using the following syntax:\n\n```shell\n{import}```\n"
        );
    }
    out
}

/// A nested schema still to be rendered below the main one.
#[derive(Clone)]
struct Nested {
    anchor: String,
    path: String,
    members: Members,
}

#[derive(Clone)]
enum Members {
    Block(Block),
    Attributes(Vec<Attribute>),
    /// The fields of an object type (an attribute typed e.g. `set(object({...}))`).
    ObjectFields {
        fields: BTreeMap<String, Type>,
        section: &'static str,
    },
}

/// One line of a schema section and the nested schemas it links to.
struct Row {
    name: String,
    text: String,
    links: Vec<Nested>,
}

const SECTIONS: [&str; 3] = ["Required", "Optional", "Read-Only"];

fn section_of(presence: Presence) -> &'static str {
    match presence {
        Presence::Required => SECTIONS[0],
        Presence::Optional | Presence::OptionalComputed => SECTIONS[1],
        Presence::Computed => SECTIONS[2],
    }
}

/// Lists a block's attributes and nested blocks under Required / Optional / Read-Only,
/// sorted by name; nested schemas are queued in `nested` in the order they are linked.
fn render_members(block: &Block, prefix: &str, out: &mut String, nested: &mut Vec<Nested>) {
    let mut rows: BTreeMap<&str, Vec<Row>> = BTreeMap::new();
    for attribute in &block.attributes {
        let section = section_of(attribute.presence);
        let path = format!("{prefix}{}", attribute.name);
        let mut links = Vec::new();
        let type_text = match &attribute.nested {
            Some(nested_attributes) => {
                format!("Attributes{}", nesting_suffix(nested_attributes.nesting))
            }
            None => type_label(&attribute.ty),
        };
        let sensitive = if attribute.sensitive {
            ", Sensitive"
        } else {
            ""
        };
        let mut row = format!(
            "- `{}` ({type_text}{sensitive}) {}",
            attribute.name,
            attribute.description.trim()
        );
        match &attribute.nested {
            Some(nested_attributes) => {
                let anchor = anchor("nestedatt", &path);
                let _ = write!(row, " (see [below for nested schema](#{anchor}))");
                links.push(Nested {
                    anchor,
                    path,
                    members: Members::Attributes(nested_attributes.attributes.clone()),
                });
            }
            None => link_object_type(&path, &attribute.ty, section, &mut row, &mut links),
        }
        rows.entry(section).or_default().push(Row {
            name: attribute.name.clone(),
            text: row,
            links,
        });
    }
    for block_type in &block.blocks {
        let path = format!("{prefix}{}", block_type.name);
        let section = if block_type.min_items > 0 {
            SECTIONS[0]
        } else {
            SECTIONS[1]
        };
        let mut limits = String::new();
        if block_type.nesting != Nesting::Single {
            if block_type.min_items > 0 {
                let _ = write!(limits, ", Min: {}", block_type.min_items);
            }
            if block_type.max_items > 0 {
                let _ = write!(limits, ", Max: {}", block_type.max_items);
            }
        }
        let anchor = anchor("nestedblock", &path);
        let row = format!(
            "- `{}` (Block{}{limits}) {} (see [below for nested schema](#{anchor}))",
            block_type.name,
            nesting_suffix(block_type.nesting),
            block_type.block.description.trim()
        );
        let link = Nested {
            anchor,
            path,
            members: Members::Block(block_type.block.clone()),
        };
        rows.entry(section).or_default().push(Row {
            name: block_type.name.clone(),
            text: row,
            links: vec![link],
        });
    }
    for section in SECTIONS {
        let Some(mut section_rows) = rows.remove(section) else {
            continue;
        };
        section_rows.sort_by(|a, b| a.name.cmp(&b.name));
        if prefix.is_empty() {
            let _ = write!(out, "\n### {section}\n\n");
        } else {
            let _ = write!(out, "\n{section}:\n\n");
        }
        for row in section_rows {
            out.push_str(&row.text);
            out.push('\n');
            nested.extend(row.links);
        }
    }
}

/// For an attribute whose type holds objects, links a nested schema listing their fields.
fn link_object_type(
    path: &str,
    ty: &Type,
    section: &'static str,
    out: &mut String,
    nested: &mut Vec<Nested>,
) {
    let fields = match ty {
        Type::Object(fields) => fields,
        Type::List(element) | Type::Set(element) | Type::Map(element) => match element.as_ref() {
            Type::Object(fields) => fields,
            _ => return,
        },
        _ => return,
    };
    let anchor = anchor("nestedobjatt", path);
    let _ = write!(out, " (see [below for nested schema](#{anchor}))");
    nested.push(Nested {
        anchor,
        path: path.to_string(),
        members: Members::ObjectFields {
            fields: fields.clone(),
            section,
        },
    });
}

fn anchor(kind: &str, path: &str) -> String {
    format!("{kind}--{}", path.replace('.', "--"))
}

fn nesting_suffix(nesting: Nesting) -> &'static str {
    match nesting {
        Nesting::Single => "",
        Nesting::List => " List",
        Nesting::Set => " Set",
        Nesting::Map => " Map",
    }
}

/// `String`, `List of String`, `Set of Object`, `Map of Number`.
fn type_label(ty: &Type) -> String {
    match ty {
        Type::Bool => "Boolean".into(),
        Type::Number => "Number".into(),
        Type::String => "String".into(),
        Type::List(element) => format!("List of {}", type_label(element)),
        Type::Set(element) => format!("Set of {}", type_label(element)),
        Type::Map(element) => format!("Map of {}", type_label(element)),
        Type::Object(_) => "Object".into(),
    }
}

/// Generated pages that differ from (or are missing in) `docs`, and generated-folder pages in
/// `docs` that no schema produces any more: `(relative path, why)`.
pub fn stale_pages(pages: &[Page], docs: &Path) -> Result<Vec<(PathBuf, String)>, DocsError> {
    let mut stale = Vec::new();
    for page in pages {
        let path = docs.join(&page.path);
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == page.content => {}
            Ok(committed) => stale.push((
                page.path.clone(),
                first_difference(&committed, &page.content),
            )),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                stale.push((page.path.clone(), "missing".to_string()))
            }
            Err(source) => return Err(DocsError::Read { path, source }),
        }
    }
    for orphan in orphan_pages(pages, docs)? {
        stale.push((orphan, "no schema generates it any more".to_string()));
    }
    Ok(stale)
}

/// `.md` files in the generated folders that are not among `pages`.
fn orphan_pages(pages: &[Page], docs: &Path) -> Result<Vec<PathBuf>, DocsError> {
    let mut orphans = Vec::new();
    for folder in GENERATED_DIRS {
        let dir = docs.join(folder);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(DocsError::Read { path: dir, source }),
        };
        for entry in entries {
            let entry = entry.map_err(|source| DocsError::Read {
                path: dir.clone(),
                source,
            })?;
            let relative = Path::new(folder).join(entry.file_name());
            let is_markdown = relative.extension().is_some_and(|e| e == "md");
            if is_markdown && !pages.iter().any(|p| p.path == relative) {
                orphans.push(relative);
            }
        }
    }
    orphans.sort();
    Ok(orphans)
}

/// `line N: committed "..." / generated "..."` for the first line that differs.
fn first_difference(committed: &str, generated: &str) -> String {
    let mut committed_lines = committed.lines();
    let mut generated_lines = generated.lines();
    let mut number = 1;
    loop {
        match (committed_lines.next(), generated_lines.next()) {
            (Some(a), Some(b)) if a == b => number += 1,
            (None, None) => return "differs only in trailing newlines".to_string(),
            (a, b) => {
                return format!(
                    "line {number}: committed {:?}, generated {:?}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                )
            }
        }
    }
}

/// Writes `pages` under `docs` and removes generated-folder pages no schema produces.
/// Returns the paths written and removed.
pub fn write_pages(pages: &[Page], docs: &Path) -> Result<Vec<PathBuf>, DocsError> {
    let mut touched = Vec::new();
    for orphan in orphan_pages(pages, docs)? {
        let path = docs.join(&orphan);
        std::fs::remove_file(&path).map_err(|source| DocsError::Write { path, source })?;
        touched.push(orphan);
    }
    for page in pages {
        let path = docs.join(&page.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| DocsError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, &page.content).map_err(|source| DocsError::Write { path, source })?;
        touched.push(page.path.clone());
    }
    Ok(touched)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Attr, BlockDecl};
    use std::collections::BTreeSet;

    crate::tf_object! {
        struct Row {
            name: String,
            port: Option<i64>,
        }
    }

    const NAME: Attr<String> = Attr::required("name", "The name.");
    const TOKEN: Attr<String> = Attr::optional("token", "API token. Sensitive.").sensitive();
    const ROWS: Attr<BTreeSet<Row>> = Attr::computed("rows", "One row per thing.");
    const AUTH: BlockDecl =
        BlockDecl::single("auth", || Block::new("Authentication.").attr(&TOKEN));

    fn schemas(resource: Block) -> ProviderSchemas {
        ProviderSchemas {
            provider_name: "demo".into(),
            provider: Schema {
                version: 0,
                block: Block::new("The demo provider.").block(&AUTH),
            },
            resources: vec![(
                "demo_thing".into(),
                Schema {
                    version: 0,
                    block: resource,
                },
            )],
            data_sources: vec![],
        }
    }

    fn examples() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in [
            ("provider/provider.tf", "provider \"demo\" {}\n"),
            (
                "resources/demo_thing/resource.tf",
                "resource \"demo_thing\" \"x\" {}\n\n",
            ),
            (
                "resources/demo_thing/import.sh",
                "terraform import demo_thing.x ID\n",
            ),
        ] {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn resource_page_has_sections_types_nested_objects_and_import() {
        let examples = examples();
        let pages = render(
            &schemas(Block::new("A thing.").attr(&NAME).attr(&ROWS)),
            examples.path(),
        )
        .unwrap();
        let paths: Vec<&Path> = pages.iter().map(|p| p.path.as_path()).collect();
        assert_eq!(
            paths,
            [Path::new("index.md"), Path::new("resources/thing.md")]
        );
        let page = &pages[1].content;
        assert!(page.starts_with("---\n# Generated"), "{page}");
        assert!(page.contains("page_title: \"demo_thing Resource - terraform-provider-demo\"\n"));
        assert!(page.contains("description: |-\n  A thing.\n---\n\n# demo_thing (Resource)\n"));
        assert!(page.contains("```terraform\nresource \"demo_thing\" \"x\" {}\n```\n"));
        assert!(
            page.contains("### Required\n\n- `name` (String) The name.\n"),
            "{page}"
        );
        assert!(page.contains(
            "### Read-Only\n\n- `rows` (Set of Object) One row per thing. (see [below for nested schema](#nestedobjatt--rows))\n"
        ), "{page}");
        assert!(page.contains(
            "<a id=\"nestedobjatt--rows\"></a>\n### Nested Schema for `rows`\n\nRead-Only:\n\n- `name` (String)\n- `port` (Number)\n"
        ), "{page}");
        assert!(
            page.ends_with("```shell\nterraform import demo_thing.x ID\n```\n"),
            "{page}"
        );
    }

    #[test]
    fn provider_notes_come_between_the_example_and_the_schema() {
        let examples = examples();
        let pages = render_with_provider_notes(
            &schemas(Block::new("A thing.").attr(&NAME)),
            examples.path(),
            "## Platforms\n\n- `linux_amd64`\n",
        )
        .unwrap();
        let index = &pages[0].content;
        let example = index.find("## Example Usage").unwrap();
        let notes = index
            .find("## Platforms\n\n- `linux_amd64`\n\n## Schema")
            .unwrap();
        assert!(example < notes, "{index}");
        assert!(!pages[1].content.contains("## Platforms"));
    }

    #[test]
    fn provider_page_documents_nested_blocks_and_sensitive_attributes() {
        let examples = examples();
        let pages = render(
            &schemas(Block::new("A thing.").attr(&NAME)),
            examples.path(),
        )
        .unwrap();
        let index = &pages[0].content;
        assert!(
            index.contains("# demo Provider\n\nThe demo provider.\n"),
            "{index}"
        );
        assert!(index.contains(
            "### Optional\n\n- `auth` (Block) Authentication. (see [below for nested schema](#nestedblock--auth))\n"
        ), "{index}");
        assert!(index.contains(
            "### Nested Schema for `auth`\n\nOptional:\n\n- `token` (String, Sensitive) API token. Sensitive.\n"
        ), "{index}");
    }

    #[test]
    fn missing_descriptions_and_unmarked_secrets_are_reported() {
        const BARE: Attr<String> = Attr::optional("bare", "");
        const SECRET: Attr<String> = Attr::optional("secret", "A password.").sensitive();
        let problems = description_problems(&schemas(Block::new("").attr(&BARE).attr(&SECRET)));
        assert_eq!(
            problems,
            [
                "resource demo_thing: the schema itself has no description",
                "resource demo_thing: attribute bare has no description",
                "resource demo_thing: attribute secret is sensitive but its description does not say so",
            ]
        );
        let examples = examples();
        let err = render(&schemas(Block::new("").attr(&BARE)), examples.path()).unwrap_err();
        assert!(matches!(err, DocsError::Undescribed(_)), "{err}");
    }

    #[test]
    fn stale_changed_missing_and_orphan_pages_are_found_and_rewritten() {
        let examples = examples();
        let pages = render(
            &schemas(Block::new("A thing.").attr(&NAME)),
            examples.path(),
        )
        .unwrap();
        let docs = tempfile::tempdir().unwrap();
        write_pages(&pages, docs.path()).unwrap();
        assert_eq!(stale_pages(&pages, docs.path()).unwrap(), []);

        std::fs::write(docs.path().join("index.md"), "edited\n").unwrap();
        std::fs::remove_file(docs.path().join("resources/thing.md")).unwrap();
        std::fs::write(docs.path().join("resources/gone.md"), "old\n").unwrap();
        let stale = stale_pages(&pages, docs.path()).unwrap();
        let found: Vec<&Path> = stale.iter().map(|(p, _)| p.as_path()).collect();
        assert_eq!(
            found,
            [
                Path::new("index.md"),
                Path::new("resources/thing.md"),
                Path::new("resources/gone.md")
            ]
        );
        assert!(
            stale[0].1.starts_with("line 1: committed \"edited\""),
            "{}",
            stale[0].1
        );

        write_pages(&pages, docs.path()).unwrap();
        assert_eq!(stale_pages(&pages, docs.path()).unwrap(), []);
    }

    #[test]
    fn a_documented_resource_without_example_is_an_error() {
        let examples = examples();
        std::fs::remove_file(examples.path().join("resources/demo_thing/resource.tf")).unwrap();
        let err = render(
            &schemas(Block::new("A thing.").attr(&NAME)),
            examples.path(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("resources/demo_thing/resource.tf"),
            "{err}"
        );
    }
}
