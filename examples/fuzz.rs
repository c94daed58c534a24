//! `make fuzz`: a mutation fuzzer for the three readers an input reaches — the text parser
//! (prose), the table recognizer (tab-separated tables in text) and the sheet reader (xlsx,
//! xls, ods bytes) — each followed by every document rule, as `fiscal inspect` runs them.
//!
//! The machine has one stable toolchain, so `cargo fuzz` (nightly, libFuzzer) is not available;
//! this is a plain, deterministic mutation loop: seeds from `sample_data/` and `tests/hostile/`
//! (text cut into pieces of a few lines, the spreadsheets whole), mutated by byte flips,
//! insertions and deletions, digit runs, splices and tokens of the format (万元, XX, 其中,
//! 1e400, 79228162514264337593543950335…). A panic, or an input taking longer than
//! `SLOW_MS`, is a finding: written to `out/fuzz/<target>-<n>.bin`, the run fails, and the file
//! belongs in `tests/hostile/` with a test.
//!
//! Usage: fuzz EXECUTIONS [SEED]   (executions across the three targets, on every core)

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use fiscal_archive::checks::{check_document, RuleSettings};
use fiscal_archive::extract::{read_sheet_bytes, read_text_bytes};

/// An input slower than this is a finding (a quadratic path, a hang).
const SLOW_MS: u128 = 2_000;
/// Largest mutated input, in bytes.
const MAX_INPUT: usize = 16 * 1024;

/// xorshift64*: deterministic, good enough for choosing mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "万元",
    "元",
    "%",
    "个",
    "XX",
    "××",
    "某部门",
    "其中",
    "包括",
    "合计",
    "总计",
    "增加",
    "减少",
    "增长",
    "下降",
    "占",
    "完成年初预算的",
    "收入总计",
    "支出总计",
    "年末结转和结余",
    "\t",
    "\n",
    "。",
    "，",
    "（",
    "）",
    "-",
    ".",
    ",",
    "0",
    "0.00",
    "1e400",
    "INF",
    "NaN",
    "79228162514264337593543950335",
    "99999999999999999999.99",
    "0.0000000000001",
    "公开05表",
    "201",
    "20103",
    "2010301",
    "301",
    "一般公共服务支出",
    "基本支出",
    "项目支出",
    "2023年",
];

fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(8) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                data.splice(at..at, t.iter().copied());
            }
            3 => {
                let digits: Vec<u8> = (0..1 + rng.below(32))
                    .map(|_| b'0' + rng.below(10) as u8)
                    .collect();
                data.splice(at..at, digits);
            }
            4 if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + rng.below(256)).min(other.len());
                data.splice(at..at, other[from..end].iter().copied());
            }
            5 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] = [b'0', b'9', b'.', b'-', b'\t', b'\n', 0xFF, 0x00][rng.below(8)];
            }
            6 if data.len() > 2 => {
                // Repeat a slice: long lines, deep lists.
                let from = rng.below(data.len());
                let end = (from + rng.below(64)).min(data.len());
                let piece = data[from..end].to_vec();
                for _ in 0..rng.below(8) {
                    data.splice(at..at, piece.iter().copied());
                }
            }
            _ => {}
        }
    }
    data.truncate(MAX_INPUT);
    data
}

