//! vCard 3.0 (RFC 2426) and 4.0 (RFC 6350), what phones, Google, Apple and Outlook exchange
//! contacts in. Reading is lenient (2.1 quoted-printable, Apple's labelled groups, bare
//! 2.1 parameters) and per card: one broken card is reported by line and the others import.
//! Writing produces what every one of those reads back.

use std::collections::HashMap;
use std::fmt;

mod write;
pub use write::write_cards;

/// A contact as a vCard holds it, in the shape Kith imports. Empty strings mean "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactCard {
    pub full_name: String,
    pub given: String,
    pub family: String,
    /// (address, label) in file order; labels are lower-case ("work", "home", "mobile"…).
    pub emails: Vec<(String, String)>,
    pub phones: Vec<(String, String)>,
    pub org: String,
    pub title: String,
    pub street: String,
    pub city: String,
    pub region: String,
    pub postcode: String,
    pub country: String,
    pub notes: String,
    /// CATEGORIES: Kith's tags.
    pub categories: Vec<String>,
    pub uid: String,
}

/// The version [`write_cards`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VcardVersion {
    V3,
    V4,
}

/// A card that was read, with what could not be used, so the import can say "12 photos were
/// not imported" instead of dropping them silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCard {
    /// The line of its BEGIN:VCARD.
    pub line: usize,
    /// The VERSION it declared ("2.1", "3.0", "4.0"), empty if none.
    pub version: String,
    pub card: ContactCard,
    /// Names of properties Kith has no place for (PHOTO, BDAY, X-…), one per occurrence.
    pub ignored: Vec<String>,
    /// Lines inside the card that were not `NAME:value` and were skipped.
    pub unreadable_lines: Vec<usize>,
}

/// A card, or text, that could not be imported; `line` is where it starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct VcardError {
    pub line: usize,
    pub kind: VcardErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VcardErrorKind {
    /// A card that never ends (the file was cut, or the next card began first).
    BeginWithoutEnd,
    EndWithoutBegin,
    /// A card with neither a name nor an email address: nothing to import it as.
    NoNameOrEmail,
    /// Text between cards, or a file that is not a vCard at all.
    OutsideCard,
}

impl fmt::Display for VcardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line;
        match self.kind {
            VcardErrorKind::BeginWithoutEnd => write!(
                f,
                "line {line}: this card starts with BEGIN:VCARD but has no END:VCARD, so it \
                 was not imported (is the file complete?)."
            ),
            VcardErrorKind::EndWithoutBegin => write!(
                f,
                "line {line}: END:VCARD without a BEGIN:VCARD before it; ignored."
            ),
            VcardErrorKind::NoNameOrEmail => write!(
                f,
                "line {line}: this card has no name and no email address, so it was not \
                 imported."
            ),
            VcardErrorKind::OutsideCard => write!(
                f,
                "line {line}: text outside BEGIN:VCARD … END:VCARD was ignored (is this a \
                 vCard file?)."
            ),
        }
    }
}

