//! The performance indicators of domain.md §2.1 (及时受理率, 按期办结率, 群众参评率, 参评群众满意率,
//! 重复信访率, 初信初访化解率, 网上信访占比), each a numerator over a denominator of matters, for a
//! period and optional region, unit and channel, with the matters behind either figure.
//!
//! The national formulas are not published (❓ in domain.md), so each definition here is the
//! working formula, written out in `formula` so that a supervisor can see what was counted; the
//! settings that vary by county (`satisfaction_counts_basic`, `first_petition_resolution_days`)
//! come from `Settings`.

use chrono::NaiveDate;
use rusqlite::{ToSql, params_from_iter};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Settings;
use crate::{Error, Result, auth::Session, model::MatterStatus, register::Register};

/// Channels counted as online (网上信访): the internet and phone-app channels. 来信, 来访, 电话
/// and 传真 are not.
pub const ONLINE_CHANNELS: &[&str] = &[
    "online",
    "mobile",
    "wechat",
    "online_suggestion",
    "leader_mailbox",
];

/// Which indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorCode {
    /// 及时受理率.
    TimelyAcceptance,
    /// 按期办结率.
    OnTimeCompletion,
    /// 群众参评率.
    RatingParticipation,
    /// 参评群众满意率.
    Satisfaction,
    /// 重复信访率.
    RepeatRate,
    /// 初信初访化解率.
    FirstPetitionResolution,
    /// 网上信访占比.
    OnlineShare,
}

impl IndicatorCode {
    /// Every indicator, in report order.
    pub const ALL: [IndicatorCode; 7] = [
        IndicatorCode::TimelyAcceptance,
        IndicatorCode::OnTimeCompletion,
        IndicatorCode::RatingParticipation,
        IndicatorCode::Satisfaction,
        IndicatorCode::RepeatRate,
        IndicatorCode::FirstPetitionResolution,
        IndicatorCode::OnlineShare,
    ];

    /// Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            IndicatorCode::TimelyAcceptance => "及时受理率",
            IndicatorCode::OnTimeCompletion => "按期办结率",
            IndicatorCode::RatingParticipation => "群众参评率",
            IndicatorCode::Satisfaction => "参评群众满意率",
            IndicatorCode::RepeatRate => "重复信访率",
            IndicatorCode::FirstPetitionResolution => "初信初访化解率",
            IndicatorCode::OnlineShare => "网上信访占比",
        }
    }
}

/// Period and filters of the indicators.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsInput {
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period.
    pub to: NaiveDate,
    /// 问题属地 (prefix of the GB/T 2260 code).
    #[serde(default)]
    pub region_code: Option<String>,
    /// 承办单位 (the unit the matter was forwarded or assigned to).
    #[serde(default)]
    pub unit: Option<String>,
    /// 信访形式 code.
    #[serde(default)]
    pub channel: Option<String>,
}

/// One indicator's figures.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Indicator {
    /// Which.
    pub code: IndicatorCode,
    /// Chinese name.
    pub name: String,
    /// Matters counted in the numerator.
    pub numerator: u64,
    /// Matters counted in the denominator.
    pub denominator: u64,
    /// numerator ÷ denominator as a percentage with one decimal; None when nothing is due.
    pub percent: Option<f64>,
    /// The working formula, in Chinese.
    pub formula: String,
}

/// 考核指标.
pub fn indicators(
    register: &mut Register,
    _who: &Session,
    input: IndicatorsInput,
) -> Result<Vec<Indicator>> {
    let settings = Settings::load(register.conn())?;
    let filter = Filter::new(&input)?;
    let mut out = Vec::new();
    for code in IndicatorCode::ALL {
        let def = definition(code, &settings);
        let count = |part: &str| -> Result<u64> {
            let sql = format!("SELECT count(*) FROM ({part}) x");
            let n: i64 = register
                .conn()
                .prepare(&sql)?
                .query_row(params_from_iter(filter.args()), |r| r.get(0))?;
            Ok(n as u64)
        };
        let numerator = count(&filter.apply(&def.numerator))?;
        let denominator = count(&filter.apply(&def.denominator))?;
        let percent = (denominator > 0)
            .then(|| (numerator as f64 * 1000.0 / denominator as f64).round() / 10.0);
        out.push(Indicator {
            code,
            name: code.name_zh().to_owned(),
            numerator,
            denominator,
            percent,
            formula: def.formula,
        });
    }
    Ok(out)
}

/// Which matters to list behind an indicator.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorCasesInput {
    /// The indicator.
    pub code: IndicatorCode,
    /// `numerator`, `denominator`, or `shortfall` (in the denominator but not the numerator).
    pub part: IndicatorPart,
    /// The same period and filters as the figure.
    pub filters: IndicatorsInput,
    /// At most this many (default 200, at most 2 000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A part of an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorPart {
    /// Counted in the numerator.
    Numerator,
    /// Counted in the denominator.
    Denominator,
    /// In the denominator but not the numerator (the cases to look at).
    Shortfall,
}

