//! Small closed vocabularies shared by events, projections and the API: roles, statuses, step
//! kinds, identity-document types. Their snake_case codes are stored and sent on the wire, so
//! they only ever grow.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal / $zh:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored code.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// The Chinese name shown to staff.
            pub fn name_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            /// Parses a stored code.
            pub fn from_code(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

vocabulary! {
    /// What a user does at the centre; decides which operations they may run.
    Role {
        /// 引导员: checks walk-ins in at the door.
        Guide = "guide" / "引导员",
        /// 接谈员: interviews visitors in a room.
        Interviewer = "interviewer" / "接谈员",
        /// 办理人: works cases after registration.
        Handler = "handler" / "办理人",
        /// 负责人: supervises, sees everything.
        Supervisor = "supervisor" / "负责人",
        /// 系统管理员: settings, code tables, the hall's set-up, the county link. Until the centre
        /// has a 安全管理员 it also manages users (a township office may start with one person);
        /// from then on it may not (三员分立).
        Admin = "admin" / "系统管理员",
        /// 安全管理员: users, passwords and the sign-in and session policy; reviews the audit
        /// administrators' own trail.
        SecurityAdmin = "security_admin" / "安全管理员",
        /// 审计管理员: reads and exports the audit trail of everyone else; changes nothing.
        Auditor = "auditor" / "审计管理员",
    }
}

vocabulary! {
    /// Where a matter stands (a local simplification of the national 信访件状态 list).
    MatterStatus {
        /// 已登记: registered, not yet decided.
        Registered = "registered" / "已登记",
        /// 已受理.
        Accepted = "accepted" / "已受理",
        /// 不予受理.
        NotAccepted = "not_accepted" / "不予受理",
        /// 不再受理.
        NoLongerAccepted = "no_longer_accepted" / "不再受理",
        /// 已转送.
        Forwarded = "forwarded" / "已转送",
        /// 已交办.
        Assigned = "assigned" / "已交办",
        /// 已答复 (处理意见书送达).
        Answered = "answered" / "已答复",
        /// 已办结.
        Closed = "closed" / "已办结",
        /// 复查中: the petitioner asked for 复查 (Art. 35).
        Reviewing = "reviewing" / "复查中",
        /// 已出具复查意见.
        Reviewed = "reviewed" / "已出具复查意见",
        /// 复核中 (Art. 36).
        Rechecking = "rechecking" / "复核中",
        /// 已出具复核意见: the same facts and reasons are not accepted again.
        Rechecked = "rechecked" / "已出具复核意见",
    }
}

vocabulary! {
    /// A recorded handling step (办理) on a matter.
    StepKind {
        /// 受理.
        Accept = "accept" / "受理",
        /// 不予受理告知.
        NotAccept = "not_accept" / "不予受理告知",
        /// 不再受理告知.
        NoLongerAccept = "no_longer_accept" / "不再受理告知",
        /// 转送.
        Forward = "forward" / "转送",
        /// 交办.
        Assign = "assign" / "交办",
        /// 答复 / 处理意见书.
        Answer = "answer" / "答复",
        /// 办结 / 存档.
        Close = "close" / "办结",
        /// 备注: a note that changes nothing.
        Note = "note" / "备注",
        /// 书面告知 given to the petitioner (Art. 23).
        Notice = "notice" / "书面告知",
        /// 延期: the handling limit extended once, by at most 30 days (Art. 34).
        Extend = "extend" / "延长办理期限",
        /// 申请复查 received (Art. 35).
        ReviewRequest = "review_request" / "收到复查申请",
        /// 复查意见 delivered.
        ReviewOpinion = "review_opinion" / "复查意见",
        /// 申请复核 received (Art. 36).
        RecheckRequest = "recheck_request" / "收到复核申请",
        /// 复核意见 delivered.
        RecheckOpinion = "recheck_opinion" / "复核意见",
        /// 催办: a reminder to the handling unit.
        Urge = "urge" / "催办",
        /// 督办: formal supervision of the handling unit.
        Supervise = "supervise" / "督办",
    }
}

impl StepKind {
    /// The status a matter moves to after this step, if any.
    pub fn resulting_status(self) -> Option<MatterStatus> {
        Some(match self {
            StepKind::Accept => MatterStatus::Accepted,
            StepKind::NotAccept => MatterStatus::NotAccepted,
            StepKind::NoLongerAccept => MatterStatus::NoLongerAccepted,
            StepKind::Forward => MatterStatus::Forwarded,
            StepKind::Assign => MatterStatus::Assigned,
            StepKind::Answer => MatterStatus::Answered,
            StepKind::Close => MatterStatus::Closed,
            StepKind::ReviewRequest => MatterStatus::Reviewing,
            StepKind::ReviewOpinion => MatterStatus::Reviewed,
            StepKind::RecheckRequest => MatterStatus::Rechecking,
            StepKind::RecheckOpinion => MatterStatus::Rechecked,
            StepKind::Note
            | StepKind::Notice
            | StepKind::Extend
            | StepKind::Urge
            | StepKind::Supervise => return None,
        })
    }
}

vocabulary! {
    /// The identity document a petitioner showed.
    IdType {
        /// 居民身份证 (validated per GB 11643).
        ResidentId = "resident_id" / "居民身份证",
        /// 护照.
        Passport = "passport" / "护照",
        /// 港澳台居民居住证 / 往来通行证.
        HkMoTw = "hk_mo_tw" / "港澳台证件",
        /// 其他证件.
        Other = "other" / "其他证件",
        /// 未提供.
        None = "none" / "未提供",
    }
}

vocabulary! {
    /// How a petitioner rated the handling of a matter (回访评价).
    Rating {
        /// 满意.
        Satisfied = "satisfied" / "满意",
        /// 基本满意.
        Basic = "basic" / "基本满意",
        /// 不满意.
        Dissatisfied = "dissatisfied" / "不满意",
    }
}

vocabulary! {
    /// The decision on one item of a petitioner's request (Art. 32).
    Outcome {
        /// 予以支持.
        Support = "support" / "支持",
        /// 解释说明.
        Explain = "explain" / "解释说明",
        /// 不予支持.
        Reject = "reject" / "不予支持",
    }
}

vocabulary! {
    /// What became of a statutory clock.
    ClockStatus {
        /// 计时中.
        Open = "open" / "计时中",
        /// 已履行: the duty was done (on time or late; compare `ended_on` with the due date).
        Met = "met" / "已履行",
        /// 已被延期取代 (the 60-day limit replaced by the extended one).
        Superseded = "superseded" / "已延期",
        /// 已结束: the matter was closed or took another path.
        Ended = "ended" / "已结束",
    }
}

vocabulary! {
    /// Where a 矛盾纠纷 was found and is owned (三级排查).
    RiskLevel {
        /// 村（社区）.
        Village = "village" / "村（社区）",
        /// 乡镇（街道）.
        Township = "township" / "乡镇（街道）",
        /// 县级.
        County = "county" / "县级",
    }
}
