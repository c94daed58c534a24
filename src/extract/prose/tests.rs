//! Statement-parser tests on small strings.

use crate::extract::extract_text;
use crate::model::{Aspect, Fact};

/// Facts of a tiny document (a title line gives it a year and kind).
fn facts(title: &str, body: &str) -> Vec<Fact> {
    extract_text(&format!("{title}\n{body}\n")).facts
}

fn final_2023(body: &str) -> Vec<Fact> {
    facts("第二部分 2023年度部门决算情况说明", body)
}

/// (metric, code, item, aspect, value) of a fact, for compact assertions.
type Row = (
    String,
    Option<String>,
    Option<String>,
    &'static str,
    Option<String>,
);

/// The rows of facts.
fn rows(facts: &[Fact]) -> Vec<Row> {
    facts
        .iter()
        .map(|f| {
            (
                f.metric.to_string(),
                f.code.as_ref().map(|c| c.to_string()),
                f.item.clone(),
                f.aspect.as_str(),
                f.value.map(|v| v.to_string()),
            )
        })
        .collect()
}

fn row(
    metric: &str,
    code: Option<&str>,
    item: Option<&str>,
    aspect: &'static str,
    value: Option<&str>,
) -> Row {
    (
        metric.to_string(),
        code.map(str::to_string),
        item.map(str::to_string),
        aspect,
        value.map(str::to_string),
    )
}

#[test]
fn statement_reads_full_width_digits() {
    let f = final_2023("（一）收入总计４７２．３９万元，包括：");
    assert_eq!(
        rows(&f),
        vec![row("income.total", None, None, "value", Some("472.39"))]
    );
    assert_eq!(f[0].raw, "４７２．３９万元");
}

#[test]
fn statement_placeholder_gives_null_value_with_raw_text() {
    let f = final_2023("（一）收入总计XX万元，包括：\n项目完成年初预算的XX%。");
    assert_eq!(f[0].value, None);
    assert_eq!(f[0].raw, "XX万元");
    assert_eq!(f[0].metric.as_str(), "income.total");
}

#[test]
fn statement_negative_wording_gives_negative_deltas() {
    let f =
        final_2023("与上年相比，今年收入总计减少341.02万元，降低41.92%,主要原因：项目支出减少。");
    assert_eq!(
        rows(&f),
        vec![
            row("income.total", None, None, "yoy_delta", Some("-341.02")),
            row("income.total", None, None, "yoy_pct", Some("-41.92")),
        ]
    );
    let f = final_2023("2023年机关运行经费支出59.6万元，比上年减少17.97万元，下降23.17%。");
    assert_eq!(f[2].aspect, Aspect::YoyPct);
    assert_eq!(f[2].value.map(|v| v.to_string()), Some("-23.17".into()));
}

#[test]
fn statement_amounts_in_yuan_normalize_to_wan_yuan() {
    let f = facts(
        "2024年度部门预算公开",
        "截至2023年12月31日，部门资产总额347752.90元，其中，流动资产13117.02元。",
    );
    assert_eq!(
        rows(&f),
        vec![
            row("assets.total", None, None, "value", Some("34.775290")),
            row("assets.current", None, None, "value", Some("1.311702")),
        ]
    );
    assert_eq!(f[0].raw, "347752.90元");
}

#[test]
fn statement_list_takes_the_fund_of_its_lead_in() {
    let f = final_2023(
        "2023年度财政拨款支出472.39万元，其中：基本支出332.70万元，项目支出139.69万元。\
         与年初预算相比，2023年度财政拨款支出完成年初预算的66.70%，其中：基本支出完成年初预算的109.42%，项目完成年初预算的34.56%。",
    );
    assert_eq!(
        rows(&f),
        vec![
            row("expenditure.fiscal", None, None, "value", Some("472.39")),
            row(
                "expenditure.fiscal.basic",
                None,
                None,
                "value",
                Some("332.70")
            ),
            row(
                "expenditure.fiscal.project",
                None,
                None,
                "value",
                Some("139.69")
            ),
            row(
                "expenditure.fiscal",
                None,
                None,
                "completion_pct",
                Some("66.70")
            ),
            row(
                "expenditure.fiscal.basic",
                None,
                None,
                "completion_pct",
                Some("109.42")
            ),
            row(
                "expenditure.fiscal.project",
                None,
                None,
                "completion_pct",
                Some("34.56")
            ),
        ]
    );
}

