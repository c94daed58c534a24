//! Workbook labels in Chinese (default) and English (`language = "en"`).

use crate::pipeline::Language;

/// A label in both languages.
#[derive(Clone, Copy, Debug)]
pub struct L(pub &'static str, pub &'static str);

impl L {
    pub fn get(self, lang: Language) -> &'static str {
        match lang {
            Language::Zh => self.0,
            Language::En => self.1,
        }
    }
}

pub const SHEET_OVERVIEW: L = L("概览", "Overview");
pub const SHEET_DEPARTMENTS: L = L("部门年度", "Departments");
pub const SHEET_TRENDS: L = L("趋势", "Trends");
pub const SHEET_ANOMALIES: L = L("异常", "Anomalies");
pub const SHEET_STATISTICS: L = L("统计", "Statistics");
pub const SHEET_FACTS: L = L("明细", "Facts");
pub const SHEET_INPUTS: L = L("输入", "Inputs");
pub const SHEET_RULES: L = L("规则", "Rules");

pub const ITEM: L = L("项目", "Item");
pub const VALUE: L = L("值", "Value");
pub const GENERATED_AT: L = L("生成时间（UTC）", "Generated at (UTC)");
pub const PIPELINE: L = L("流水线文件", "Pipeline file");
pub const INPUT_FILES: L = L("输入文件数", "Input files");
pub const DOCUMENTS: L = L("纳入文档数", "Documents included");
pub const FACTS: L = L("事实数", "Facts");
pub const FAILED_INPUTS: L = L("读取失败的输入", "Failed inputs");
pub const FILTERED_INPUTS: L = L("被筛选排除的输入", "Inputs filtered out");
pub const DEPARTMENTS_N: L = L("部门数", "Departments");
pub const ANOMALIES_BY_SEVERITY: L = L("异常（按严重程度）", "Anomalies by severity");
pub const ANOMALIES_BY_RULE: L = L("异常（按规则）", "Anomalies by rule");

pub const DEPARTMENT: L = L("部门", "Department");
pub const IDENTITY: L = L("部门身份", "Department identity");
pub const NAMES: L = L("历年名称", "Names over the years");
pub const REGION: L = L("地区", "Region");
pub const YEAR: L = L("年度", "Year");
pub const KIND: L = L("类型", "Kind");
pub const ERRORS: L = L("错误", "Errors");
pub const WARNINGS: L = L("警告", "Warnings");
pub const INFOS: L = L("提示", "Info");
pub const FILE: L = L("文件", "File");

pub const METRIC: L = L("指标", "Metric");
pub const METRIC_KEY: L = L("指标键", "Metric key");
pub const CODE: L = L("科目编码", "Code");
pub const CODE_NAME: L = L("科目名称", "Class name");
pub const YOY: L = L("最近同比", "Latest YoY");
pub const CAGR: L = L("年均增长率", "CAGR");
pub const SPARKLINE: L = L("走势", "Trend");
pub const DERIVED_YEARS: L = L(
    "推算年份（据次年“与上年相比”）",
    "Derived years (from next year's YoY statement)",
);

pub const SEVERITY: L = L("严重程度", "Severity");
pub const RULE: L = L("规则", "Rule");
pub const MESSAGE: L = L("说明", "Message");
pub const EVIDENCE: L = L("原文证据", "Evidence");
pub const LOCATION: L = L("位置", "Location");
pub const EXPECTED: L = L("预期", "Expected");
pub const FOUND: L = L("实际", "Found");
pub const DIFFERENCE: L = L("差额", "Difference");
pub const ITEM_NAME: L = L("项目名称", "Item");

pub const COUNT: L = L("数量", "Count");
pub const SUM: L = L("合计", "Sum");
pub const MEAN: L = L("平均", "Mean");
pub const MEDIAN: L = L("中位数", "Median");
pub const P10: L = L("P10", "P10");
pub const P90: L = L("P90", "P90");
pub const MIN: L = L("最小", "Min");
pub const MAX: L = L("最大", "Max");
pub const CLASS_TOTALS: L = L("按功能分类合计", "Totals by function class");
pub const MEASURE: L = L("口径", "Measure");
pub const DEPARTMENT_COUNT: L = L("部门数", "Departments");
pub const TOTAL: L = L("合计", "Total");
pub const EXECUTION: L = L("预算与决算（执行率）", "Budget vs final (execution)");
pub const BUDGET: L = L("预算数", "Budget");
pub const ACTUAL: L = L("决算数", "Final");
pub const EXECUTION_PCT: L = L("执行率", "Execution");
pub const NONE_YET: L = L(
    "无：没有部门同一年度同时有预算和决算",
    "None: no department has both a budget and a final account for one year",
);

