//! Synthetic but realistic register contents, deterministic from a seed: Chinese names with
//! valid ID numbers and phones, matters across every channel and class with plausible texts, and
//! a share of returning petitioners whose new matters are linked as repeats. The same generator
//! feeds `xinfang demo`, the tests and the benchmarks.
//!
//! Everything is written through the real write path (`register_matter_in`, `Writer::record`),
//! so demo data obeys every rule real data does; only the search index is filled once at the
//! end instead of row by row.

use std::{cmp::Reverse, collections::BinaryHeap};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use crate::{
    Result,
    api::{self, MatterInput, PersonInput, PetitionerInput, Settings, UserCreateInput},
    auth::Session,
    clock::{FixedClock, splitmix64},
    domain::{codes::CodeTable, idcard},
    events::{EventBody, FollowupRecord, VisitPersonRecord, VisitRecord},
    model::{Rating, Role, StepKind},
    register::Register,
    search,
};

/// The deterministic random source of the generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = splitmix64(self.0);
        self.0
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "潘", "袁", "蔡", "蒋", "余", "于", "杜", "叶", "程", "魏", "苏", "吕", "丁",
    "任", "卢", "姚", "沈", "钟", "姜", "崔", "谭", "陆", "范", "汪", "廖", "石", "金", "韦", "贾",
    "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "建国", "志强", "秀兰", "玉兰", "海燕", "红梅",
    "国庆", "德明", "淑珍", "春花", "宏伟", "晓东", "丽华", "永福", "金凤", "立新", "文斌", "雪梅",
    "长青", "少华", "卫东", "凤英", "宝山", "桂兰", "振华", "翠花", "有才",
];
const PLACES: &[&str] = &["村", "社区", "街道", "镇", "小区"];
const COMPANIES: &[&str] = &[
    "宏达建筑工程有限公司",
    "鑫源房地产开发有限公司",
    "华盛物业服务有限公司",
    "永兴纺织厂",
    "顺发运输有限公司",
    "金山矿业有限公司",
    "恒通汽车销售有限公司",
    "绿源食品有限公司",
    "新世纪商贸有限公司",
    "东方化工有限公司",
];
const UNITS: &[&str] = &[
    "县住房和城乡建设局",
    "县人力资源和社会保障局",
    "县自然资源局",
    "县生态环境局",
    "县市场监督管理局",
    "县农业农村局",
    "县教育局",
    "县卫生健康局",
    "县公安局",
    "县民政局",
    "县交通运输局",
    "镇人民政府",
    "街道办事处",
    "村民委员会",
];

