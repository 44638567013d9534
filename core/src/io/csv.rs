//! RFC 4180 CSV, read in slices so a 100k-row import never blocks the page, and written so
//! that Excel, Numbers and LibreOffice open it. Malformed input becomes row-level errors that
//! name the line; nothing here panics on any text.

use std::fmt;

/// The delimiters [`detect_delimiter`] considers, most common first (wins ties).
pub const DELIMITERS: [char; 4] = [',', ';', '\t', '|'];

/// A field longer than this is refused: no contact field is that long, and a stray quote that
/// swallows the rest of a file shows up this way.
pub const MAX_FIELD_BYTES: usize = 1 << 20;

/// How many leading rows detection looks at, and how many bytes at most.
const SAMPLE_ROWS: usize = 20;
const SAMPLE_BYTES: usize = 64 * 1024;

/// How to read a file; `None` means "detect it", so the preview can show the guess and the
/// user can override it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    pub delimiter: Option<char>,
    pub has_header: Option<bool>,
    pub max_field_bytes: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            delimiter: None,
            has_header: None,
            max_field_bytes: MAX_FIELD_BYTES,
        }
    }
}

/// One record. `line` is where it starts (1-based): a quoted field may span several lines,
/// and the user looks for the row in their spreadsheet by that number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Why one record could not be read. Every kind but [`RowErrorKind::UnclosedQuote`] lets
/// reading go on with the next record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RowError {
    pub line: usize,
    pub kind: RowErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowErrorKind {
    /// A quote opened on `line` is never closed; nothing after it was read.
    UnclosedQuote,
    /// A field (1-based `column`) is longer than the limit; its row was skipped.
    FieldTooLong { column: usize, limit: usize },
    /// NUL or other control characters: binary junk, not text.
    BinaryData,
    /// More values than columns. The values are kept so the caller can still decide to use
    /// the row (say, when the extra values are empty).
    TooManyFields {
        expected: usize,
        fields: Vec<String>,
    },
    /// Fewer values than columns; the values are kept as for `TooManyFields`.
    TooFewFields {
        expected: usize,
        fields: Vec<String>,
    },
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line;
        match &self.kind {
            RowErrorKind::UnclosedQuote => write!(
                f,
                "line {line}: unclosed quote starting here; nothing from this line on was read. \
                 Remove the stray \" or close it with another one."
            ),
            RowErrorKind::FieldTooLong { column, limit } => write!(
                f,
                "line {line}: column {column} is longer than {}, so the row was skipped \
                 (often a quote opened but not closed on this line).",
                size(*limit)
            ),
            RowErrorKind::BinaryData => write!(
                f,
                "line {line}: contains binary data (NUL or control characters), so the row \
                 was skipped. Is this really a CSV file?"
            ),
            RowErrorKind::TooManyFields { expected, fields } => write!(
                f,
                "line {line}: {} values but {expected} columns; a value containing the \
                 delimiter probably needs quotes.",
                fields.len()
            ),
            RowErrorKind::TooFewFields { expected, fields } => write!(
                f,
                "line {line}: only {} of {expected} columns; the row may have been cut short.",
                fields.len()
            ),
        }
    }
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// A record as the tokenizer sees it, before blank-row and column-count checks.
struct RawRecord {
    line: usize,
    fields: Vec<String>,
    any_quoted: bool,
    too_long: Option<usize>,
    binary: bool,
}

enum Token {
    Record(RawRecord),
    Unclosed { line: usize },
    End,
}

/// The byte-level tokenizer: a position in the text and the line it is on. Every special
/// character is ASCII, so each slice it takes falls on a char boundary.
#[derive(Debug, Clone)]
struct Tokenizer {
    pos: usize,
    line: usize,
    delimiter: u8,
    max_field: usize,
}

impl Tokenizer {
    fn new(text: &str, delimiter: char, max_field: usize) -> Self {
        let pos = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
        let delimiter = u8::try_from(delimiter)
            .ok()
            .filter(|d| d.is_ascii() && !matches!(d, b'"' | b'\r' | b'\n'))
            .unwrap_or(b',');
        Self {
            pos,
            line: 1,
            delimiter,
            max_field,
        }
    }

