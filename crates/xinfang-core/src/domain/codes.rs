//! The code tables behind every drop-down (信访形式, 信访目的, 事项类别, 办理途径, 内容分类, 行政区划).
//!
//! The app ships a copy of each table in `assets/codes/`. A county administrator can put
//! replacement JSON files in a folder ([`CodeTables::load_dir`]); each file present replaces the
//! bundled table of the same name, so the official provincial tables can be dropped in without a
//! new release (domain.md §7 item 7: the official tables were not available when this was built).

use std::collections::HashMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One row of a code table.
///
/// Only `code` and `name` are common to all tables; the optional fields are used by some tables
/// and absent from the others, which keeps one file format for every table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CodeEntry {
    /// Stable identifier stored in records and sent upstream (e.g. `visit`, `110105`).
    pub code: String,
    /// Chinese display name (e.g. `来访`, `朝阳区`).
    pub name: String,
    /// Code of the parent entry in the same table, for hierarchical tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Depth in a hierarchical table, 1 for top level (regions: 1 province, 2 city, 3 county).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    /// The matter class (a code of [`CodeTable::MatterClasses`]) a purpose or route belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Article of the 2022 《信访工作条例》 the entry comes from, e.g. `31(6)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    /// For channels: whether it counts as online (网上信访占比 counts all but 来信/来访/电话/传真).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<bool>,
    /// For routes: whether choosing it starts the 60-day handling clock (only Art. 31(6)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_handling_clock: Option<bool>,
}

/// The replaceable code tables.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CodeTable {
    /// 信访形式 (letter, visit, online, …).
    Channels,
    /// 信访目的 (求决, 意见建议, 申诉, 揭发控告, 其他).
    Purposes,
    /// 事项类别: the three classes of Arts. 29–31.
    MatterClasses,
    /// 办理途径: the six routes of Art. 31 for 申诉求决 matters.
    Routes,
    /// 内容分类: two-level content category tree.
    ContentCategories,
    /// 行政区划: GB/T 2260 provinces, cities and counties.
    Regions,
}

/// Every table, in declaration order; `CodeTable::index` relies on this order.
const ALL_TABLES: [CodeTable; 6] = [
    CodeTable::Channels,
    CodeTable::Purposes,
    CodeTable::MatterClasses,
    CodeTable::Routes,
    CodeTable::ContentCategories,
    CodeTable::Regions,
];

/// City-level names in the region data that stand for no real place: the statistics bureau
/// inserts them under municipalities and above 省直辖 counties. They are left out of
/// [`CodeTables::region_path`] so slips read "北京市/朝阳区", not "北京市/市辖区/朝阳区".
const PLACEHOLDER_REGION_NAMES: [&str; 4] = [
    "市辖区",
    "县",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
];

/// Deepest region level: 1 province, 2 city, 3 county.
const MAX_REGION_LEVEL: u8 = 3;

impl CodeTable {
    /// File name of the table, both in `assets/codes/` and in an administrator's folder.
    pub fn file_name(self) -> &'static str {
        match self {
            CodeTable::Channels => "channels.json",
            CodeTable::Purposes => "purposes.json",
            CodeTable::MatterClasses => "matter_classes.json",
            CodeTable::Routes => "routes.json",
            CodeTable::ContentCategories => "content_categories.json",
            CodeTable::Regions => "regions.json",
        }
    }

    /// All tables, in a fixed order.
    pub fn all() -> &'static [CodeTable] {
        &ALL_TABLES
    }

    /// Chinese title of the table for settings screens and error messages.
    pub fn title_zh(self) -> &'static str {
        match self {
            CodeTable::Channels => "信访形式",
            CodeTable::Purposes => "信访目的",
            CodeTable::MatterClasses => "事项类别",
            CodeTable::Routes => "办理途径",
            CodeTable::ContentCategories => "内容分类",
            CodeTable::Regions => "行政区划",
        }
    }

    /// The JSON compiled into the binary.
    fn bundled_json(self) -> &'static str {
        match self {
            CodeTable::Channels => include_str!("../../../../assets/codes/channels.json"),
            CodeTable::Purposes => include_str!("../../../../assets/codes/purposes.json"),
            CodeTable::MatterClasses => {
                include_str!("../../../../assets/codes/matter_classes.json")
            }
            CodeTable::Routes => include_str!("../../../../assets/codes/routes.json"),
            CodeTable::ContentCategories => {
                include_str!("../../../../assets/codes/content_categories.json")
            }
            CodeTable::Regions => include_str!("../../../../assets/codes/regions.json"),
        }
    }

    /// Position in [`ALL_TABLES`] and in `CodeTables::tables`.
    fn index(self) -> usize {
        self as usize
    }
}

