//! 公民身份号码 (citizen identity number, GB 11643-1999): parsing, validation and derived facts.
//!
//! A number is 6-digit address code + 8-digit birth date + 3-digit sequence (odd = male) + one
//! ISO 7064 MOD 11-2 check character. Old 15-digit numbers (two-digit year, no check character)
//! are still seen on paper records and can be converted. See domain.md §5.1.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Sex as encoded by the parity of the 17th digit of an identity number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男: odd sequence digit.
    Male,
    /// 女: even sequence digit.
    Female,
}

/// What [`parse_id_number`] does with an old 15-digit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegacyPolicy {
    /// Insert "19" before the two-digit year and compute the check character.
    #[default]
    Convert,
    /// Refuse the number with [`IdError::LegacyRejected`].
    Reject,
}

/// A validated, normalised 18-character identity number.
///
/// `Debug` prints the masked form so that numbers do not leak into logs (domain.md §5.1 asks for
/// masking and audited views); use [`IdNumber::as_str`] where the full number is really needed.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber {
    /// Always 17 ASCII digits followed by a digit or an upper-case `X`.
    number: String,
    birth_date: NaiveDate,
    converted_from_legacy: bool,
}

impl IdNumber {
    /// The normalised 18-character number, with an upper-case `X` check character.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The date of birth encoded in digits 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Sex from the 17th digit: odd is male, even is female.
    pub fn sex(&self) -> Sex {
        // The stored number is validated ASCII, so byte 16 is a digit.
        if (self.number.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The 6-digit address code (GB/T 2260 county of the permanent household registration).
    pub fn region_code(&self) -> &str {
        &self.number[..6]
    }

    /// The 2-digit province code.
    pub fn province_code(&self) -> &str {
        &self.number[..2]
    }

    /// Whether this number was produced from an old 15-digit number.
    pub fn converted_from_legacy(&self) -> bool {
        self.converted_from_legacy
    }

    /// The number with the birth date and first sequence digit hidden, e.g. `110105********002X`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.number[..6], &self.number[14..])
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

/// Why an identity number was refused. [`IdError::message_zh`] gives the text for the clerk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Nothing was entered.
    #[error("identity number is empty")]
    Empty,
    /// Neither 18 nor 15 characters after removing spaces.
    #[error("identity number has {len} characters, expected 18 (or 15 for an old number)")]
    BadLength {
        /// Number of characters entered, spaces excluded.
        len: usize,
    },
    /// Something other than digits, or an `X` anywhere but the last of 18 places.
    #[error("identity number may contain only digits and a final X")]
    BadCharacters,
    /// The first two digits are not a province-level code.
    #[error("identity number starts with {code}, which is not a province code")]
    BadProvince {
        /// The two digits found.
        code: String,
    },
    /// The birth date digits are not a calendar date, or lie before 1900-01-01.
    #[error("birth date {date} is not a valid date")]
    BadBirthDate {
        /// The eight digits `YYYYMMDD` (for old numbers, with "19" already inserted).
        date: String,
    },
    /// The birth date is after the day the number was checked.
    #[error("birth date {date} is in the future")]
    FutureBirthDate {
        /// The eight digits `YYYYMMDD`.
        date: String,
    },
    /// The final character does not match the check character computed from the first 17.
    #[error("check character should be {expected}, found {found}")]
    BadCheckDigit {
        /// The check character computed from the first 17 digits.
        expected: char,
        /// The character that was entered.
        found: char,
    },
    /// A 15-digit number was entered while [`LegacyPolicy::Reject`] is in force.
    #[error("old 15-digit identity numbers are not accepted")]
    LegacyRejected,
}

impl IdError {
    /// A complete Chinese sentence telling the clerk what is wrong.
    pub fn message_zh(&self) -> String {
        match self {
            IdError::Empty => "请输入身份证号码".to_owned(),
            IdError::BadLength { len } => {
                format!("身份证号码应为18位（或15位旧号码），当前为 {len} 位")
            }
            IdError::BadCharacters => {
                "身份证号码只能由数字组成，18位号码的最后一位可以是 X".to_owned()
            }
            IdError::BadProvince { code } => {
                format!("身份证号码前两位 {code} 不是有效的省级行政区代码，请核对证件")
            }
            IdError::BadBirthDate { date } => {
                // One variant covers both cases; say which one it is so the clerk knows what to
                // look for on the card.
                if parse_yyyymmdd(date).is_some() {
                    format!("出生日期 {date} 早于1900年1月1日，请核对证件")
                } else {
                    format!("出生日期 {date} 不是有效日期")
                }
            }
            IdError::FutureBirthDate { date } => {
                format!("出生日期 {date} 晚于今天，请核对证件")
            }
            IdError::BadCheckDigit { expected, found } => {
                format!(
                    "身份证号码校验位不正确：最后一位应为 {expected}，实际为 {found}，请核对证件"
                )
            }
            IdError::LegacyRejected => "不接受15位旧身份证号码，请提供18位号码".to_owned(),
        }
    }
}

/// Weights for positions 1–17 of the MOD 11-2 check (GB 11643-1999, §8.2).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character for each value of the weighted sum modulo 11.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Earliest birth date accepted; older dates are almost certainly typing mistakes.
const EARLIEST_BIRTH: (i32, u32, u32) = (1900, 1, 1);

/// Computes the ISO 7064 MOD 11-2 check character for the first 17 digits of a number.
///
/// `first17` should be 17 ASCII digits. The function never panics: characters past the 17th are
/// ignored and a non-digit counts as 0, so validate the input first (as [`parse_id_number`] does).
pub fn check_digit(first17: &str) -> char {
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, weight)| c.to_digit(10).unwrap_or(0) * weight)
        .sum();
    // `sum % 11` is below 11, so the index is always in range.
    CHECK_CHARS[(sum % 11) as usize]
}