/// One `group.NAME;PARAM=…:value` line, after unfolding.
#[derive(Debug)]
struct ContentLine {
    group: String,
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl ContentLine {
    fn param(&self, name: &str) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a content line; `None` when it has no `NAME:` part.
fn parse_line(line: &str) -> Option<ContentLine> {
    let end = line.find([';', ':'])?;
    let full_name = line[..end].trim();
    let (group, name) = full_name.rsplit_once('.').unwrap_or(("", full_name));
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let mut params = Vec::new();
    let mut rest = &line[end..];
    while let Some(after) = rest.strip_prefix(';') {
        let stop = after.find(['=', ';', ':'])?;
        let param = after[..stop].trim().to_ascii_uppercase();
        rest = &after[stop..];
        let Some(mut values) = rest.strip_prefix('=') else {
            // vCard 2.1's bare parameters: `TEL;WORK;VOICE:` and `NOTE;QUOTED-PRINTABLE:`.
            let key = match param.as_str() {
                "QUOTED-PRINTABLE" | "BASE64" | "B" | "8BIT" => "ENCODING",
                _ => "TYPE",
            };
            params.push((key.to_string(), param));
            continue;
        };
        loop {
            let value;
            if let Some(quoted) = values.strip_prefix('"') {
                let close = quoted.find('"')?;
                value = decode_caret(&quoted[..close]);
                values = &quoted[close + 1..];
            } else {
                let stop = values.find([',', ';', ':']).unwrap_or(values.len());
                value = decode_caret(values[..stop].trim());
                values = &values[stop..];
            }
            params.push((param.clone(), value));
            match values.strip_prefix(',') {
                Some(more) => values = more,
                None => break,
            }
        }
        rest = values;
    }
    let value = rest.strip_prefix(':')?;
    Some(ContentLine {
        group: group.to_ascii_lowercase(),
        name: name.to_ascii_uppercase(),
        params,
        value: value.to_string(),
    })
}

/// RFC 6868 parameter escapes: `^n` newline, `^'` double quote, `^^` caret.
fn decode_caret(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '^' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some('\'') => out.push('"'),
            Some('^') => out.push('^'),
            Some(other) => {
                out.push('^');
                out.push(other);
            }
            None => out.push('^'),
        }
    }
    out
}

/// Splits on a separator not preceded by a backslash, then unescapes each part.
fn split_escaped(value: &str, separator: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => parts.last_mut().map(|p| p.push('\n')),
                Some(other) => parts.last_mut().map(|p| p.push(other)),
                None => parts.last_mut().map(|p| p.push('\\')),
            };
        } else if c == separator {
            parts.push(String::new());
        } else if let Some(part) = parts.last_mut() {
            part.push(c);
        }
    }
    parts
}

fn unescape(value: &str) -> String {
    split_escaped(value, '\0').concat()
}

/// Quoted-printable as vCard 2.1 writes it; bytes that are not UTF-8 are read as
/// Windows-1252, the usual charset of those exports.
fn decode_quoted_printable(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    super::text::decode(&out).text
}

fn label_of(line: &ContentLine) -> String {
    line.param("TYPE")
        .map(str::to_lowercase)
        .find(|t| {
            !matches!(
                t.as_str(),
                "pref" | "internet" | "voice" | "x400" | "text" | "uri" | "msg" | ""
            )
        })
        .map(|t| normal_label(&t))
        .unwrap_or_default()
}

fn normal_label(label: &str) -> String {
    match label {
        "cell" | "mobile" | "iphone" => "mobile".into(),
        other => other.to_string(),
    }
}

/// Apple's "_$!<Mobile>!$_" label names.
fn apple_label(label: &str) -> String {
    let inner = label
        .strip_prefix("_$!<")
        .and_then(|l| l.strip_suffix(">!$_"))
        .unwrap_or(label);
    normal_label(&inner.to_lowercase())
}

/// A card being read.
#[derive(Default)]
struct Building {
    line: usize,
    version: String,
    card: ContactCard,
    name_parts: Vec<String>,
    have_address: bool,
    ignored: Vec<String>,
    unreadable_lines: Vec<usize>,
    /// For emails and phones: the group each came from, for Apple's X-ABLabel.
    email_groups: Vec<String>,
    phone_groups: Vec<String>,
    group_labels: HashMap<String, String>,
}