/// Why a code table could not be loaded. The `file` is the path as given, for the administrator.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// The folder or a file in it could not be read.
    #[error("cannot read code table {file}: {source}")]
    Io {
        /// The path that could not be read.
        file: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A file is not JSON of the expected shape.
    #[error("code table {file} is not a valid JSON code list: {message}")]
    Parse {
        /// The offending file.
        file: String,
        /// The JSON parser's description, with line and column.
        message: String,
    },
    /// A file parsed but breaks a rule (duplicate code, missing parent, empty name, …).
    #[error("code table {file} is invalid: {message}")]
    Invalid {
        /// The offending file.
        file: String,
        /// What is wrong, in Chinese, naming the offending code.
        message: String,
    },
}

impl CodeError {
    /// A complete Chinese sentence for the administrator who supplied the files.
    pub fn message_zh(&self) -> String {
        match self {
            CodeError::Io { file, source } => format!("无法读取代码表文件 {file}：{source}"),
            CodeError::Parse { file, message } => {
                format!("代码表文件 {file} 不是有效的 JSON 代码列表：{message}")
            }
            CodeError::Invalid { file, message } => {
                format!("代码表文件 {file} 内容有误：{message}")
            }
        }
    }
}

/// One loaded table with its lookup indexes.
#[derive(Debug, Clone)]
struct Table {
    entries: Vec<CodeEntry>,
    /// Code → position in `entries`; this is what makes `get` O(1).
    by_code: HashMap<String, usize>,
    /// Parent code → positions of its children, in file order.
    children: HashMap<String, Vec<usize>>,
    /// Positions of entries without a parent, in file order.
    roots: Vec<usize>,
}

/// All code tables, validated and indexed by code.
#[derive(Debug, Clone)]
pub struct CodeTables {
    /// One table per [`CodeTable`], at `CodeTable::index`.
    tables: Vec<Table>,
}

impl CodeTables {
    /// The tables compiled into the app.
    ///
    /// # Panics
    ///
    /// Only if a bundled JSON file is broken, which the test suite rules out.
    pub fn bundled() -> CodeTables {
        let tables = CodeTable::all()
            .iter()
            .map(|&table| {
                let file = format!("assets/codes/{}", table.file_name());
                parse_table(table, &file, table.bundled_json())
                    .unwrap_or_else(|e| panic!("bundled code table is broken: {e}"))
            })
            .collect();
        let tables = CodeTables { tables };
        tables
            .check_classes(|t| format!("assets/codes/{}", t.file_name()))
            .unwrap_or_else(|e| panic!("bundled code tables disagree: {e}"));
        tables
    }

    /// Loads an administrator's folder: each table file present there replaces the bundled one,
    /// the others stay bundled. Every replacement is validated (non-empty, unique codes, non-empty
    /// names, existing parents, consistent levels, known matter classes).
    pub fn load_dir(dir: &Path) -> Result<CodeTables, CodeError> {
        // A mistyped folder would otherwise silently give the bundled tables.
        let meta = std::fs::metadata(dir).map_err(|source| CodeError::Io {
            file: dir.display().to_string(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(CodeError::Io {
                file: dir.display().to_string(),
                source: io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
            });
        }
        let bundled = CodeTables::bundled();
        let mut tables = Vec::with_capacity(CodeTable::all().len());
        for &table in CodeTable::all() {
            let path = dir.join(table.file_name());
            let file = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(json) => tables.push(parse_table(table, &file, &json)?),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    tables.push(bundled.tables[table.index()].clone());
                }
                Err(source) => return Err(CodeError::Io { file, source }),
            }
        }
        let tables = CodeTables { tables };
        tables.check_classes(|t| dir.join(t.file_name()).display().to_string())?;
        Ok(tables)
    }

    /// All entries of a table, in file order.
    pub fn entries(&self, table: CodeTable) -> &[CodeEntry] {
        &self.table(table).entries
    }

