//! CSV for spreadsheet programs. Every export (the audit log, the insights
//! tables) writes through [`Sheet`], so no cell can be read as a formula:
//! Excel, WPS and LibreOffice run a cell that starts with `=`, `+`, `-` or
//! `@` (and some a tab or a carriage return first), so a sign-in name like
//! `=HYPERLINK("http://evil.example","x")` would become a live link.

use std::borrow::Cow;

/// Rows of text cells, written as CSV.
pub struct Sheet(csv::Writer<Vec<u8>>);

impl Sheet {
    /// An empty sheet.
    pub fn new() -> Sheet {
        // Flexible: rows may differ in length, so writing to memory cannot fail.
        Sheet(csv::WriterBuilder::new().flexible(true).from_writer(Vec::new()))
    }

    /// Appends a row, each cell made [`safe`].
    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let cells = cells.into_iter().map(|cell| safe(cell.as_ref()).into_owned());
        self.0.write_record(cells).expect("writing CSV to memory cannot fail");
    }

    /// The CSV text.
    pub fn finish(self) -> String {
        let bytes = self.0.into_inner().expect("writing CSV to memory cannot fail");
        String::from_utf8(bytes).expect("CSV of strings is UTF-8")
    }
}

impl Default for Sheet {
    fn default() -> Sheet {
        Sheet::new()
    }
}

/// `cell` as a spreadsheet shows it without running it: a `'` before a cell
/// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (the
/// spreadsheet hides the `'` and shows the text as typed).
pub fn safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_kept() {
        for formula in ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(safe(formula), format!("'{formula}"));
        }
        for plain in ["预付卡", "", "2026-11-28", "12", "a=b", " =1", "'quoted"] {
            assert_eq!(safe(plain), plain);
        }
    }

    #[test]
    fn every_cell_of_a_sheet_is_made_safe_and_reads_back() {
        let mut sheet = Sheet::new();
        sheet.row(["名称", "说明"]);
        sheet.row(["=1+1", "逗号, \"引号\"\n换行"]);
        let text = sheet.finish();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(row, vec!["'=1+1", "逗号, \"引号\"\n换行"]);
    }
}