/// Parses and validates an identity number as typed or scanned at the desk.
///
/// Spaces anywhere are ignored, a lower-case `x` is accepted, and full-width digits (typed with a
/// Chinese input method) are read as ASCII. `today` is the date used to refuse birth dates in the
/// future; it is passed in because the core never reads the clock.
pub fn parse_id_number(
    input: &str,
    today: NaiveDate,
    legacy: LegacyPolicy,
) -> Result<IdNumber, IdError> {
    let chars = normalise(input);
    if chars.is_empty() {
        return Err(IdError::Empty);
    }
    if !chars.iter().all(|c| c.is_ascii_digit() || *c == 'X') {
        return Err(IdError::BadCharacters);
    }
    let digits: String = chars.iter().collect();
    match chars.len() {
        18 => {
            if digits[..17].contains('X') {
                return Err(IdError::BadCharacters);
            }
            // Province and date first: when a date digit is mistyped the check character is
            // usually wrong too, and "30 February" tells the clerk more than "check digit".
            let birth_date = check_region_and_birth(&digits, today)?;
            let found = chars[17];
            let expected = check_digit(&digits[..17]);
            if found != expected {
                return Err(IdError::BadCheckDigit { expected, found });
            }
            Ok(IdNumber {
                number: digits,
                birth_date,
                converted_from_legacy: false,
            })
        }
        15 => {
            if digits.contains('X') {
                return Err(IdError::BadCharacters);
            }
            if legacy == LegacyPolicy::Reject {
                return Err(IdError::LegacyRejected);
            }
            // Old numbers were issued only to people born in the 1900s, hence the fixed century.
            let mut number = format!("{}19{}", &digits[..6], &digits[6..]);
            let birth_date = check_region_and_birth(&number, today)?;
            number.push(check_digit(&number));
            Ok(IdNumber {
                number,
                birth_date,
                converted_from_legacy: true,
            })
        }
        len => Err(IdError::BadLength { len }),
    }
}

/// Removes every kind of white space and maps full-width digits and `x` to their ASCII forms.
fn normalise(input: &str) -> Vec<char> {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0'))
                .expect("full-width digits map onto ASCII digits"),
            'x' | 'ｘ' | 'Ｘ' => 'X',
            other => other,
        })
        .collect()
}

/// Checks the province code and birth date of a number whose first 14 characters are digits.
fn check_region_and_birth(digits: &str, today: NaiveDate) -> Result<NaiveDate, IdError> {
    let province = &digits[..2];
    if !is_province_code(province) {
        return Err(IdError::BadProvince {
            code: province.to_owned(),
        });
    }
    let date_digits = &digits[6..14];
    let bad_date = || IdError::BadBirthDate {
        date: date_digits.to_owned(),
    };
    let birth_date = parse_yyyymmdd(date_digits).ok_or_else(bad_date)?;
    let (year, month, day) = EARLIEST_BIRTH;
    let earliest = NaiveDate::from_ymd_opt(year, month, day).expect("1900-01-01 is a valid date");
    if birth_date < earliest {
        return Err(bad_date());
    }
    if birth_date > today {
        return Err(IdError::FutureBirthDate {
            date: date_digits.to_owned(),
        });
    }
    Ok(birth_date)
}

