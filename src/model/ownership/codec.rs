//! The claims record's codec: what a claim names, record keys and values, and the fold of a
//! read into the claims that stand (the last record per key counts, as compaction keeps it).

use std::borrow::Cow;
use std::sync::Arc;

use foldhash::HashMap;

use crate::model::acl::AclBinding;

/// The claimant id of the marker on objects found on the cluster before any resource
/// claimed them (made by hand or by another tool): never released, so never deleted.
pub const PREEXISTING: &str = "pre-existing";

/// The readable name the pre-existing marker carries.
pub const PREEXISTING_NAME: &str =
    "pre-existing (found on the cluster before any resource claimed it; never deleted)";

/// First field of every record key: the codec version.
const KEY_VERSION: &str = "v1";

/// What a claim names, in the form objects compare in (principals normalised).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Claimed {
    Binding(AclBinding),
    Topic(String),
}

impl std::fmt::Display for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Claimed::Binding(binding) => write!(f, "{binding}"),
            Claimed::Topic(name) => write!(f, "topic {name:?}"),
        }
    }
}

/// Who claims: a stable id (the record key's last field) and a readable name (the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimant {
    pub id: String,
    pub name: String,
}

/// One record of the claims topic: `value` `None` is a tombstone (a release).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

fn push_field(key: &mut String, field: &str) {
    key.push('|');
    if !field.contains(['\\', '|']) {
        key.push_str(field);
        return;
    }
    for character in field.chars() {
        if matches!(character, '\\' | '|') {
            key.push('\\');
        }
        key.push(character);
    }
}

/// Splits a key on unescaped `|`; `None` on a dangling or unknown escape.
fn split_fields(key: &str) -> Option<Vec<String>> {
    let mut fields = vec![String::new()];
    let mut characters = key.chars();
    while let Some(character) = characters.next() {
        match character {
            '|' => fields.push(String::new()),
            '\\' => match characters.next() {
                Some(escaped @ ('\\' | '|')) => fields.last_mut()?.push(escaped),
                _ => return None,
            },
            other => fields.last_mut()?.push(other),
        }
    }
    Some(fields)
}

/// The record key of `object` claimed by `claimant_id`:
/// `v1|acl|<resource_type>|<pattern_type>|<resource_name>|<principal>|<host>|<operation>|<permission>|<claimant>`
/// or `v1|topic|<name>|<claimant>`, `|` and `\` inside a field escaped with `\`.
pub fn record_key(object: &Claimed, claimant_id: &str) -> String {
    let mut key = String::from(KEY_VERSION);
    match object {
        Claimed::Binding(binding) => {
            for field in [
                "acl",
                binding.resource_type.as_str(),
                binding.pattern_type.as_str(),
                &binding.resource_name,
                &binding.principal,
                &binding.host,
                binding.operation.as_str(),
                binding.permission.as_str(),
            ] {
                push_field(&mut key, field);
            }
        }
        Claimed::Topic(name) => {
            push_field(&mut key, "topic");
            push_field(&mut key, name);
        }
    }
    push_field(&mut key, claimant_id);
    key
}

/// The object and claimant id a key names; `None` for keys this codec does not write
/// (another version, or a record written by hand), which the fold skips.
pub fn parse_key(key: &[u8]) -> Option<(Claimed, String)> {
    let key = std::str::from_utf8(key).ok()?;
    parse_fields(&fields_of(key)?).map(|(object, claimant)| (object, claimant.to_string()))
}

/// A key's fields, borrowed from it when nothing in it is escaped (as nearly every key).
fn fields_of(key: &str) -> Option<Vec<Cow<'_, str>>> {
    if key.contains('\\') {
        split_fields(key).map(|fields| fields.into_iter().map(Cow::Owned).collect())
    } else {
        Some(key.split('|').map(Cow::Borrowed).collect())
    }
}

