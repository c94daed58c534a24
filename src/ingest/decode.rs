//! Bytes → text, with the encoding detected and reported, never guessed silently.
//!
//! Order: a BOM decides (UTF-8, UTF-16LE/BE); otherwise strict UTF-8; otherwise GB18030 (a
//! superset of GBK and GB2312); otherwise the file is rejected with the byte offset where UTF-8
//! failed. This module knows nothing about disclosures.

use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};
use std::fmt;

/// The encoding a text file was read with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Gb18030,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8 (BOM)",
            Encoding::Gb18030 => "gb18030",
            Encoding::Utf16Le => "utf-16le (BOM)",
            Encoding::Utf16Be => "utf-16be (BOM)",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why bytes could not be read as text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("not text: {utf8_bad} invalid UTF-8 sequences (the first at byte {utf8_at}), {gb_bad} invalid GB18030 sequences (the first at byte {gb_at})")]
    Undecodable {
        utf8_at: usize,
        utf8_bad: usize,
        gb_at: usize,
        gb_bad: usize,
    },
    #[error("not text: {} invalid {encoding} sequences after its byte-order mark (the first at byte {at})", more + 1)]
    InvalidAfterBom {
        encoding: &'static str,
        at: usize,
        more: usize,
    },
    #[error("binary content (NUL byte at {at}); UTF-16 text needs a byte-order mark")]
    Binary { at: usize },
}

/// Text read from bytes: the encoding, and the byte offsets of sequences that were not valid
/// in it (each replaced by U+FFFD; empty for a clean file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: Encoding,
    pub replaced: Vec<usize>,
}

/// How many invalid sequences a file may have and still be read as text (the rest of it):
/// one per 100 bytes. A few bad bytes in a document are damage to report; more, or any in a
/// file of a few bytes, and it is not text.
fn tolerated(len: usize) -> usize {
    len / 100
}

/// Decodes `bytes` with `encoding`, replacing each malformed sequence by U+FFFD; returns the
/// text and the byte offset (in `bytes`) of each replaced sequence.
fn decode_with(encoding: &'static encoding_rs::Encoding, bytes: &[u8]) -> (String, Vec<usize>) {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut text = String::with_capacity(bytes.len());
    let mut bad = Vec::new();
    let mut at = 0;
    loop {
        let need = decoder
            .max_utf8_buffer_length_without_replacement(bytes.len() - at)
            .unwrap_or(bytes.len() - at);
        text.reserve(need);
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[at..], &mut text, true);
        match result {
            encoding_rs::DecoderResult::InputEmpty => return (text, bad),
            encoding_rs::DecoderResult::OutputFull => {
                at += read;
            }
            encoding_rs::DecoderResult::Malformed(len, after) => {
                at += read;
                bad.push(at.saturating_sub(usize::from(len) + usize::from(after)));
                text.push('\u{FFFD}');
            }
        }
    }
}

