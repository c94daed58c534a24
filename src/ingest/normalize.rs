//! Full-width → ASCII folding for parsing, one character for one character.
//!
//! Because the mapping never changes the number of characters, a position found in the folded
//! text is the same position in the raw text, so evidence is always quoted as printed.

/// Folds full-width ASCII variants (`４７２．３９`, `（`, `：`, `％`, `，`) and the ideographic
/// space to their ASCII forms. Every other character is kept.
pub fn fold(text: &str) -> String {
    if !may_fold(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    out.extend(text.chars().map(fold_char));
    out
}

/// Whether `text` may hold a character [`fold_char`] changes: each of them is encoded with a
/// lead byte 0xEF (U+FF01–FF5E), 0xE3 (U+3000) or 0xC2 (U+00A0). Most text is plain CJK and
/// ASCII, which is then copied as it is.
fn may_fold(text: &str) -> bool {
    text.bytes().any(|b| matches!(b, 0xEF | 0xE3 | 0xC2))
}

/// The per-character mapping behind [`fold`].
pub fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' => ' ',
        _ => c,
    }
}

/// A key for comparing names: folded, without whitespace, quotes or book-title marks.
pub fn name_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    out.extend(
        text.chars()
            .map(fold_char)
            .filter(|c| !c.is_whitespace() && !is_quote(*c)),
    );
    out
}

/// Quotation marks that documents put around names (“三公”经费, “放管服”).
pub fn is_quote(c: char) -> bool {
    matches!(
        c,
        '“' | '”' | '"' | '‘' | '’' | '\'' | '《' | '》' | '「' | '」' | '〈' | '〉'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_maps_full_width_digits_and_punctuation_one_to_one() {
        let raw = "收入总计４７２．３９万元，占１００％（含）";
        let folded = fold(raw);
        assert_eq!(folded, "收入总计472.39万元,占100%(含)");
        assert_eq!(folded.chars().count(), raw.chars().count());
        // Near misses: ideographic punctuation shares the lead byte of the ideographic space,
        // and other text is copied unchanged.
        assert_eq!(fold("收入。「支出」、合计"), "收入。「支出」、合计");
        assert_eq!(fold("合计\u{3000}1\u{a0}2"), "合计 1 2");
        assert_eq!(fold("plain ascii 1,2"), "plain ascii 1,2");
    }

    #[test]
    fn name_key_ignores_quotes_and_spaces() {
        assert_eq!(name_key("“三公”经费 "), "三公经费");
        assert_eq!(name_key("因公出国（境）费"), "因公出国(境)费");
    }
}
