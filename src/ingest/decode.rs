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
    #[error("invalid UTF-8 at byte {utf8_error_at}, and not valid GB18030 either")]
    Undecodable { utf8_error_at: usize },
    #[error("invalid {encoding} after its byte-order mark")]
    InvalidAfterBom { encoding: &'static str },
    #[error("binary content (NUL byte at {at}); UTF-16 text needs a byte-order mark")]
    Binary { at: usize },
}

/// Decodes a text file's bytes.
///
/// # Errors
/// [`DecodeError`] when no supported encoding reads the bytes cleanly.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), DecodeError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_string(), Encoding::Utf8Bom))
            .map_err(|_| DecodeError::InvalidAfterBom { encoding: "UTF-8" });
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        let (text, _, bad) = UTF_16LE.decode(bytes);
        return if bad {
            Err(DecodeError::InvalidAfterBom {
                encoding: "UTF-16LE",
            })
        } else {
            Ok((text.into_owned(), Encoding::Utf16Le))
        };
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        let (text, _, bad) = UTF_16BE.decode(bytes);
        return if bad {
            Err(DecodeError::InvalidAfterBom {
                encoding: "UTF-16BE",
            })
        } else {
            Ok((text.into_owned(), Encoding::Utf16Be))
        };
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(DecodeError::Binary { at });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((s.to_string(), Encoding::Utf8)),
        Err(e) => {
            let (text, _, bad) = GB18030.decode(bytes);
            if bad {
                Err(DecodeError::Undecodable {
                    utf8_error_at: e.valid_up_to(),
                })
            } else {
                Ok((text.into_owned(), Encoding::Gb18030))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "收入总计472.39万元，包括：";

    #[test]
    fn decode_reports_utf8_with_and_without_bom() {
        assert_eq!(decode(SAMPLE.as_bytes()).unwrap().1, Encoding::Utf8);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(SAMPLE.as_bytes());
        let (text, enc) = decode(&bom).unwrap();
        assert_eq!((text.as_str(), enc), (SAMPLE, Encoding::Utf8Bom));
    }

    #[test]
    fn decode_reads_gb18030() {
        let (bytes, _, _) = GB18030.encode(SAMPLE);
        let (text, enc) = decode(&bytes).unwrap();
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
        assert_eq!(
            decode(&le).unwrap(),
            (SAMPLE.to_string(), Encoding::Utf16Le)
        );
        assert_eq!(
            decode(&be).unwrap(),
            (SAMPLE.to_string(), Encoding::Utf16Be)
        );
    }

    #[test]
    fn decode_rejects_binary_and_garbage_with_offsets() {
        assert_eq!(decode(b"ab\0cd"), Err(DecodeError::Binary { at: 2 }));
        // 0xFF is neither UTF-8 nor a GB18030 lead byte.
        let err = decode(b"abc\xFF\xFFdef").unwrap_err();
        assert_eq!(err, DecodeError::Undecodable { utf8_error_at: 3 });
        assert!(err.to_string().contains("invalid UTF-8 at byte 3"));
    }
}
