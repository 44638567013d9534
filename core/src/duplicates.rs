//! Likely duplicate people and companies, found over summaries by key (never all pairs):
//! people with the same email or phone, or a similar name at the same company; companies
//! with the same domain or the same name once legal suffixes are ignored. Pairs are joined
//! into groups (A~B and B~C make one group). Deleted records are ignored; pairs the user said
//! are not duplicates (`Record::not_duplicates`) are left out.

use std::collections::{HashMap, HashSet};

use crate::ids::RecordId;
use crate::record::RecordKind;
use crate::summary::Summary;

/// A key shared by more records than this is a shared address (info@, a switchboard), not a
/// sign of duplicates.
pub const MAX_BUCKET: usize = 25;
/// Within a company of at most this many people every pair of names is compared; above it
/// only equal name keys are.
const FUZZY_COMPANY_SIZE: usize = 200;
/// Phone numbers match on their last digits (country and trunk prefixes vary).
const PHONE_DIGITS: usize = 9;

/// Why two records look like the same one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The normalised address.
    Email(String),
    /// The phone as written on the first record.
    Phone(String),
    /// Similar names at this company.
    Name {
        company: RecordId,
    },
    Domain(String),
    /// The normalised company name.
    CompanyName(String),
}

/// How sure a reason is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strength {
    Possible,
    Strong,
}

impl Reason {
    pub fn strength(&self) -> Strength {
        match self {
            Self::Email(_) | Self::Phone(_) | Self::Domain(_) => Strength::Strong,
            Self::Name { .. } | Self::CompanyName(_) => Strength::Possible,
        }
    }

    /// "same email", "similar name at the same company", …: after a name, in brackets.
    pub fn short(&self) -> &'static str {
        match self {
            Self::Email(_) => "same email",
            Self::Phone(_) => "same phone",
            Self::Name { .. } => "similar name at the same company",
            Self::Domain(_) => "same domain",
            Self::CompanyName(_) => "same name",
        }
    }

    /// "Same email ana@acme.example", "Similar name at Acme", …; `company_name` names a company.
    pub fn describe(&self, company_name: impl Fn(&RecordId) -> Option<String>) -> String {
        match self {
            Self::Email(e) => format!("Same email {e}"),
            Self::Phone(p) => format!("Same phone {p}"),
            Self::Name { company } => match company_name(company) {
                Some(name) => format!("Similar name at {name}"),
                None => "Similar name at the same company".into(),
            },
            Self::Domain(d) => format!("Same domain {d}"),
            Self::CompanyName(_) => "Same company name".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub a: RecordId,
    pub b: RecordId,
    pub reason: Reason,
}

/// Records that look like one; `ids` oldest first (the natural survivor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub kind: RecordKind,
    pub ids: Vec<RecordId>,
    /// Distinct reasons, strongest first.
    pub reasons: Vec<Reason>,
    pub strength: Strength,
}

/// The unordered pair `(a, b)` in a canonical order, as dismissed pairs are kept.
pub fn pair_key(a: &RecordId, b: &RecordId) -> (RecordId, RecordId) {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

/// An address as matched: lower-cased; for Gmail, dots and a `+suffix` ignored.
pub fn email_key(email: &str) -> String {
    let lower = email.trim().to_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return lower;
    };
    if domain == "gmail.com" || domain == "googlemail.com" {
        let local = local.split('+').next().unwrap_or_default().replace('.', "");
        return format!("{local}@gmail.com");
    }
    lower
}

/// The last [`PHONE_DIGITS`] digits of the number (as `validate::phone_digits` reads them,
/// without an extension); `None` for shorter numbers (too short to tell).
pub fn phone_key(phone: &str) -> Option<String> {
    // Only digits and punctuation come before an extension (`ext`, `x`, `#`): stop at the
    // first letter or `#`.
    let mut digits = String::with_capacity(phone.len());
    for c in phone.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c.is_alphabetic() || c == '#' {
            break;
        }
    }
    (digits.len() >= PHONE_DIGITS).then(|| digits.split_off(digits.len() - PHONE_DIGITS))
}

/// A name as compared: accents, case and punctuation dropped, "Silva, Ana" = "Ana Silva",
/// words sorted (so the order does not matter).
pub fn name_key(name: &str) -> String {
    let folded = match name.split_once(',') {
        Some((last, first)) if !first.contains(',') => {
            let mut f = fold_text(first);
            f.push(' ');
            f.push_str(&fold_text(last));
            f
        }
        _ => fold_text(name),
    };
    let mut words: Vec<&str> = folded
        .split_whitespace()
        .filter(|w| !["dr", "mr", "mrs", "ms", "prof"].contains(w))
        .collect();
    words.sort_unstable();
    words.join(" ")
}

