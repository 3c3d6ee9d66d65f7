#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the parsers that read
# untrusted text: the query parser and normaliser, content files (front
# matter, Markdown, article splitting), citation extraction and the
# LawRefBook reader. Each target runs for FUZZ_SECONDS (default 600).
#
#   cargo install cargo-fuzz      # once
#   scripts/fuzz.sh               # all targets, 10 minutes each
#   FUZZ_SECONDS=60 scripts/fuzz.sh query
#
# Seeds come from the shipped content and word lists. New interesting
# inputs go to fuzz/corpus/<target>, crashes to fuzz/artifacts/<target>:
# turn each crash into a regression test before fixing it.
# cargo-fuzz passes nightly-only flags to rustc; RUSTC_BOOTSTRAP=1 lets the
# stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-600}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(query document citations lawrefbook)
export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  case $target in
    query) seeds=(content/questions.txt content/synonyms.txt content/aliases.txt) ;;
    document | citations) seeds=(content/warnings content/guides content/cases) ;;
    lawrefbook) seeds=(tests/fixtures/content/laws) ;;
    *) echo "fuzz: no target $target" >&2; exit 2 ;;
  esac
  seed_dir=$(mktemp -d)
  for seed in "${seeds[@]}"; do
    if [ -d "$seed" ]; then cp "$seed"/*.md "$seed_dir"/; else split -l 1 "$seed" "$seed_dir/$(basename "$seed")-"; fi
  done
  echo "fuzz: $target for $seconds s" >&2
  cargo fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" "$seed_dir" -- \
    -max_total_time="$seconds" -max_len=8192 -timeout=10 -print_final_stats=1
  rm -rf "$seed_dir"
done