/// Reads eight ASCII digits `YYYYMMDD` as a calendar date.
fn parse_yyyymmdd(digits: &str) -> Option<NaiveDate> {
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = digits[..4].parse().ok()?;
    let month = digits[4..6].parse().ok()?;
    let day = digits[6..].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Whether two digits are a province-level code that appears on identity documents.
///
/// 71, 81 and 82 (台湾, 香港, 澳门) appear on residence permits, so they are accepted too.
fn is_province_code(code: &str) -> bool {
    let Ok(n) = code.parse::<u8>() else {
        return false;
    };
    matches!(n, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test dates are valid")
    }

    fn today() -> NaiveDate {
        day(2025, 6, 1)
    }

    fn parse(input: &str) -> Result<IdNumber, IdError> {
        parse_id_number(input, today(), LegacyPolicy::Convert)
    }

    #[test]
    fn check_digit_matches_hand_computed_sums() {
        // Weighted sums worked out by hand with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
        // S = 167, 167 mod 11 = 2 → X (the example in domain.md §5.1).
        assert_eq!(check_digit("11010519491231002"), 'X');
        // S = 195, 195 mod 11 = 8 → 4 (the other example in domain.md §5.1).
        assert_eq!(check_digit("44052418800101001"), '4');
        // S = 225, 225 mod 11 = 5 → 7.
        assert_eq!(check_digit("31010419850715001"), '7');
        // S = 274, 274 mod 11 = 10 → 2.
        assert_eq!(check_digit("44030519900307432"), '2');
        // S = 68, 68 mod 11 = 2 → X.
        assert_eq!(check_digit("11010519000101001"), 'X');
    }

    #[test]
    fn valid_numbers_from_several_provinces_are_accepted() {
        // Each comment gives the weighted sum S of the first 17 digits and R = S mod 11; the sex
        // follows the parity of the 17th digit.
        let cases = [
            // 北京 S = 167, R = 2 → X.
            ("11010519491231002X", day(1949, 12, 31), Sex::Female),
            // 上海 S = 225, R = 5 → 7.
            ("310104198507150017", day(1985, 7, 15), Sex::Male),
            // 广东 S = 274, R = 10 → 2.
            ("440305199003074322", day(1990, 3, 7), Sex::Female),
            // 四川 S = 204, R = 6 → 6; born in 2000.
            ("510107200012125676", day(2000, 12, 12), Sex::Male),
            // 新疆 S = 264, R = 0 → 1; 29 February of a leap year is a real date.
            ("650102198002291231", day(1980, 2, 29), Sex::Male),
            // 浙江 S = 368, R = 5 → 7.
            ("330106198808087767", day(1988, 8, 8), Sex::Female),
            // 香港 residence permit, S = 271, R = 7 → 5.
            ("810000199506181235", day(1995, 6, 18), Sex::Male),
        ];
        for (number, birth, sex) in cases {
            let id = parse(number).unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!(id.as_str(), number);
            assert_eq!(id.birth_date(), birth, "{number}");
            assert_eq!(id.sex(), sex, "{number}");
            assert_eq!(id.region_code(), &number[..6]);
            assert_eq!(id.province_code(), &number[..2]);
            assert!(!id.converted_from_legacy());
        }
    }

    #[test]
    fn lower_case_x_and_spaces_are_normalised() {
        let id = parse("  110105 19491231 002x ").expect("valid number with spaces");
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn full_width_digits_from_a_chinese_input_method_are_read() {
        let id = parse("１１０１０５１９４９１２３１００２ｘ").expect("full-width digits");
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn masked_keeps_the_first_six_and_last_four_characters() {
        let id = parse("11010519491231002X").expect("valid");
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(\"110105********002X\")");
    }

    #[test]
    fn wrong_check_digit_reports_the_expected_character() {
        let err = parse("110105194912310025").expect_err("check digit should be X");
        assert_eq!(
            err,
            IdError::BadCheckDigit {
                expected: 'X',
                found: '5'
            }
        );
        assert_eq!(
            err.message_zh(),
            "身份证号码校验位不正确：最后一位应为 X，实际为 5，请核对证件"
        );
    }

    #[test]
    fn impossible_birth_date_is_refused() {
        // 19990230 does not exist; the check digit (S = 210, R = 1 → 0) is right, so only the
        // date can be the reason.
        let err = parse("430102199902300010").expect_err("30 February");
        assert_eq!(
            err,
            IdError::BadBirthDate {
                date: "19990230".to_owned()
            }
        );
        assert_eq!(err.message_zh(), "出生日期 19990230 不是有效日期");
    }

    #[test]
    fn birth_date_after_today_is_refused() {
        // S = 137, R = 5 → 7.
        let err = parse("440305203001010017").expect_err("born in 2030");
        assert_eq!(
            err,
            IdError::FutureBirthDate {
                date: "20300101".to_owned()
            }
        );
        assert!(err.message_zh().contains("晚于今天"));
    }

    #[test]
    fn birth_on_the_day_of_checking_is_accepted() {
        // S = 135, R = 3 → 9; born 2025-06-01, the same day as `today()`.
        let id = parse("110105202506010029").expect("born today");
        assert_eq!(id.birth_date(), today());
    }

    #[test]
    fn birth_before_1900_is_refused_even_with_a_correct_check_digit() {
        // The domain.md example 440524188001010014 has a correct check character (S = 195) but a
        // birth year of 1880, which the 1900 floor rules out.
        let err = parse("440524188001010014").expect_err("born 1880");
        assert_eq!(
            err,
            IdError::BadBirthDate {
                date: "18800101".to_owned()
            }
        );
        assert!(err.message_zh().contains("早于1900年1月1日"));
        // S = 68, R = 2 → X: the first day of 1900 is still fine.
        assert!(parse("11010519000101001X").is_ok());
    }

    #[test]
    fn unknown_province_code_is_refused() {
        // S = 234, R = 3 → 9, so the check character is right and only the province is wrong.
        let err = parse("990101199001010019").expect_err("province 99");
        assert_eq!(
            err,
            IdError::BadProvince {
                code: "99".to_owned()
            }
        );
        assert!(err.message_zh().contains("99"));
    }

    #[test]
    fn legacy_fifteen_digit_number_is_converted_by_default() {
        // 110105 491231 002 → 110105 19 491231 002, S = 167 → X.
        let id = parse("110105491231002").expect("legacy number");
        assert_eq!(id.as_str(), "11010519491231002X");
        assert!(id.converted_from_legacy());
        assert_eq!(id.birth_date(), day(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
    }

    #[test]
    fn legacy_fifteen_digit_number_is_refused_under_reject_policy() {
        let err = parse_id_number("110105491231002", today(), LegacyPolicy::Reject)
            .expect_err("reject policy");
        assert_eq!(err, IdError::LegacyRejected);
        assert_eq!(LegacyPolicy::default(), LegacyPolicy::Convert);
    }

    #[test]
    fn legacy_number_with_an_impossible_date_is_refused() {
        let err = parse("110105990230002").expect_err("30 February 1999");
        assert_eq!(
            err,
            IdError::BadBirthDate {
                date: "19990230".to_owned()
            }
        );
    }

    #[test]
    fn wrong_length_reports_the_number_of_characters() {
        let err = parse("1101051949123100").expect_err("16 digits");
        assert_eq!(err, IdError::BadLength { len: 16 });
        assert_eq!(
            err.message_zh(),
            "身份证号码应为18位（或15位旧号码），当前为 16 位"
        );
    }

    #[test]
    fn letters_inside_the_number_are_refused() {
        assert_eq!(parse("1101051949A231002X"), Err(IdError::BadCharacters));
        // X is allowed only as the last of 18 characters.
        assert_eq!(parse("X1010519491231002X"), Err(IdError::BadCharacters));
        assert_eq!(parse("11010549123100X"), Err(IdError::BadCharacters));
    }

    #[test]
    fn empty_or_blank_input_is_reported_as_empty() {
        assert_eq!(parse(""), Err(IdError::Empty));
        assert_eq!(parse(" \t　"), Err(IdError::Empty));
    }

    #[test]
    fn sex_serialises_in_snake_case() {
        let json = serde_json::to_string(&Sex::Female).expect("serialise");
        assert_eq!(json, "\"female\"");
    }
}