/// A company name as compared: like [`name_key`] without legal suffixes (Inc, Ltd, GmbH, …),
/// words kept in order.
pub fn company_key(name: &str) -> String {
    const SUFFIXES: [&str; 13] = [
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "gmbh",
        "llc",
        "corp",
        "corporation",
        "plc",
        "sa",
        "ag",
        "bv",
        "co",
    ];
    let mut words = words(name);
    while words.len() > 1 && words.last().is_some_and(|w| SUFFIXES.contains(&w.as_str())) {
        words.pop();
    }
    words.join(" ")
}

fn words(text: &str) -> Vec<String> {
    fold_text(text)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Lower-cased, accents folded, anything but letters and digits a space.
fn fold_text(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match fold(c) {
            Some(s) => folded.push_str(s),
            None if c.is_alphanumeric() => folded.push(c),
            None => folded.push(' '),
        }
    }
    folded
}

/// Latin letters with diacritics → their base letters.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// Whether two name keys ([`name_key`]) look like one person: equal, one's words all in the
/// other's (a middle name), or a typo or two apart.
pub fn similar_names(a: &str, b: &str) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    // No allocation: this runs for every pair of people at a company.
    if short.contains(' ') && short.split(' ').all(|w| long.split(' ').any(|x| x == w)) {
        return true;
    }
    // Numbers in names ("Smith 2", imported placeholders) tell people apart: no typo allowance.
    if a.bytes().chain(b.bytes()).any(|c| c.is_ascii_digit()) {
        return false;
    }
    let allowed = match short.len() {
        0..=5 => 0,
        6..=9 => 1,
        _ => 2,
    };
    allowed > 0 && long.len() - short.len() <= allowed && within_distance(a, b, allowed)
}

/// Levenshtein distance at most `max` (over bytes: keys are folded to ASCII but for other
/// scripts, where a byte distance is a stricter test), stopping early once it cannot be.
fn within_distance(a: &str, b: &str, max: usize) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        row[0] = i + 1;
        let mut best = row[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            row[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1);
            best = best.min(row[j + 1]);
        }
        if best > max {
            return false;
        }
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()] <= max
}

/// One record as the detector keeps it.
struct Entry {
    id: RecordId,
    kind: RecordKind,
    created_at: i64,
    name_key: String,
    /// Letter and digit counts of `name_key`, for a quick lower bound of the edit distance.
    letters: [u8; 36],
}

fn letter_counts(key: &str) -> [u8; 36] {
    let mut counts = [0u8; 36];
    for b in key.bytes() {
        let slot = match b {
            b'a'..=b'z' => b - b'a',
            b'0'..=b'9' => 26 + b - b'0',
            _ => continue,
        };
        counts[slot as usize] = counts[slot as usize].saturating_add(1);
    }
    counts
}

/// Whether two people's names may be similar: at most four letters apart (two edits), or
/// one name's words within the other's.
fn may_be_similar(a: &Entry, b: &Entry) -> bool {
    letters_close(&a.letters, &b.letters)
}

fn letters_close(a: &[u8; 36], b: &[u8; 36]) -> bool {
    let apart: u32 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u32::from(x.abs_diff(*y)))
        .sum();
    let within = |x: &[u8; 36], y: &[u8; 36]| x.iter().zip(y).all(|(p, q)| p <= q);
    apart <= 4 || within(a, b) || within(b, a)
}

/// Builds the indexes one summary at a time (so a page can feed it in slices), then reports
/// the pairs.
#[derive(Default)]
pub struct Detector {
    entries: Vec<Entry>,
    emails: HashMap<String, Vec<u32>>,
    phones: HashMap<String, (String, Vec<u32>)>,
    domains: HashMap<String, Vec<u32>>,
    company_names: HashMap<String, Vec<u32>>,
    /// People by company.
    staff: HashMap<RecordId, Vec<u32>>,
}