impl Building {
    fn add(&mut self, line: ContentLine) {
        let value = if line
            .param("ENCODING")
            .any(|e| e.eq_ignore_ascii_case("QUOTED-PRINTABLE"))
        {
            decode_quoted_printable(&line.value)
        } else {
            line.value.clone()
        };
        let card = &mut self.card;
        match line.name.as_str() {
            "VERSION" => self.version = value.trim().to_string(),
            "PRODID" | "REV" | "KIND" => {}
            "FN" if card.full_name.trim().is_empty() => card.full_name = unescape(&value),
            "N" if self.name_parts.is_empty() => {
                self.name_parts = split_escaped(&value, ';');
                let part = |i: usize| self.name_parts.get(i).cloned().unwrap_or_default();
                card.family = part(0);
                card.given = part(1);
            }
            "EMAIL" if !value.trim().is_empty() => {
                card.emails.push((unescape(&value), label_of(&line)));
                self.email_groups.push(line.group.clone());
            }
            "TEL" if !value.trim().is_empty() => {
                let mut number = unescape(&value);
                if line.param("VALUE").any(|v| v.eq_ignore_ascii_case("uri")) {
                    number = number.strip_prefix("tel:").unwrap_or(&number).to_string();
                }
                card.phones.push((number, label_of(&line)));
                self.phone_groups.push(line.group.clone());
            }
            "ORG" if card.org.is_empty() => {
                card.org = split_escaped(&value, ';').swap_remove(0);
            }
            "TITLE" if card.title.is_empty() => card.title = unescape(&value),
            "ADR" if !self.have_address => {
                self.have_address = true;
                let parts = split_escaped(&value, ';');
                let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
                card.street = part(2);
                if !part(1).is_empty() {
                    card.street = [part(2), part(1)].join(", ");
                }
                card.city = part(3);
                card.region = part(4);
                card.postcode = part(5);
                card.country = part(6);
            }
            "NOTE" => {
                if !card.notes.is_empty() {
                    card.notes.push('\n');
                }
                card.notes.push_str(&unescape(&value));
            }
            "CATEGORIES" => card.categories.extend(
                split_escaped(&value, ',')
                    .into_iter()
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
            ),
            "UID" if card.uid.is_empty() => card.uid = unescape(&value),
            "X-ABLABEL" if !line.group.is_empty() => {
                self.group_labels
                    .insert(line.group.clone(), apple_label(&unescape(&value)));
            }
            _ => self.ignored.push(line.name),
        }
    }

    fn finish(mut self) -> Result<ParsedCard, VcardError> {
        let labels = &self.group_labels;
        let relabel = |entries: &mut Vec<(String, String)>, groups: &[String]| {
            for ((_, label), group) in entries.iter_mut().zip(groups) {
                if let Some(named) = labels.get(group) {
                    label.clone_from(named);
                }
            }
        };
        relabel(&mut self.card.emails, &self.email_groups);
        relabel(&mut self.card.phones, &self.phone_groups);
        if self.card.full_name.trim().is_empty() {
            // FN missing (or empty): prefix, given, additional, family, suffix from N.
            let derived: Vec<&str> = [3, 1, 2, 0, 4]
                .iter()
                .filter_map(|&i| self.name_parts.get(i).map(|p| p.trim()))
                .filter(|p| !p.is_empty())
                .collect();
            if !derived.is_empty() {
                self.card.full_name = derived.join(" ");
            }
        }
        if self.card.full_name.trim().is_empty() && self.card.emails.is_empty() {
            return Err(VcardError {
                line: self.line,
                kind: VcardErrorKind::NoNameOrEmail,
            });
        }
        Ok(ParsedCard {
            line: self.line,
            version: self.version,
            card: self.card,
            ignored: self.ignored,
            unreadable_lines: self.unreadable_lines,
        })
    }
}

/// An incremental reader, like the CSV one: `next_cards(n)` reads at most `n` cards or
/// errors, so a file of thousands of contacts never blocks the page.
#[derive(Debug, Clone)]
pub struct VcardReader<T: AsRef<str>> {
    text: T,
    pos: usize,
    line: usize,
    done: bool,
}

impl<T: AsRef<str>> VcardReader<T> {
    pub fn new(text: T) -> Self {
        let pos = if text.as_ref().starts_with('\u{FEFF}') {
            3
        } else {
            0
        };
        Self {
            text,
            pos,
            line: 1,
            done: false,
        }
    }

    /// Bytes consumed so far, for a progress bar.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Up to `max` cards or errors in file order; empty once the file is done.
    pub fn next_cards(&mut self, max: usize) -> Vec<Result<ParsedCard, VcardError>> {
        let mut out = Vec::new();
        while out.len() < max {
            match self.next_card() {
                Some(item) => out.push(item),
                None => break,
            }
        }
        out
    }

