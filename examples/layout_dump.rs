//! Debug: prints how page text is laid out into prose statements and token grids.
use fiscal_archive::ingest::{decode, pagetext};
fn main() {
    let path = std::env::args().nth(1).expect("file");
    let bytes = std::fs::read(&path).expect("read");
    let (text, _) = decode::decode(&bytes).expect("decode");
    let doc = pagetext::split(&text);
    let what = std::env::args().nth(2).unwrap_or_default();
    if what != "grids" {
        for l in &doc.lines {
            println!("P {} | {}", l.location, l.raw);
        }
    }
    if what != "prose" {
        for g in &doc.grids {
            println!(
                "=== GRID caption: {:?}",
                g.caption.iter().map(|c| c.raw.clone()).collect::<Vec<_>>()
            );
            for r in &g.rows {
                println!(
                    "  {} | {}",
                    r.cells
                        .first()
                        .map(|c| c.location.to_string())
                        .unwrap_or_default(),
                    r.cells
                        .iter()
                        .map(|c| c.raw.clone())
                        .collect::<Vec<_>>()
                        .join(" ¦ ")
                );
            }
        }
    }
}
