//! Turning a file's bytes into text. Exports from Outlook and Excel arrive as UTF-16 or
//! Windows-1252 as often as UTF-8, and a wrong guess shows up as mangled names in every row,
//! so the detected encoding is reported and can be overridden by the user.

use std::fmt;

/// A text encoding Kith can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Utf8,
    /// UTF-8 starting with a byte-order mark (what Excel writes for "CSV UTF-8").
    Utf8Bom,
    /// UTF-16 little-endian with a byte-order mark (Outlook, Excel "Unicode text").
    Utf16Le,
    Utf16Be,
    /// The Western Windows code page: what older Excel and Outlook write on Windows.
    Windows1252,
}

impl Encoding {
    /// Every encoding, in the order a picker should offer them.
    pub const ALL: [Encoding; 5] = [
        Self::Utf8,
        Self::Utf8Bom,
        Self::Utf16Le,
        Self::Utf16Be,
        Self::Windows1252,
    ];

    /// What the user sees in the import preview.
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf8Bom => "UTF-8 with BOM",
            Self::Utf16Le => "UTF-16 LE",
            Self::Utf16Be => "UTF-16 BE",
            Self::Windows1252 => "Windows-1252 (Western)",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Decoded text and how it was read, so the preview can say "read as Windows-1252" and
/// warn when characters could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: Encoding,
    /// How many U+FFFD replacement characters decoding had to insert (0 for a clean read).
    pub replaced: usize,
}

const BOM_UTF8: &[u8] = &[0xEF, 0xBB, 0xBF];
const BOM_UTF16LE: &[u8] = &[0xFF, 0xFE];
const BOM_UTF16BE: &[u8] = &[0xFE, 0xFF];

/// The encoding a file is most likely in: a byte-order mark decides; otherwise valid UTF-8 is
/// UTF-8 and anything else is taken as Windows-1252, which decodes every byte.
pub fn detect(bytes: &[u8]) -> Encoding {
    if bytes.starts_with(BOM_UTF8) {
        Encoding::Utf8Bom
    } else if bytes.starts_with(BOM_UTF16LE) {
        Encoding::Utf16Le
    } else if bytes.starts_with(BOM_UTF16BE) {
        Encoding::Utf16Be
    } else if std::str::from_utf8(bytes).is_ok() {
        Encoding::Utf8
    } else {
        Encoding::Windows1252
    }
}

/// Decodes with the detected encoding.
pub fn decode(bytes: &[u8]) -> Decoded {
    decode_as(bytes, detect(bytes))
}

/// Decodes with an encoding the user chose. A matching byte-order mark is dropped; bytes
/// that are invalid in that encoding become U+FFFD and are counted, never an error.
pub fn decode_as(bytes: &[u8], encoding: Encoding) -> Decoded {
    let (text, replaced) = match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => {
            let body = bytes.strip_prefix(BOM_UTF8).unwrap_or(bytes);
            match std::str::from_utf8(body) {
                Ok(text) => (text.to_string(), 0),
                Err(_) => {
                    let text = String::from_utf8_lossy(body).into_owned();
                    let replaced = count_replacements(&text) - count_replacements_utf8(body);
                    (text, replaced)
                }
            }
        }
        Encoding::Utf16Le => utf16(bytes.strip_prefix(BOM_UTF16LE).unwrap_or(bytes), true),
        Encoding::Utf16Be => utf16(bytes.strip_prefix(BOM_UTF16BE).unwrap_or(bytes), false),
        Encoding::Windows1252 => (bytes.iter().map(|&b| windows_1252(b)).collect(), 0),
    };
    Decoded {
        text,
        encoding,
        replaced,
    }
}

/// Decodes a big file a slice at a time, so a page can yield between slices; the result is
/// the same as [`decode_as`] (or, when detecting, [`decode`]) in one go.
pub struct Decoder<'a> {
    bytes: &'a [u8],
    encoding: Encoding,
    /// Detecting: UTF-8 until a slice proves otherwise, then Windows-1252 from the start.
    detecting: bool,
    at: usize,
    text: String,
    replaced: usize,
}

impl<'a> Decoder<'a> {
    /// `encoding`: the user's choice, or `None` to detect it as [`detect`] does.
    pub fn new(bytes: &'a [u8], encoding: Option<Encoding>) -> Self {
        let (encoding, detecting) = match encoding {
            Some(e) => (e, false),
            None if bytes.starts_with(BOM_UTF8) => (Encoding::Utf8Bom, false),
            None if bytes.starts_with(BOM_UTF16LE) => (Encoding::Utf16Le, false),
            None if bytes.starts_with(BOM_UTF16BE) => (Encoding::Utf16Be, false),
            None => (Encoding::Utf8, true),
        };
        let at = match encoding {
            Encoding::Utf8 | Encoding::Utf8Bom if bytes.starts_with(BOM_UTF8) => BOM_UTF8.len(),
            _ => 0,
        };
        Self {
            bytes,
            encoding,
            detecting,
            at,
            text: String::with_capacity(bytes.len()),
            replaced: 0,
        }
    }