    fn next(&mut self, text: &str) -> Token {
        let bytes = text.as_bytes();
        if self.pos >= bytes.len() {
            return Token::End;
        }
        let mut record = RawRecord {
            line: self.line,
            fields: Vec::new(),
            any_quoted: false,
            too_long: None,
            binary: false,
        };
        let max_field = self.max_field;
        loop {
            let mut field = String::new();
            let mut len = 0usize;
            let mut append = |record: &mut RawRecord, piece: &str| {
                len += piece.len();
                if piece.bytes().any(is_binary_byte) {
                    record.binary = true;
                }
                if len > max_field {
                    record.too_long.get_or_insert(record.fields.len() + 1);
                } else {
                    field.push_str(piece);
                }
            };
            if bytes.get(self.pos) == Some(&b'"') {
                record.any_quoted = true;
                let quote_line = self.line;
                self.pos += 1;
                loop {
                    let Some(offset) = text[self.pos..].find('"') else {
                        self.pos = bytes.len();
                        return Token::Unclosed { line: quote_line };
                    };
                    let chunk = &text[self.pos..self.pos + offset];
                    self.line += count_line_ends(bytes, self.pos, self.pos + offset);
                    append(&mut record, chunk);
                    self.pos += offset + 1;
                    if bytes.get(self.pos) == Some(&b'"') {
                        append(&mut record, "\"");
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
            }
            // Unquoted text, or anything after a closing quote (kept, as spreadsheets do).
            let start = self.pos;
            while self.pos < bytes.len()
                && !matches!(bytes[self.pos], b'\r' | b'\n')
                && bytes[self.pos] != self.delimiter
            {
                self.pos += 1;
            }
            append(&mut record, &text[start..self.pos]);
            record.fields.push(field);
            match bytes.get(self.pos) {
                Some(&b) if b == self.delimiter => self.pos += 1,
                Some(b'\r') => {
                    self.pos += 1;
                    if bytes.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                    return Token::Record(record);
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    return Token::Record(record);
                }
                _ => return Token::Record(record),
            }
        }
    }
}

fn is_binary_byte(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

/// Line ends in `bytes[from..to]`: CRLF, LF and a lone CR each count once.
fn count_line_ends(bytes: &[u8], from: usize, to: usize) -> usize {
    (from..to)
        .filter(|&i| match bytes[i] {
            b'\n' => true,
            b'\r' => bytes.get(i + 1) != Some(&b'\n'),
            _ => false,
        })
        .count()
}

fn is_blank(record: &RawRecord) -> bool {
    !record.any_quoted && record.fields.iter().all(|f| f.trim().is_empty())
}

/// An incremental reader: `next_rows(n)` does a bounded amount of work, so the app can parse a
/// slice, yield to the browser and go on. Generic over how the text is held (`&str`,
/// `String`, `Rc<str>`) so the app can keep it alive across yields.
#[derive(Debug, Clone)]
pub struct CsvReader<T: AsRef<str>> {
    text: T,
    tokenizer: Tokenizer,
    headers: Option<Vec<String>>,
    expected: Option<usize>,
    pending: Option<RowError>,
    done: bool,
}

impl<T: AsRef<str>> CsvReader<T> {
    /// Detects what the options leave open (delimiter, header) from the first rows and reads
    /// the header row, if any.
    pub fn new(text: T, options: CsvOptions) -> Self {
        let content = text.as_ref();
        let delimiter = options
            .delimiter
            .unwrap_or_else(|| detect_delimiter(content));
        let tokenizer = Tokenizer::new(content, delimiter, options.max_field_bytes);
        let has_header = options
            .has_header
            .unwrap_or_else(|| detect_header(content, &tokenizer));
        let mut reader = Self {
            text,
            tokenizer,
            headers: None,
            expected: None,
            pending: None,
            done: false,
        };
        if has_header {
            match reader.next_row() {
                Some(Ok(row)) => {
                    reader.expected = Some(row.fields.len());
                    reader.headers = Some(row.fields);
                }
                Some(Err(error)) => reader.pending = Some(error),
                None => {}
            }
        }
        reader
    }

    /// The delimiter in use (detected or given).
    pub fn delimiter(&self) -> char {
        char::from(self.tokenizer.delimiter)
    }

    /// The header row, when the file has one.
    pub fn headers(&self) -> Option<&[String]> {
        self.headers.as_deref()
    }

    /// How many values each row should have: the header's, or else the first row's.
    pub fn expected_fields(&self) -> Option<usize> {
        self.expected
    }

    /// Bytes of the text consumed so far, for a progress bar (`position / total`).
    pub fn position(&self) -> usize {
        self.tokenizer.pos.min(self.text.as_ref().len())
    }

    /// The total the position runs to.
    pub fn len(&self) -> usize {
        self.text.as_ref().len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.text.as_ref().is_empty()
    }

    /// Whether every row has been returned.
    pub fn is_done(&self) -> bool {
        self.done && self.pending.is_none()
    }

    /// Up to `max` rows or row errors, in file order; empty once the file is done. Blank rows
    /// are skipped and do not count.
    pub fn next_rows(&mut self, max: usize) -> Vec<Result<Row, RowError>> {
        let mut out = Vec::with_capacity(max.min(1024));
        while out.len() < max {
            match self.next_row() {
                Some(item) => out.push(item),
                None => break,
            }
        }
        out
    }

    fn next_row(&mut self) -> Option<Result<Row, RowError>> {
        if let Some(error) = self.pending.take() {
            return Some(Err(error));
        }
        loop {
            if self.done {
                return None;
            }
            let record = match self.tokenizer.next(self.text.as_ref()) {
                Token::End => {
                    self.done = true;
                    return None;
                }
                Token::Unclosed { line } => {
                    self.done = true;
                    let kind = RowErrorKind::UnclosedQuote;
                    return Some(Err(RowError { line, kind }));
                }
                Token::Record(record) => record,
            };
            if is_blank(&record) && !record.binary {
                continue;
            }
            let line = record.line;
            let error = |kind| Some(Err(RowError { line, kind }));
            if record.binary {
                return error(RowErrorKind::BinaryData);
            }
            if let Some(column) = record.too_long {
                let limit = self.tokenizer.max_field;
                return error(RowErrorKind::FieldTooLong { column, limit });
            }
            let expected = *self.expected.get_or_insert(record.fields.len());
            let fields = record.fields;
            return match fields.len().cmp(&expected) {
                std::cmp::Ordering::Equal => Some(Ok(Row { line, fields })),
                std::cmp::Ordering::Greater => {
                    error(RowErrorKind::TooManyFields { expected, fields })
                }
                std::cmp::Ordering::Less => error(RowErrorKind::TooFewFields { expected, fields }),
            };
        }
    }
}

impl<T: AsRef<str>> Iterator for CsvReader<T> {
    type Item = Result<Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row()
    }
}

/// The first rows of `text` as read with `delimiter`, for detection. Stops early at the
/// sample limit; a record cut by that limit is dropped.
fn sample_rows(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut cut = text.len().min(SAMPLE_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let sample = &text[..cut];
    let mut tokenizer = Tokenizer::new(sample, delimiter, MAX_FIELD_BYTES);
    let mut rows = Vec::new();
    while rows.len() < SAMPLE_ROWS {
        match tokenizer.next(sample) {
            Token::Record(record) => {
                let complete = tokenizer.pos < sample.len() || cut == text.len();
                if !complete {
                    break;
                }
                if !is_blank(&record) {
                    rows.push(record.fields);
                }
            }
            Token::Unclosed { .. } | Token::End => break,
        }
    }
    rows
}

/// The delimiter that splits the first rows most consistently into more than one column
/// (ties go to more columns, then to the order of [`DELIMITERS`]); `,` when none does.
pub fn detect_delimiter(text: &str) -> char {
    let mut best = (',', 0usize, 0usize);
    for delimiter in DELIMITERS {
        let rows = sample_rows(text, delimiter);
        let mut counts: Vec<usize> = rows.iter().map(Vec::len).collect();
        counts.sort_unstable();
        // The most frequent column count and how many rows have it.
        let mut mode = (0usize, 0usize);
        for run in counts.chunk_by(|a, b| a == b) {
            if run.len() > mode.1 || (run.len() == mode.1 && run[0] > mode.0) {
                mode = (run[0], run.len());
            }
        }
        let (columns, rows_agreeing) = mode;
        if columns > 1 && (rows_agreeing, columns) > (best.2, best.1) {
            best = (delimiter, columns, rows_agreeing);
        }
    }
    best.0
}

fn detect_header(text: &str, tokenizer: &Tokenizer) -> bool {
    let rows = sample_rows(text, char::from(tokenizer.delimiter));
    match rows.split_first() {
        Some((first, rest)) => looks_like_header(first, rest),
        None => false,
    }
}

/// What a cell looks like, for telling labels from data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellKind {
    Empty,
    Data,
    Text,
}

fn cell_kind(value: &str) -> CellKind {
    let v = value.trim();
    if v.is_empty() {
        return CellKind::Empty;
    }
    let lower = v.to_lowercase();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let numberish = v
        .chars()
        .all(|c| c.is_ascii_digit() || " +-.,/:()$€£%'TZ".contains(c));
    let data = v.contains('@')
        || lower.starts_with("http")
        || lower.starts_with("www.")
        || (digits > 0 && numberish)
        || matches!(lower.as_str(), "true" | "false" | "yes" | "no");
    if data { CellKind::Data } else { CellKind::Text }
}

/// Whether `first` is a header row: every value a distinct, non-empty label (no emails,
/// numbers, dates or links), and either a column name Kith knows, or a column whose values
/// below look like data while its first value does not, or nothing below to compare with.
pub fn looks_like_header(first: &[String], rest: &[Vec<String>]) -> bool {
    let mut seen = std::collections::HashSet::new();
    let labels = first.iter().all(|cell| {
        let label = cell.trim();
        !label.is_empty()
            && label.chars().count() <= 100
            && cell_kind(label) == CellKind::Text
            && seen.insert(label.to_lowercase())
    });
    if !labels {
        return false;
    }
    if rest.is_empty() || first.iter().any(|h| super::mapping::is_known_header(h)) {
        return true;
    }
    (0..first.len()).any(|column| {
        let kinds: Vec<CellKind> = rest
            .iter()
            .filter_map(|row| row.get(column))
            .map(|v| cell_kind(v))
            .filter(|k| *k != CellKind::Empty)
            .collect();
        let data = kinds.iter().filter(|k| **k == CellKind::Data).count();
        let empties = rest.len() - kinds.len();
        (data > 0 && data * 2 >= kinds.len()) || empties * 2 > rest.len()
    })
}

/// How to write a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// An ASCII delimiter other than `"`, CR or LF (anything else falls back to `,`).
    pub delimiter: char,
    /// Prefix `'` to a cell starting with `=`, `+`, `-`, `@`, tab or CR (unless it is a plain
    /// number), so a spreadsheet opening the export never runs a formula someone typed into
    /// a contact. On for exports; off when the file must read back byte for byte.
    pub neutralise_formulas: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            delimiter: ',',
            neutralise_formulas: true,
        }
    }
}