    /// The next physical line and its number; CRLF, LF and CR all end a line.
    fn physical(&mut self) -> Option<(usize, usize, usize)> {
        let text = self.text.as_ref();
        if self.pos >= text.len() {
            return None;
        }
        let start = self.pos;
        let end = text[start..]
            .find(['\r', '\n'])
            .map_or(text.len(), |i| start + i);
        self.pos = end;
        if text[end..].starts_with("\r\n") {
            self.pos += 2;
        } else if end < text.len() {
            self.pos += 1;
        }
        let number = self.line;
        self.line += 1;
        Some((number, start, end))
    }

    /// The next non-blank line with its folded continuations (and 2.1 quoted-printable soft
    /// breaks) joined.
    fn logical(&mut self) -> Option<(usize, String)> {
        let (number, mut logical) = loop {
            let (number, start, end) = self.physical()?;
            let line = &self.text.as_ref()[start..end];
            if !line.trim().is_empty() {
                break (number, line.to_string());
            }
        };
        loop {
            let (pos, line) = (self.pos, self.line);
            let Some((_, start, end)) = self.physical() else {
                break;
            };
            let next = &self.text.as_ref()[start..end];
            let soft_break = logical.ends_with('=')
                && logical
                    .split(':')
                    .next()
                    .is_some_and(|head| head.to_ascii_uppercase().contains("QUOTED-PRINTABLE"));
            if soft_break {
                logical.pop();
                logical.push_str(next);
            } else if next.starts_with([' ', '\t']) {
                logical.push_str(&next[1..]);
            } else {
                (self.pos, self.line) = (pos, line);
                break;
            }
        }
        Some((number, logical))
    }

    fn next_card(&mut self) -> Option<Result<ParsedCard, VcardError>> {
        if self.done {
            return None;
        }
        let mut building: Option<Building> = None;
        loop {
            let before = (self.pos, self.line);
            let Some((number, text)) = self.logical() else {
                self.done = true;
                let open = building?;
                return Some(Err(VcardError {
                    line: open.line,
                    kind: VcardErrorKind::BeginWithoutEnd,
                }));
            };
            let parsed = parse_line(&text);
            let is = |name: &str| {
                parsed
                    .as_ref()
                    .is_some_and(|p| p.name == name && p.value.trim().eq_ignore_ascii_case("VCARD"))
            };
            if is("BEGIN") {
                if let Some(open) = building {
                    // The next card began first: leave its BEGIN for the next call.
                    (self.pos, self.line) = before;
                    return Some(Err(VcardError {
                        line: open.line,
                        kind: VcardErrorKind::BeginWithoutEnd,
                    }));
                }
                building = Some(Building {
                    line: number,
                    ..Building::default()
                });
            } else if is("END") {
                return match building.take() {
                    Some(card) => Some(card.finish()),
                    None => Some(Err(VcardError {
                        line: number,
                        kind: VcardErrorKind::EndWithoutBegin,
                    })),
                };
            } else if let Some(card) = building.as_mut() {
                match parsed {
                    Some(line) => card.add(line),
                    None => card.unreadable_lines.push(number),
                }
            } else {
                // Report a stretch of stray text once, then go on at the next BEGIN.
                self.skip_to_begin();
                return Some(Err(VcardError {
                    line: number,
                    kind: VcardErrorKind::OutsideCard,
                }));
            }
        }
    }

    /// Skips lines until one that starts a card (left unread).
    fn skip_to_begin(&mut self) {
        loop {
            let (pos, line) = (self.pos, self.line);
            let Some((_, start, end)) = self.physical() else {
                return;
            };
            let text = self.text.as_ref()[start..end].trim_start();
            if text
                .get(..11)
                .is_some_and(|t| t.eq_ignore_ascii_case("BEGIN:VCARD"))
            {
                (self.pos, self.line) = (pos, line);
                return;
            }
        }
    }
}

impl<T: AsRef<str>> Iterator for VcardReader<T> {
    type Item = Result<ParsedCard, VcardError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_card()
    }
}

/// Every card in a text at once (for small files and tests).
pub fn read_cards(text: &str) -> Vec<Result<ParsedCard, VcardError>> {
    VcardReader::new(text).collect()
}

#[cfg(test)]
#[path = "tests/vcard.rs"]
mod tests;