    /// The encoding as known so far (a detected UTF-8 may still turn into Windows-1252).
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Bytes decoded so far, and the total.
    pub fn progress(&self) -> (usize, usize) {
        (self.at, self.bytes.len())
    }

    /// Decodes about `budget` more bytes; true when everything is decoded.
    pub fn step(&mut self, budget: usize) -> bool {
        if self.at >= self.bytes.len() {
            return true;
        }
        match self.encoding {
            Encoding::Utf8 | Encoding::Utf8Bom => {
                let mut end = (self.at + budget.max(4)).min(self.bytes.len());
                // Cut before a character's first byte: a maximal invalid sequence never spans
                // such a cut, so slices decode exactly as the whole would.
                while end < self.bytes.len() && end > self.at && self.bytes[end] & 0xC0 == 0x80 {
                    end -= 1;
                }
                if end == self.at {
                    end = (self.at + budget.max(4)).min(self.bytes.len());
                }
                let slice = &self.bytes[self.at..end];
                match std::str::from_utf8(slice) {
                    Ok(text) => self.text.push_str(text),
                    Err(_) if self.detecting => {
                        self.encoding = Encoding::Windows1252;
                        self.detecting = false;
                        self.at = 0;
                        self.text.clear();
                        return false;
                    }
                    Err(_) => {
                        let text = String::from_utf8_lossy(slice);
                        self.replaced += count_replacements(&text) - count_replacements_utf8(slice);
                        self.text.push_str(&text);
                    }
                }
                self.at = end;
            }
            Encoding::Windows1252 => {
                let end = (self.at + budget.max(1)).min(self.bytes.len());
                self.text
                    .extend(self.bytes[self.at..end].iter().map(|&b| windows_1252(b)));
                self.at = end;
            }
            // Rare, and pairs of units would need care at every cut: in one go.
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let whole = decode_as(self.bytes, self.encoding);
                self.text = whole.text;
                self.replaced = whole.replaced;
                self.at = self.bytes.len();
            }
        }
        self.at >= self.bytes.len()
    }

    pub fn finish(mut self) -> Decoded {
        while !self.step(usize::MAX / 2) {}
        Decoded {
            text: self.text,
            encoding: self.encoding,
            replaced: self.replaced,
        }
    }
}

fn count_replacements(text: &str) -> usize {
    text.chars().filter(|&c| c == '\u{FFFD}').count()
}

/// U+FFFD characters that were genuinely in the file (encoded as EF BF BD), not inserted.
fn count_replacements_utf8(bytes: &[u8]) -> usize {
    bytes
        .windows(3)
        .filter(|w| *w == [0xEF, 0xBF, 0xBD])
        .count()
}