pub const STATUS: L = L("状态", "Status");
pub const ENCODING: L = L("编码", "Encoding");
pub const TABLES: L = L("识别的表", "Tables recognized");
pub const PROBLEMS: L = L("错误信息", "Errors");

pub const SCOPE: L = L("范围", "Scope");
pub const DESCRIPTION: L = L("说明", "Description");
pub const THRESHOLDS: L = L("本次阈值", "Thresholds used");
pub const ENABLED: L = L("启用", "Enabled");
pub const FLAGGED: L = L("本次标记", "Flagged this run");
pub const NOT_RUN: L = L("未能运行的文档数", "Documents where it could not run");

pub fn severity(s: crate::model::Severity, lang: Language) -> &'static str {
    use crate::model::Severity::*;
    match (s, lang) {
        (Error, Language::Zh) => "错误",
        (Warning, Language::Zh) => "警告",
        (Info, Language::Zh) => "提示",
        (s, Language::En) => s.as_str(),
    }
}

pub fn kind(k: &str, lang: Language) -> &str {
    match (k, lang) {
        ("budget", Language::Zh) => "预算",
        ("final", Language::Zh) => "决算",
        (k, _) => k,
    }
}

pub const SHEET_CHANGES: L = L("变更", "Changes");
pub const CHANGE: L = L("变更类别", "Change");
pub const SUBJECT: L = L("对象", "Subject");
pub const DETAIL: L = L("内容", "Detail");
pub const BEFORE: L = L("之前", "Before");
pub const AFTER: L = L("之后", "After");
pub const FIRST_RUN: L = L("首次运行", "First run");
pub const NO_CHANGE: L = L("无变化", "No change");
pub const SINCE: L = L("对比的上次运行（UTC）", "Compared with the run of (UTC)");
pub const DOC_ADDED: L = L("新增文档", "Document added");
pub const DOC_CHANGED: L = L("内容有变化的文档", "Document changed");
pub const DOC_REMOVED: L = L("移除的文档", "Document removed");
pub const ANOMALY_NEW: L = L("新出现的异常", "New anomaly");
pub const ANOMALY_RESOLVED: L = L("已消除的异常", "Resolved anomaly");
pub const FIGURE_CHANGED: L = L("数据有变化", "Figure changed");
pub const MORE_IN_RUN_JSON: L = L("另有{n}条，见 run.json", "{n} more: see run.json");

pub const GENERATED_AT_LOCAL: L = L("生成时间（北京时间）", "Generated at (Asia/Shanghai)");
pub const RULE_ID: L = L("规则编号", "Rule id");
pub const UNIT: L = L("单位", "Unit");
pub const MATERIALITY: L = L("涉及金额（万元）", "Amount involved (10k yuan)");
pub const OCCURRENCES: L = L("处数", "Occurrences");
pub const OTHER_FILES: L = L("同一文档的其他文件", "Other files of the document");
pub const TEMPLATE_SUMMARY: L = L(
    "未填写的模板（{rule}）：共{n}处，首处为“{first}”",
    "Unfilled template ({rule}): {n} occurrences, the first “{first}”",
);

pub const SHEET_PROFILE: L = L("部门画像", "Department profile");
pub const SHEET_CHARTS: L = L("图表", "Charts");
pub const PICK_DEPARTMENT: L = L("选择部门（下拉）", "Pick a department (drop-down)");
pub const DEPARTMENT_NAME: L = L("部门名称", "Department name");
pub const PROFILE_HINT: L = L(
    "在B1选择部门，下表、图表与异常计数随之更新（公式取自“部门年度”表）",
    "Pick a department in B1; the table, chart and flag counts below follow (formulas over the Departments sheet)",
);
pub const DEPARTMENT_LIST: L = L("部门清单", "Departments");
pub const TOTALS_BY_YEAR: L = L(
    "全部部门合计（按年度、类型）",
    "Totals of all departments by year and kind",
);
pub const DISTRIBUTION: L = L(
    "各部门分布（P10、四分位、中位数、P90）",
    "Distribution across departments (P10, quartiles, median, P90)",
);
pub const TOP_MOVERS: L = L("变动最大的部门", "Top movers");
pub const P25: L = L("P25（下四分位）", "P25 (lower quartile)");
pub const P75: L = L("P75（上四分位）", "P75 (upper quartile)");
pub const PRIOR: L = L("上年", "Prior year");
pub const LATEST: L = L("本年", "Latest year");
pub const CHANGE_AMOUNT: L = L("增减额", "Change");
pub const CHANGE_PCT: L = L("增减率", "Change %");
pub const NO_DATA: L = L("无数据", "No data");

