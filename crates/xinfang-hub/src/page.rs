//! The hub's read-only status page (`GET /`): every centre with its state, last contact,
//! acknowledged mark, events held above a gap, and its latest error — in Chinese, as plain
//! HTML with inline style, no script and nothing loaded from anywhere (the county network may
//! have no internet, and a status page needs none).

use std::fmt::Write;

use crate::{Result, clock::display, hub::Hub};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn opt_time(at: Option<&str>) -> String {
    at.map_or_else(|| "—".to_owned(), display)
}

/// The page.
pub fn render(hub: &mut Hub) -> Result<String> {
    let origin = hub.origin()?;
    let centres = hub.centres()?;
    let mut rows = String::new();
    for status in &centres {
        let c = &status.centre;
        let error = status.last_error.as_ref().map_or_else(
            || "—".to_owned(),
            |e| {
                format!(
                    "{} <code>{}</code> {}",
                    escape(&display(&e.at)),
                    escape(e.code.as_deref().unwrap_or("")),
                    escape(e.message.as_deref().unwrap_or(""))
                )
            },
        );
        let _ = writeln!(
            rows,
            "<tr><td>{}</td><td>{}</td><td class=\"state-{:?}\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&c.code),
            escape(&c.name),
            status.state,
            status.state.name_zh(),
            escape(&opt_time(c.last_contact.as_deref())),
            status.acknowledged,
            status.held,
            error,
            c.id,
        );
    }
    if centres.is_empty() {
        rows.push_str(
            "<tr><td colspan=\"8\">尚未添加接待中心（xinfang-hub centre add --code … --name …）</td></tr>\n",
        );
    }
    Ok(format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="30">
<title>县级信访同步枢纽 · 状态</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #bbb; padding: .35em .6em; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
td.num {{ text-align: right; }}
.state-Revoked {{ color: #999; }}
.state-CodeExpired {{ color: #a60; }}
.state-Pending {{ color: #06a; }}
code {{ font-size: 90%; }}
</style>
</head>
<body>
<h1>县级信访同步枢纽</h1>
<p>共 {count} 个接待中心。本枢纽标识 <code>{origin}</code>，数据：{store}。页面每 30 秒刷新。</p>
<table>
<thead><tr><th>中心代码</th><th>名称</th><th>状态</th><th>最后联系</th><th>已确认序号</th><th>暂存（缺号待补）</th><th>最近错误</th><th>中心编号</th></tr></thead>
<tbody>
{rows}</tbody>
</table>
</body>
</html>
"#,
        count = centres.len(),
        store = escape(&hub.describe()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape(r#"<script>"a"&'b'</script>"#),
            "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("某某县信访局"), "某某县信访局");
    }
}