#[test]
fn statement_class_names_and_sub_items_resolve_codes() {
    let f = final_2023(
        "（二）一般公共预算财政拨款支出情况。\n\
         2023年度一般公共预算财政拨款支出1614.27万元，按支出功能分类科目分，包括：卫生健康支出45.82万元，占2.84%。\n\
         1.卫生健康支出45.82万元，具体包括：\n\
         （1）事业单位医疗40.69万元，完成年初预算的100%。\n\
         2.一般公共服务支出1338.83万元，具体包括：\n\
         （1）事业运行774.09万元。",
    );
    let r = rows(&f);
    assert!(r.contains(&row(
        "expenditure.general_budget",
        Some("210"),
        None,
        "value",
        Some("45.82")
    )));
    assert!(r.contains(&row(
        "expenditure.general_budget",
        Some("210"),
        None,
        "share_pct",
        Some("2.84")
    )));
    assert!(r.contains(&row(
        "expenditure.general_budget",
        Some("2101102"),
        None,
        "value",
        Some("40.69")
    )));
    assert!(r.contains(&row(
        "expenditure.general_budget",
        Some("2101102"),
        None,
        "completion_pct",
        Some("100")
    )));
    // 事业运行 exists under many 款 of 201: the name stays an item of 201.
    assert!(r.contains(&row(
        "expenditure.general_budget",
        Some("201"),
        Some("事业运行"),
        "value",
        Some("774.09")
    )));
}

#[test]
fn statement_old_class_name_maps_to_the_same_code() {
    let f = facts(
        "第三部分 2019年度部门决算情况说明",
        "2019年度财政拨款支出318.36万元，按支出功能分类科目分，包括：医疗卫生与计划生育支出13.86万元，占4.35%。",
    );
    assert!(rows(&f).contains(&row(
        "expenditure.fiscal",
        Some("210"),
        None,
        "value",
        Some("13.86")
    )));
}

#[test]
fn statement_budget_comparison_is_not_year_on_year() {
    let f = final_2023("项目支出100万元，比年初预算增加10万元。");
    assert_eq!(
        rows(&f),
        vec![row("expenditure.project", None, None, "value", Some("100"))]
    );
}

#[test]
fn statement_weak_words_need_an_otherwise_empty_label() {
    let f = facts(
        "2024年度部门预算公开",
        "在支出预算114.14万元中，政府采购支出0万元，债务支出0万元。",
    );
    assert_eq!(
        rows(&f),
        vec![
            row("expenditure.total", None, None, "value", Some("114.14")),
            row("procurement.total", None, None, "value", Some("0")),
        ]
    );
}

#[test]
fn statement_flat_against_prior_year_is_a_zero_delta() {
    let f = facts(
        "2024年度部门预算公开",
        "2.公务接待费0万元，与2023年度持平。\n3.公务用车购置及运行费0万元，决算数持平预算数的主要原因是没有支出。",
    );
    assert_eq!(
        rows(&f),
        vec![
            row("three_public.reception", None, None, "value", Some("0")),
            row("three_public.reception", None, None, "yoy_delta", Some("0")),
            row("three_public.vehicle", None, None, "value", Some("0")),
        ]
    );
}

#[test]
fn statement_skips_thresholds_and_keeps_counts_apart_from_amounts() {
    let f = final_2023("截至2023年12月31日，共有车辆1辆，其中：机要通信用车1辆；单价100万元（含）以上设备（不含车辆）0台（套）。");
    assert_eq!(
        rows(&f),
        vec![
            row("vehicles.count", None, None, "value", Some("1")),
            row(
                "vehicles.count",
                None,
                Some("机要通信用车"),
                "value",
                Some("1")
            ),
            row("assets.large_equipment", None, None, "value", Some("0")),
        ]
    );
}

#[test]
fn class_paths_resolve_through_the_catalog_without_tables() {
    // Codes printed by real disclosures' tables (`make codes`) resolve prose paths in
    // documents that print no table; an unknown 项 keeps its class and its name.
    let f = final_2023(
        "1、城乡社区支出（类）城乡社区管理事务（款）城管执法（项）。年初预算为3377.56万元，支出决算为3377.56万元。\n2、城乡社区支出（类）城乡社区管理事务（款）不存在的事务（项）。支出决算为10.00万元。",
    );
    let r = rows(&f);
    assert!(
        r.contains(&row(
            "expenditure.total",
            Some("2120104"),
            None,
            "value",
            Some("3377.56")
        )),
        "{r:?}"
    );
    assert!(
        r.contains(&row(
            "expenditure.total",
            Some("212"),
            Some("不存在的事务"),
            "value",
            Some("10.00")
        )),
        "{r:?}"
    );
}

