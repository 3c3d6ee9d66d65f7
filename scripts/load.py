#!/usr/bin/env python3
"""Load test: `weiquan serve` over the full corpus under steady traffic while
a publisher saves a warning every second.

    python3 scripts/load.py                  # 60 s at concurrency 64
    LOAD_SECONDS=20 LOAD_CONCURRENCY=16 python3 scripts/load.py

Builds the release binary, copies `content/` to a temporary folder (the
publisher writes there, never into the repository), builds the index over
that copy plus the LawRefBook corpus, and starts the server on loopback with
the search rate limit and the daily cap on recorded searches off (wrk sends
from one address, and every search should reach the insights writer). Then for
LOAD_SECONDS, at the same time:

- wrk at LOAD_CONCURRENCY connections requests a mix like real traffic:
  searches (the queries of ../shared/eval/queries-dev.jsonl), suggestions
  as typed letter by letter, and pages (home, warnings, search results,
  document and article pages);
- a publisher signs in to the admin and publishes a new warning every
  second through the editor form, with its CSRF token, as a person would.

Afterwards every save the server acknowledged (the editor answered with the
saved document) must be on disk, in the search index and in the version
history. The server's RSS is sampled every 10 seconds.

Fails (exit 1) on any wrk error (connection, timeout or an answer other than
2xx/3xx), any refused or lost save, or a server that stopped. Needs wrk
(`apt-get install wrk`), Python 3 and cargo. Loopback only.
"""

import http.cookiejar
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf  # noqa: E402  (shared helpers: wrk, fetch, free_port, ...)

SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", "64"))
PASSWORD = "load-test-pass"


def main():
    for tool in ("wrk", "cargo"):
        if shutil.which(tool) is None:
            sys.exit(f"load: `{tool}` is missing (wrk: apt-get install wrk)")
    if not perf.CORPUS.is_dir():
        sys.exit(f"load: no corpus at {perf.CORPUS}: set WEIQUAN_CORPUS")
    perf.step("building the release binary")
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "weiquan"], cwd=perf.REPO, check=True)
    work = Path(tempfile.mkdtemp(prefix="weiquan-load-"))
    try:
        failures = run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("\nFAILED:\n- " + "\n- ".join(failures))
        sys.exit(1)
    print("\npassed: no errors, every acknowledged save kept")


