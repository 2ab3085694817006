//! Invented sample data for every document kind: the fixtures of the tests, the input of the
//! benchmark, and a reference for whoever wires real case data.

use crate::compose::LetterData;
use crate::kind::DocKind;

/// The case number used by every sample.
pub const CASE_NUMBER: &str = "XF3301-2026-000123";
/// The 查询码 used by every sample.
pub const QUERY_CODE: &str = "8Q3K7M2X";

/// A complete, plausible document of `kind`. All names and facts are invented.
pub fn sample(kind: DocKind) -> LetterData {
    let base = LetterData::new(kind);
    let letter = |data: LetterData| {
        data.text("case_number", CASE_NUMBER)
            .text("query_code", QUERY_CODE)
            .text("issuer", "临江县人民政府信访局")
            .text("issue_date", "2026-11-28")
    };
    let items = || {
        vec![
            vec![
                ("item", "支付拖欠的2026年3月至8月工资共计38600元"),
                ("decision", "支持"),
                (
                    "reason",
                    "经核实，临江县宏远建筑工程有限公司确未足额支付上述工资，已责令其于2026年12月15日前全额支付。",
                ),
            ],
            vec![
                ("item", "赔偿因欠薪造成的经济损失"),
                ("decision", "解释说明"),
                (
                    "reason",
                    "该项请求属于民事赔偿，可依法向人民法院提起诉讼，或向劳动人事争议仲裁委员会申请仲裁。",
                ),
            ],
            vec![
                ("item", "追究公司负责人的刑事责任"),
                ("decision", "不予支持"),
                (
                    "reason",
                    "经调查，公司已制定清偿计划，现有证据不足以认定构成拒不支付劳动报酬罪。",
                ),
            ],
        ]
    };
    match kind {
        DocKind::Ticket => base
            .text("centre_name", "临江县人民来访接待中心")
            .text("ticket_number", "A027")
            .text("queue_name", "来访接待")
            .text("issued_at", "2026-11-28T09:05")
            .text("ahead_count", "4")
            .text("estimated_wait", "25")
            .text("query_code", QUERY_CODE),
        DocKind::VisitReceipt => letter(base)
            .text("petitioner_name", "王秀英")
            .text("visit_date", "2026-11-28")
            .text("summary", "临江县宏远建筑工程有限公司拖欠工资")
            .text("receiver", "李明")
            .text("contact_phone", "0571-12345678"),
        DocKind::AcceptanceNotice => letter(base)
            .text("petitioner_name", "王秀英")
            .text("petition_date", "2026-11-20")
            .text("channel", "来访")
            .text("summary", "临江县宏远建筑工程有限公司拖欠工资")
            .text("received_date", "2026-11-21")
            .text("forwarded_by", "临江市人民政府信访局")
            .text("route", "按照信访程序办理，由本机关调查核实后出具书面处理意见")
            .text("due_date", "2027-01-20")
            .text("contact_phone", "0571-12345678"),
        DocKind::NonAcceptanceNotice => letter(base)
            .text("petitioner_name", "王秀英")
            .text("petition_date", "2026-11-20")
            .text("summary", "要求撤销临江县人民法院（2026）浙0101民初456号民事判决")
            .text("reason", "你反映的问题属于对人民法院生效裁判不服，应当通过诉讼程序依法解决，不属于信访事项受理范围")
            .text("legal_basis", "《信访工作条例》第二十八条、第三十一条")
            .text("proper_channel", "临江市中级人民法院申请再审")
            .text("contact_phone", "0571-12345678"),
        DocKind::NoLongerAcceptedNotice => letter(base)
            .text("petitioner_name", "王秀英")
            .text("petition_date", "2026-11-20")
            .text("summary", "临江县宏远建筑工程有限公司拖欠工资")
            .text("recheck_body", "临江市人民政府信访局")
            .text("recheck_date", "2026-06-30")
            .text("contact_phone", "0571-12345678"),
        DocKind::ForwardLetter | DocKind::AssignmentSheet => {
            let data = letter(base)
                .text("doc_number", "临信转〔2026〕123号")
                .text("recipient_unit", "临江县人力资源和社会保障局")
                .text("received_date", "2026-11-21")
                .text("channel", "来访")
                .text("petitioner_name", "王秀英")
                .text("petitioner_contact", "13800138000")
                .text("summary", "临江县宏远建筑工程有限公司拖欠工资")
                .text("request", "要求支付拖欠的2026年3月至8月工资共计38600元。")
                .text("deadline", "2026-12-06")
                .text("attachment_count", "3")
                .text("contact_person", "李明")
                .text("contact_phone", "0571-12345678");
            if kind == DocKind::AssignmentSheet { data.text("feedback_date", "2027-01-20") } else { data }
        }
        DocKind::ExtensionNotice => letter(base)
            .text("petitioner_name", "王秀英")
            .text("summary", "临江县宏远建筑工程有限公司拖欠工资")
            .text("accepted_date", "2026-09-25")
            .text("original_due_date", "2026-11-24")
            .text("reason", "该事项涉及多家分包单位，工资台账需逐一核对")
            .text("approver", "局长赵建国")
            .text("new_due_date", "2026-12-24")
            .text("contact_phone", "0571-12345678"),
        DocKind::HandlingOpinion => letter(base)
            .text("doc_number", "临信处〔2026〕45号")
            .text("petitioner_name", "王秀英")
            .text("petition_date", "2026-09-20")
            .text("channel", "来访")
            .text("received_date", "2026-09-21")
            .text("accepted_date", "2026-09-25")
            .text("request", "要求临江县宏远建筑工程有限公司支付拖欠的工资，赔偿经济损失，并追究公司负责人的责任。")
            .text("facts", "你于2026年3月至8月在临江县宏远建筑工程有限公司承建的城南安置房项目从事钢筋工作，双方签订了劳动合同。\n经县人力资源和社会保障局调取考勤记录和工资发放台账，该公司拖欠你工资共计38600元，情况属实。")
            .text("legal_basis", "《保障农民工工资支付条例》第三条、第三十条")
            .list("items", items())
            .text("review_body", "临江市人民政府"),
        DocKind::ReviewOpinion => letter(base)
            .text("petitioner_name", "王秀英")
            .text("original_body", "临江县人民政府信访局")
            .text("original_date", "2026-11-20")
            .text("review_request_date", "2026-12-10")
            .text("request", "要求撤销原处理意见中对赔偿经济损失请求的答复。")
            .text("facts", "经复查，原处理机关认定的事实清楚，证据确实充分，适用依据正确，程序合法。")
            .text("legal_basis", "《保障农民工工资支付条例》第三条、第三十条")
            .list("items", items())
            .text("conclusion", "维持原处理意见")
            .text("recheck_body", "浙江省人民政府信访局"),
        DocKind::RecheckOpinion => letter(base)
            .text("petitioner_name", "王秀英")
            .text("review_body", "临江市人民政府")
            .text("review_date", "2027-01-05")
            .text("recheck_request_date", "2027-01-20")
            .text("request", "要求撤销复查意见，支持全部信访请求。")
            .text("facts", "经复核，复查意见认定事实清楚，适用依据正确。")
            .text("legal_basis", "《保障农民工工资支付条例》第三条、第三十条")
            .list("items", items())
            .text("conclusion", "维持复查意见"),
        DocKind::InterviewRecord => base
            .text("case_number", CASE_NUMBER)
            .text("query_code", QUERY_CODE)
            .text("issuer", "临江县人民来访接待中心")
            .text("interview_at", "2026-11-28T09:40")
            .text("location", "第二接谈室")
            .text("interviewer", "李明")
            .text("recorder", "陈晓")
            .text("petitioner_name", "王秀英")
            .text("phone", "13800138000")
            .text("request", "要求临江县宏远建筑工程有限公司支付拖欠的工资38600元。")
            .text("facts", "本人2026年3月至8月在城南安置房项目做钢筋工，公司以工程款未结为由一直未发工资，多次讨要无果。")
            .text("reply", "已登记你反映的问题，本中心将在15日内书面告知处理途径和程序。"),
        DocKind::UrgeLetter => letter(base)
            .text("recipient_unit", "临江县人力资源和社会保障局")
            .text("summary", "临江县宏远建筑工程有限公司拖欠工资")
            .text("forwarded_date", "2026-09-22")
            .text("due_date", "2026-11-24")
            .text("feedback_date", "2026-12-05")
            .text("contact_person", "李明")
            .text("contact_phone", "0571-12345678"),
        DocKind::SuperviseLetter => letter(base)
            .text("doc_number", "临信督〔2026〕8号")
            .text("recipient_unit", "临江县人力资源和社会保障局")
            .text("summary", "临江县宏远建筑工程有限公司拖欠工资")
            .text("forwarded_date", "2026-09-22")
            .text("problem", "超过办理期限未办结，经催办仍未报送办理情况")
            .text("requirements", "于10个工作日内办结并答复信访人，同时报送延期原因和责任人处理情况。")
            .text("feedback_date", "2026-12-12")
            .text("contact_person", "李明")
            .text("contact_phone", "0571-12345678"),
        DocKind::WorkReport => base
            .text("issuer", "临江县人民政府信访局")
            .text("issue_date", "2026-12-01")
            .text("period", "2026年11月")
            .text("overview", "本月共登记信访事项128件、信访人次176人次，其中初信初访97件，重复信访18件，集体访、联名信3件。")
            .text("channels", "来信41件，来访52件，网上信访、手机信访和微信信访共29件，电话信访6件。")
            .text("subjects", "反映劳动和社会保障问题35件，城乡建设问题28件，国土资源问题17件，其他48件。")
            .text("handling", "受理86件，不予受理9件；转送31件，交办22件；出具处理意见书74件，办结69件；催办5次，督办2次；建议意见类事项6件，其中被采纳2件。")
            .text("indicators", "及时受理率96.2%，按期办结率93.5%，群众参评率61.0%，参评群众满意率88.4%。"),
    }
}

/// A handling opinion long enough to run onto a second page (a dozen facts paragraphs).
pub fn long_opinion() -> LetterData {
    let mut facts = Vec::new();
    for idx in 1..=12 {
        facts.push(format!(
            "第{idx}项核查：经调取考勤记录、工资发放台账和银行流水，并询问项目负责人、班组长及工友共五人，核实了你在该月的出勤天数和应发工资数额，相关笔录已归档（XF3301-2026-000123-{idx:02}）。"
        ));
    }
    sample(DocKind::HandlingOpinion).text("facts", facts.join("\n"))
}