fn parse_fields<'a>(fields: &'a [Cow<'_, str>]) -> Option<(Claimed, &'a str)> {
    let [version, kind, rest @ ..] = fields else {
        return None;
    };
    if version != KEY_VERSION {
        return None;
    }
    match (&**kind, rest) {
        ("acl", [rt, pt, name, principal, host, op, perm, claimant]) => {
            let binding = AclBinding {
                resource_type: rt.parse().ok()?,
                resource_name: name.to_string(),
                pattern_type: pt.parse().ok()?,
                principal: principal.to_string(),
                host: host.to_string(),
                operation: op.parse().ok()?,
                permission: perm.parse().ok()?,
            };
            Some((Claimed::Binding(binding), claimant))
        }
        ("topic", [name, claimant]) => Some((Claimed::Topic(name.to_string()), claimant)),
        _ => None,
    }
}

/// The record claiming `object` for `claimant`.
pub fn claim_record(object: &Claimed, claimant: &Claimant) -> ClaimRecord {
    ClaimRecord {
        key: record_key(object, &claimant.id).into_bytes(),
        value: Some(claimant.name.clone().into_bytes()),
    }
}

/// The marker record of an object found on the cluster before any claim.
pub fn preexisting_record(object: &Claimed) -> ClaimRecord {
    ClaimRecord {
        key: record_key(object, PREEXISTING).into_bytes(),
        value: Some(PREEXISTING_NAME.as_bytes().to_vec()),
    }
}

/// The tombstone releasing `claimant_id`'s claim on `object`.
pub fn release_record(object: &Claimed, claimant_id: &str) -> ClaimRecord {
    ClaimRecord {
        key: record_key(object, claimant_id).into_bytes(),
        value: None,
    }
}

/// A claimant as the fold keeps it: its id and readable name, shared between its claims.
type ClaimantEntry = (Arc<str>, Arc<str>);

/// The claims of one cluster as they stand after the records read: per object, the
/// claimants' ids and names.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    /// Per object, its claimants' ids and readable names, sorted by id (one or two, mostly).
    by_object: HashMap<Claimed, Vec<ClaimantEntry>>,
    /// One copy of each claimant's id and last name read: tens of thousands of records name
    /// a handful of claimants.
    claimants: HashMap<Arc<str>, Arc<str>>,
    /// Records whose key this codec does not read (left alone, never deleted); a fold in
    /// scope counts only those it was asked to read.
    pub skipped: usize,
    /// When set, only these objects' claims are kept ([`Claims::scoped`]).
    scope: Option<ClaimsScope>,
}

/// The objects one resource's ownership decisions ask about: those it needs, those its
/// state records, and (added by the first fold) those it claims. Every decision of
/// `model::ownership` asks about these only, so a fold that keeps only their claims answers
/// as a fold of every record would; on a cluster many resources claim on, most records are
/// then passed over by their key's object part alone, never parsed.
#[derive(Debug, Clone, Default)]
pub struct ClaimsScope {
    /// Each object's record key up to and with the `|` before the claimant.
    objects: foldhash::HashSet<Vec<u8>>,
    /// This resource's claimant id as record keys write it.
    me: Vec<u8>,
    /// Whether a fold from the log start has added what this resource claims.
    widened: bool,
}

impl ClaimsScope {
    pub fn new<'a>(me: &str, objects: impl IntoIterator<Item = &'a Claimed>) -> ClaimsScope {
        ClaimsScope {
            objects: objects
                .into_iter()
                .map(|object| record_key(object, "").into_bytes())
                .collect(),
            me: escaped(me).into_bytes(),
            widened: false,
        }
    }

    fn holds(&self, key: &[u8]) -> bool {
        split_claimant(key).is_some_and(|(object, _)| self.objects.contains(object))
    }
}

/// A key's object part (up to and with the last unescaped `|`) and its claimant field.
fn split_claimant(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut at = key.len();
    while at > 0 {
        at -= 1;
        if key[at] == b'|' {
            let backslashes = key[..at].iter().rev().take_while(|b| **b == b'\\').count();
            if backslashes % 2 == 0 {
                return Some((&key[..=at], &key[at + 1..]));
            }
        }
    }
    None
}