/// A list item whose name contains its list's class (`其他科学技术支出` under 科学技术支出) is
/// an item of the list, resolved to its sub-code; one named around a catalog phrase
/// (`政府采购监管经费`) is an item too. Near miss: `执法车辆` still counts vehicles.
#[test]
fn list_items_named_around_a_catalog_phrase_stay_items() {
    let f = facts(
        "某区科技局2023年部门预算",
        "2023年一般公共预算财政拨款支出预算3000.00万元，其中：\n\
         1.科学技术支出2933.99万元，主要包括：（1）科学技术管理事务400.00万元；（2）其他科学技术支出2533.99万元。\n\
         2.社会保障和就业支出66.01万元。\n\
         2023年政府采购预算总额100万元，其中：政府采购监管经费20万元。",
    );
    let gb = "expenditure.general_budget";
    assert_eq!(
        rows(&f),
        vec![
            row(gb, None, None, "value", Some("3000.00")),
            row(gb, Some("206"), None, "value", Some("2933.99")),
            row(gb, Some("20601"), None, "value", Some("400.00")),
            row(gb, Some("20699"), None, "value", Some("2533.99")),
            row(gb, Some("208"), None, "value", Some("66.01")),
            row("procurement.total", None, None, "value", Some("100")),
            row(
                "procurement.total",
                None,
                Some("政府采购监管经费"),
                "value",
                Some("20")
            ),
        ]
    );
}

/// `其中：A…，主要包括a、b；B…`: the nested list ends at `；`, B is the outer list's item.
#[test]
fn nested_list_closes_at_the_semicolon() {
    let text = "2023年一般公共预算财政拨款支出预算3000.00万元，其中：科学技术支出2933.99万元，主要包括科学技术管理事务400.00万元、其他科学技术支出2533.99万元；社会保障和就业支出66.01万元。";
    let out = extract_text(&format!("某区科技局2023年部门预算\n{text}\n"));
    let lists: Vec<(String, Vec<String>)> = out
        .detail
        .lists
        .iter()
        .map(|l| {
            let name = |i: usize| {
                out.facts[i]
                    .value
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            };
            (
                name(l.parent),
                l.children.iter().map(|&c| name(c)).collect(),
            )
        })
        .collect();
    assert_eq!(
        lists,
        vec![
            (
                "3000.00".to_string(),
                vec!["2933.99".to_string(), "66.01".to_string()]
            ),
            (
                "2933.99".to_string(),
                vec!["400.00".to_string(), "2533.99".to_string()]
            ),
        ]
    );
}

/// A 类/款/项 path resolves to its 7-digit code without the document's tables when the 项 is
/// one every administrative 款 numbers alike; another 项 keeps the class and its name.
#[test]
fn class_paths_resolve_standard_items_without_tables() {
    let f = final_2023(
        "（三）一般公共预算财政拨款支出决算具体情况\n\
         1.社会保障和就业支出（类）民政管理事务（款）行政运行（项）50.00万元。\n\
         2.社会保障和就业支出（类）民政管理事务（款）其他民政管理事务支出（项）8.00万元。\n\
         3.社会保障和就业支出（类）民政管理事务（款）基层政权建设（项）3.00万元。",
    );
    let codes: Vec<(Option<String>, Option<String>)> = f
        .iter()
        .map(|f| (f.code.as_ref().map(|c| c.to_string()), f.item.clone()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (Some("2080201".to_string()), None),
            (Some("2080299".to_string()), None),
            (Some("208".to_string()), Some("基层政权建设".to_string())),
        ]
    );
}

/// A figure its words put in another year (`2021年度“三公”经费支出12.00万元` in a 2022 final
/// account) carries that period; a year compared against or a date does not.
#[test]
fn statements_about_another_year_carry_its_period() {
    let f = facts(
        "某区教育局2022年度部门决算",
        "2022年度“三公”经费支出10.00万元，2021年度“三公”经费支出12.00万元。\n\
         机关运行经费支出166.45万元，比 2021 年度减少22.50万元。\n\
         截至2021年12月31日，共有车辆5辆。",
    );
    let periods: Vec<(String, &str, Option<i32>)> = f
        .iter()
        .map(|f| (f.metric.to_string(), f.aspect.as_str(), f.period))
        .collect();
    assert_eq!(
        periods,
        vec![
            ("three_public.total".to_string(), "value", None),
            ("three_public.total".to_string(), "value", Some(2021)),
            ("admin_cost".to_string(), "value", None),
            ("admin_cost".to_string(), "yoy_delta", None),
            ("vehicles.count".to_string(), "value", None),
        ]
    );
}
