//! Chinese line breaking: greedy fill by measured width, with the 标点符号用法 (GB/T 15834)
//! rules on where a line may not start or end, and Latin/digit runs kept whole.
//!
//! A character that may not start a line (。，、 and closing quotes/brackets) is never pushed
//! alone onto the next line; instead the break moves back by one character (or more, when
//! several forbidden characters meet), leaving the previous line short. Hanging punctuation
//! into the margin would keep lines full, but 公文 keep everything inside the type area.

/// Characters that must not begin a line. 破折号 and 省略号 may; they only must not be split.
const NO_START: &str = "。，、；：？！”’）》」』】〕〉〗〙〛｝］·%％‰.,;:?!)]}>";
/// Characters that must not end a line.
const NO_END: &str = "“‘（《「『【〔〈〖〘〚｛［([{<";

/// Whether `ch` may not start a line.
pub fn is_no_start(ch: char) -> bool {
    NO_START.contains(ch)
}

/// Whether `ch` may not end a line.
pub fn is_no_end(ch: char) -> bool {
    NO_END.contains(ch)
}

#[derive(Debug, Clone)]
struct Token {
    text: String,
    width: f32,
    space: bool,
}

/// Splits `text` into pieces that are never broken: one CJK character, a run of ASCII
/// graphic characters (case numbers like `XF3301-2026-000123`, phone numbers, dates like
/// `2026-11-28`), a doubled 破折号 `——` or 省略号 `……`, or a space.
fn tokens(text: &str, measure: &dyn Fn(char) -> f32) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut idx = 0;
    while idx < chars.len() {
        let ch = chars[idx];
        let start = idx;
        if ch.is_ascii_graphic() {
            while idx < chars.len() && chars[idx].is_ascii_graphic() {
                idx += 1;
            }
        } else if (ch == '—' || ch == '…') && chars.get(idx + 1) == Some(&ch) {
            idx += 2;
        } else {
            idx += 1;
        }
        let piece: String = chars[start..idx].iter().collect();
        let width = piece.chars().map(measure).sum();
        out.push(Token {
            text: piece,
            width,
            space: ch.is_whitespace(),
        });
    }
    out
}

/// Breaks one paragraph into lines. The first line has `first_width` available (the width
/// less its indent), the others `width`. `measure` gives a character's advance including
/// tracking. Spaces at the ends of lines are dropped.
pub fn break_lines(
    text: &str,
    first_width: f32,
    width: f32,
    measure: &dyn Fn(char) -> f32,
) -> Vec<String> {
    let narrowest = first_width.min(width);
    let mut queue: Vec<Token> = Vec::new();
    for token in tokens(text, measure) {
        // A run wider than a whole line (a long URL) cannot stay whole; split it per character.
        if token.width > narrowest && token.text.chars().count() > 1 {
            queue.extend(token.text.chars().map(|ch| Token {
                text: ch.to_string(),
                width: measure(ch),
                space: false,
            }));
        } else {
            queue.push(token);
        }
    }

    let mut lines: Vec<String> = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut used = 0.0_f32;
    let mut idx = 0;
    while idx < queue.len() {
        let token = &queue[idx];
        let avail = if lines.is_empty() { first_width } else { width };
        if current.is_empty() && token.space {
            idx += 1;
            continue;
        }
        // A hundredth of a point of slack so that exactly 28 characters fit 28 cells.
        if used + token.width <= avail + 0.01 {
            used += token.width;
            current.push(token.clone());
            idx += 1;
            continue;
        }
        if token.space {
            lines.push(join(&current));
            current.clear();
            used = 0.0;
            idx += 1;
            continue;
        }
        if current.is_empty() {
            // A single character wider than the line: place it anyway, or we would loop.
            lines.push(token.text.clone());
            idx += 1;
            continue;
        }
        let mut cut = current.len();
        loop {
            let next = if cut < current.len() {
                &current[cut]
            } else {
                token
            };
            if allowed(&current[cut - 1], next) {
                break;
            }
            cut -= 1;
            if cut == 0 {
                // Nothing on this line may end it (a run of opening brackets); break at the
                // overflow point rather than never.
                cut = current.len();
                break;
            }
        }
        let carry = current.split_off(cut);
        lines.push(join(&current));
        current = carry.into_iter().skip_while(|it| it.space).collect();
        used = current.iter().map(|it| it.width).sum();
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(join(&current));
    }
    lines
}

fn allowed(prev: &Token, next: &Token) -> bool {
    if prev.space || next.space {
        return true;
    }
    let ends = prev.text.chars().last().is_some_and(is_no_end);
    let starts = next.text.chars().next().is_some_and(is_no_start);
    !ends && !starts
}

