//! What a staff name and a password must be, and password hashing.
//!
//! Names are limited to characters that cannot pass for others: ASCII
//! letters, digits, `.`, `-`, `_` and CJK unified ideographs. That rules out
//! invisible characters (zero-width spaces and joiners, bidirectional marks)
//! and Cyrillic or Greek letters that look like Latin ones, so `admin` and
//! `аdmin` (Cyrillic а) cannot both exist. Such a name is always in Unicode
//! NFC: none of these characters decomposes or combines, and the CJK
//! compatibility ideographs, which NFC would replace by unified ones, are
//! not accepted.
//!
//! Passwords are hashed with argon2id (about 20 MB and tens of milliseconds
//! each, on purpose): callers on an async runtime run these functions on the
//! blocking pool.

use std::fmt;
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Longest user or token name accepted.
pub const MAX_NAME_CHARS: usize = 64;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Passwords that are long enough and mixed, yet among the first that
/// guessing tools try (lower case; compared ignoring ASCII case). Shorter or
/// unmixed ones are refused by the other rules already.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890a",
    "123456789a",
    "123456789abc",
    "123456789q",
    "123456abcdef",
    "123qweasdzxc",
    "1234qwer!@#$",
    "1234qwerasdf",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "1qaz!qaz1qaz",
    "1qaz2wsx3edc",
    "1qaz@wsx3edc",
    "5201314woaini",
    "a1234567890",
    "a123456789",
    "a12345678910",
    "aa123456789",
    "abc123456789",
    "abc12345678",
    "abcd123456",
    "abcd1234567",
    "abcdef123456",
    "admin12345",
    "admin123456",
    "admin@12345",
    "admin@123456",
    "admin123!@#",
    "administrator1",
    "asdf123456",
    "asdfghjkl1",
    "baseball123",
    "changeme123",
    "dragon12345",
    "football123",
    "guest123456",
    "iloveyou123",
    "iloveyou1234",
    "letmein123",
    "michael123",
    "monkey12345",
    "p@ssw0rd123",
    "p@ssword123",
    "passw0rd123",
    "password12",
    "password123",
    "password123!",
    "password1234",
    "password@123",
    "princess123",
    "q1234567890",
    "q1w2e3r4t5",
    "q1w2e3r4t5y6",
    "qazwsxedc123",
    "qq123456789",
    "qwe123456789",
    "qweasdzxc123",
    "qwer123456",
    "qwer1234asdf",
    "qwerty12345",
    "qwerty123456",
    "qwertyuiop1",
    "qwertyuiop123",
    "root123456",
    "sunshine123",
    "superman123",
    "test123456",
    "test1234567",
    "user123456",
    "weiquan123",
    "weiquan123456",
    "welcome123",
    "welcome1234",
    "woaini1314",
    "woaini5201314",
    "zaq12wsxcde3",
    "zxcvbnm123",
];

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    Short,
    /// Only one kind of character: all lower case, all upper case, all digits or all other.
    OneKind,
    /// In the built-in list of common passwords.
    Common,
}

impl Weakness {
    /// The reason in Chinese, for staff.
    pub fn message(self) -> String {
        match self {
            Weakness::Short => format!("密码太短：至少需要 {MIN_PASSWORD_CHARS} 个字符"),
            Weakness::OneKind => "密码太简单：请混用小写字母、大写字母、数字和符号中的至少两类".into(),
            Weakness::Common => "这个密码太常见，很容易被猜中：请换一个".into(),
        }
    }

    /// The reason in English.
    pub fn message_en(self) -> String {
        match self {
            Weakness::Short => format!("the password is too short: use at least {MIN_PASSWORD_CHARS} characters"),
            Weakness::OneKind => {
                "the password uses one kind of character only: mix at least two of lower case, upper case, \
                 digits and symbols"
                    .into()
            }
            Weakness::Common => "the password is one of the most common ones: choose another".into(),
        }
    }
}

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

/// The naming rule, in Chinese, for staff.
pub const NAME_RULE: &str =
    "名称只能用英文字母、数字、“.”“-”“_”和汉字，以字母、数字或汉字开头，不超过 64 个字符，不能有空格或不可见字符";

/// The naming rule, in English.
pub const NAME_RULE_EN: &str = "use 1 to 64 ASCII letters, digits, '.', '-', '_' or Chinese characters, starting \
     with a letter, digit or Chinese character; no spaces, no invisible characters, no letters of other scripts";

