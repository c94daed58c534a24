//! Debug: prints how page text or a PDF is laid out into prose statements and grids.
use fiscal_archive::ingest::{decode, pagetext, pdf};
fn main() {
    let path = std::env::args().nth(1).expect("file");
    let bytes = std::fs::read(&path).expect("read");
    let doc = if path.ends_with(".pdf") {
        pdf::read(&bytes).expect("pdf").doc
    } else {
        let text = decode::decode(&bytes).expect("decode").text;
        pagetext::split(&text)
    };
    let what = std::env::args().nth(2).unwrap_or_default();
    if what != "grids" {
        for l in &doc.lines {
            println!("P {} | {}", l.location, l.raw);
        }
    }
    if what != "prose" {
        for g in &doc.grids {
            println!(
                "=== GRID {} tokens={} caption: {:?}",
                g.name,
                g.tokens,
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
                        .map(|c| if c.merged {
                            format!("<{}>", c.raw.replace('\n', "/"))
                        } else {
                            c.raw.replace('\n', "/")
                        })
                        .collect::<Vec<_>>()
                        .join(" ¦ ")
                );
            }
        }
    }
}
