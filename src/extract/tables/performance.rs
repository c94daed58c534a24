//! Performance forms: 项目（政策）绩效目标表, 部门（单位）整体绩效目标表, 绩效自评表.
//!
//! These are forms, not grids: a label cell (`项目(政策)名称`, `预算资金情况`, `全年执行数`,
//! `执行率`) is followed by its value in the next non-empty cell, and an indicator block lists
//! one indicator per row with its operator, target value and 度量单位. Indicator values keep
//! their printed unit in `printed_unit` (a `130 元` target beside a `130 万元` budget is exactly
//! what UNIT_SUSPECT looks for); amounts are normalized to 万元 like every other fact.

use super::{column_paths, label_key, parse_cell, CellValue, Slot, Table, TableOutput};
use crate::ingest::grid::{Cell, Row};
use crate::model::{Aspect, Unit};

const PROJECT_NAME: &[&str] = &["项目(政策)名称", "项目名称", "部门(单位)名称", "单位名称"];
const BUDGET: &[&str] = &[
    "预算资金情况",
    "项目预算金额",
    "年度资金总额",
    "资金总额",
    "年度预算数",
];
const EXECUTED: &[&str] = &["全年执行数", "执行数"];
const RATE: &[&str] = &["执行率"];
const TOTAL_SCORE: &[&str] = &["绩效自评总得分", "总得分"];

/// The value printed after the first cell whose key starts with one of `labels` (a merged
/// label's copies are not its value).
fn field<'r>(row: &'r Row, labels: &[&str]) -> Option<(&'r Cell, &'r Cell)> {
    let cells: Vec<(usize, &Cell)> = row.printed().collect();
    cells.iter().enumerate().find_map(|(n, (_, c))| {
        let key = label_key(&c.text);
        labels
            .iter()
            .any(|l| key.starts_with(&label_key(l)))
            .then(|| cells.get(n + 1).map(|(_, v)| (*c, *v)))
            .flatten()
    })
}

fn text_field(rows: &[Row], labels: &[&str]) -> Option<String> {
    rows.iter()
        .find_map(|r| field(r, labels))
        .map(|(_, v)| v.text.trim().to_string())
}

/// Columns of an indicator block, from its header rows.
struct IndicatorColumns {
    name: usize,
    operator: Option<usize>,
    target: Option<usize>,
    unit: Option<usize>,
    actual: Option<usize>,
}

fn indicator_columns(rows: &[Row]) -> Option<(usize, IndicatorColumns)> {
    let header = rows
        .iter()
        .position(|r| r.non_empty().any(|(_, c)| c.key() == "三级指标"))?;
    // Further header rows (运算符号 | 指标值 | 度量单位 under 年度目标值, sometimes under one
    // more band) while they name columns and print no number.
    let mut header_rows = vec![&rows[header]];
    let mut body = header + 1;
    while let Some(next) = rows.get(body).filter(|_| header_rows.len() < 3) {
        let names_columns = next.non_empty().any(|(_, c)| {
            matches!(
                c.key().as_str(),
                "运算符号" | "内容" | "度量单位" | "计量单位" | "指标值" | "目标值" | "数值"
            )
        });
        let numbers = next.printed().any(|(_, c)| {
            matches!(
                parse_cell(&c.text),
                CellValue::Number(_) | CellValue::Percent(_)
            )
        });
        if !names_columns || numbers {
            break;
        }
        header_rows.push(next);
        body += 1;
    }
    let paths = column_paths(&header_rows);
    let find = |pred: &dyn Fn(&str) -> bool| paths.iter().position(|p| pred(p));
    let name = find(&|p| p.ends_with("三级指标"))?;
    let operator = find(&|p| p.contains("运算符号"));
    let unit = find(&|p| p.contains("度量单位") || p.contains("计量单位"));
    let target = find(&|p| {
        (p.contains("指标值") || p.contains("内容") || p.ends_with("数值"))
            && !p.contains("运算")
            && !p.contains("度量")
            && !p.contains("计量")
    })
    .or_else(|| find(&|p| p.contains("目标值") && !p.contains("运算") && !p.contains("度量")));
    let actual = find(&|p| p.contains("完成值"));
    Some((
        body,
        IndicatorColumns {
            name,
            operator,
            target,
            unit,
            actual,
        },
    ))
}

/// Indicator rows → target (and actual) facts on `performance.indicator`.
fn read_indicators(table: &Table<'_>, rows: &[Row], owner: &str, out: &mut TableOutput) {
    let Some((body, cols)) = indicator_columns(rows) else {
        return;
    };
    for row in &rows[body..] {
        // The block ends at the next form field (`指标自评得分小计`, `结果应用建议`…).
        let first = row
            .non_empty()
            .next()
            .map(|(_, c)| c.key())
            .unwrap_or_default();
        if first.contains("得分") || first.contains("建议") || first.contains("意见") {
            break;
        }
        let Some(name_cell) = row.cell(cols.name) else {
            continue;
        };
        let name = name_cell.text.trim();
        let item = format!("{owner}/{name}");
        let unit_text = cols
            .unit
            .and_then(|c| row.cell(c))
            .map(|c| c.key())
            .unwrap_or_default();
        let unit = Unit::parse(&unit_text).unwrap_or(Unit::Other);
        let operator = cols
            .operator
            .and_then(|c| row.cell(c))
            .map(|c| c.text.trim().to_string())
            .unwrap_or_default();
        for (col, aspect) in [(cols.target, Aspect::Target), (cols.actual, Aspect::Value)] {
            let Some(cell) = col.and_then(|c| row.cell(c)) else {
                continue;
            };
            let value = match parse_cell(&cell.text) {
                CellValue::Number(v) | CellValue::Percent(v) => Some(v),
                CellValue::Placeholder => None,
                CellValue::Empty | CellValue::Text => continue,
            };
            let slot = Slot::new("performance.indicator", aspect).item(Some(item.clone()));
            let mut fact = table.fact_in(slot, cell, value, unit, name);
            let op = if aspect == Aspect::Target {
                operator.as_str()
            } else {
                ""
            };
            fact.raw = format!("{op}{}{}", cell.text.trim(), unit_text);
            out.facts.push(fact);
        }
    }
}

