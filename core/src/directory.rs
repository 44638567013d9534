//! The in-memory directory of every record's summary: what lists, search and record links read.
//! It never holds full documents.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;

use crate::ids::RecordId;
use crate::record::RecordKind;
use crate::summary::Summary;
use crate::validate::phone_digits;

/// Columns a list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Name,
    Email,
    Company,
    City,
    Stage,
    Updated,
    Created,
}

/// What a list asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub kind: RecordKind,
    /// Free text; every word must match somewhere (name, emails, phones, company, tags, …).
    pub text: String,
    pub sort: SortKey,
    pub descending: bool,
}

impl ListQuery {
    pub fn all(kind: RecordKind) -> Self {
        Self {
            kind,
            text: String::new(),
            sort: SortKey::Name,
            descending: false,
        }
    }
}

#[derive(Debug, Default)]
pub struct Directory {
    items: Vec<Summary>,
    by_id: HashMap<RecordId, usize>,
    /// Lower-cased searchable text per item, including its company's name.
    haystacks: Vec<String>,
    /// Items added before their company; see [`Directory::resolve_companies`].
    unresolved: Vec<usize>,
    /// The last full order [`Directory::list`] sorted; cleared by every change.
    order: RefCell<Option<CachedOrder>>,
}

#[derive(Debug)]
struct CachedOrder {
    kind: RecordKind,
    sort: SortKey,
    descending: bool,
    indexes: Vec<usize>,
}

impl Directory {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_summaries(summaries: impl IntoIterator<Item = Summary>) -> Self {
        let mut dir = Self::new();
        dir.extend(summaries);
        dir.resolve_companies();
        dir
    }

    /// Adds many summaries (loading, importing). Linear, unlike repeated [`Directory::upsert`]:
    /// people whose company is not known yet are remembered and their search text completed
    /// by [`Directory::resolve_companies`] once everything is in.
    pub fn extend(&mut self, summaries: impl IntoIterator<Item = Summary>) {
        self.order.get_mut().take();
        for summary in summaries {
            let waits_for_company = summary
                .company_id
                .as_ref()
                .is_some_and(|c| self.get(c).is_none());
            let index = self.put(summary);
            if waits_for_company {
                self.unresolved.push(index);
            }
        }
    }

    /// Adds or replaces one summary with its search text; returns its index.
    fn put(&mut self, summary: Summary) -> usize {
        let haystack = self.haystack(&summary);
        match self.by_id.get(&summary.id) {
            Some(&i) => {
                self.items[i] = summary;
                self.haystacks[i] = haystack;
                i
            }
            None => {
                self.by_id.insert(summary.id.clone(), self.items.len());
                self.items.push(summary);
                self.haystacks.push(haystack);
                self.items.len() - 1
            }
        }
    }

