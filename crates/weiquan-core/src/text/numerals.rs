//! Chinese numerals as laws write article numbers (第一千二百六十条).

const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
const UNITS: [(char, u32); 3] = [('千', 1000), ('百', 100), ('十', 10)];

/// The largest number [`parse`] and [`format`] handle: four digits, enough
/// for every article of every Chinese law.
pub const MAX: u32 = 9999;

fn digit_value(c: char) -> Option<u32> {
    match c {
        '零' | '〇' => Some(0),
        '两' => Some(2),
        _ => DIGITS.iter().position(|&d| d == c).map(|d| d as u32),
    }
}

fn unit_value(c: char) -> Option<u32> {
    UNITS.iter().find(|(u, _)| *u == c).map(|(_, v)| *v)
}

/// The number of an article label as judgments and lists write it
/// (第二十五条 → 25, 第三百三十六条之一 → 336).
pub fn article_label(label: &str) -> Option<u32> {
    label.strip_prefix('第').and_then(|rest| rest.split('条').next()).and_then(parse)
}

/// Parses a number written in Chinese numerals (二十五, 一百零一, 十五,
/// 一千二百六十) or Arabic digits (25). Returns `None` for anything else,
/// for zero and for numbers above [`MAX`].
pub fn parse(text: &str) -> Option<u32> {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse().ok().filter(|n| (1..=MAX).contains(n));
    }
    let mut total = 0u32;
    let mut pending: Option<u32> = None;
    let mut last_unit = u32::MAX;
    for c in text.chars() {
        if let Some(d) = digit_value(c) {
            if pending.is_some_and(|p| p != 0) {
                return None; // two digits in a row, as in 二三
            }
            pending = Some(d);
        } else if let Some(unit) = unit_value(c) {
            if unit >= last_unit {
                return None; // units must fall: 十百 is not a number
            }
            let multiplier = match pending {
                Some(0) => return None,
                Some(d) => d,
                None if unit == 10 && total == 0 => 1, // 十五
                None => return None,
            };
            total += multiplier * unit;
            last_unit = unit;
            pending = None;
        } else {
            return None;
        }
    }
    total += pending.unwrap_or(0);
    (1..=MAX).contains(&total).then_some(total)
}

/// The label of article `n` as laws write it (25 → 第二十五条), the reverse
/// of [`article_label`]; `第条` outside 1..=[`MAX`], which names no article.
pub fn label(n: u32) -> String {
    format!("第{}条", format(n).unwrap_or_default())
}

/// Writes `n` (1..=[`MAX`]) in Chinese numerals the way laws number their
/// articles: 10 → 十, 15 → 十五, 101 → 一百零一, 110 → 一百一十.
/// Returns `None` outside that range.
pub fn format(n: u32) -> Option<String> {
    if !(1..=MAX).contains(&n) {
        return None;
    }
    let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let units = ["千", "百", "十", ""];
    let mut out = String::new();
    let mut zero_pending = false;
    for (i, &d) in digits.iter().enumerate() {
        if d == 0 {
            zero_pending |= !out.is_empty();
            continue;
        }
        if zero_pending {
            out.push('零');
            zero_pending = false;
        }
        if !(i == 2 && d == 1 && out.is_empty()) {
            out.push(DIGITS[d as usize]);
        }
        out.push_str(units[i]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_labels() {
        assert_eq!(article_label("第二十五条"), Some(25));
        assert_eq!(article_label("第三百三十六条之一"), Some(336));
        assert_eq!(article_label("第12条"), Some(12));
        assert_eq!(article_label("二十五条"), None);
        assert_eq!(article_label("第条"), None);
        assert_eq!(label(25), "第二十五条");
        assert_eq!(article_label(&label(1260)), Some(1260), "a label reads back");
        assert_eq!(article_label(&label(0)), None, "no article 0");
    }

    #[test]
    fn parses_article_numbers() {
        for (text, n) in [
            ("一", 1),
            ("十", 10),
            ("十五", 15),
            ("二十五", 25),
            ("一百", 100),
            ("一百零一", 101),
            ("一百一十", 110),
            ("一百四十八", 148),
            ("四百九十六", 496),
            ("一千零一", 1001),
            ("一千零一十", 1010),
            ("一千二百六十", 1260),
            ("两百", 200),
        ] {
            assert_eq!(parse(text), Some(n), "{text}");
        }
        assert_eq!(parse("55"), Some(55));
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for text in ["", "零", "十百", "二三", "百", "条", "五万", "10000", "0"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn formats_like_the_law_books() {
        assert_eq!(format(10).as_deref(), Some("十"));
        assert_eq!(format(25).as_deref(), Some("二十五"));
        assert_eq!(format(101).as_deref(), Some("一百零一"));
        assert_eq!(format(110).as_deref(), Some("一百一十"));
        assert_eq!(format(1001).as_deref(), Some("一千零一"));
        assert_eq!(format(1260).as_deref(), Some("一千二百六十"));
        assert_eq!(format(0), None);
        assert_eq!(format(10_000), None);
    }

    #[test]
    fn every_number_round_trips() {
        for n in 1..=MAX {
            let text = format(n).unwrap();
            assert_eq!(parse(&text), Some(n), "{text}");
        }
    }
}
