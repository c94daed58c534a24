//! fiscal-archive turns archives of Chinese government fiscal disclosures — each department's
//! 部门预算 (budget) and 部门决算 (final account), as parsed text and spreadsheets — into one
//! consolidated, trustworthy workbook.
//!
//! The crate reads like the pipeline it is: inputs enter at [`ingest`] (bytes → text → prose
//! lines and grids), become facts in [`extract`] (identity, statement parser, table
//! recognizer), are checked in `checks`, consolidated in `analysis`, and leave through `report`.
//! What the documents' words mean lives in [`catalog`] as data; [`model`] is the shared
//! vocabulary. Commands in [`cmd`] are thin.

pub mod analysis;
pub mod catalog;
pub mod checks;
pub mod cmd;
pub mod extract;
pub mod guard;
pub mod ingest;
pub mod lock;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod synth;