/// Decodes a text file's bytes. A few invalid sequences in otherwise readable text are
/// replaced (U+FFFD) and reported by byte offset in [`Decoded::replaced`]; the encoding is the
/// one with fewer of them (UTF-8 first).
///
/// # Errors
/// [`DecodeError`] when the bytes are not text in any supported encoding.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let boms: [(
        &[u8],
        &'static encoding_rs::Encoding,
        Encoding,
        &'static str,
    ); 3] = [
        (
            &[0xEF, 0xBB, 0xBF],
            encoding_rs::UTF_8,
            Encoding::Utf8Bom,
            "UTF-8",
        ),
        (&[0xFF, 0xFE], UTF_16LE, Encoding::Utf16Le, "UTF-16LE"),
        (&[0xFE, 0xFF], UTF_16BE, Encoding::Utf16Be, "UTF-16BE"),
    ];
    for (bom, with, encoding, name) in boms {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let (text, mut replaced) = decode_with(with, rest);
            for r in &mut replaced {
                *r += bom.len();
            }
            if replaced.len() > tolerated(bytes.len()) {
                return Err(DecodeError::InvalidAfterBom {
                    encoding: name,
                    at: replaced[0],
                    more: replaced.len() - 1,
                });
            }
            return Ok(Decoded {
                text,
                encoding,
                replaced,
            });
        }
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(DecodeError::Binary { at });
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: s.to_string(),
            encoding: Encoding::Utf8,
            replaced: Vec::new(),
        });
    }
    let (gb_text, gb_bad) = decode_with(GB18030, bytes);
    if gb_bad.is_empty() {
        return Ok(Decoded {
            text: gb_text,
            encoding: Encoding::Gb18030,
            replaced: gb_bad,
        });
    }
    let (utf8_text, utf8_bad) = decode_with(encoding_rs::UTF_8, bytes);
    let fewest = utf8_bad.len().min(gb_bad.len());
    if fewest > tolerated(bytes.len()) {
        return Err(DecodeError::Undecodable {
            utf8_at: utf8_bad.first().copied().unwrap_or(0),
            utf8_bad: utf8_bad.len(),
            gb_at: gb_bad.first().copied().unwrap_or(0),
            gb_bad: gb_bad.len(),
        });
    }
    Ok(if utf8_bad.len() <= gb_bad.len() {
        Decoded {
            text: utf8_text,
            encoding: Encoding::Utf8,
            replaced: utf8_bad,
        }
    } else {
        Decoded {
            text: gb_text,
            encoding: Encoding::Gb18030,
            replaced: gb_bad,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "收入总计472.39万元，包括：";

    fn clean(bytes: &[u8]) -> (String, Encoding) {
        let d = decode(bytes).unwrap();
        assert!(d.replaced.is_empty(), "{:?}", d.replaced);
        (d.text, d.encoding)
    }

    #[test]
    fn decode_reports_utf8_with_and_without_bom() {
        assert_eq!(clean(SAMPLE.as_bytes()).1, Encoding::Utf8);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(SAMPLE.as_bytes());
        let (text, enc) = clean(&bom);
        assert_eq!((text.as_str(), enc), (SAMPLE, Encoding::Utf8Bom));
    }

    #[test]
    fn decode_reads_gb18030() {
        let (bytes, _, _) = GB18030.encode(SAMPLE);
        let (text, enc) = clean(&bytes);
        assert_eq!((text.as_str(), enc), (SAMPLE, Encoding::Gb18030));
    }

    #[test]
    fn decode_reads_utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in SAMPLE.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(clean(&le), (SAMPLE.to_string(), Encoding::Utf16Le));
        assert_eq!(clean(&be), (SAMPLE.to_string(), Encoding::Utf16Be));
    }

    #[test]
    fn a_few_bad_bytes_are_replaced_and_reported_where_they_are() {
        // One bad byte in UTF-8 text: read, the byte replaced, its offset reported.
        let text = SAMPLE.repeat(10);
        let mut bytes = text.as_bytes().to_vec();
        let at = "收入总计".len();
        bytes.insert(at, 0xFF);
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, Encoding::Utf8);
        assert_eq!(d.replaced, vec![at]);
        assert_eq!(d.text, text.replacen("472", "\u{FFFD}472", 1));
        // Near miss: the same bad byte in a file of a few bytes is not "a few in a document".
        assert!(decode(b"abc\xFFdef").is_err());
        // The same in GB18030 text, near its end: the offset is where the damage is.
        let long = SAMPLE.repeat(50);
        let mut gb = GB18030.encode(&long).0.into_owned();
        let at = gb.len() - 10;
        gb.insert(at, 0xFF);
        let d = decode(&gb).unwrap();
        assert_eq!(d.encoding, Encoding::Gb18030);
        assert_eq!(d.replaced, vec![at]);
        // After a BOM too.
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(&bytes);
        assert_eq!(decode(&bom).unwrap().replaced, vec![at_of(&bytes) + 3]);
    }

    fn at_of(bytes: &[u8]) -> usize {
        bytes.iter().position(|&b| b == 0xFF).unwrap()
    }

    #[test]
    fn decode_rejects_binary_and_garbage_with_offsets() {
        assert_eq!(decode(b"ab\0cd"), Err(DecodeError::Binary { at: 2 }));
        // Bytes that are mostly invalid in both encodings are not text.
        let garbage: Vec<u8> = (0..200u32)
            .map(|i| [0xFF, 0x80, 0x41][i as usize % 3])
            .collect();
        let err = decode(&garbage).unwrap_err();
        assert!(
            matches!(err, DecodeError::Undecodable { utf8_at: 0, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("the first at byte 0"), "{err}");
    }
}