/// A field as record keys write it (`|` and `\` escaped).
fn escaped(field: &str) -> String {
    let mut key = String::new();
    push_field(&mut key, field);
    key.split_off(1)
}

/// Claims are equal when they name the same claimants on the same objects (however the
/// records were read).
impl PartialEq for Claims {
    fn eq(&self, other: &Claims) -> bool {
        self.by_object == other.by_object && self.skipped == other.skipped
    }
}

impl Eq for Claims {}

impl Claims {
    /// Folds records read after the ones these claims were folded from, in offset order: a
    /// value claims, a tombstone releases (what compaction keeps is the last record per key,
    /// which is what the fold ends with, so folding a log's records in two reads gives what
    /// one read of them all gives).
    pub fn extended<'a, R>(mut self, records: R) -> Claims
    where
        R: IntoIterator<Item = (&'a [u8], Option<&'a [u8]>)>,
        R::IntoIter: Clone,
    {
        let records = records.into_iter();
        if let Some(scope) = self.scope.as_mut().filter(|scope| !scope.widened) {
            // What this resource claims joins the scope before any record is kept, so every
            // record of an object in scope is folded.
            let mine: Vec<Vec<u8>> = records
                .clone()
                .filter_map(|(key, value)| {
                    let (object, claimant) = split_claimant(key)?;
                    (value.is_some() && claimant == scope.me.as_slice()).then(|| object.to_vec())
                })
                .collect();
            scope.objects.extend(mine);
            scope.widened = true;
        }
        for (key, value) in records {
            if self.scope.as_ref().is_none_or(|scope| scope.holds(key)) {
                self.fold(key, value);
            }
        }
        self
    }

    /// No claims yet, keeping only the claims of `scope`'s objects when records are folded.
    pub fn scoped(scope: ClaimsScope) -> Claims {
        Claims {
            scope: Some(scope),
            ..Claims::default()
        }
    }

    /// The same claims emptied, to fold a log again from its start (the scope stays, and
    /// the next fold adds again what this resource claims).
    pub fn emptied(self) -> Claims {
        match self.scope {
            Some(mut scope) => {
                scope.widened = false;
                Claims::scoped(scope)
            }
            None => Claims::default(),
        }
    }

    /// Applies records written after the read (what this apply itself produced).
    pub fn with(self, records: &[ClaimRecord]) -> Claims {
        self.extended(
            records
                .iter()
                .map(|record| (record.key.as_slice(), record.value.as_deref())),
        )
    }

    fn fold(&mut self, key: &[u8], value: Option<&[u8]>) {
        let parsed = std::str::from_utf8(key).ok().and_then(fields_of);
        let Some((object, claimant)) = parsed.as_deref().and_then(parse_fields) else {
            self.skipped += 1;
            return;
        };
        match value {
            Some(value) => {
                let name = String::from_utf8_lossy(value);
                let entry = self.claimant(claimant, &name);
                let claimants = self.by_object.entry(object).or_default();
                match claimants.binary_search_by(|(id, _)| (**id).cmp(claimant)) {
                    Ok(at) => claimants[at] = entry,
                    Err(at) => claimants.insert(at, entry),
                }
            }
            None => {
                if let Some(claimants) = self.by_object.get_mut(&object) {
                    claimants.retain(|(id, _)| &**id != claimant);
                    if claimants.is_empty() {
                        self.by_object.remove(&object);
                    }
                }
            }
        }
    }

    /// The shared copies of a claimant's id and name (the name as this record gives it).
    fn claimant(&mut self, id: &str, name: &str) -> ClaimantEntry {
        if let Some((id, known)) = self.claimants.get_key_value(id) {
            if &**known == name {
                return (id.clone(), known.clone());
            }
        }
        let id: Arc<str> = Arc::from(id);
        let name: Arc<str> = Arc::from(name);
        self.claimants.insert(id.clone(), name.clone());
        (id, name)
    }

