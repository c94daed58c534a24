//! Generates a synthetic archive with its answer key, reads it as `fiscal run` does, and prints
//! fact recall, flag precision and recall per rule, and identity across years.
//!
//! `cargo run --release --example synth_archive -- [DEPARTMENTS] [SEED] [DIR] [--generate-only]`
//! (`make measure`). With DIR the archive is kept there (for `fiscal run` or a benchmark);
//! otherwise in a temporary directory. `--generate-only` writes it and prints the number of
//! text documents (`make bench`).

use fiscal_archive::{analysis, cmd::run::read_all, pipeline, synth};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `--generate-only`: write the archive and stop (for `make bench`).
    let generate_only = args.iter().any(|a| a == "--generate-only");
    args.retain(|a| a != "--generate-only");
    let departments: usize = args.first().map_or(Ok(150), |a| a.parse())?;
    let seed: u64 = args.get(1).map_or(Ok(7), |a| a.parse())?;
    let temp;
    let dir = match args.get(2) {
        Some(d) => std::path::PathBuf::from(d),
        None if generate_only => return Err("--generate-only needs a DIR to keep".into()),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&dir)?;
    if std::fs::read_dir(&dir)?.next().is_some() {
        return Err(format!(
            "{} is not empty: the archive is generated into an empty folder",
            dir.display()
        )
        .into());
    }
    let truth = synth::generate(&dir, departments, seed)?;
    if generate_only {
        println!("{}", truth.docs.len());
        return Ok(());
    }
    let plan = pipeline::Plan::resolve(&pipeline::Overrides {
        inputs: vec![dir.clone()],
        quiet: true,
        ..Default::default()
    })?;
    let reports = read_all(&plan, None)?.reports;
    let archive = analysis::consolidate(reports, &plan)?;
    let score = synth::score(&truth, &archive);
    print!("{}", synth::report(&score, truth.docs.len()));
    for m in &score.missing {
        eprintln!("missing fact: {m:?}");
    }
    for (dept, keys) in &score.split {
        eprintln!("department {dept} split over {keys:?}");
    }
    for p in &score.missed {
        eprintln!("planted, not flagged: {} {}", p.file, p.rule);
    }
    for (file, rule, message) in &score.false_flags {
        eprintln!("unplanted flag: {file} {rule} {message}");
    }
    Ok(())
}
