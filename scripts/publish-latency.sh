#!/usr/bin/env bash
# Publish-to-searchable time: publishes 20 warnings through the token API of a
# running server and times each from the request until /api/search finds it.
# Prints every time and the median, in milliseconds.
#
#   WEIQUAN_URL=http://127.0.0.1:8080 WEIQUAN_TOKEN=wq_... scripts/publish-latency.sh
#
# Create the token at /admin/tokens (scopes warnings:write and warnings:publish).
# The warnings it writes are content/warnings/latency-*.md: delete them afterwards.
set -euo pipefail
url=${WEIQUAN_URL:-http://127.0.0.1:8080}
token=${WEIQUAN_TOKEN:?set WEIQUAN_TOKEN to an API token with warnings:publish}
times=()
for i in $(seq 1 20); do
  word="延迟测试$(date +%s%N | tail -c 7)"
  start=$(date +%s%N)
  curl -fsS -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"slug\":\"latency-$i-$RANDOM\",\"action\":\"publish\",\"meta\":{\"title\":\"$word\",\"severity\":\"info\"},\"body\":\"$word\"}" \
    "$url/api/admin/warnings"
  until curl -fsS -G "$url/api/search" --data-urlencode "q=\"$word\"" | grep -q '"total":[1-9]'; do :; done
  times+=($(( ($(date +%s%N) - start) / 1000000 )))
done
printf '%s ms\n' "${times[@]}"
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "median: $(( (sorted[9] + sorted[10]) / 2 )) ms"