    /// Whether `claimant_id` claims `object`.
    pub fn has(&self, object: &Claimed, claimant_id: &str) -> bool {
        self.by_object
            .get(object)
            .is_some_and(|claimants| names(claimants, claimant_id))
    }

    /// Whether anyone claims `object`.
    pub fn is_claimed(&self, object: &Claimed) -> bool {
        self.by_object.contains_key(object)
    }

    /// The names of the claimants of `object` other than `claimant_id`, sorted by id.
    pub fn others(&self, object: &Claimed, claimant_id: &str) -> Vec<String> {
        self.others_except(object, &[claimant_id])
    }

    /// The names of the claimants of `object` whose ids are not in `ignored`, sorted by id.
    pub fn others_except(&self, object: &Claimed, ignored: &[&str]) -> Vec<String> {
        self.by_object
            .get(object)
            .into_iter()
            .flatten()
            .filter(|(id, _)| !ignored.contains(&&**id))
            .map(|(id, name)| describe_claimant(id, name))
            .collect()
    }

    /// Every object `claimant_id` claims.
    pub fn claimed_by<'a>(&'a self, claimant_id: &'a str) -> impl Iterator<Item = &'a Claimed> {
        self.by_object
            .iter()
            .filter(move |(_, claimants)| names(claimants, claimant_id))
            .map(|(object, _)| object)
    }

    /// How many (object, claimant) pairs stand.
    pub fn len(&self) -> usize {
        self.by_object.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_object.is_empty()
    }
}

/// Whether `claimants` (sorted by id) holds `claimant_id`.
fn names(claimants: &[ClaimantEntry], claimant_id: &str) -> bool {
    claimants
        .binary_search_by(|(id, _)| (**id).cmp(claimant_id))
        .is_ok()
}