/// Whether `name` follows the naming rule (see the module notes).
pub fn valid_name(name: &str) -> bool {
    let starts_well = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || is_ideograph(c));
    starts_well
        && name.chars().count() <= MAX_NAME_CHARS
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') || is_ideograph(c))
}

/// CJK unified ideographs: the basic block and extensions A to I. The
/// compatibility ideographs are left out on purpose (NFC changes them).
fn is_ideograph(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2EE5F}'
        | '\u{30000}'..='\u{323AF}')
}

/// Checks a new password: at least [`MIN_PASSWORD_CHARS`] characters, at
/// least two kinds of character, and not a common password.
pub fn check_password(password: &str) -> Result<(), Weakness> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Weakness::Short);
    }
    let kind = |c: char| match c {
        'a'..='z' => 0,
        'A'..='Z' => 1,
        '0'..='9' => 2,
        _ => 3,
    };
    let mut kinds = password.chars().map(kind);
    let first = kinds.next();
    if kinds.all(|k| Some(k) == first) {
        return Err(Weakness::OneKind);
    }
    let lower = password.to_ascii_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err(Weakness::Common);
    }
    Ok(())
}

/// The argon2id hash of `password` as a PHC string (salted, so two hashes of
/// one password differ). Checks nothing: see [`check_password`].
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let hash: PasswordHash = Argon2::default().hash_password(password.as_bytes())?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string; an error when the
/// stored string is not a hash this program can read.
pub fn verify(password: &str, hash: &str) -> Result<bool, argon2::password_hash::Error> {
    match Argon2::default().verify_password(password.as_bytes(), hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A hash to check unknown names against, so they take as long as known ones.
pub fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash("not a real password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_letters_digits_and_ideographs_only() {
        for name in ["alice", "Bob_2", "li.na", "wang-wei", "张三", "王小明2", "𠀀家", &"张".repeat(64), "a"] {
            assert!(valid_name(name), "{name:?} is a fine name");
        }
        let refused = [
            "",
            "a b",
            "tab\tname",
            "-flag",
            ".hidden",
            "_x",
            &"x".repeat(65),
            "ad\u{200B}min", // zero-width space
            "admin\u{200D}", // zero-width joiner
            "\u{202E}nimda", // right-to-left override
            "\u{0430}dmin",  // Cyrillic а
            "p\u{0430}yp\u{0430}l",
            "αlice",     // Greek alpha
            "ｆｕｌｌ",  // full-width Latin
            "e\u{0301}", // decomposed é: not NFC, and not ASCII
            "é",
            "\u{F900}", // a CJK compatibility ideograph, which NFC replaces
            "张·三",
            "name\0",
        ];
        for name in refused {
            assert!(!valid_name(name), "{name:?} is refused");
        }
    }

    #[test]
    fn passwords_need_length_two_kinds_and_no_fame() {
        assert_eq!(check_password("12345678"), Err(Weakness::Short));
        assert_eq!(check_password("Abc12345!"), Err(Weakness::Short));
        assert_eq!(check_password("1234567890"), Err(Weakness::OneKind));
        assert_eq!(check_password("abcdefghijkl"), Err(Weakness::OneKind));
        assert_eq!(check_password("ABCDEFGHIJKL"), Err(Weakness::OneKind));
        assert_eq!(check_password("!@#$%^&*()_+"), Err(Weakness::OneKind));
        assert_eq!(check_password("这是一个很长的中文密码啊"), Err(Weakness::OneKind));
        assert_eq!(check_password("password123"), Err(Weakness::Common));
        assert_eq!(check_password("PassWord123"), Err(Weakness::Common), "ignoring case");
        assert_eq!(check_password("woaini1314"), Err(Weakness::Common));
        for fine in ["correct horse", "publisher-pass", "editor-pass1", "中文密码加数字2026", "Tr0ub4dor&3x"] {
            assert_eq!(check_password(fine), Ok(()), "{fine}");
        }
        // Every listed password would otherwise pass, or the entry is dead weight.
        for common in COMMON_PASSWORDS {
            assert_eq!(common.to_ascii_lowercase(), *common);
            assert_eq!(check_password(common), Err(Weakness::Common), "{common}");
        }
        assert!(!Weakness::Common.message().is_empty() && Weakness::Short.message().contains("10"));
    }

    #[test]
    fn hashes_verify_the_right_password_only() {
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse", &stored).unwrap());
        assert!(!verify("wrong horse", &stored).unwrap());
        assert!(verify("x", "not a hash").is_err());
        assert!(!verify("correct horse", dummy_hash()).unwrap());
    }
}
