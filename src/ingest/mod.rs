//! Ingestion: find inputs, decode bytes, and turn text and sheets into prose lines and grids.
//!
//! Nothing here knows what a disclosure means; that is `extract`'s job.

pub mod decode;
pub mod grid;
pub mod normalize;
pub mod pagetext;
pub mod pdf;
pub mod sheet;
pub mod text;