    /// The entry with this code, if any.
    pub fn get(&self, table: CodeTable, code: &str) -> Option<&CodeEntry> {
        let t = self.table(table);
        t.by_code.get(code).map(|&i| &t.entries[i])
    }

    /// Whether the table has an entry with this code.
    pub fn contains(&self, table: CodeTable, code: &str) -> bool {
        self.table(table).by_code.contains_key(code)
    }

    /// The Chinese name of a code, if the code exists.
    pub fn name(&self, table: CodeTable, code: &str) -> Option<&str> {
        self.get(table, code).map(|e| e.name.as_str())
    }

    /// Direct children of `parent` (or the top-level entries for `None`), in file order; for
    /// cascading pickers such as province → city → county.
    pub fn children(&self, table: CodeTable, parent: Option<&str>) -> Vec<&CodeEntry> {
        let t = self.table(table);
        let positions = match parent {
            None => t.roots.as_slice(),
            Some(code) => t.children.get(code).map_or(&[][..], Vec::as_slice),
        };
        positions.iter().map(|&i| &t.entries[i]).collect()
    }

    /// The region's names from province down, joined by `/`, e.g. `广东省/深圳市/福田区`.
    ///
    /// Placeholder city levels (`市辖区`, `省直辖县级行政区划`, …) are skipped, so `110105` gives
    /// `北京市/朝阳区`. `None` if the code is not in the region table.
    pub fn region_path(&self, code: &str) -> Option<String> {
        let table = self.table(CodeTable::Regions);
        let mut names = Vec::new();
        let mut current = self.get(CodeTable::Regions, code)?;
        // Validation guarantees parent chains end; the bound is a second line of defence.
        for _ in 0..table.entries.len() {
            let placeholder = PLACEHOLDER_REGION_NAMES.contains(&current.name.as_str());
            if !placeholder || current.parent.is_none() {
                names.push(current.name.as_str());
            }
            match current.parent.as_deref() {
                Some(parent) => current = self.get(CodeTable::Regions, parent)?,
                None => break,
            }
        }
        names.reverse();
        Some(names.join("/"))
    }

    fn table(&self, table: CodeTable) -> &Table {
        &self.tables[table.index()]
    }