/// Texts for one content category: (summary, request, facts) templates; `{c}` is a company,
/// `{u}` a unit, `{p}` a place, `{n}` a number.
fn templates(category_root: &str) -> &'static [(&'static str, &'static str, &'static str)] {
    match category_root {
        "urban" => &[
            (
                "反映{p}房屋拆迁补偿标准过低问题",
                "要求按照现行标准重新核定拆迁补偿款并予以发放",
                "{p}旧城改造项目于去年启动，我家房屋面积{n}平方米，{c}给出的补偿标准明显低于周边同类项目，多次协商未果。",
            ),
            (
                "反映{p}物业公司乱收费问题",
                "要求{c}退还多收的物业费并公开收支",
                "{c}自接管小区以来，物业费从每平方米1元涨到1.8元，未经业主大会同意，电梯长期故障无人维修。",
            ),
            (
                "反映商品房逾期交付不能办证问题",
                "要求开发商尽快交房并协助办理不动产权证",
                "本人于{n}年前购买{c}开发的住房，合同约定交房日期已过，至今无法办理不动产登记。",
            ),
        ],
        "labour" => &[
            (
                "反映{c}拖欠工资问题",
                "要求{c}支付拖欠的工资共计{n}元",
                "本人在{c}从事施工工作，自今年三月起工资一直未发，共被拖欠{n}元，多次讨要，负责人以资金困难为由推脱。",
            ),
            (
                "反映养老保险待遇核定有误问题",
                "要求重新核定养老待遇并补发差额",
                "本人退休后养老金核定时未计算视同缴费年限{n}年，向{u}反映后未得到答复。",
            ),
            (
                "反映工伤认定久拖不决问题",
                "要求尽快作出工伤认定结论",
                "本人在{c}工作期间受伤，提交工伤认定申请已{n}天，{u}一直未作出结论。",
            ),
        ],
        "rural" => &[
            (
                "反映{p}土地承包经营权纠纷问题",
                "要求恢复本人家庭承包地的经营权",
                "本人家庭承包地{n}亩被{p}村干部调整给他人耕种，未经本人同意，也未给予补偿。",
            ),
            (
                "反映{p}村务财务不公开问题",
                "要求公开村集体收支账目并进行审计",
                "{p}村集体土地出租收入多年未向村民公开，村民多次要求查账均被拒绝。",
            ),
            (
                "反映惠农补贴未足额发放问题",
                "要求足额发放耕地地力保护补贴",
                "本人承包地{n}亩，近两年耕地地力保护补贴未足额到账，{u}答复称正在核实。",
            ),
        ],
        "land" => &[
            (
                "反映{p}征地补偿款未落实问题",
                "要求按批复标准发放征地补偿款",
                "{p}集体土地于前年被征收用于道路建设，本人应得补偿款{n}元至今未到位。",
            ),
            (
                "反映{p}违法占用耕地建房问题",
                "要求依法查处违法占地行为",
                "{p}有人在基本农田上建设厂房，占地约{n}亩，{u}未予制止。",
            ),
        ],
        "environment" => &[
            (
                "反映{c}夜间施工噪音扰民问题",
                "要求{c}停止夜间施工并依法处理",
                "{c}在居民区附近施工，每天夜间十点后仍在作业，噪音严重影响周边{n}户居民休息。",
            ),
            (
                "反映{c}排放废水污染河道问题",
                "要求依法查处并治理污染",
                "{c}将生产废水直接排入{p}河道，河水发黑发臭，已持续{n}个月。",
            ),
        ],
        "legal" => &[
            (
                "反映对法院判决不服问题",
                "要求对案件重新审理",
                "本人与{c}合同纠纷一案已经判决，本人认为判决认定事实有误，涉案金额{n}元。",
            ),
            (
                "反映派出所对纠纷处理不公问题",
                "要求公正处理邻里纠纷",
                "本人与邻居因宅基地界址发生冲突，{u}处理时偏袒对方。",
            ),
        ],
        "discipline" => &[
            (
                "反映{p}村干部优亲厚友问题",
                "要求查处村干部违规分配低保名额问题",
                "{p}村干部将低保名额分配给亲属{n}人，符合条件的困难群众未能纳入。",
            ),
            (
                "反映{u}工作人员吃拿卡要问题",
                "要求调查处理相关人员",
                "本人办理手续时，{u}工作人员多次刁难，暗示需要表示。",
            ),
        ],
        "health" => &[
            (
                "反映医疗纠纷处理问题",
                "要求医院赔偿医疗损失{n}元",
                "本人家属在县人民医院手术后出现并发症，医院拒绝承担责任。",
            ),
            (
                "反映医保报销比例问题",
                "要求按政策比例报销住院费用",
                "本人住院花费{n}元，报销时被告知部分药品不在目录内，报销比例低于政策规定。",
            ),
        ],
        "education" => &[
            (
                "反映子女入学难问题",
                "要求安排子女就近入学",
                "本人在{p}购房居住，子女申请就近入学被拒，学校称学位已满。",
            ),
            (
                "反映学校违规收费问题",
                "要求退还违规收取的费用",
                "学校以资料费名义每学期向学生收取{n}元，未提供任何票据。",
            ),
        ],
        "civil_affairs" => &[
            (
                "反映低保待遇被取消问题",
                "要求恢复最低生活保障待遇",
                "本人家庭人均收入低于当地低保标准，今年被取消低保资格，{u}未说明理由。",
            ),
            (
                "反映养老机构服务问题",
                "要求整改养老院服务质量",
                "本人父亲入住{p}养老院，每月费用{n}元，伙食差、护理人员不足。",
            ),
        ],
        "veterans" => &[(
            "反映退役安置待遇未落实问题",
            "要求落实退役士兵安置政策",
            "本人退役已{n}年，按政策应安排工作，至今未落实。",
        )],
        "transport" => &[(
            "反映{p}道路损毁未修复问题",
            "要求尽快修复道路",
            "{p}通村公路损毁已{n}个月，雨天无法通行，群众出行困难。",
        )],
        "market" => &[(
            "反映{c}销售不合格商品问题",
            "要求退货赔偿并查处商家",
            "本人在{c}购买商品{n}元，使用后发现质量问题，商家拒绝退换。",
        )],
        "economy" => &[
            (
                "反映{c}非法集资问题",
                "要求追回集资款{n}元",
                "{c}以高息为诱饵向社会公众吸收资金，现已无法兑付。",
            ),
            (
                "反映企业改制职工安置问题",
                "要求落实改制企业职工安置补偿",
                "原{c}改制时承诺的职工安置补偿至今未兑现，涉及职工{n}人。",
            ),
        ],
        _ => &[(
            "反映其他问题",
            "要求有关部门予以解决",
            "具体情况详见来信材料，涉及金额{n}元。",
        )],
    }
}

