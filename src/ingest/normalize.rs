//! Full-width → ASCII folding for parsing, one character for one character.
//!
//! Because the mapping never changes the number of characters, a position found in the folded
//! text is the same position in the raw text, so evidence is always quoted as printed.

/// Folds full-width ASCII variants (`４７２．３９`, `（`, `：`, `％`, `，`) and the ideographic
/// space to their ASCII forms. Every other character is kept.
pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
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
    text.chars()
        .map(fold_char)
        .filter(|c| !c.is_whitespace() && !is_quote(*c))
        .collect()
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
    }

    #[test]
    fn name_key_ignores_quotes_and_spaces() {
        assert_eq!(name_key("“三公”经费 "), "三公经费");
        assert_eq!(name_key("因公出国（境）费"), "因公出国(境)费");
    }
}