fn utf16(bytes: &[u8], little_endian: bool) -> (String, usize) {
    let units = bytes.chunks_exact(2).map(|pair| {
        if little_endian {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    let mut replaced = 0;
    let mut text: String = char::decode_utf16(units)
        .map(|unit| {
            unit.unwrap_or_else(|_| {
                replaced += 1;
                '\u{FFFD}'
            })
        })
        .collect();
    if bytes.len() % 2 == 1 {
        text.push('\u{FFFD}');
        replaced += 1;
    }
    (text, replaced)
}

/// Windows-1252 differs from Latin-1 only in 0x80–0x9F; the five bytes it leaves undefined
/// map to the C1 control of the same value, as browsers do.
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}',
        '\u{017D}', '\u{008F}', '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}',
        '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}',
        '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// Encodes text as Windows-1252 where every character has a byte; `None` when one does not
/// (used by tests and by an export that must open in old Excel).
pub fn encode_windows_1252(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| {
            let code = u32::from(c);
            if code < 0x80 || (0xA0..=0xFF).contains(&code) {
                return u8::try_from(code).ok();
            }
            (0x80u8..=0x9F).find(|&b| windows_1252(b) == c)
        })
        .collect()
}

/// How many leading bytes [`looks_binary`] inspects: enough to judge, cheap on a 50 MB file.
const SNIFF_LEN: usize = 8192;

/// Whether a file is not text at all (a spreadsheet, an image, a PDF), so the import can say
/// so at once instead of reporting a thousand broken rows. UTF-16 with a byte-order mark is
/// text even though half its bytes are NUL.
pub fn looks_binary(bytes: &[u8]) -> bool {
    binary_format(bytes).is_some()
}

/// A name for the kind of binary file, for the message ("this looks like an Excel workbook;
/// save it as CSV first"). `None` when the bytes look like text.
pub fn binary_format(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: [(&[u8], &str); 7] = [
        (
            b"PK\x03\x04",
            "an Excel workbook (.xlsx) or another ZIP archive",
        ),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "an old Excel workbook (.xls) or another Office file",
        ),
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x1F\x8B", "a gzip archive"),
    ];
    if let Some((_, name)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Some(name);
    }
    if bytes.starts_with(BOM_UTF16LE) || bytes.starts_with(BOM_UTF16BE) {
        return None;
    }
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    // A NUL never appears in text; a few stray control characters can (form feeds, escapes).
    if head.contains(&0) || controls * 10 > head.len() {
        Some("a binary file")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn detects_and_strips_byte_order_marks() {
        let d = decode(b"\xEF\xBB\xBFName\r\nAda");
        assert_eq!(
            (d.encoding, d.text.as_str()),
            (Encoding::Utf8Bom, "Name\r\nAda")
        );
        let d = decode(b"\xFF\xFEA\x00\xE9\x00");
        assert_eq!((d.encoding, d.text.as_str()), (Encoding::Utf16Le, "Aé"));
        let d = decode(b"\xFE\xFF\x00A\x00\xE9\xD8\x3D\xDE\x00");
        assert_eq!((d.encoding, d.text.as_str()), (Encoding::Utf16Be, "Aé😀"));
        let d = decode("Zoë".as_bytes());
        assert_eq!(
            (d.encoding, d.text.as_str(), d.replaced),
            (Encoding::Utf8, "Zoë", 0)
        );
    }

    #[test]
    fn falls_back_to_windows_1252() {
        let d = decode(b"Zo\xEB \x80 \x93quoted\x94 \x81");
        assert_eq!(d.encoding, Encoding::Windows1252);
        assert_eq!(d.text, "Zoë € “quoted” \u{81}");
        assert_eq!(d.replaced, 0);
    }

    #[test]
    fn forcing_an_encoding_counts_what_could_not_be_read() {
        let d = decode_as(b"Zo\xEB", Encoding::Utf8);
        assert_eq!((d.text.as_str(), d.replaced), ("Zo\u{FFFD}", 1));
        let d = decode_as("\u{FFFD}ok".as_bytes(), Encoding::Utf8);
        assert_eq!(d.replaced, 0);
        let d = decode_as(b"\xFF\xFEA\x00\x00\xD8B", Encoding::Utf16Le);
        assert_eq!(d.text, "A\u{FFFD}\u{FFFD}");
        assert_eq!(d.replaced, 2);
        let d = decode_as("Zoë".as_bytes(), Encoding::Windows1252);
        assert_eq!(d.text, "ZoÃ«");
    }

    #[test]
    fn spots_binary_files() {
        assert_eq!(
            binary_format(b"PK\x03\x04rest"),
            Some("an Excel workbook (.xlsx) or another ZIP archive")
        );
        assert!(looks_binary(b"name,email\nada,\x00\x00\x01"));
        assert!(looks_binary(&[1u8, 2, 3, 4, 5, 6, 7, 8, b'a']));
        assert!(!looks_binary(b"\xFF\xFEA\x00B\x00"));
        assert!(!looks_binary(b"name\tmail\r\nada\tada@example.com\x0c"));
        assert!(!looks_binary(b""));
    }

    #[test]
    fn every_encoding_has_a_distinct_label() {
        let mut labels: Vec<_> = Encoding::ALL.iter().map(|e| e.label()).collect();
        labels.dedup();
        assert_eq!(labels.len(), Encoding::ALL.len());
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for encoding in Encoding::ALL {
                let _ = decode_as(&bytes, encoding);
            }
            let d = decode(&bytes);
            if d.encoding == Encoding::Windows1252 {
                prop_assert_eq!(encode_windows_1252(&d.text), Some(bytes.clone()));
            }
            let _ = looks_binary(&bytes);
        }

        #[test]
        fn slice_by_slice_decodes_as_the_whole(
            text in "\\PC{0,60}",
            junk in proptest::collection::vec(any::<u8>(), 0..8),
            at in 0usize..64,
            budget in 1usize..16,
        ) {
            // Mostly text, sometimes with invalid bytes somewhere in it.
            let mut bytes = text.into_bytes();
            let at = at.min(bytes.len());
            bytes.splice(at..at, junk);
            let steps = |mut d: Decoder<'_>| {
                while !d.step(budget) {}
                d.finish()
            };
            prop_assert_eq!(steps(Decoder::new(&bytes, None)), decode(&bytes));
            for encoding in Encoding::ALL {
                prop_assert_eq!(
                    steps(Decoder::new(&bytes, Some(encoding))),
                    decode_as(&bytes, encoding)
                );
            }
        }

        #[test]
        fn utf8_and_utf16_round_trip(text in "\\PC*") {
            prop_assert_eq!(decode(text.as_bytes()).text, text.clone());
            let mut le = BOM_UTF16LE.to_vec();
            let mut be = BOM_UTF16BE.to_vec();
            for unit in text.encode_utf16() {
                le.extend(unit.to_le_bytes());
                be.extend(unit.to_be_bytes());
            }
            prop_assert_eq!(decode(&le).text, text.clone());
            prop_assert_eq!(decode(&be).text, text);
        }
    }
}