def run(work):
    content, index, data = work / "content", work / "index", work / "data"
    shutil.copytree(perf.REPO / "content", content)
    roots = ["--content", str(content), "--content", str(perf.CORPUS)]
    perf.step("building the index over content/ and the corpus")
    subprocess.run([perf.WEIQUAN, "index", *roots, "--index", str(index)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([perf.WEIQUAN, "user", "--data", str(data), "add", "loadpub", "--role", "publisher"],
                   input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
    port = perf.free_port()
    base = f"http://127.0.0.1:{port}"
    config = work / "weiquan.toml"
    config.write_text("insights_searches_per_address = 0\n")
    server = subprocess.Popen([perf.WEIQUAN, "serve", "--addr", f"127.0.0.1:{port}", *roots, "--index", str(index),
                               "--data", str(data), "--search-rate", "0", "--config", str(config)],
                              stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "w"))
    failures = []
    try:
        while not perf.answered(base + "/api/search?q=" + urllib.parse.quote("预付卡")):
            if server.poll() is not None:
                sys.exit("load: the server stopped during start-up")
            time.sleep(0.05)
        paths = traffic(base)
        for path in paths[:50]:  # warm the caches once, as a running site would be
            perf.fetch(base + path)
        rss = [("start", rss_bytes(server.pid))]
        publisher = Publisher(base)
        stop = threading.Event()
        threads = [threading.Thread(target=publisher.every_second, args=(stop,)),
                   threading.Thread(target=sample_rss, args=(server.pid, rss, stop))]
        for thread in threads:
            thread.start()
        perf.step(f"wrk: {SECONDS} s at concurrency {CONCURRENCY} over {len(paths)} paths, publishing every second")
        try:
            load = perf.wrk(base, paths, CONCURRENCY, work, seconds=SECONDS)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        rss.append(("end", rss_bytes(server.pid)))
        perf.step("checking every acknowledged save")
        lost = [slug for slug, marker in publisher.acknowledged if not kept(base, content, data, slug, marker)]
        if server.poll() is not None:
            failures.append("the server stopped during the load")
    finally:
        server.terminate()
        server.wait()

    print(f"\nwrk: {load['requests']} requests in {load['seconds']:.1f} s ({load['rps']:.0f}/s), "
          f"errors {load['errors']}, p50 {load['p50_ms']:.1f} ms, p90 {load['p90_ms']:.1f} ms, "
          f"p99 {load['p99_ms']:.1f} ms, max {load['max_ms']:.1f} ms")
    print(f"publisher: {publisher.attempts} saves tried, {len(publisher.acknowledged)} acknowledged, "
          f"{len(lost)} lost; save time p50 {percentile(publisher.seconds, 50) * 1000:.0f} ms, "
          f"max {max(publisher.seconds, default=0) * 1000:.0f} ms")
    print("server RSS (of it anonymous): "
          + ", ".join(f"{when} {size / 1e6:.0f} MB ({anon / 1e6:.0f})" for when, (size, anon) in rss))
    end_rss = rss[-1][1][0]
    print("\nissue 19's targets for this load:")
    for name, value, target, ok in [
        ("throughput", f"{load['rps']:.0f} req/s", ">= 1,200 req/s", load["rps"] >= 1200),
        ("p99", f"{load['p99_ms']:.1f} ms", "<= 150 ms", load["p99_ms"] <= 150),
        ("errors", str(load["errors"]), "0", load["errors"] == 0),
        ("server RSS at the end", f"{end_rss / 1e6:.0f} MB", "<= 250 MB", end_rss <= 250e6),
    ]:
        print(f"  {name:24} {value:>14}  target {target:16} {'met' if ok else 'NOT MET'}")
    if load["errors"]:
        failures.append(f"wrk counted {load['errors']} errors")
    failures += publisher.refusals
    if len(publisher.acknowledged) < SECONDS // 2:
        failures.append(f"only {len(publisher.acknowledged)} saves in {SECONDS} s")
    failures += [f"acknowledged save {slug} was lost" for slug in lost]
    return failures


def traffic(base):
    """The request mix: half searches, a quarter suggestions, a quarter pages."""
    queries = [json.loads(line)["q"] for line in perf.QUERIES.read_text().splitlines() if line.strip()]
    searches = ["/api/search?q=" + urllib.parse.quote(q) for q in queries]
    suggestions = ["/api/suggest?q=" + urllib.parse.quote(q) for q in perf.SUGGEST_INPUTS]
    pages = ["/", "/warnings", "/search?q=" + urllib.parse.quote("预付卡 退款")]
    for query in queries[:10]:
        hits = json.loads(perf.fetch(base + "/api/search?q=" + urllib.parse.quote(query)))["hits"]
        # Without the #article anchor (browsers do not send it), percent-encoded.
        pages += [urllib.parse.quote(hit["url"].split("#")[0], safe="/") for hit in hits[:2] if hit.get("url")]
    mix = []
    for i in range(max(len(searches), len(suggestions), len(pages)) * 2):
        mix += [searches[i % len(searches)], searches[(i + 7) % len(searches)],
                suggestions[i % len(suggestions)], pages[i % len(pages)]]
    return mix


class Publisher:
    """A staff member publishing a new warning every second through the editor."""

    def __init__(self, base):
        self.base = base
        self.browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.acknowledged, self.refusals, self.seconds, self.attempts = [], [], [], 0
        page = self.get("/admin/login")
        self.post("/admin/login", {"name": "loadpub", "password": PASSWORD, "csrf": field(page, "csrf")})

    def every_second(self, stop):
        next_at = time.monotonic()
        while not stop.is_set():
            self.attempts += 1
            slug = f"load-{self.attempts:03d}"
            marker = f"负载测试{self.attempts:03d}号警示"
            started = time.monotonic()
            try:
                page = self.get("/admin/edit?kind=warning")
                form = {name: field(page, name) for name in ("csrf", "id", "base", "kind")}
                form.update({"slug": slug, "title": marker, "summary": f"{marker}的摘要。", "severity": "info",
                             "tags": "网购", "regions": "全国", "action": "publish",
                             "body": f"## 发生了什么\n\n{marker}：测试发布。\n\n投诉请拨打 12315。"})
                answer = self.post("/admin/save", form)
                if f'value="warnings/{slug}"' in answer:
                    self.acknowledged.append((slug, marker))
                    self.seconds.append(time.monotonic() - started)
                else:
                    self.refusals.append(f"save {slug} answered without the saved document")
            except OSError as error:
                self.refusals.append(f"save {slug} failed: {error}")
            next_at += 1
            stop.wait(max(0, next_at - time.monotonic()))

    def get(self, path):
        with self.browser.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path, form):
        data = urllib.parse.urlencode(form).encode()
        with self.browser.open(self.base + path, data=data, timeout=30) as response:
            return response.read().decode()


def kept(base, content, data, slug, marker):
    """The saved warning is on disk, found by a search among the warnings
    (the ranked list puts articles first) and in the history."""
    on_disk = marker in (content / "warnings" / f"{slug}.md").read_text()
    found = json.loads(perf.fetch(base + "/api/search?kind=warning&q=" + urllib.parse.quote(marker)))["hits"]
    with sqlite3.connect(data / "weiquan.sqlite3") as db:
        (versions,) = db.execute("SELECT count(*) FROM versions WHERE doc_id = ?", (f"warnings/{slug}",)).fetchone()
    return on_disk and any(hit["id"] == f"warnings/{slug}" for hit in found) and versions > 0


def field(html, name):
    match = re.search(f'name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else ""


def sample_rss(pid, samples, stop):
    started = time.monotonic()
    while not stop.wait(10):
        samples.append((f"{time.monotonic() - started:.0f} s", rss_bytes(pid)))


def rss_bytes(pid):
    """Resident memory: (all, anonymous). The rest is the index's files mapped in."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[name].split()[0]) * 1024 for name in ("VmRSS", "RssAnon"))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * p // 100)] if ordered else 0


if __name__ == "__main__":
    main()
