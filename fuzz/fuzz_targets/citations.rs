//! Citation extraction, with and without known laws.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = weiquan::content::citations::extract(text, &|_| false);
    let _ = weiquan::content::citations::extract(text, &|name| name.ends_with('法'));
    let _ = weiquan::content::citations::law_key(text);
});