fn fill(template: &str, rng: &mut Rng, place: &str) -> String {
    template
        .replace("{c}", rng.pick::<&str>(COMPANIES))
        .replace("{u}", rng.pick::<&str>(UNITS))
        .replace("{p}", place)
        .replace(
            "{n}",
            &(rng.below(95) * 100 + 500 + rng.below(100)).to_string(),
        )
}

/// The demo staff accounts `xinfang demo` creates (password `demo-pass-2026`).
pub const DEMO_STAFF: &[(&str, &str, Role)] = &[
    ("wangfang", "王芳", Role::Guide),
    ("lijun", "李军", Role::Interviewer),
    ("zhaomin", "赵敏", Role::Handler),
    ("chenjing", "陈静", Role::Supervisor),
];

/// Password of the demo staff accounts.
pub const DEMO_PASSWORD: &str = "demo-pass-2026";

/// What `generate` produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Matters registered.
    pub matters: u64,
    /// Distinct petitioners.
    pub persons: u64,
    /// Matters linked as repeats.
    pub repeats: u64,
    /// Walk-in visits.
    pub visits: u64,
}

/// A generated person to reuse for repeats.
#[derive(Clone)]
struct Known {
    id: Uuid,
    matter: Uuid,
    category: String,
}

/// Fills the register with `cases` matters spread over the two years before `until`.
///
/// `clock` must be the clock the register was opened with: the generator moves it so each
/// matter is registered on the day it was received, as a real office would have.
pub fn generate(
    register: &mut Register,
    clock: &FixedClock,
    seed: u64,
    cases: u64,
    until: DateTime<Utc>,
) -> Result<DemoSummary> {
    let mut rng = Rng::new(seed);
    let staff = ensure_staff(register)?;
    let settings = Settings::load(register.conn())?;
    let codes = register.codes().clone();
    let counties: Vec<(String, String)> = codes
        .entries(CodeTable::Regions)
        .iter()
        .filter(|e| e.level == Some(3))
        .map(|e| {
            (
                e.code.clone(),
                codes.region_path(&e.code).unwrap_or_else(|| e.name.clone()),
            )
        })
        .collect();
    // A county office: most matters concern a handful of nearby counties.
    let home: Vec<(String, String)> = (0..6).map(|_| rng.pick(&counties).clone()).collect();
    let leaves: Vec<(String, String)> = codes
        .entries(CodeTable::ContentCategories)
        .iter()
        .filter(|e| e.parent.is_some())
        .map(|e| (e.code.clone(), e.parent.clone().unwrap_or_default()))
        .collect();
    let span_minutes = 730 * 24 * 60;
    let start = until - Duration::minutes(span_minutes);
    let mut known: Vec<Known> = Vec::new();
    let mut pending: BinaryHeap<Reverse<Scheduled>> = BinaryHeap::new();
    let mut summary = DemoSummary::default();
    // A batch never spans more than about a day, so that registration times and the later
    // handling steps fall on the days they would have at a real desk.
    let batch = (cases / 730).clamp(1, 500);
    let mut done = 0;
    while done < cases {
        let n = batch.min(cases - done);
        // Matters of this batch are received in order; the batch is registered at its end.
        let batch_end = start + Duration::minutes(span_minutes * (done + n) as i64 / cases as i64);
        clock.set(batch_end);
        let actor = rng.pick(&staff).clone();
        register.write_unindexed(&actor.user_id.to_string(), |w| {
            for k in 0..n {
                let idx = done + k;
                let received_at = start
                    + Duration::minutes(span_minutes * idx as i64 / cases as i64)
                    + Duration::seconds(rng.below(600) as i64);
                let received_at = received_at.min(batch_end);
                // A repeat is the same person on the same matter (同人同事): one earlier matter
                // gives both the petitioner and the content category.
                let known_person = (!known.is_empty() && rng.chance(18))
                    .then(|| known[rng.below(known.len() as u64) as usize].clone());
                let (category, root) = if let Some(k) = &known_person {
                    let root = leaves
                        .iter()
                        .find(|(c, _)| *c == k.category)
                        .map(|(_, r)| r.clone())
                        .unwrap_or_default();
                    (k.category.clone(), root)
                } else {
                    rng.pick(&leaves).clone()
                };
                let (region_code, region_name) = if rng.chance(85) {
                    rng.pick(&home).clone()
                } else {
                    rng.pick(&counties).clone()
                };
                let place = format!(
                    "{}{}",
                    region_name.rsplit('/').next().unwrap_or(""),
                    rng.pick(&[
                        "城关", "新华", "东风", "红旗", "柳林", "石桥", "河西", "南关"
                    ])
                );
                let place = format!("{place}{}", rng.pick(PLACES));
                let (summary_t, request_t, facts_t) = *rng.pick(templates(&root));
                let class = match root.as_str() {
                    "discipline" => "accusation",
                    _ if rng.chance(8) => "suggestion",
                    _ => "appeal_demand",
                };
                let purpose = match class {
                    "accusation" => "accusation",
                    "suggestion" => "suggestion",
                    _ if rng.chance(20) => "appeal",
                    _ => "demand",
                };
                let channel = *rng.pick(&[
                    "visit",
                    "visit",
                    "visit",
                    "visit",
                    "letter",
                    "letter",
                    "online",
                    "online",
                    "online",
                    "mobile",
                    "wechat",
                    "phone",
                    "phone",
                    "leader_mailbox",
                    "online_suggestion",
                    "fax",
                ]);
                let anonymous = class == "accusation" && channel == "letter" && rng.chance(40);
                let mut petitioners = Vec::new();
                if !anonymous {
                    match &known_person {
                        Some(k) => petitioners.push(PetitionerInput {
                            person_id: Some(k.id),
                            is_primary: true,
                            ..Default::default()
                        }),
                        None => petitioners.push(PetitionerInput {
                            person: Some(fake_person(&mut rng, &region_code, &place)),
                            is_primary: true,
                            ..Default::default()
                        }),
                    }
                    if rng.chance(6) {
                        for _ in 0..(1 + rng.below(3)) {
                            petitioners.push(PetitionerInput {
                                person: Some(fake_person(&mut rng, &region_code, &place)),
                                ..Default::default()
                            });
                        }
                    }
                }
                let mut visit_id = None;
                if channel == "visit" {
                    let group = rng.chance(5);
                    let visitor_count = if group {
                        5 + rng.below(26) as u32
                    } else {
                        1 + rng.below(2) as u32
                    };
                    let visitor_count = visitor_count.max(petitioners.len() as u32);
                    let id = w.next_id();
                    // Register persons first so the visit can name them.
                    let mut persons = Vec::new();
                    for p in &mut petitioners {
                        let person_id = match (p.person_id, p.person.take()) {
                            (Some(id), _) => id,
                            (None, Some(person)) => {
                                let new_id = w.next_id();
                                let (record, _) = api::validate_person(
                                    &person,
                                    "",
                                    crate::clock::china_date(received_at),
                                    &settings,
                                    new_id,
                                )?;
                                api::register_or_update_person(w, record)?
                            }
                            (None, None) => continue,
                        };
                        p.person_id = Some(person_id);
                        persons.push(VisitPersonRecord {
                            person_id,
                            is_representative: group,
                        });
                    }
                    w.record(EventBody::VisitRegistered(VisitRecord {
                        visit_id: id,
                        visited_at: received_at,
                        place: Some("来访接待大厅".into()),
                        visitor_count,
                        representative_count: if group {
                            persons.len().min(5) as u32
                        } else {
                            0
                        },
                        is_group: visitor_count >= settings.group_visit_threshold,
                        accompanying: Vec::new(),
                        skipped_level: false,
                        first_contact_user: actor.user_id,
                        persons,
                        note: None,
                    }))?;
                    summary.visits += 1;
                    visit_id = Some(id);
                }
                let matter_id = w.next_id();
                let route = (class == "appeal_demand" && rng.chance(70)).then(|| {
                    if root == "legal" {
                        "litigation".to_owned()
                    } else {
                        "petition_procedure".to_owned()
                    }
                });
                let input = MatterInput {
                    channel: channel.into(),
                    purpose: purpose.into(),
                    matter_class: class.into(),
                    route,
                    content_category: Some(category.clone()),
                    region_code: Some(region_code.clone()),
                    involved_units: Some(rng.pick(UNITS).to_string()),
                    request: fill(request_t, &mut rng, &place),
                    facts_reasons: fill(facts_t, &mut rng, &place),
                    summary: fill(summary_t, &mut rng, &place),
                    received_at: Some(received_at),
                    litigation: root == "legal",
                    anonymous,
                    visit_id,
                    repeat_of: known_person.as_ref().map(|k| k.matter),
                    petitioners,
                    ..Default::default()
                };
                api::register_matter_in(
                    w,
                    &settings,
                    received_at.max(batch_end),
                    matter_id,
                    input,
                )?;
                if known_person.is_some() {
                    summary.repeats += 1;
                }
                // What happens to it later: played out as time passes, batch by batch.
                let roll = rng.below(100);
                let after = |rng: &mut Rng, lo: u64, hi: u64| {
                    received_at + Duration::days((lo + rng.below(hi - lo + 1)) as i64)
                };
                // 5 % are left untouched: the supervisor's overdue list is never empty.
                if roll < 60 {
                    pending.push(Reverse((
                        after(&mut rng, 1, 5),
                        idx,
                        matter_id,
                        Plan::Accept,
                    )));
                } else if roll < 95 {
                    let unit = rng.pick(UNITS);
                    let forward = rng.chance(50);
                    pending.push(Reverse((
                        after(&mut rng, 1, 10),
                        idx,
                        matter_id,
                        Plan::HandOver(forward, unit),
                    )));
                }
                if !anonymous {
                    let primary: Option<String> = w.conn().query_row(
                        "SELECT primary_person_id FROM matters WHERE id = ?1",
                        [matter_id.to_string()],
                        |r| r.get(0),
                    )?;
                    if let Some(primary) = primary.and_then(|p| Uuid::parse_str(&p).ok()) {
                        if known_person.is_none() {
                            summary.persons += 1;
                        }
                        known.push(Known {
                            id: primary,
                            matter: matter_id,
                            category: category.clone(),
                        });
                    }
                }
                summary.matters += 1;
            }
            // Steps whose day has come, in time order; each may schedule the next one.
            while let Some(Reverse((when, idx, matter_id, plan))) = pending.peek().cloned() {
                if when > batch_end {
                    break;
                }
                pending.pop();
                let on = crate::clock::china_date(when);
                let rollover = settings.deadline_rollover;
                let next =
                    |days: i64, plan| Reverse((when + Duration::days(days), idx, matter_id, plan));
                match plan {
                    Plan::Accept => {
                        api::demo_step(w, matter_id, StepKind::Accept, on, None, rollover)?;
                        // Most are answered within the 60 days; some are late.
                        if rng.chance(95) {
                            pending.push(next(15 + rng.below(50) as i64, Plan::Answer));
                        }
                    }
                    Plan::HandOver(forward, unit) => {
                        let kind = if forward {
                            StepKind::Forward
                        } else {
                            StepKind::Assign
                        };
                        api::demo_step(w, matter_id, kind, on, Some(unit), rollover)?;
                        if rng.chance(97) {
                            pending.push(next(2 + rng.below(15) as i64, Plan::Notice));
                        }
                    }
                    Plan::Notice => {
                        api::demo_step(w, matter_id, StepKind::Notice, on, None, rollover)?;
                    }
                    Plan::Answer => {
                        api::demo_step(w, matter_id, StepKind::Answer, on, None, rollover)?;
                        if rng.chance(60) {
                            pending.push(next(3 + rng.below(10) as i64, Plan::Followup));
                        }
                        if rng.chance(80) {
                            pending.push(next(31 + rng.below(10) as i64, Plan::Close));
                        }
                    }
                    Plan::Followup => {
                        let rating = match rng.below(10) {
                            0 => Rating::Dissatisfied,
                            1 | 2 => Rating::Basic,
                            _ => Rating::Satisfied,
                        };
                        let followup_id = w.next_id();
                        w.record(EventBody::FollowupRecorded(FollowupRecord {
                            followup_id,
                            matter_id,
                            followed_on: on,
                            by_name: "赵敏".to_owned(),
                            method: "电话".to_owned(),
                            result: "信访人表示已收到答复".to_owned(),
                            acceptance_rating: Some(Rating::Satisfied),
                            handling_rating: Some(rating),
                            query_code: None,
                            note: None,
                        }))?;
                    }
                    Plan::Close => {
                        api::demo_step(w, matter_id, StepKind::Close, on, None, rollover)?;
                    }
                }
            }
            Ok(())
        })?;
        done += n;
    }
    search::reindex(register.conn())?;
    Ok(summary)
}