/// Appends one record and its CRLF to `out`. Fields are quoted only when they must be, so a
/// plain export stays readable.
pub fn write_row<S: AsRef<str>>(out: &mut String, fields: &[S], options: &WriteOptions) {
    let delimiter = u8::try_from(options.delimiter)
        .ok()
        .filter(|d| d.is_ascii() && !matches!(d, b'"' | b'\r' | b'\n'))
        .map_or(',', char::from);
    // A row that would read back as blank (and be skipped) gets its first field quoted.
    let looks_blank = fields.iter().all(|f| f.as_ref().trim().is_empty());
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        let mut value = field.as_ref();
        let prefixed;
        if options.neutralise_formulas && is_formula(value) {
            prefixed = format!("'{value}");
            value = &prefixed;
        }
        let quote = (i == 0 && looks_blank)
            || value.starts_with('\u{FEFF}')
            || value.contains(['"', '\r', '\n', delimiter]);
        if quote {
            out.push('"');
            out.push_str(&value.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(value);
        }
    }
    out.push_str("\r\n");
}

/// A whole file: every row through [`write_row`].
pub fn write_csv<R, S>(rows: impl IntoIterator<Item = R>, options: &WriteOptions) -> String
where
    R: AsRef<[S]>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for row in rows {
        write_row(&mut out, row.as_ref(), options);
    }
    out
}

fn is_formula(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') {
        return false;
    }
    // "-12.50" and "+3" are numbers, not formulas; keep them numbers.
    let rest = &value[1..];
    let plain_number = matches!(first, '+' | '-')
        && !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && rest.starts_with(|c: char| c.is_ascii_digit());
    !plain_number
}

#[cfg(test)]
#[path = "tests/csv.rs"]
mod tests;