/// An input's status: 成功/部分/失败/已筛除.
pub fn status(s: crate::analysis::InputStatus, lang: Language) -> &'static str {
    use crate::analysis::InputStatus::*;
    match (s, lang) {
        (Ok, Language::Zh) => "成功",
        (Partial, Language::Zh) => "部分",
        (Failed, Language::Zh) => "失败",
        (Filtered, Language::Zh) => "已筛除",
        (s, Language::En) => s.as_str(),
    }
}

/// A rule's scope.
pub fn scope(s: crate::catalog::Scope, lang: Language) -> &'static str {
    match (s, lang) {
        (crate::catalog::Scope::Document, Language::Zh) => "单个文档",
        (crate::catalog::Scope::Archive, Language::Zh) => "全部档案",
        (s, Language::En) => s.as_str(),
    }
}

/// A rule's short name (`分项之和与合计不符`), or its id when the catalog does not know it.
pub fn rule_name(id: &str, lang: Language) -> String {
    match crate::catalog::catalog().rule(id) {
        Some(def) => match lang {
            Language::Zh => def.name_zh.clone(),
            Language::En => def.name_en.clone(),
        },
        None => id.to_string(),
    }
}

/// A location as [`crate::model::Location`] prints it, in the workbook's language:
/// `line 45` → `第45行`, `page 2, line 7` → `第2页第7行`; cells stay `Sheet!B4`.
pub fn location(text: &str, lang: Language) -> String {
    use crate::model::Location;
    match (lang, Location::parse(text)) {
        (Language::Zh, Some(Location::Line(n))) => format!("第{n}行"),
        (Language::Zh, Some(Location::Page { page, line })) => format!("第{page}页第{line}行"),
        _ => text.to_string(),
    }
}

/// A fact's source: `prose` → 正文, `table:公开01表` → 表格：公开01表.
pub fn source(text: &str, lang: Language) -> String {
    match lang {
        Language::En => text.to_string(),
        Language::Zh => match text.strip_prefix("table:") {
            Some(name) => format!("表格：{name}"),
            None if text == "prose" => "正文".to_string(),
            None => text.to_string(),
        },
    }
}

/// A fact's aspect (SPEC §3) in Chinese.
pub fn aspect(a: &str, lang: Language) -> &str {
    match (a, lang) {
        ("value", Language::Zh) => "数值",
        ("share_pct", Language::Zh) => "占比",
        ("yoy_delta", Language::Zh) => "增减额",
        ("yoy_pct", Language::Zh) => "增减率",
        ("completion_pct", Language::Zh) => "完成率",
        ("budget", Language::Zh) => "预算数",
        ("target", Language::Zh) => "目标值",
        ("prior", Language::Zh) => "上年数",
        (a, _) => a,
    }
}

/// The 明细 sheet's header for a fact-table column (SPEC §3 names in English mode).
pub fn fact_column(name: &str, lang: Language) -> String {
    let zh = match name {
        "doc_id" => "文档编号",
        "department" => "部门",
        "department_key" => "部门身份",
        "region" => "地区",
        "fiscal_year" => "年度",
        "kind" => "类型",
        "metric" => "指标键",
        "metric_name" => "指标",
        "code" => "科目编码",
        "item" => "项目名称",
        "aspect" => "口径",
        "period" => "所属年度",
        "value" => "数值",
        "unit" => "单位",
        "raw" => "原文",
        "source" => "来源",
        "file" => "文件",
        "location" => "位置",
        "primary" => "代表值",
        other => other,
    };
    match lang {
        Language::Zh => zh.to_string(),
        Language::En => name.to_string(),
    }
}
pub const ITEM_OR_CLASS: L = L("项目或科目名称", "Item or class");
