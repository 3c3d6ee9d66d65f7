//! `weiquan user …`: staff accounts from the command line. Passwords are read
//! from the terminal (asked twice) or, when input is piped, from one line of
//! standard input; never from the arguments, where `ps` and the shell history
//! would show them.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, bail};
use chrono::{DateTime, Local};
use clap::builder::PossibleValue;
use unicode_width::UnicodeWidthStr;

use super::credentials::MIN_PASSWORD_CHARS;
use super::store::{Role, Store, StoreError, User};

/// Manage staff accounts.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add an account; the password is asked for (or read from one line of stdin).
    Add {
        /// Login name: 1 to 64 ASCII letters, digits, `.`, `-`, `_` or Chinese characters.
        name: String,
        /// What the account may do.
        #[arg(long)]
        role: Role,
    },
    /// List the accounts: name, role, state, created.
    List,
    /// Set a new password (asked for, or read from stdin); ends the user's sessions.
    Passwd {
        /// Login name.
        name: String,
    },
    /// Disable an account; ends its sessions, and its API tokens stop working.
    /// The last enabled admin cannot be disabled.
    Disable {
        /// Login name.
        name: String,
    },
    /// Enable a disabled account again (it signs in afresh).
    Enable {
        /// Login name.
        name: String,
    },
}

impl clap::ValueEnum for Role {
    fn value_variants<'a>() -> &'a [Self] {
        &Role::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()).alias(self.label()).help(self.label()))
    }
}

/// Runs one `user` command against the staff database: on the server of
/// `database_url`, or else in `data`.
pub fn run(command: UserCommand, database_url: Option<&str>, data: &Path) -> anyhow::Result<()> {
    let store = Store::configured(database_url, data)?;
    execute(command, &store, read_password, &mut std::io::stdout().lock()).map_err(explain)
}

/// A refused request is told in Chinese first, the English reason after.
fn explain(error: anyhow::Error) -> anyhow::Error {
    match error.downcast_ref::<StoreError>().and_then(StoreError::refusal) {
        Some(reason) => anyhow::anyhow!("{reason}（{error}）"),
        None => error,
    }
}

/// The commands, with the password source and the output passed in for tests.
fn execute(
    command: UserCommand,
    store: &Store,
    read_password: impl FnOnce() -> anyhow::Result<String>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name, role } => {
            // Say so before asking for a password that would be thrown away.
            if !super::credentials::valid_name(&name) {
                return Err(StoreError::InvalidName(name).into());
            }
            if store.user(&name)?.is_some() {
                bail!("用户 {name} 已存在。要修改其密码，请用 `weiquan user passwd {name}`");
            }
            let password = read_password()?;
            let user = store.add_user(None, &name, role, &password)?;
            writeln!(out, "已添加用户 {}（{}）", user.name, role.label())?;
        }
        UserCommand::List => {
            let users = store.users()?;
            if users.is_empty() {
                writeln!(out, "还没有用户。添加管理员：weiquan user add NAME --role admin")?;
                return Ok(());
            }
            let rows: Vec<[String; 4]> = users
                .iter()
                .map(|u| {
                    let state = if u.disabled { "停用" } else { "启用" };
                    [u.name.clone(), u.role.label().to_owned(), state.to_owned(), local_time(&u.created_at)]
                })
                .collect();
            write!(out, "{}", table(["用户名", "角色", "状态", "创建时间"], &rows))?;
        }
        UserCommand::Passwd { name } => {
            let user = existing(store, &name)?;
            let password = read_password()?;
            store.set_password(None, &user.name, &password)?;
            writeln!(out, "已修改用户 {} 的密码，其登录会话已全部结束", user.name)?;
        }
        UserCommand::Disable { name } => {
            let user = existing(store, &name)?;
            store.set_disabled(None, &user.name, true)?;
            writeln!(out, "已停用用户 {}，其登录会话已全部结束，其接口令牌停用", user.name)?;
        }
        UserCommand::Enable { name } => {
            let user = existing(store, &name)?;
            store.set_disabled(None, &user.name, false)?;
            writeln!(out, "已启用用户 {}，需重新登录", user.name)?;
        }
    }
    Ok(())
}

fn existing(store: &Store, name: &str) -> anyhow::Result<User> {
    store.user(name)?.with_context(|| format!("没有名为 {name} 的用户：用 `weiquan user list` 查看所有用户"))
}

/// Asks twice on a terminal; otherwise reads one line from standard input.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let prompt = format!("密码（至少 {MIN_PASSWORD_CHARS} 个字符，混用字母、数字或符号）：");
        let first = rpassword::prompt_password(prompt).context("无法从终端读取密码")?;
        let second = rpassword::prompt_password("再输入一次：").context("无法从终端读取密码")?;
        if first != second {
            bail!("两次输入的密码不一致，请重新运行命令");
        }
        return Ok(first);
    }
    first_line(std::io::stdin().lock())
}