impl Detector {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Indexes one summary; deleted records and kinds other than people and companies are
    /// skipped.
    pub fn add(&mut self, s: &Summary) {
        if s.deleted || !matches!(s.kind, RecordKind::Person | RecordKind::Company) {
            return;
        }
        let i = self.entries.len() as u32;
        let push = |map: &mut HashMap<String, Vec<u32>>, key: String| {
            let list = map.entry(key).or_default();
            if list.last() != Some(&i) && list.len() <= MAX_BUCKET {
                list.push(i);
            }
        };
        let name_key = match s.kind {
            RecordKind::Person => {
                for e in &s.emails {
                    push(&mut self.emails, email_key(e));
                }
                for p in &s.phones {
                    if let Some(key) = phone_key(p) {
                        let (_, list) = self
                            .phones
                            .entry(key)
                            .or_insert_with(|| (p.clone(), Vec::new()));
                        if list.last() != Some(&i) && list.len() <= MAX_BUCKET {
                            list.push(i);
                        }
                    }
                }
                if let Some(company) = &s.company_id {
                    self.staff.entry(company.clone()).or_default().push(i);
                }
                // Names are only compared among a company's people.
                if s.company_id.is_some() {
                    name_key(&s.name)
                } else {
                    String::new()
                }
            }
            _ => {
                if !s.domain.is_empty() {
                    let d = s.domain.trim().to_lowercase();
                    push(
                        &mut self.domains,
                        d.strip_prefix("www.").unwrap_or(&d).to_string(),
                    );
                }
                let key = company_key(&s.name);
                if !key.is_empty() {
                    push(&mut self.company_names, key.clone());
                }
                key
            }
        };
        self.entries.push(Entry {
            id: s.id.clone(),
            kind: s.kind,
            created_at: s.created_at,
            letters: letter_counts(&name_key),
            name_key,
        });
    }

    /// The indexed records that look like `candidate`, each with its strongest reason,
    /// strong reasons first, at most [`MAX_MATCHES`]. Hash look-ups (and names compared only
    /// among the candidate's company's people): cheap enough for every row of a big import.
    pub fn matches(&self, candidate: &Candidate) -> Vec<(RecordId, Reason)> {
        let Some(kind) = candidate.kind else {
            return Vec::new();
        };
        let mut found: Vec<(u32, Reason)> = Vec::new();
        let mut add = |list: &[u32], reason: &dyn Fn() -> Reason| {
            for &i in list {
                let e = &self.entries[i as usize];
                if e.kind == kind
                    && candidate.exclude.as_ref() != Some(&e.id)
                    && !found.iter().any(|(j, _)| *j == i)
                {
                    found.push((i, reason()));
                }
            }
        };
        match kind {
            RecordKind::Person => {
                for email in &candidate.emails {
                    let key = email_key(email);
                    if let Some(list) = self.emails.get(&key) {
                        add(list, &|| Reason::Email(key.clone()));
                    }
                }
                for phone in &candidate.phones {
                    if let Some((_, list)) = phone_key(phone).and_then(|k| self.phones.get(&k)) {
                        add(list, &|| Reason::Phone(phone.clone()));
                    }
                }
                if let Some(staff) = candidate
                    .company_id
                    .as_ref()
                    .and_then(|c| self.staff.get(c))
                {
                    let key = name_key(&candidate.name);
                    let letters = letter_counts(&key);
                    let similar: Vec<u32> = staff
                        .iter()
                        .copied()
                        .filter(|&i| {
                            let other = &self.entries[i as usize];
                            !key.is_empty()
                                && letters_close(&letters, &other.letters)
                                && similar_names(&key, &other.name_key)
                        })
                        .collect();
                    let company = candidate.company_id.clone();
                    add(&similar, &|| Reason::Name {
                        company: company.clone().unwrap_or_default(),
                    });
                }
            }
            RecordKind::Company => {
                let domain = candidate.domain.trim().to_lowercase();
                let domain = domain.strip_prefix("www.").unwrap_or(&domain);
                if let Some(list) = self.domains.get(domain).filter(|_| !domain.is_empty()) {
                    add(list, &|| Reason::Domain(domain.to_string()));
                }
                let key = company_key(&candidate.name);
                if let Some(list) = self.company_names.get(&key).filter(|_| !key.is_empty()) {
                    add(list, &|| Reason::CompanyName(key.clone()));
                }
            }
            _ => {}
        }
        found.sort_by_key(|(_, r)| std::cmp::Reverse(r.strength()));
        found.truncate(MAX_MATCHES);
        found
            .into_iter()
            .map(|(i, r)| (self.entries[i as usize].id.clone(), r))
            .collect()
    }