    /// Checks that every `class` in purposes and routes names an existing matter class.
    fn check_classes(&self, file_of: impl Fn(CodeTable) -> String) -> Result<(), CodeError> {
        for table in [CodeTable::Purposes, CodeTable::Routes] {
            for entry in self.entries(table) {
                if let Some(class) = &entry.class
                    && !self.contains(CodeTable::MatterClasses, class)
                {
                    return Err(CodeError::Invalid {
                        file: file_of(table),
                        message: format!("代码 {} 的 class「{class}」不在事项类别表中", entry.code),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Parses one table's JSON, validates it and builds its indexes.
fn parse_table(table: CodeTable, file: &str, json: &str) -> Result<Table, CodeError> {
    let entries: Vec<CodeEntry> = serde_json::from_str(json).map_err(|e| CodeError::Parse {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    build_table(table, entries).map_err(|message| CodeError::Invalid {
        file: file.to_owned(),
        message,
    })
}

/// Validates entries and builds the indexes; the error is a Chinese message naming the code.
fn build_table(table: CodeTable, entries: Vec<CodeEntry>) -> Result<Table, String> {
    if entries.is_empty() {
        return Err(format!("{}表中没有任何条目", table.title_zh()));
    }
    let mut by_code = HashMap::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let code = entry.code.as_str();
        if code.trim().is_empty() || code.trim() != code {
            return Err(format!("第 {} 条的代码「{code}」为空或带有空格", i + 1));
        }
        if entry.name.trim().is_empty() {
            return Err(format!("代码 {code} 的名称为空"));
        }
        if by_code.insert(code.to_owned(), i).is_some() {
            return Err(format!("代码 {code} 重复出现"));
        }
        check_required_fields(table, entry)?;
    }

    let mut children: HashMap<String, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let code = entry.code.as_str();
        let Some(parent_code) = entry.parent.as_deref() else {
            if entry.level.is_some_and(|level| level != 1) {
                return Err(format!("代码 {code} 没有上级，层级应为 1"));
            }
            roots.push(i);
            continue;
        };
        if parent_code == code {
            return Err(format!("代码 {code} 的上级是它自己"));
        }
        let Some(&parent_index) = by_code.get(parent_code) else {
            return Err(format!("代码 {code} 的上级 {parent_code} 不存在"));
        };
        let parent_level = entries[parent_index].level;
        if let (Some(level), Some(parent_level)) = (entry.level, parent_level)
            && level != parent_level.saturating_add(1)
        {
            return Err(format!(
                "代码 {code} 的层级为 {level}，但上级 {parent_code} 的层级为 {parent_level}"
            ));
        }
        children.entry(parent_code.to_owned()).or_default().push(i);
    }
    check_no_cycles(&entries, &by_code)?;
    Ok(Table {
        entries,
        by_code,
        children,
        roots,
    })
}

/// Per-table fields the rest of the app depends on.
fn check_required_fields(table: CodeTable, entry: &CodeEntry) -> Result<(), String> {
    let code = &entry.code;
    match table {
        // 网上信访占比 needs to know, for every channel, whether it is online.
        CodeTable::Channels if entry.online.is_none() => {
            Err(format!("信访形式 {code} 缺少 online（是否网上渠道）"))
        }
        // Deadlines depend on this flag; a missing one must not silently mean "no clock".
        CodeTable::Routes if entry.starts_handling_clock.is_none() => Err(format!(
            "办理途径 {code} 缺少 starts_handling_clock（是否启动60日办理时限）"
        )),
        // region_path and pickers assume exactly three levels with levels on every row.
        CodeTable::Regions => match entry.level {
            Some(1..=MAX_REGION_LEVEL) => Ok(()),
            Some(level) => Err(format!("行政区划 {code} 的层级 {level} 不在 1–3 之间")),
            None => Err(format!("行政区划 {code} 缺少 level（层级）")),
        },
        _ => Ok(()),
    }
}

/// Refuses parent chains that loop, which levels alone do not rule out when levels are absent.
fn check_no_cycles(entries: &[CodeEntry], by_code: &HashMap<String, usize>) -> Result<(), String> {
    for entry in entries {
        let mut current = entry;
        let mut steps = 0;
        while let Some(parent) = current.parent.as_deref() {
            steps += 1;
            if steps > entries.len() {
                return Err(format!("代码 {} 的上级关系形成了循环", entry.code));
            }
            // Every parent was checked to exist before this is called.
            let Some(&i) = by_code.get(parent) else {
                break;
            };
            current = &entries[i];
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, table: CodeTable, json: &str) {
        std::fs::write(dir.join(table.file_name()), json).expect("write test table");
    }

    fn invalid_message(result: Result<CodeTables, CodeError>) -> String {
        match result {
            Err(CodeError::Invalid { message, .. }) => message,
            other => panic!("expected an Invalid error, got {other:?}"),
        }
    }

    #[test]
    fn all_lists_every_table_in_index_order() {
        for (i, table) in CodeTable::all().iter().enumerate() {
            assert_eq!(table.index(), i);
        }
        assert_eq!(CodeTable::all().len(), 6);
    }

    #[test]
    fn bundled_tables_parse_and_validate() {
        let tables = CodeTables::bundled();
        for &table in CodeTable::all() {
            assert!(!tables.entries(table).is_empty(), "{table:?} is empty");
            assert!(!table.title_zh().is_empty());
        }
        assert_eq!(tables.entries(CodeTable::Channels).len(), 9);
        assert_eq!(tables.entries(CodeTable::Purposes).len(), 5);
        assert_eq!(tables.entries(CodeTable::MatterClasses).len(), 3);
        assert_eq!(tables.entries(CodeTable::Routes).len(), 6);
    }

    #[test]
    fn only_letter_visit_phone_and_fax_are_offline_channels() {
        let tables = CodeTables::bundled();
        let mut offline: Vec<&str> = tables
            .entries(CodeTable::Channels)
            .iter()
            .filter(|e| e.online == Some(false))
            .map(|e| e.name.as_str())
            .collect();
        offline.sort_unstable();
        let mut expected = vec!["来信", "来访", "电话信访", "传真"];
        expected.sort_unstable();
        assert_eq!(offline, expected);
    }

    #[test]
    fn only_the_petition_procedure_route_starts_the_handling_clock() {
        let tables = CodeTables::bundled();
        let starting: Vec<&str> = tables
            .entries(CodeTable::Routes)
            .iter()
            .filter(|e| e.starts_handling_clock == Some(true))
            .map(|e| e.code.as_str())
            .collect();
        assert_eq!(starting, ["petition_procedure"]);
        let route = tables
            .get(CodeTable::Routes, "petition_procedure")
            .expect("route exists");
        assert_eq!(route.article.as_deref(), Some("31(6)"));
    }

    #[test]
    fn purposes_map_to_the_classes_of_domain_md() {
        let tables = CodeTables::bundled();
        let class = |code: &str| {
            tables
                .get(CodeTable::Purposes, code)
                .and_then(|e| e.class.as_deref())
        };
        assert_eq!(class("demand"), Some("appeal_demand"));
        assert_eq!(class("appeal"), Some("appeal_demand"));
        assert_eq!(class("suggestion"), Some("suggestion"));
        assert_eq!(class("accusation"), Some("accusation"));
        // 其他 has no fixed class: the clerk has to choose one.
        assert_eq!(class("other"), None);
    }

    #[test]
    fn every_region_parent_chain_reaches_a_province() {
        let tables = CodeTables::bundled();
        let regions = tables.entries(CodeTable::Regions);
        assert!(regions.len() > 3000, "only {} regions", regions.len());
        for region in regions {
            let mut current = region;
            let mut hops = 0;
            while let Some(parent) = current.parent.as_deref() {
                current = tables
                    .get(CodeTable::Regions, parent)
                    .expect("parent exists");
                hops += 1;
            }
            assert_eq!(
                current.level,
                Some(1),
                "{} ends at {}",
                region.code,
                current.code
            );
            assert_eq!(region.level, Some(1 + hops), "{}", region.code);
            assert_eq!(&region.code[..2], &current.code[..2], "{}", region.code);
        }
    }

    #[test]
    fn region_codes_resolve_to_readable_paths() {
        let tables = CodeTables::bundled();
        assert_eq!(
            tables.region_path("110105").as_deref(),
            Some("北京市/朝阳区")
        );
        assert_eq!(
            tables.region_path("440304").as_deref(),
            Some("广东省/深圳市/福田区")
        );
        assert_eq!(
            tables.region_path("440300").as_deref(),
            Some("广东省/深圳市")
        );
        assert_eq!(tables.region_path("440000").as_deref(), Some("广东省"));
        assert_eq!(
            tables.region_path("500235").as_deref(),
            Some("重庆市/云阳县")
        );
        assert_eq!(
            tables.region_path("429004").as_deref(),
            Some("湖北省/仙桃市")
        );
        assert_eq!(tables.name(CodeTable::Regions, "110100"), Some("市辖区"));
        assert_eq!(
            tables
                .get(CodeTable::Regions, "110105")
                .and_then(|e| e.parent.as_deref()),
            Some("110100")
        );
    }

    #[test]
    fn unknown_codes_are_none() {
        let tables = CodeTables::bundled();
        assert_eq!(tables.region_path("999999"), None);
        assert_eq!(tables.get(CodeTable::Channels, "carrier_pigeon"), None);
        assert_eq!(tables.name(CodeTable::Purposes, ""), None);
        assert!(!tables.contains(CodeTable::Routes, "visit"));
        assert!(tables.contains(CodeTable::Channels, "visit"));
        assert_eq!(tables.name(CodeTable::Channels, "visit"), Some("来访"));
    }

    #[test]
    fn children_list_the_next_level_in_file_order() {
        let tables = CodeTables::bundled();
        let top = tables.children(CodeTable::ContentCategories, None);
        assert!(top.len() >= 12);
        let labour = tables.children(CodeTable::ContentCategories, Some("labour"));
        assert!(
            labour
                .iter()
                .any(|e| e.code == "labour_wages" && e.name == "劳动社保_拖欠工资")
        );
        let shenzhen = tables.children(CodeTable::Regions, Some("440300"));
        assert!(shenzhen.iter().any(|e| e.name == "福田区"));
        assert!(
            tables
                .children(CodeTable::Regions, Some("no_such_code"))
                .is_empty()
        );
    }

    #[test]
    fn load_dir_replaces_only_the_tables_present() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            CodeTable::Channels,
            r#"[{"code": "visit", "name": "走访", "online": false},
                {"code": "app", "name": "信访APP", "online": true}]"#,
        );
        let tables = CodeTables::load_dir(dir.path()).expect("valid replacement");
        assert_eq!(tables.entries(CodeTable::Channels).len(), 2);
        assert_eq!(tables.name(CodeTable::Channels, "visit"), Some("走访"));
        assert!(!tables.contains(CodeTable::Channels, "letter"));
        let bundled = CodeTables::bundled();
        for table in [
            CodeTable::Purposes,
            CodeTable::Regions,
            CodeTable::ContentCategories,
        ] {
            assert_eq!(tables.entries(table), bundled.entries(table), "{table:?}");
        }
    }

    #[test]
    fn load_dir_refuses_a_duplicate_code() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            CodeTable::Channels,
            r#"[{"code": "visit", "name": "来访", "online": false},
                {"code": "visit", "name": "走访", "online": false}]"#,
        );
        let message = invalid_message(CodeTables::load_dir(dir.path()));
        assert!(
            message.contains("visit") && message.contains("重复"),
            "{message}"
        );
    }

    #[test]
    fn load_dir_refuses_a_missing_parent_or_empty_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            CodeTable::ContentCategories,
            r#"[{"code": "a", "name": "甲"}, {"code": "a_b", "name": "甲_乙", "parent": "x"}]"#,
        );
        let message = invalid_message(CodeTables::load_dir(dir.path()));
        assert!(message.contains("上级 x 不存在"), "{message}");

        write(
            dir.path(),
            CodeTable::ContentCategories,
            r#"[{"code": "a", "name": " "}]"#,
        );
        let message = invalid_message(CodeTables::load_dir(dir.path()));
        assert!(message.contains("名称为空"), "{message}");
    }

