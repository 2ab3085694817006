//! The status page, health, unknown endpoints, and the request log that records them all.

use serde_json::json;

use crate::support::{Hub, add_centre, admin, count, enrolled, events};

#[test]
fn the_status_page_lists_centres_in_chinese_with_no_script() {
    let dir = crate::support::data_dir();
    let hub = Hub::start(dir.path());
    let a = enrolled(&hub, "XF3301", 0xA);
    add_centre(dir.path(), "XF3302", "<b>乙</b>县来访接待中心");
    let (status, body) = hub.push(&a.credential, &events(a.origin, [1, 2, 4]));
    assert_eq!((status, &body["held"]), (200, &json!([4])));
    let (status, _) = hub.get("/api/v1/pull?after=zz", Some(&a.credential));
    assert_eq!(status, 400);

    let (status, head, page) = hub.text("/");
    assert_eq!(status, 200);
    let head = head.to_lowercase();
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
    for needed in [
        "县级信访同步枢纽",
        "XF3301",
        "XF3302",
        "已注册",
        "待注册",
        "<td class=\"num\">2</td><td class=\"num\">1</td>",
        "bad_input",
        "&lt;b&gt;乙&lt;/b&gt;",
    ] {
        assert!(page.contains(needed), "page lacks {needed}:\n{page}");
    }
    for banned in ["<script", "src=", "href=", "http://", "https://", "<b>乙"] {
        assert!(!page.contains(banned), "page has {banned}");
    }

    let (status, health) = hub.get("/api/v1/health", None);
    assert_eq!((status, &health["ok"]), (200, &json!(true)));
    let (status, body) = hub.get("/api/v1/nothing", None);
    assert_eq!((status, body["code"].as_str()), (404, Some("no_endpoint")));
    let (status, body) = hub.get("/api/v1/push", Some(&a.credential));
    assert_eq!(
        (status, body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );

    // enrol, push, pull, page, health, nothing, wrong method: every request is logged.
    assert_eq!(count(&hub.data, "SELECT count(*) FROM request_log"), 7);
    let log = admin(&hub.data, &["log"]);
    for line in [
        "GET /api/v1/nothing",
        "GET /api/v1/health",
        "GET /  ",
        "POST /api/v1/push",
    ] {
        assert!(log.contains(line), "log lacks {line}:\n{log}");
    }
    let list = admin(&hub.data, &["centre", "list"]);
    assert!(
        list.contains("已确认 2") && list.contains("暂存 1"),
        "{list}"
    );
    assert!(list.contains("最近错误 bad_input"), "{list}");
}