fn join(tokens: &[Token]) -> String {
    let end = tokens
        .iter()
        .rposition(|it| !it.space)
        .map_or(0, |pos| pos + 1);
    tokens[..end].iter().map(|it| it.text.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CJK character is one unit wide, ASCII half a unit: close to real fonts and easy to
    /// reason about.
    fn measure(ch: char) -> f32 {
        if ch.is_ascii() { 0.5 } else { 1.0 }
    }

    fn check_rules(lines: &[String]) {
        for (idx, line) in lines.iter().enumerate() {
            let first = line.chars().next().expect("no empty lines");
            let last = line.chars().last().expect("no empty lines");
            assert!(
                !is_no_start(first) || idx == 0,
                "line {idx} {line:?} starts with {first}"
            );
            assert!(
                !is_no_end(last) || idx + 1 == lines.len(),
                "line {idx} {line:?} ends with {last}"
            );
        }
    }

    #[test]
    fn full_stop_that_would_start_a_line_pulls_the_previous_character_down() {
        let lines = break_lines("一二三四五。六七", 5.0, 5.0, &measure);
        assert_eq!(lines, ["一二三四", "五。六七"]);
        check_rules(&lines);
    }

    #[test]
    fn opening_quote_that_would_end_a_line_moves_to_the_next() {
        let lines = break_lines("一二三四“五六”七八", 5.0, 5.0, &measure);
        assert_eq!(lines, ["一二三四", "“五六”七", "八"]);
        check_rules(&lines);
    }

    #[test]
    fn several_closing_marks_in_a_row_move_back_together() {
        let lines = break_lines("一二三四“五”。）六七八", 6.0, 6.0, &measure);
        check_rules(&lines);
        assert_eq!(lines.concat(), "一二三四“五”。）六七八");
    }

    #[test]
    fn case_numbers_and_phone_numbers_are_never_split() {
        let text = "信访件编号XF3301-2026-000123，联系电话0571-12345678。";
        // From 10 units up the 9-unit case number fits a line, so it must never be split.
        for width in 10..=20 {
            let lines = break_lines(text, width as f32, width as f32, &measure);
            check_rules(&lines);
            let case_whole = lines.iter().any(|line| line.contains("XF3301-2026-000123"));
            let phone_whole = lines.iter().any(|line| line.contains("0571-12345678"));
            assert!(case_whole && phone_whole, "width {width}: {lines:?}");
        }
    }

    #[test]
    fn a_run_longer_than_the_line_is_split_as_a_last_resort() {
        let lines = break_lines("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4.0, 4.0, &measure);
        assert!(lines.iter().all(|line| line.len() <= 8), "{lines:?}");
        assert_eq!(lines.concat(), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    }

    #[test]
    fn dashes_and_ellipses_stay_in_pairs() {
        for width in 3..=8 {
            let lines = break_lines("一二三——四五六……七八", width as f32, width as f32, &measure);
            for line in &lines {
                assert_eq!(line.matches('—').count() % 2, 0, "width {width}: {lines:?}");
                assert_eq!(line.matches('…').count() % 2, 0, "width {width}: {lines:?}");
            }
        }
    }

    #[test]
    fn first_line_indent_is_honoured_and_text_is_preserved() {
        let text = "你（你们）于2026年11月28日来访反映的拖欠工资问题，本机关已予登记，信访件编号为XF3301-2026-000123。经初步审查，该事项属于本机关职权范围。";
        for width in 8..=28 {
            let width = width as f32;
            let lines = break_lines(text, width - 2.0, width, &measure);
            check_rules(&lines);
            assert_eq!(
                lines.concat(),
                text,
                "breaking only moves text, it never drops any"
            );
            assert!(lines[0].chars().map(measure).sum::<f32>() <= width - 2.0 + 0.01);
            for line in &lines {
                assert!(
                    line.chars().map(measure).sum::<f32>() <= width + 0.01,
                    "{line:?} too wide"
                );
            }
        }
    }

    #[test]
    fn every_forbidden_mark_is_kept_off_line_starts_at_every_width() {
        let marks: Vec<char> = NO_START.chars().filter(|ch| !ch.is_ascii()).collect();
        for mark in marks {
            let text = format!("甲乙丙丁{mark}戊己庚辛{mark}壬癸子丑{mark}寅卯");
            for width in 3..=10 {
                check_rules(&break_lines(&text, width as f32, width as f32, &measure));
            }
        }
        for mark in NO_END.chars().filter(|ch| !ch.is_ascii()) {
            let text = format!("甲乙丙{mark}丁戊己{mark}庚辛壬{mark}癸子");
            for width in 3..=10 {
                check_rules(&break_lines(&text, width as f32, width as f32, &measure));
            }
        }
    }
}