fn amount_fact(
    table: &Table<'_>,
    metric: &str,
    item: &str,
    aspect: Aspect,
    cell: &Cell,
    out: &mut TableOutput,
) {
    let slot = Slot::new(metric, aspect).item(Some(item.to_string()));
    if let Some(f) = table.value_fact(slot, cell, item) {
        out.facts.push(f);
    }
}

pub(super) fn read_project_targets(table: &Table<'_>, out: &mut TableOutput) {
    let Some(metric) = table.signature.metric.as_deref() else {
        return;
    };
    let Some(project) = text_field(table.rows, &PROJECT_NAME[..2]) else {
        return;
    };
    if let Some((_, cell)) = table.rows.iter().find_map(|r| field(r, BUDGET)) {
        amount_fact(table, metric, &project, Aspect::Budget, cell, out);
    }
    read_indicators(table, table.rows, &project, out);
}

pub(super) fn read_overall_targets(table: &Table<'_>, out: &mut TableOutput) {
    let Some(metric) = table.signature.metric.as_deref() else {
        return;
    };
    // The funds block: rows under a header naming 预算资金情况, until 年度绩效目标.
    let funds_header = table.rows.iter().position(|r| {
        r.non_empty()
            .any(|(_, c)| label_key(&c.text).starts_with("预算资金情况"))
    });
    if let Some(h) = funds_header {
        let value_col = table.rows[h]
            .non_empty()
            .find(|(_, c)| label_key(&c.text).starts_with("预算资金情况"))
            .map(|(i, _)| i);
        for row in &table.rows[h + 1..] {
            let first = row
                .non_empty()
                .next()
                .map(|(_, c)| c.key())
                .unwrap_or_default();
            if first.starts_with("年度绩效") {
                break;
            }
            let (Some(vc), Some((label_col, label))) = (value_col, row.non_empty().next()) else {
                continue;
            };
            if label_col >= vc {
                continue;
            }
            if let Some(cell) = row.cell(vc) {
                amount_fact(table, metric, label.text.trim(), Aspect::Value, cell, out);
            }
        }
    }
    read_indicators(table, table.rows, "部门整体", out);
}

pub(super) fn read_self_evaluation(table: &Table<'_>, out: &mut TableOutput) {
    let Some(metric) = table.signature.metric.as_deref() else {
        return;
    };
    let Some(project) = text_field(table.rows, &PROJECT_NAME[..2]) else {
        return;
    };
    // The funds block as columns: `项目资金 | 年初预算数 | 全年预算数 | 全年执行数 | 分值 |
    // 执行率 | 得分` over a `年度资金总额` row of values.
    let columnar = funds_columns(table.rows);
    if let Some((row, columns)) = &columnar {
        for (c, aspect) in columns {
            if let Some(cell) = row.cell(*c) {
                amount_fact(table, metric, &project, *aspect, cell, out);
            }
        }
    }
    for row in table.rows {
        for (labels, aspect) in [
            (BUDGET, Aspect::Budget),
            (EXECUTED, Aspect::Value),
            (RATE, Aspect::CompletionPct),
        ] {
            if columnar.is_some() {
                break;
            }
            if let Some((_, cell)) = field(row, labels) {
                amount_fact(table, metric, &project, aspect, cell, out);
            }
        }
        if let Some((_, cell)) = field(row, TOTAL_SCORE) {
            if let CellValue::Number(v) = parse_cell(&cell.text) {
                let slot = Slot::new("performance.self_eval_score", Aspect::Value)
                    .item(Some(project.clone()));
                out.facts
                    .push(table.fact_in(slot, cell, Some(v), Unit::Score, &project));
            }
        }
    }
    read_indicators(table, table.rows, &project, out);
}

/// A funds block printed as columns: the header row naming 全年执行数 and the `年度资金总额`
/// row below it, with the column of each aspect (年初预算数 → budget, 全年执行数 → value,
/// 执行率 → completion).
fn funds_columns(rows: &[Row]) -> Option<(&Row, Vec<(usize, Aspect)>)> {
    let h = rows.iter().position(|r| {
        r.printed()
            .filter(|(_, c)| {
                let k = c.key();
                k.starts_with("全年执行数") || k.starts_with("年初预算数") || k == "执行率"
            })
            .count()
            >= 2
    })?;
    let data = rows[h + 1..].iter().take(3).find(|r| {
        r.printed()
            .next()
            .is_some_and(|(_, c)| c.key().starts_with("年度资金总额"))
    })?;
    let mut columns = Vec::new();
    for (c, cell) in rows[h].printed() {
        let k = cell.key();
        let aspect = if k.starts_with("年初预算数") {
            Aspect::Budget
        } else if k.starts_with("全年执行数") {
            Aspect::Value
        } else if k == "执行率" {
            Aspect::CompletionPct
        } else {
            continue;
        };
        columns.push((c, aspect));
    }
    (!columns.is_empty()).then_some((data, columns))
}