/// How a warning names a claimant: its readable name and its id.
fn describe_claimant(id: &str, name: &str) -> String {
    if id == PREEXISTING {
        PREEXISTING_NAME.to_string()
    } else {
        format!("{name} (claimant {id})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::acl::{Operation, PatternType, ResourceType};

    fn binding(name: &str) -> AclBinding {
        AclBinding::allow(
            "User:mm2",
            ResourceType::Topic,
            name,
            PatternType::Literal,
            Operation::Write,
        )
    }

    fn claimant(id: &str) -> Claimant {
        Claimant {
            id: id.to_string(),
            name: format!("flow {id}"),
        }
    }

    #[test]
    fn keys_round_trip_with_separators_inside_fields() {
        let odd = AclBinding::allow(
            "User:a|b\\c",
            ResourceType::Group,
            "g|1\\",
            PatternType::Prefixed,
            Operation::Read,
        );
        for object in [
            Claimed::Binding(binding("heartbeats")),
            Claimed::Binding(odd),
            Claimed::Topic("mm2-configs.a.internal".into()),
            Claimed::Topic("we|ird".into()),
        ] {
            for id in ["3f2a", PREEXISTING, "id|with\\bars"] {
                let key = record_key(&object, id);
                assert_eq!(
                    parse_key(key.as_bytes()),
                    Some((object.clone(), id.to_string())),
                    "{key}"
                );
            }
        }
        assert_eq!(
            record_key(&Claimed::Topic("heartbeats".into()), "c1"),
            "v1|topic|heartbeats|c1"
        );
        for foreign in [
            &b"v2|topic|t|c"[..],
            b"v1|topic|t",
            b"v1|acl|TOPIC|LITERAL|t|User:x|*|READ|ALLOW",
            b"v1|acl|NOPE|LITERAL|t|User:x|*|READ|ALLOW|c",
            b"v1|topic|dangling\\",
            b"\xff\xfe",
            b"",
        ] {
            assert_eq!(parse_key(foreign), None, "{foreign:?}");
        }
    }

    #[test]
    fn the_fold_keeps_the_last_record_per_key_and_skips_foreign_keys() {
        let x = Claimed::Binding(binding("x"));
        let a = claim_record(&x, &claimant("a"));
        let b = claim_record(&x, &claimant("b"));
        let a_gone = release_record(&x, "a");
        let records = [
            (a.key.as_slice(), a.value.as_deref()),
            (b"not ours".as_slice(), Some(b"?".as_slice())),
            (b.key.as_slice(), b.value.as_deref()),
            (a_gone.key.as_slice(), None),
        ];
        let claims = Claims::default().extended(records);
        assert_eq!(claims.skipped, 1);
        assert!(!claims.has(&x, "a"));
        assert!(claims.has(&x, "b"));
        assert_eq!(claims.others(&x, "a"), ["flow b (claimant b)"]);
        assert_eq!(claims.len(), 1);

        let in_two_reads = Claims::default()
            .extended(records[..2].iter().copied())
            .extended(records[2..].iter().copied());
        assert_eq!(in_two_reads, claims);

        let all_gone = claims.with(&[release_record(&x, "b")]);
        assert!(!all_gone.is_claimed(&x));
        assert!(all_gone.is_empty());
    }

    #[test]
    fn a_fold_in_scope_answers_for_its_objects_as_a_fold_of_every_record() {
        let needed = Claimed::Binding(binding("needed"));
        let recorded = Claimed::Topic("recorded|with\\bars".into());
        // Claimed by `me` only in a record after another claimant's claim on it.
        let mine_only_in_claims = Claimed::Binding(binding("mine"));
        let released_by_me = Claimed::Binding(binding("released"));
        let elsewhere = Claimed::Binding(binding("elsewhere"));
        let me = claimant("m|e");
        let other = claimant("o");
        let records = vec![
            claim_record(&mine_only_in_claims, &other),
            claim_record(&needed, &other),
            preexisting_record(&needed),
            claim_record(&recorded, &me),
            claim_record(&elsewhere, &other),
            claim_record(&released_by_me, &other),
            claim_record(&mine_only_in_claims, &me),
            claim_record(&released_by_me, &me),
            release_record(&released_by_me, &me.id),
            release_record(&needed, &other.id),
            ClaimRecord {
                key: b"v9|foreign".to_vec(),
                value: Some(b"?".to_vec()),
            },
        ];
        let scope = ClaimsScope::new(&me.id, [&needed, &recorded]);
        let whole = Claims::default().with(&records);
        let scoped = Claims::scoped(scope.clone()).with(&records);
        let asked = [&needed, &recorded, &mine_only_in_claims];
        let answers = |claims: &Claims| -> Vec<(bool, bool, bool, Vec<String>)> {
            asked
                .iter()
                .map(|object| {
                    (
                        claims.has(object, &me.id),
                        claims.has(object, &other.id),
                        claims.has(object, PREEXISTING),
                        claims.others(object, &me.id),
                    )
                })
                .collect()
        };
        assert_eq!(answers(&scoped), answers(&whole));
        let mut mine: Vec<&Claimed> = scoped.claimed_by(&me.id).collect();
        mine.sort();
        assert_eq!(mine, [&mine_only_in_claims, &recorded]);
        assert!(
            !scoped.is_claimed(&elsewhere),
            "passed over: no decision asks"
        );
        assert!(whole.is_claimed(&elsewhere));
        assert_eq!((whole.skipped, scoped.skipped), (1, 0));

        // Read in two parts, or folded again from the log start, the answers stay.
        let (first, rest) = records.split_at(7);
        let in_two = Claims::scoped(scope.clone()).with(first).with(rest);
        assert_eq!(answers(&in_two), answers(&whole));
        let again = scoped.clone().emptied();
        assert!(again.is_empty());
        assert_eq!(again.with(&records), scoped);
    }
}