    /// Completes the search text of records added by [`Directory::extend`] before their company.
    pub fn resolve_companies(&mut self) {
        self.order.get_mut().take();
        for i in std::mem::take(&mut self.unresolved) {
            self.haystacks[i] = self.haystack(&self.items[i]);
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn get(&self, id: &RecordId) -> Option<&Summary> {
        self.by_id.get(id).map(|&i| &self.items[i])
    }

    pub fn at(&self, index: usize) -> &Summary {
        &self.items[index]
    }

    /// Adds or replaces a summary. A company's new name reaches its people's search text.
    pub fn upsert(&mut self, summary: Summary) {
        self.order.get_mut().take();
        let renamed_company = (summary.kind == RecordKind::Company
            && self
                .get(&summary.id)
                .is_none_or(|old| old.name != summary.name))
        .then(|| summary.id.clone());
        self.put(summary);
        if let Some(company) = renamed_company {
            self.refresh_people_of(&company);
        }
    }

    fn refresh_people_of(&mut self, company: &RecordId) {
        for i in 0..self.items.len() {
            if self.items[i].company_id.as_ref() == Some(company) {
                self.haystacks[i] = self.haystack(&self.items[i]);
            }
        }
    }

    /// The name of the company `id`, if known.
    pub fn name_of(&self, id: &RecordId) -> Option<&str> {
        self.get(id)
            .map(|s| s.name.as_str())
            .filter(|n| !n.is_empty())
    }

    /// Live (not deleted) people linked to a company, by name.
    pub fn people_of(&self, company: &RecordId) -> Vec<&Summary> {
        let mut people: Vec<&Summary> = self
            .items
            .iter()
            .filter(|s| {
                s.kind == RecordKind::Person && !s.deleted && s.company_id.as_ref() == Some(company)
            })
            .collect();
        people.sort_by(|a, b| compare_text(&a.name, &b.name));
        people
    }

    /// A live record of `kind` named `name` (ignoring case), if any.
    pub fn find_by_name(&self, kind: RecordKind, name: &str) -> Option<&Summary> {
        let name = name.trim().to_lowercase();
        self.items
            .iter()
            .find(|s| s.kind == kind && !s.deleted && s.name.to_lowercase() == name)
    }

    /// How many live (not deleted) records of `kind` there are.
    pub fn count(&self, kind: RecordKind) -> usize {
        self.items
            .iter()
            .filter(|s| s.kind == kind && !s.deleted)
            .count()
    }

    /// Indexes of the live records matching `query`, in its order. The full order of a kind is
    /// sorted once and kept until the directory changes, so each keystroke of a search is one
    /// linear scan.
    pub fn list(&self, query: &ListQuery) -> Vec<usize> {
        let words = SearchWords::new(&query.text);
        let mut cache = self.order.borrow_mut();
        let cached = cache.as_ref().is_some_and(|c| {
            c.kind == query.kind && c.sort == query.sort && c.descending == query.descending
        });
        if !cached {
            *cache = Some(CachedOrder {
                kind: query.kind,
                sort: query.sort,
                descending: query.descending,
                indexes: self.sorted(query),
            });
        }
        let order = &cache.as_ref().expect("just filled").indexes;
        if words.is_empty() {
            return order.clone();
        }
        // Scan in memory order (cache-friendly), then keep the sorted order of the hits.
        let hits: Vec<bool> = self.haystacks.iter().map(|h| words.matches(h)).collect();
        order.iter().copied().filter(|&i| hits[i]).collect()
    }

    /// The entries of `order` whose record matches the search `text` (every word somewhere):
    /// one linear scan, the order kept. Lists filter a view's order with it per keystroke.
    pub fn filter_text(&self, order: &[usize], text: &str) -> Vec<usize> {
        let words = SearchWords::new(text);
        if words.is_empty() {
            return order.to_vec();
        }
        order
            .iter()
            .copied()
            .filter(|&i| self.haystacks.get(i).is_some_and(|h| words.matches(h)))
            .collect()
    }

    /// Live records of `kind`, in no particular order.
    pub fn of_kind(&self, kind: RecordKind) -> impl Iterator<Item = &Summary> {
        self.items
            .iter()
            .filter(move |s| s.kind == kind && !s.deleted)
    }

    /// Every live record of the query's kind in the query's order.
    fn sorted(&self, query: &ListQuery) -> Vec<usize> {
        let live = (0..self.items.len()).filter(|&i| {
            let s = &self.items[i];
            s.kind == query.kind && !s.deleted
        });
        // Each key is computed once per record, not once per comparison.
        let mut keyed: Vec<(SortValue, usize)> = live
            .map(|i| (self.sort_value(query.sort, &self.items[i]), i))
            .collect();
        keyed.sort_unstable_by(|(ka, a), (kb, b)| {
            let order = ka.cmp_values(kb);
            let order = if query.descending {
                order.reverse()
            } else {
                order
            };
            // Empty values stay last either way; ties fall back to the id (creation order) so
            // the order is the same on every device and after every reload.
            ka.is_empty()
                .cmp(&kb.is_empty())
                .then(order)
                .then_with(|| self.items[*a].id.cmp(&self.items[*b].id))
        });
        keyed.into_iter().map(|(_, i)| i).collect()
    }

    fn sort_value(&self, key: SortKey, s: &Summary) -> SortValue {
        let text = |t: &str| SortValue::Text(t.to_lowercase());
        match key {
            SortKey::Name => text(&s.name),
            SortKey::Email => text(s.primary_email().unwrap_or("")),
            SortKey::Company => text(
                s.company_id
                    .as_ref()
                    .and_then(|c| self.name_of(c))
                    .unwrap_or(""),
            ),
            SortKey::City => text(&s.city),
            SortKey::Stage => SortValue::Number(s.stage.map_or(i64::MAX, |st| st as i64)),
            SortKey::Updated => SortValue::Number(s.updated_at),
            SortKey::Created => SortValue::Number(s.created_at),
        }
    }

    fn haystack(&self, s: &Summary) -> String {
        let mut text = String::with_capacity(64);
        let mut push = |part: &str| {
            if !part.is_empty() {
                text.push_str(&part.to_lowercase());
                text.push('\u{1f}');
            }
        };
        push(&s.name);
        s.emails.iter().for_each(|e| push(e));
        for phone in &s.phones {
            push(phone);
            push(&phone_digits(phone));
        }
        push(&s.title);
        push(&s.domain);
        push(&s.city);
        s.tags.iter().for_each(|t| push(t));
        if let Some(company) = s.company_id.as_ref().and_then(|c| self.name_of(c)) {
            push(company);
        }
        text
    }
}

#[derive(Debug, PartialEq, Eq)]
enum SortValue {
    Text(String),
    Number(i64),
}

impl SortValue {
    /// Unset values sort last in both directions.
    fn is_empty(&self) -> bool {
        match self {
            Self::Text(t) => t.is_empty(),
            Self::Number(n) => *n == i64::MAX,
        }
    }

    fn cmp_values(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Text(a), Self::Text(b)) => a.cmp(b),
            (Self::Number(a), Self::Number(b)) => a.cmp(b),
            (Self::Text(_), Self::Number(_)) => Ordering::Less,
            (Self::Number(_), Self::Text(_)) => Ordering::Greater,
        }
    }
}