    /// Every likely duplicate pair (a record may be in several).
    pub fn pairs(&self) -> Vec<Pair> {
        let mut out = self.key_pairs();
        out.extend(self.name_pairs(0..self.company_count()));
        out
    }

    /// Pairs sharing an email, phone, domain or company name (quick: one pass per index).
    pub fn key_pairs(&self) -> Vec<Pair> {
        let mut out = Vec::new();
        let mut bucket = |list: &[u32], reason: &dyn Fn() -> Reason| {
            if list.len() < 2 || list.len() > MAX_BUCKET {
                return;
            }
            for &other in &list[1..] {
                out.push(self.pair(list[0], other, reason()));
            }
        };
        for (key, list) in &self.emails {
            bucket(list, &|| Reason::Email(key.clone()));
        }
        for (shown, list) in self.phones.values() {
            bucket(list, &|| Reason::Phone(shown.clone()));
        }
        for (key, list) in &self.domains {
            bucket(list, &|| Reason::Domain(key.clone()));
        }
        for (key, list) in &self.company_names {
            bucket(list, &|| Reason::CompanyName(key.clone()));
        }
        out
    }

    /// How many companies have people: [`Detector::name_pairs`] takes a range of them.
    pub fn company_count(&self) -> usize {
        self.staff.len()
    }

    /// Similar names among the people of the companies in `range` (of [`Detector::company_count`],
    /// in a fixed order while nothing is added), so the work can be done in slices.
    pub fn name_pairs(&self, range: std::ops::Range<usize>) -> Vec<Pair> {
        let mut out = Vec::new();
        for (company, staff) in self.staff.iter().skip(range.start).take(range.len()) {
            self.similar_staff(company, staff, &mut out);
        }
        out
    }

    fn similar_staff(&self, company: &RecordId, staff: &[u32], out: &mut Vec<Pair>) {
        let reason = || Reason::Name {
            company: company.clone(),
        };
        if staff.len() <= FUZZY_COMPANY_SIZE {
            for (n, &a) in staff.iter().enumerate() {
                for &b in &staff[n + 1..] {
                    let (ka, kb) = (&self.entries[a as usize], &self.entries[b as usize]);
                    if may_be_similar(ka, kb) && similar_names(&ka.name_key, &kb.name_key) {
                        out.push(self.pair(a, b, reason()));
                    }
                }
            }
            return;
        }
        let mut by_key: HashMap<&str, u32> = HashMap::new();
        for &i in staff {
            let key = self.entries[i as usize].name_key.as_str();
            if key.is_empty() {
                continue;
            }
            match by_key.get(key) {
                Some(&first) => out.push(self.pair(first, i, reason())),
                None => {
                    by_key.insert(key, i);
                }
            }
        }
    }

    fn pair(&self, a: u32, b: u32, reason: Reason) -> Pair {
        Pair {
            a: self.entries[a as usize].id.clone(),
            b: self.entries[b as usize].id.clone(),
            reason,
        }
    }

    /// The groups of [`Detector::pairs`] without the `dismissed` pairs (see [`pair_key`]),
    /// strongest first, then biggest, then the most recently created (ids are UUID v7).
    pub fn groups(&self, pairs: &[Pair], dismissed: &HashSet<(RecordId, RecordId)>) -> Vec<Group> {
        let index: HashMap<&RecordId, usize> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (&e.id, i))
            .collect();
        let mut sets = UnionFind::new(self.entries.len());
        let kept: Vec<(usize, usize, &Reason)> = pairs
            .iter()
            .filter(|p| p.a != p.b && !dismissed.contains(&pair_key(&p.a, &p.b)))
            .filter_map(|p| Some((*index.get(&p.a)?, *index.get(&p.b)?, &p.reason)))
            .collect();
        for &(a, b, _) in &kept {
            sets.union(a, b);
        }
        let mut by_root: HashMap<usize, (Vec<usize>, Vec<Reason>)> = HashMap::new();
        for &(a, b, reason) in &kept {
            let (members, reasons) = by_root.entry(sets.find(a)).or_default();
            members.extend([a, b]);
            if !reasons.contains(reason) {
                reasons.push(reason.clone());
            }
        }
        let mut groups: Vec<Group> = by_root
            .into_values()
            .map(|(mut members, mut reasons)| {
                members.sort_unstable();
                members.dedup();
                members.sort_by_key(|&i| (self.entries[i].created_at, i));
                reasons.sort_by_key(|r| std::cmp::Reverse(r.strength()));
                Group {
                    kind: self.entries[members[0]].kind,
                    strength: reasons[0].strength(),
                    ids: members
                        .into_iter()
                        .map(|i| self.entries[i].id.clone())
                        .collect(),
                    reasons,
                }
            })
            .collect();
        groups.sort_by(|a, b| {
            b.strength
                .cmp(&a.strength)
                .then(b.ids.len().cmp(&a.ids.len()))
                .then(b.ids.iter().max().cmp(&a.ids.iter().max()))
        });
        groups
    }
}

