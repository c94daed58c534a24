//! Prints the classification codes and names the tables of the given inputs print, one
//! `code<TAB>name<TAB>file` per line: the raw material of `scripts/harvest_codes.py`.
//!
//!     cargo run --example printed_codes -- tests/real/dev/*.txt tests/real/pdf/*.pdf

fn main() {
    for arg in std::env::args().skip(1) {
        let report = fiscal_archive::extract::read_document(std::path::Path::new(&arg));
        for (code, name) in &report.detail.printed_codes {
            let name: String = name.split_whitespace().collect();
            println!("{}\t{}\t{}", code.as_str(), name, arg);
        }
    }
}