/// A matter behind an indicator.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IndicatorCase {
    /// Id.
    pub matter_id: Uuid,
    /// 信访件编号.
    pub number: String,
    /// 概况.
    pub summary: String,
    /// 信访人.
    pub petitioner_names: String,
    /// 信访日期.
    pub received_date: NaiveDate,
    /// 状态.
    pub status_name: String,
}

/// 指标明细: the matters behind an indicator's figure.
pub fn indicator_cases(
    register: &mut Register,
    _who: &Session,
    input: IndicatorCasesInput,
) -> Result<Vec<IndicatorCase>> {
    let settings = Settings::load(register.conn())?;
    let filter = Filter::new(&input.filters)?;
    let def = definition(input.code, &settings);
    let ids = match input.part {
        IndicatorPart::Numerator => filter.apply(&def.numerator),
        IndicatorPart::Denominator => filter.apply(&def.denominator),
        IndicatorPart::Shortfall => format!(
            "{} EXCEPT SELECT * FROM ({})",
            filter.apply(&def.denominator),
            filter.apply_from(&def.numerator, filter.len() + 1)
        ),
    };
    let limit = input.limit.unwrap_or(200).clamp(1, 2_000);
    let sql = format!(
        "SELECT m.id, m.number, m.summary, m.petitioner_names, m.received_date, m.status
         FROM matters m WHERE m.id IN ({ids}) ORDER BY m.rid DESC LIMIT {limit}"
    );
    let mut args = filter.args();
    if input.part == IndicatorPart::Shortfall {
        args.extend(filter.args());
    }
    let mut stmt = register.conn().prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| {
        let status: String = r.get(5)?;
        Ok(IndicatorCase {
            matter_id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
            number: r.get(1)?,
            summary: r.get(2)?,
            petitioner_names: r.get(3)?,
            received_date: super::parse_date(&r.get::<_, String>(4)?).unwrap_or_default(),
            status_name: MatterStatus::from_code(&status)
                .map_or(status.clone(), |s| s.name_zh().to_owned()),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An indicator as two queries of matter ids. `{m}` is replaced by the filter on `m` and the
/// period parameters are `?F` (from) and `?T` (to).
struct Definition {
    numerator: String,
    denominator: String,
    formula: String,
}

fn definition(code: IndicatorCode, settings: &Settings) -> Definition {
    // Clock-based indicators count matters with a clock due in the period; a clock that ended
    // because the matter took another path ('ended') is not due, and the 60-day limit replaced
    // by its extension ('superseded') is judged by the extension.
    let due = |kinds: &str| {
        format!(
            "SELECT DISTINCT m.id FROM matter_clocks c JOIN matters m ON m.id = c.matter_id
             WHERE c.kind IN ({kinds}) AND c.status IN ('open', 'met')
               AND c.due_date BETWEEN ?F AND ?T AND {{m}}"
        )
    };
    let met = |kinds: &str| {
        format!(
            "SELECT DISTINCT m.id FROM matter_clocks c JOIN matters m ON m.id = c.matter_id
             WHERE c.kind IN ({kinds}) AND c.status = 'met' AND c.ended_on <= c.due_date
               AND c.due_date BETWEEN ?F AND ?T AND {{m}}
             EXCEPT SELECT m.id FROM matter_clocks c JOIN matters m ON m.id = c.matter_id
             WHERE c.kind IN ({kinds}) AND c.due_date BETWEEN ?F AND ?T AND {{m}}
               AND (c.status = 'open' OR (c.status = 'met' AND c.ended_on > c.due_date))"
        )
    };
    let received = "SELECT m.id FROM matters m WHERE m.received_date BETWEEN ?F AND ?T AND {m}";
    let answered = "SELECT m.id FROM matters m WHERE m.received_date BETWEEN ?F AND ?T AND {m}
         AND EXISTS (SELECT 1 FROM handling_steps s WHERE s.matter_id = m.id
           AND +s.kind = 'answer')";
    let rated = format!(
        "{answered} AND EXISTS (SELECT 1 FROM followups f WHERE f.matter_id = m.id AND f.handling_rating IS NOT NULL)"
    );
    let satisfied_codes = if settings.satisfaction_counts_basic {
        "'satisfied', 'basic'"
    } else {
        "'satisfied'"
    };
    // The latest rating counts: a petitioner who changed their mind is judged on the last word.
    let satisfied = format!(
        "{answered} AND (SELECT f.handling_rating FROM followups f WHERE f.matter_id = m.id
           AND f.handling_rating IS NOT NULL ORDER BY f.followed_on DESC, f.recorded_at DESC
           LIMIT 1) IN ({satisfied_codes})"
    );
    let first = "SELECT m.id FROM matters m WHERE m.received_date BETWEEN ?F AND ?T AND {m}
         AND m.is_first_petition = 1";
    let days = settings.first_petition_resolution_days;
    let resolved = format!(
        "{first} AND +m.status = 'closed' AND NOT EXISTS (SELECT 1 FROM matters r
           WHERE r.repeat_of = m.id
             AND r.received_date <= date(m.received_date, '+{days} days'))"
    );
    let online_list = ONLINE_CHANNELS
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    match code {
        IndicatorCode::TimelyAcceptance => Definition {
            numerator: met("'D2', 'D3'"),
            denominator: due("'D2', 'D3'"),
            formula: "期内到期的书面告知时限（15日）中按期告知的事项数 ÷ 期内应告知的事项数".into(),
        },
        IndicatorCode::OnTimeCompletion => Definition {
            numerator: met("'D5', 'D6', 'S2'"),
            denominator: due("'D5', 'D6', 'S2'"),
            formula: "期内到期的办理时限（60日，经批准延期的按延长后期限；简易办理10个工作日）中按期答复的事项数 ÷ 期内到期的事项数".into(),
        },
        IndicatorCode::RatingParticipation => Definition {
            numerator: rated,
            denominator: answered.to_owned(),
            formula: "期内登记并已答复的事项中，信访人对办理作出评价的事项数 ÷ 期内登记并已答复的事项数".into(),
        },
        IndicatorCode::Satisfaction => Definition {
            numerator: satisfied,
            denominator: rated,
            formula: if settings.satisfaction_counts_basic {
                "最近一次评价为满意或基本满意的事项数 ÷ 参评事项数".into()
            } else {
                "最近一次评价为满意的事项数 ÷ 参评事项数（基本满意不计入）".into()
            },
        },
        IndicatorCode::RepeatRate => Definition {
            numerator: format!("{received} AND m.is_repeat = 1"),
            denominator: received.to_owned(),
            formula: "期内登记的重复信访事项数（同人同事）÷ 期内登记的信访事项数".into(),
        },
        IndicatorCode::FirstPetitionResolution => Definition {
            numerator: resolved,
            denominator: first.to_owned(),
            formula: format!(
                "期内登记的初信初访事项中已办结、且{days}日内未再重复信访的事项数 ÷ 期内登记的初信初访事项数"
            ),
        },
        IndicatorCode::OnlineShare => Definition {
            numerator: format!("{received} AND m.channel IN ({online_list})"),
            denominator: received.to_owned(),
            formula: "期内网上信访、手机信访、微信信访、网上建议和领导信箱事项数 ÷ 期内登记的信访事项数".into(),
        },
    }
}

/// The period and the optional filters, as SQL over `m` with positional parameters.
struct Filter {
    from: String,
    to: String,
    extra: Vec<(String, String)>,
}

impl Filter {
    fn new(input: &IndicatorsInput) -> Result<Filter> {
        if input.to < input.from {
            return Err(Error::field("date_range", "to", "结束日期不能早于开始日期"));
        }
        let mut extra = Vec::new();
        if let Some(region) = input
            .region_code
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            if !region.chars().all(|c| c.is_ascii_digit()) {
                return Err(Error::field(
                    "invalid_region",
                    "region_code",
                    "问题属地代码应为数字",
                ));
            }
            extra.push((
                "substr(m.region_code, 1, ?) = ?".to_owned(),
                region.to_owned(),
            ));
        }
        if let Some(unit) = input
            .unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            extra.push(("m.current_unit = ?".to_owned(), unit.to_owned()));
        }
        if let Some(channel) = input
            .channel
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            extra.push(("m.channel = ?".to_owned(), channel.to_owned()));
        }
        Ok(Filter {
            from: input.from.to_string(),
            to: input.to.to_string(),
            extra,
        })
    }

    /// How many parameters one application binds.
    fn len(&self) -> usize {
        2 + self
            .extra
            .iter()
            .map(|(sql, _)| sql.matches('?').count())
            .sum::<usize>()
    }

    fn apply(&self, template: &str) -> String {
        self.apply_from(template, 1)
    }

    /// The template with `?F`, `?T` and the filter placeholders numbered from `first`.
    fn apply_from(&self, template: &str, first: usize) -> String {
        let mut m_sql = String::from("1");
        let mut n = first + 2;
        for (sql, _) in &self.extra {
            let mut piece = String::new();
            for ch in sql.chars() {
                if ch == '?' {
                    piece.push_str(&format!("?{n}"));
                    n += 1;
                } else {
                    piece.push(ch);
                }
            }
            m_sql.push_str(" AND ");
            m_sql.push_str(&piece);
        }
        template
            .replace("?F", &format!("?{first}"))
            .replace("?T", &format!("?{}", first + 1))
            .replace("{m}", &m_sql)
    }

    /// Parameter values in the order `apply` numbers them.
    fn args(&self) -> Vec<Box<dyn ToSql>> {
        let mut out: Vec<Box<dyn ToSql>> =
            vec![Box::new(self.from.clone()), Box::new(self.to.clone())];
        for (sql, value) in &self.extra {
            if sql.starts_with("substr") {
                out.push(Box::new(value.chars().count() as i64));
            }
            out.push(Box::new(value.clone()));
        }
        out
    }
}