/// Groups of likely duplicates among `summaries` (in one go; see [`Detector`] to slice).
pub fn find<'s>(
    summaries: impl IntoIterator<Item = &'s Summary>,
    dismissed: &HashSet<(RecordId, RecordId)>,
) -> Vec<Group> {
    let mut detector = Detector::new();
    for s in summaries {
        detector.add(s);
    }
    let pairs = detector.pairs();
    detector.groups(&pairs, dismissed)
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// A record about to be created or imported, as [`check`] compares it.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    pub kind: Option<RecordKind>,
    pub name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub company_id: Option<RecordId>,
    pub domain: String,
    /// The record itself, when checking one that exists.
    pub exclude: Option<RecordId>,
}

/// A live record that `check` found like the candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub id: RecordId,
    pub name: String,
    pub reason: Reason,
}

/// At most this many matches are returned.
pub const MAX_MATCHES: usize = 5;

/// The live records of the candidate's kind that look like it (on create, on import), the
/// strongest reason for each, strong matches first. One linear pass with cheap comparisons.
pub fn check<'s>(
    candidate: &Candidate,
    summaries: impl IntoIterator<Item = &'s Summary>,
) -> Vec<Match> {
    let Some(kind) = candidate.kind else {
        return Vec::new();
    };
    let emails: Vec<String> = candidate.emails.iter().map(|e| email_key(e)).collect();
    let phones: Vec<(String, &String)> = candidate
        .phones
        .iter()
        .filter_map(|p| Some((phone_key(p)?, p)))
        .collect();
    let mut domains: Vec<&str> = emails
        .iter()
        .filter_map(|e| e.rsplit_once('@').map(|(_, d)| d))
        .collect();
    if domains.contains(&"gmail.com") {
        domains.push("googlemail.com");
    }
    let domain = candidate.domain.trim().to_lowercase();
    let domain = domain.strip_prefix("www.").unwrap_or(&domain).to_string();
    let name = match kind {
        RecordKind::Company => company_key(&candidate.name),
        _ => name_key(&candidate.name),
    };
    let mut out: Vec<Match> = Vec::new();
    for s in summaries {
        if s.kind != kind || s.deleted || candidate.exclude.as_ref() == Some(&s.id) {
            continue;
        }
        let reason = match kind {
            RecordKind::Person => s
                .emails
                .iter()
                // Only an address at one of the candidate's domains is normalised (no
                // allocation for the other 99.9%).
                .filter(|e| {
                    e.rsplit_once('@')
                        .is_some_and(|(_, d)| domains.iter().any(|c| c.eq_ignore_ascii_case(d)))
                })
                .map(|e| email_key(e))
                .find(|e| emails.contains(e))
                .map(Reason::Email)
                .or_else(|| {
                    if phones.is_empty() {
                        return None;
                    }
                    s.phones.iter().find_map(|p| {
                        let key = phone_key(p)?;
                        phones
                            .iter()
                            .find(|(k, _)| *k == key)
                            .map(|(_, shown)| Reason::Phone((*shown).clone()))
                    })
                })
                .or_else(|| {
                    let company = candidate.company_id.as_ref()?;
                    (s.company_id.as_ref() == Some(company)
                        && similar_names(&name, &name_key(&s.name)))
                    .then(|| Reason::Name {
                        company: company.clone(),
                    })
                }),
            RecordKind::Company => {
                let same_domain = !domain.is_empty() && s.domain.eq_ignore_ascii_case(&domain);
                if same_domain {
                    Some(Reason::Domain(domain.clone()))
                } else if !name.is_empty() && company_key(&s.name) == name {
                    Some(Reason::CompanyName(name.clone()))
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some(reason) = reason {
            out.push(Match {
                id: s.id.clone(),
                name: s.name.clone(),
                reason,
            });
        }
    }
    out.sort_by_key(|m| std::cmp::Reverse(m.reason.strength()));
    out.truncate(MAX_MATCHES);
    out
}

#[cfg(test)]
mod tests;
