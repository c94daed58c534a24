//! No panic reachable from input content: the extractor on damaged versions of the seeds.

use super::extract_text;

const SEEDS: &[&str] = &[
    include_str!("../../sample_data/liaoning/panjin/shuangtaizi/smart-city-center/2024-budget/000_ae146e4dc12147c0.txt"),
    include_str!("../../sample_data/liaoning/panjin/xinglongtai/smart-city-center/2022-final/001_7f6af2fd24324409.txt"),
    include_str!("../../sample_data/liaoning/panjin/dawa/smart-city-center/2019-final/002_7bc3f91b02c91f00.txt"),
    include_str!("../../sample_data/hunan/zhuzhou/shifeng/grid-management-center/2023-budget/003_de6305994ad292dd.txt"),
    include_str!("../../sample_data/liaoning/panjin/dawa/smart-city-center/2023-final/004_e852e39ff9ab983e.txt"),
];

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound.max(1) as u64) as usize
    }
}

#[test]
fn extract_survives_truncated_and_shuffled_documents() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for seed in SEEDS {
        let chars: Vec<char> = seed.chars().collect();
        for _ in 0..40 {
            let cut = rng.next(chars.len());
            let truncated: String = chars[..cut].iter().collect();
            extract_text(&truncated);
        }
        let mut lines: Vec<&str> = seed.lines().collect();
        for _ in 0..10 {
            for i in (1..lines.len()).rev() {
                lines.swap(i, rng.next(i + 1));
            }
            extract_text(&lines.join("\n"));
        }
    }
}

#[test]
fn extract_survives_hostile_strings() {
    let hostile = [
        "",
        "\t",
        "\t\n\t\n\n\t",
        "(((((((((((((((((((((((((((((((((((((((((((((((((((1万元",
        ")))))))))收入总计1万元((((",
        "收入总计99999999999999999999999999999999999999.99万元",
        "收入总计0.000000000000000000000000000000000001元",
        "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX%",
        "其中其中其中：包括：包括：1万元2万元3万元",
        "（一）（1）1.①一、第一部分",
        "一般公共服务支出（类）（款）（项）1万元",
        "\t合计\n\t1\n\n\t科目编码\t科目名称\t决算数\n\n\t301\n\n",
        "\u{FEFF}\u{0}\u{FFFF}",
    ];
    for text in hostile {
        extract_text(text);
    }
}

#[test]
fn a_recognized_table_whose_numbers_cannot_be_read_is_reported() {
    // Titled and headed as a 收入决算表, but its rows name no code and no total.
    let text = "上海市某区某局2025年度部门决算\n\u{c}收入决算表\n单位：万元\n项目 本年收入合计 财政拨款收入\n甲类收入 1,234.00 1,234.00\n乙类收入 2,000.00 2,000.00\n";
    let report = crate::extract::read_text_bytes("t.txt", text.as_bytes());
    let messages: Vec<&str> = report.errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("收入决算表") && m.contains("none of its 4 numbers")),
        "{messages:?}"
    );
    // Near-miss: an empty table shell (no numbers) is not reported.
    let shell = "上海市某区某局2025年度部门决算\n\u{c}收入决算表\n单位：万元\n项目 本年收入合计 财政拨款收入\n合计\n注：本表无数据。\n";
    let report = crate::extract::read_text_bytes("t.txt", shell.as_bytes());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}