    #[test]
    fn load_dir_refuses_a_parent_cycle() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            CodeTable::ContentCategories,
            r#"[{"code": "a", "name": "甲", "parent": "b"}, {"code": "b", "name": "乙", "parent": "a"}]"#,
        );
        let message = invalid_message(CodeTables::load_dir(dir.path()));
        assert!(message.contains("循环"), "{message}");
    }

    #[test]
    fn load_dir_refuses_regions_with_inconsistent_levels() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            CodeTable::Regions,
            r#"[{"code": "110000", "name": "北京市", "level": 1},
                {"code": "110105", "name": "朝阳区", "parent": "110000", "level": 3}]"#,
        );
        let message = invalid_message(CodeTables::load_dir(dir.path()));
        assert!(message.contains("110105"), "{message}");
    }

    #[test]
    fn load_dir_refuses_a_purpose_with_an_unknown_class() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            CodeTable::Purposes,
            r#"[{"code": "x", "name": "某", "class": "nope"}]"#,
        );
        let message = invalid_message(CodeTables::load_dir(dir.path()));
        assert!(message.contains("nope"), "{message}");
    }

    #[test]
    fn load_dir_refuses_a_channel_without_the_online_flag() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            CodeTable::Channels,
            r#"[{"code": "visit", "name": "来访"}]"#,
        );
        let message = invalid_message(CodeTables::load_dir(dir.path()));
        assert!(message.contains("online"), "{message}");
    }

    #[test]
    fn load_dir_reports_broken_json_and_missing_folders() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), CodeTable::Routes, "[{");
        let err = CodeTables::load_dir(dir.path()).expect_err("broken JSON");
        assert!(matches!(err, CodeError::Parse { .. }), "{err:?}");
        assert!(err.message_zh().contains("routes.json"));

        let missing = dir.path().join("no_such_folder");
        let err = CodeTables::load_dir(&missing).expect_err("missing folder");
        assert!(matches!(err, CodeError::Io { .. }), "{err:?}");
    }

    #[test]
    fn entries_round_trip_through_json_without_empty_fields() {
        let tables = CodeTables::bundled();
        let entry = tables
            .get(CodeTable::Channels, "visit")
            .expect("visit exists");
        let json = serde_json::to_string(entry).expect("serialise");
        assert_eq!(json, r#"{"code":"visit","name":"来访","online":false}"#);
        let back: CodeEntry = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(&back, entry);
    }
}