/// Empty values sort last; otherwise case-insensitive.
fn compare_text(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

/// A search, split into lower-cased words; digit-only words also match phone digits.
struct SearchWords(Vec<String>);

impl SearchWords {
    fn new(text: &str) -> Self {
        Self(text.split_whitespace().map(str::to_lowercase).collect())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn matches(&self, haystack: &str) -> bool {
        self.0.iter().all(|w| haystack.contains(w.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::record::{Channel, Field, Record};

    fn summary(
        kind: RecordKind,
        edit: impl FnOnce(&mut crate::record::Edit<'_>) -> Result<(), crate::record::RecordError>,
    ) -> Summary {
        let mut r = Record::create(RecordId::new(), kind, &UserId("u".into()), 1);
        r.edit(2, edit).unwrap();
        r.summary()
    }

    fn names(dir: &Directory, hits: &[usize]) -> Vec<String> {
        hits.iter().map(|&i| dir.at(i).name.clone()).collect()
    }

    fn fixture() -> (Directory, RecordId) {
        let acme = summary(RecordKind::Company, |e| e.set(Field::Name, "Acme Corp"));
        let acme_id = acme.id.clone();
        let id = acme_id.to_string();
        let people = [
            summary(RecordKind::Person, |e| {
                e.set(Field::Name, "Ada Lovelace")?;
                e.add_channel(Channel::Email, "ada@analytical.org", "")?;
                e.add_tag("vip")
            }),
            summary(RecordKind::Person, |e| {
                e.set(Field::Name, "grace hopper")?;
                e.set(Field::CompanyId, &id)?;
                e.add_channel(Channel::Phone, "+1 (555) 010-0199", "")
                    .map(drop)
            }),
            summary(RecordKind::Person, |e| e.set(Field::Name, "Alan Turing")),
            summary(RecordKind::Person, |e| e.set(Field::City, "Nowhere")),
        ];
        (
            Directory::from_summaries(std::iter::once(acme).chain(people)),
            acme_id,
        )
    }

    #[test]
    fn lists_one_kind_sorted_by_name_with_empty_names_last() {
        let (dir, _) = fixture();
        let hits = dir.list(&ListQuery::all(RecordKind::Person));
        assert_eq!(
            names(&dir, &hits),
            ["Ada Lovelace", "Alan Turing", "grace hopper", ""]
        );
        let mut query = ListQuery::all(RecordKind::Person);
        query.descending = true;
        assert_eq!(
            names(&dir, &dir.list(&query)),
            ["grace hopper", "Alan Turing", "Ada Lovelace", ""]
        );
    }

    #[test]
    fn search_matches_every_word_across_fields() {
        let (dir, _) = fixture();
        let find = |text: &str| {
            let query = ListQuery {
                text: text.into(),
                ..ListQuery::all(RecordKind::Person)
            };
            names(&dir, &dir.list(&query))
        };
        assert_eq!(find("ADA"), ["Ada Lovelace"]);
        assert_eq!(find("analytical"), ["Ada Lovelace"]);
        assert_eq!(find("vip"), ["Ada Lovelace"]);
        assert_eq!(
            find("acme"),
            ["grace hopper"],
            "a person is found by their company's name"
        );
        assert_eq!(
            find("5550100199"),
            ["grace hopper"],
            "phones match by digits"
        );
        assert_eq!(find("555 010"), ["grace hopper"]);
        assert_eq!(find("a turing"), ["Alan Turing"]);
        assert!(find("zzz").is_empty());
    }

    #[test]
    fn renaming_a_company_updates_its_people_and_deleted_records_vanish() {
        let (mut dir, acme) = fixture();
        let mut renamed = dir.get(&acme).unwrap().clone();
        renamed.name = "Globex".into();
        dir.upsert(renamed);
        let query = ListQuery {
            text: "globex".into(),
            ..ListQuery::all(RecordKind::Person)
        };
        assert_eq!(names(&dir, &dir.list(&query)), ["grace hopper"]);
        assert_eq!(dir.people_of(&acme).len(), 1);

        let grace = dir.at(dir.list(&query)[0]).clone();
        dir.upsert(Summary {
            deleted: true,
            ..grace
        });
        assert!(dir.list(&query).is_empty());
        assert!(dir.people_of(&acme).is_empty());
    }

    #[test]
    fn a_change_reorders_a_list_that_was_already_sorted() {
        let (mut dir, _) = fixture();
        let all = ListQuery::all(RecordKind::Person);
        assert_eq!(dir.count(RecordKind::Person), 4);
        let first = dir.at(dir.list(&all)[0]).clone();
        dir.upsert(Summary {
            name: "Zed".into(),
            ..first
        });
        assert_eq!(
            names(&dir, &dir.list(&all)),
            ["Alan Turing", "grace hopper", "Zed", ""]
        );
    }

    #[test]
    fn people_loaded_before_their_company_are_found_by_its_name() {
        let (dir, acme) = fixture();
        let mut people_first: Vec<Summary> = (0..dir.len()).map(|i| dir.at(i).clone()).collect();
        people_first.reverse();
        let mut loaded = Directory::new();
        for page in people_first.chunks(2) {
            loaded.extend(page.to_vec());
        }
        loaded.resolve_companies();
        let query = ListQuery {
            text: "acme".into(),
            ..ListQuery::all(RecordKind::Person)
        };
        assert_eq!(names(&loaded, &loaded.list(&query)), ["grace hopper"]);
        assert_eq!(loaded.people_of(&acme).len(), 1);
    }

    #[test]
    fn sort_by_company_then_stable_by_creation() {
        let (dir, _) = fixture();
        let query = ListQuery {
            sort: SortKey::Company,
            ..ListQuery::all(RecordKind::Person)
        };
        assert_eq!(names(&dir, &dir.list(&query))[0], "grace hopper");
    }
}