/// The password on the first line of piped input, without its line ending.
fn first_line(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line).context("无法从标准输入读取密码")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!("标准输入里没有密码：请在第一行给出密码，例如 `printf '%s\\n' \"$PASSWORD\" | weiquan user …`");
    }
    Ok(password.to_owned())
}

/// An RFC 3339 time as local `YYYY-MM-DD HH:MM`; unparsable text as it is.
fn local_time(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// Left-aligned columns two spaces apart, padded by display width (a Chinese
/// character takes two columns).
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(UnicodeWidthStr::width);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; N]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            if i + 1 < N {
                text.push_str(&" ".repeat(widths[i] - cell.width() + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header);
    for row in rows {
        line(row.each_ref().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(store: &Store, command: UserCommand, password: &str) -> anyhow::Result<String> {
        let mut out = Vec::new();
        execute(command, store, || Ok(password.to_owned()), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn commands_change_accounts_print_chinese_and_write_the_audit_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(say(&store, UserCommand::List, "").unwrap().starts_with("还没有用户"));

        let add = |name: &str, role| UserCommand::Add { name: name.to_owned(), role };
        assert_eq!(say(&store, add("alice", Role::Publisher), "password-one").unwrap(), "已添加用户 alice（发布员）\n");
        say(&store, add("bob", Role::Editor), "password-two").unwrap();
        let error = say(&store, add("alice", Role::Admin), "password-three").unwrap_err();
        assert!(error.to_string().contains("已存在"), "{error}");
        let error = say(&store, add("carol", Role::Admin), "short").unwrap_err();
        assert!(error.to_string().contains("at least 10 characters"), "{error}");
        let error = explain(say(&store, add("carol", Role::Admin), "12345678").unwrap_err());
        assert!(error.to_string().starts_with("密码太短"), "{error}");
        let error = explain(say(&store, add("c\u{0430}rol", Role::Admin), "never asked").unwrap_err());
        assert!(error.to_string().starts_with("名称只能用"), "{error}");

        let out = say(&store, UserCommand::Passwd { name: "alice".into() }, "new password").unwrap();
        assert_eq!(out, "已修改用户 alice 的密码，其登录会话已全部结束\n");
        let now = weiquan_core::clock::Clock::default().utc();
        assert!(matches!(
            store.login("alice", "new password", "127.0.0.1", now).unwrap(),
            crate::publish::store::LoginOutcome::Ok(_)
        ));
        let out = say(&store, UserCommand::Disable { name: "bob".into() }, "").unwrap();
        assert_eq!(out, "已停用用户 bob，其登录会话已全部结束，其接口令牌停用\n");
        let error = say(&store, UserCommand::Disable { name: "nobody".into() }, "").unwrap_err();
        assert!(error.to_string().contains("没有名为 nobody 的用户"), "{error}");

        let list = say(&store, UserCommand::List, "").unwrap();
        let lines: Vec<Vec<&str>> = list.lines().map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(lines[0], ["用户名", "角色", "状态", "创建时间"]);
        assert_eq!(lines[1][..3], ["alice", "发布员", "启用"]);
        assert_eq!(lines[2][..3], ["bob", "编辑", "停用"]);
        assert_eq!(lines.len(), 3);
        let out = say(&store, UserCommand::Enable { name: "BOB".into() }, "").unwrap();
        assert_eq!(out, "已启用用户 bob，需重新登录\n");
        assert!(!store.user("bob").unwrap().unwrap().disabled);

        let audit: Vec<_> =
            store.audit_log(10).unwrap().into_iter().rev().map(|e| (e.actor, e.action, e.target)).collect();
        let expected = [
            ("cli", "user.add", "alice"),
            ("cli", "user.add", "bob"),
            ("cli", "user.passwd", "alice"),
            ("cli", "user.disable", "bob"),
            ("cli", "user.enable", "bob"),
        ];
        assert_eq!(audit, expected.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned())));
    }

    #[test]
    fn piped_password_is_the_first_line_without_its_ending() {
        assert_eq!(first_line("pass word 1\r\nsecond\n".as_bytes()).unwrap(), "pass word 1");
        assert_eq!(first_line(" spaced \n".as_bytes()).unwrap(), " spaced ");
        assert_eq!(first_line("no newline".as_bytes()).unwrap(), "no newline");
        assert!(first_line("".as_bytes()).unwrap_err().to_string().contains("没有密码"));
        assert!(first_line("\n".as_bytes()).is_err());
    }

    #[test]
    fn table_aligns_chinese_by_display_width() {
        let rows = [["alice".to_owned(), "发布员".to_owned()], ["张三".to_owned(), "编辑".to_owned()]];
        let text = table(["用户名", "角色"], &rows);
        assert_eq!(text, "用户名  角色\nalice   发布员\n张三    编辑\n");
    }

    #[test]
    fn role_parses_on_the_command_line_in_english_and_chinese() {
        use clap::ValueEnum;
        assert_eq!(Role::from_str("publisher", false), Ok(Role::Publisher));
        assert_eq!(Role::from_str("管理员", false), Ok(Role::Admin));
        assert!(Role::from_str("root", false).is_err());
    }
}
