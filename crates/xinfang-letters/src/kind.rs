//! The closed list of document kinds this crate renders, with their stored codes and names.

use serde::{Deserialize, Serialize};

/// One kind of document. The snake_case code is also the template file name
/// (`assets/templates/<code>.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// 排队取号凭条: the queue ticket printed on an 80 mm roll.
    Ticket,
    /// 来访登记回执: the receipt a visitor takes home (Art. 23(2)).
    VisitReceipt,
    /// 受理告知书 (接收情况告知书): acceptance, route and procedure (Art. 23).
    AcceptanceNotice,
    /// 不予受理告知书: not accepted, with the reason and the proper channel.
    NonAcceptanceNotice,
    /// 不再受理告知书: same facts and reasons after 复核 (Art. 36(3)).
    NoLongerAcceptedNotice,
    /// 转送函: forwarding to the body with authority, with a 签收 stub (Art. 22).
    ForwardLetter,
    /// 交办单: assignment with a feedback date and a 签收 stub.
    AssignmentSheet,
    /// 延期办理告知书: extension of the 60-day limit by at most 30 days (Art. 34).
    ExtensionNotice,
    /// 信访事项处理意见书: the handling opinion with per-item decisions (Art. 32).
    HandlingOpinion,
    /// 复查意见书: the review opinion (Art. 35).
    ReviewOpinion,
    /// 复核意见书: the second-review opinion (Art. 36).
    RecheckOpinion,
    /// 接谈记录: the interview record with signature lines.
    InterviewRecord,
    /// 催办函: a reminder to a receiving body.
    UrgeLetter,
    /// 督办函: formal supervision of a receiving body (Art. 40).
    SuperviseLetter,
    /// 信访工作报告: the monthly or annual report of a centre (Art. 41), not tied to a case.
    WorkReport,
}

impl DocKind {
    /// Every kind, in the order they usually occur in a matter's life.
    pub const ALL: [DocKind; 15] = [
        DocKind::Ticket,
        DocKind::VisitReceipt,
        DocKind::AcceptanceNotice,
        DocKind::NonAcceptanceNotice,
        DocKind::NoLongerAcceptedNotice,
        DocKind::ForwardLetter,
        DocKind::AssignmentSheet,
        DocKind::ExtensionNotice,
        DocKind::HandlingOpinion,
        DocKind::ReviewOpinion,
        DocKind::RecheckOpinion,
        DocKind::InterviewRecord,
        DocKind::UrgeLetter,
        DocKind::SuperviseLetter,
        DocKind::WorkReport,
    ];

    /// The stored code, equal to the serde name and the template file stem.
    pub fn code(self) -> &'static str {
        match self {
            DocKind::Ticket => "ticket",
            DocKind::VisitReceipt => "visit_receipt",
            DocKind::AcceptanceNotice => "acceptance_notice",
            DocKind::NonAcceptanceNotice => "non_acceptance_notice",
            DocKind::NoLongerAcceptedNotice => "no_longer_accepted_notice",
            DocKind::ForwardLetter => "forward_letter",
            DocKind::AssignmentSheet => "assignment_sheet",
            DocKind::ExtensionNotice => "extension_notice",
            DocKind::HandlingOpinion => "handling_opinion",
            DocKind::ReviewOpinion => "review_opinion",
            DocKind::RecheckOpinion => "recheck_opinion",
            DocKind::InterviewRecord => "interview_record",
            DocKind::UrgeLetter => "urge_letter",
            DocKind::SuperviseLetter => "supervise_letter",
            DocKind::WorkReport => "work_report",
        }
    }

    /// The Chinese name, as used in error messages and the UI.
    pub fn name_zh(self) -> &'static str {
        match self {
            DocKind::Ticket => "排队取号凭条",
            DocKind::VisitReceipt => "来访登记回执",
            DocKind::AcceptanceNotice => "受理告知书",
            DocKind::NonAcceptanceNotice => "不予受理告知书",
            DocKind::NoLongerAcceptedNotice => "不再受理告知书",
            DocKind::ForwardLetter => "转送函",
            DocKind::AssignmentSheet => "交办单",
            DocKind::ExtensionNotice => "延期办理告知书",
            DocKind::HandlingOpinion => "处理意见书",
            DocKind::ReviewOpinion => "复查意见书",
            DocKind::RecheckOpinion => "复核意见书",
            DocKind::InterviewRecord => "接谈记录",
            DocKind::UrgeLetter => "催办函",
            DocKind::SuperviseLetter => "督办函",
            DocKind::WorkReport => "信访工作报告",
        }
    }

    /// Looks a kind up by its stored code.
    pub fn from_code(code: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// The queue ticket is the one kind set on a roll instead of A4.
    pub fn is_ticket(self) -> bool {
        self == DocKind::Ticket
    }
}
