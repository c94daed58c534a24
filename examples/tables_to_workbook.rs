//! Writes the tables of a parsed-text disclosure as a workbook (see
//! `fiscal_archive::report::tables_workbook`). `make sample-sheets` runs it for seed 004.
//!
//! Usage: cargo run --example tables_to_workbook -- INPUT.txt OUTPUT.xlsx

use std::error::Error;

use fiscal_archive::ingest::decode;
use fiscal_archive::report::tables_workbook::tables_workbook;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(input), Some(output)) = (args.get(1), args.get(2)) else {
        return Err("usage: tables_to_workbook INPUT.txt OUTPUT.xlsx".into());
    };
    let decoded = decode::decode(&std::fs::read(input)?)?.text;
    std::fs::write(output, tables_workbook(&decoded)?)?;
    Ok(())
}