#[derive(Clone, Copy, PartialEq)]
enum Target {
    Text,
    Table,
    Sheet,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Text => "text",
            Target::Table => "table",
            Target::Sheet => "sheet",
        }
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Seeds per target: prose pieces of six lines, table pieces (runs of tab-separated lines
/// with their title), whole spreadsheets.
fn seeds(root: &Path) -> Vec<(Target, Vec<u8>)> {
    let mut files = Vec::new();
    files_under(&root.join("sample_data"), &mut files);
    files_under(&root.join("tests/hostile"), &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or_default();
        match ext {
            "txt" if bytes.len() < 1_000_000 => {
                let text = String::from_utf8_lossy(&bytes);
                let lines: Vec<&str> = text.lines().collect();
                let head = lines.iter().take(2).copied().collect::<Vec<_>>().join("\n");
                for chunk in lines.chunks(6) {
                    let tabbed = chunk.iter().filter(|l| l.contains('\t')).count();
                    let target = if tabbed >= 2 {
                        Target::Table
                    } else {
                        Target::Text
                    };
                    out.push((target, format!("{head}\n{}", chunk.join("\n")).into_bytes()));
                }
            }
            "xlsx" | "xls" | "ods" if bytes.len() < 300_000 => out.push((Target::Sheet, bytes)),
            _ => {}
        }
    }
    out
}

fn run_one(target: Target, data: &[u8], settings: &RuleSettings) {
    let mut report = match target {
        Target::Text | Target::Table => read_text_bytes("fuzz.txt", data),
        Target::Sheet => read_sheet_bytes("fuzz.xlsx", data),
    };
    check_document(&mut report, settings);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = seeds(&root);
    let by_target = |t: Target| -> Vec<Vec<u8>> {
        corpus
            .iter()
            .filter(|(x, _)| *x == t)
            .map(|(_, d)| d.clone())
            .collect()
    };
    let targets: Vec<(Target, Vec<Vec<u8>>)> = [Target::Text, Target::Table, Target::Sheet]
        .into_iter()
        .map(|t| (t, by_target(t)))
        .filter(|(_, s)| !s.is_empty())
        .collect();
    // A finding is recorded by the hook, not printed per panic.
    let last_panic: Arc<Mutex<String>> = Arc::new(Mutex::new(String::new()));
    {
        let last = Arc::clone(&last_panic);
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut l) = last.lock() {
                *l = info.to_string();
            }
        }));
    }
    let out_dir = root.join("out/fuzz");
    let done = AtomicUsize::new(0);
    let findings = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let per_target: Vec<AtomicUsize> = targets.iter().map(|_| AtomicUsize::new(0)).collect();
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let settings = RuleSettings::default();
    std::thread::scope(|s| {
        for w in 0..threads {
            let (targets, done, findings, stop, per_target, settings, out_dir, last_panic) = (
                &targets,
                &done,
                &findings,
                &stop,
                &per_target,
                &settings,
                &out_dir,
                &last_panic,
            );
            s.spawn(move || {
                let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (w as u64 + 1));
                while !stop.load(Ordering::Relaxed) {
                    let n = done.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    // Text and tables are where the arithmetic is: 45% / 40% / 15%.
                    let pick = rng.below(100);
                    let ti = match pick {
                        0..45 => 0,
                        45..85 => 1,
                        _ => 2,
                    }
                    .min(targets.len() - 1);
                    let (target, seeds) = &targets[ti];
                    let base = &seeds[rng.below(seeds.len())];
                    let other = &seeds[rng.below(seeds.len())];
                    let data = mutate(&mut rng, base, other);
                    let t0 = Instant::now();
                    let result =
                        catch_unwind(AssertUnwindSafe(|| run_one(*target, &data, settings)));
                    let slow = t0.elapsed().as_millis() > SLOW_MS;
                    per_target[ti].fetch_add(1, Ordering::Relaxed);
                    if result.is_err() || slow {
                        let k = findings.fetch_add(1, Ordering::Relaxed);
                        let _ = std::fs::create_dir_all(out_dir);
                        let path = out_dir.join(format!("{}-{k}.bin", target.name()));
                        let _ = std::fs::write(&path, &data);
                        let why = if slow {
                            format!("took {} ms", t0.elapsed().as_millis())
                        } else {
                            last_panic.lock().map(|l| l.clone()).unwrap_or_default()
                        };
                        eprintln!(
                            "fuzz: finding in {}: {why} → {}",
                            target.name(),
                            path.display()
                        );
                        if k >= 20 {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    if n > 0 && n % 100_000 == 0 {
                        eprintln!(
                            "fuzz: {n} executions, {:.0} s",
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let runs: usize = per_target.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    let detail: Vec<String> = targets
        .iter()
        .zip(&per_target)
        .map(|((t, seeds), c)| {
            format!(
                "{} {} ({} seeds)",
                t.name(),
                c.load(Ordering::Relaxed),
                seeds.len()
            )
        })
        .collect();
    let found = findings.load(Ordering::Relaxed);
    println!(
        "fuzz: {runs} executions in {secs:.0} s ({:.0}/s, {threads} threads, seed {seed}): {}; {found} findings",
        runs as f64 / secs.max(1e-9),
        detail.join(", ")
    );
    if found > 0 {
        std::process::exit(1);
    }
}
