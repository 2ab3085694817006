//! The operation surface: typed inputs and outputs in the UI's terms, and one function per
//! operation. `ops::OPERATIONS` lists them; the CLI, HTTP and Tauri adapters only dispatch.
//!
//! Each function takes the register and the acting `Session`, validates its input into stored
//! form (every rejection names its field, in Chinese), and writes through `Register::write`, so
//! one call is one transaction.

mod audit;
mod calendar;
mod hall;
mod hall_stats;
mod indicators;
mod letters;
mod matter;
mod person;
mod report;
mod risk;
mod search;
mod supervision;
mod sync;
mod system;
mod workflow;

pub use audit::*;
pub use calendar::*;
pub use hall::*;
pub use hall_stats::*;
pub use indicators::*;
pub use letters::*;
pub use matter::*;
pub use person::*;
pub use report::*;
pub use risk::*;
pub use search::*;
pub use supervision::*;
pub use sync::*;
pub use system::*;
pub use workflow::*;

use chrono::NaiveDate;

use crate::{Error, Result, auth::Session, model::Role};

/// Roles cleared for 检举控告 content and the reporter's identity (《信访工作条例》Art. 30(3)):
/// those who handle and supervise cases. Whoever registers an accusation sees what they typed
/// once; after that, the guide and interviewer desks, the system administrator and the other
/// administrators neither open it, find it in a search nor see it in a person's history.
pub const ACCUSATION_CLEARED: &[Role] = &[Role::Handler, Role::Supervisor];

/// Whether `who` is cleared for 检举控告.
pub fn cleared_for_accusations(who: &Session) -> bool {
    ACCUSATION_CLEARED.contains(&who.role)
}

/// Refuses `who` a 检举控告 matter they are not cleared for (`confidential`); a matter that
/// does not exist is left for the caller's own not-found answer.
pub(crate) fn check_confidential(
    conn: &rusqlite::Connection,
    who: &Session,
    matter_id: uuid::Uuid,
) -> Result<()> {
    if cleared_for_accusations(who) {
        return Ok(());
    }
    let class: Option<String> = conn
        .prepare_cached("SELECT matter_class FROM matters WHERE id = ?1")?
        .query_row([matter_id.to_string()], |r| r.get(0))
        .ok();
    if class.as_deref() == Some("accusation") {
        return Err(Error::Account {
            code: "confidential",
            message:
                "检举控告事项的内容和检举人身份仅限办理人、负责人查看（《信访工作条例》第三十条）"
                    .into(),
        });
    }
    Ok(())
}

/// Largest number of characters accepted in each kind of text field. Generous for real use;
/// their job is to stop a pasted file or an attack from bloating the register.
pub mod limits {
    /// Names of people and users.
    pub const NAME: usize = 50;
    /// Addresses, workplaces, units.
    pub const ADDRESS: usize = 200;
    /// 概况.
    pub const SUMMARY: usize = 500;
    /// 诉求.
    pub const REQUEST: usize = 4_000;
    /// 事实和理由, notes.
    pub const LONG_TEXT: usize = 20_000;
    /// Short codes and identifiers.
    pub const CODE: usize = 64;
}

/// Trims a required text field and checks its length.
pub(crate) fn required_text(value: &str, field: &str, label: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::required(field, label));
    }
    check_len(value, field, label, max)?;
    Ok(value.to_owned())
}

/// Trims an optional text field; blank becomes `None`.
pub(crate) fn optional_text(
    value: Option<&str>,
    field: &str,
    label: &str,
    max: usize,
) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => {
            check_len(value, field, label, max)?;
            Ok(Some(value.to_owned()))
        }
    }
}

fn check_len(value: &str, field: &str, label: &str, max: usize) -> Result<()> {
    let len = value.chars().count();
    if len > max {
        return Err(Error::field(
            "too_long",
            field,
            format!("{label}过长：最多{max}个字，当前{len}个字"),
        ));
    }
    Ok(())
}

/// Parses a stored `YYYY-MM-DD` date.
pub(crate) fn parse_date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

/// The Chinese name of a code, or the code itself when the table no longer has it (an old
/// record after an administrator replaced a table must still display).
pub(crate) fn code_name(
    codes: &crate::domain::codes::CodeTables,
    table: crate::domain::codes::CodeTable,
    code: &str,
) -> String {
    codes.name(table, code).unwrap_or(code).to_owned()
}