/// When, in which order, to which matter, what.
type Scheduled = (DateTime<Utc>, u64, Uuid, Plan);

/// A later step of a demo matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Plan {
    Accept,
    /// Forward (true) or assign (false) to a unit.
    HandOver(bool, &'static str),
    Notice,
    Answer,
    Followup,
    Close,
}

fn ensure_staff(register: &mut Register) -> Result<Vec<Session>> {
    let mut out = Vec::new();
    for (username, name, role) in DEMO_STAFF {
        let existing = register
            .conn()
            .query_row(
                "SELECT id FROM users WHERE username = ?1",
                [username],
                |r| r.get::<_, String>(0),
            )
            .ok();
        let user_id = match existing {
            Some(id) => Uuid::parse_str(&id).map_err(|e| crate::Error::Internal(e.to_string()))?,
            None => {
                let mut record = api::new_user_record(
                    register,
                    UserCreateInput {
                        username: (*username).into(),
                        display_name: (*name).into(),
                        role: *role,
                        password: DEMO_PASSWORD.into(),
                    },
                )?;
                // Demo staff sign in and work straight away: their published password counts
                // as already changed.
                record.must_change_password = false;
                let id = record.user_id;
                register.write(crate::register::SYSTEM_ACTOR, |w| {
                    w.record(EventBody::UserCreated(record))?;
                    Ok(())
                })?;
                id
            }
        };
        out.push(Session {
            user_id,
            username: (*username).into(),
            display_name: (*name).into(),
            role: *role,
            must_change_password: false,
            desk: String::new(),
        });
    }
    Ok(out)
}

/// A plausible person from `region_code` with a valid ID number and mobile phone.
pub fn fake_person(rng: &mut Rng, region_code: &str, place: &str) -> PersonInput {
    let surname = rng.pick(SURNAMES);
    let given = rng.pick(GIVEN);
    let birth = NaiveDate::from_ymd_opt(1940, 1, 1).expect("valid date")
        + Duration::days(rng.below(60 * 365) as i64);
    let first17 = format!(
        "{region_code}{}{:03}",
        birth.format("%Y%m%d"),
        rng.below(1000)
    );
    let id_number = format!("{first17}{}", idcard::check_digit(&first17));
    let prefix = rng.pick(&[
        "138", "139", "150", "151", "186", "187", "135", "177", "199", "133",
    ]);
    let phone = format!("{prefix}{:08}", rng.below(100_000_000));
    PersonInput {
        name: format!("{surname}{given}"),
        id_number: Some(id_number),
        phone: Some(phone),
        current_address: Some(format!("{place}{}号", 1 + rng.below(200))),
        ethnicity: Some(if rng.chance(92) { "汉族" } else { "回族" }.into()),
        ..Default::default()
    }
}

/// Midnight UTC of a date; a convenient `until` for tests.
pub fn utc_midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}
