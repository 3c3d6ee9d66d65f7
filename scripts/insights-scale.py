#!/usr/bin/env python3
"""How long staff wait for /admin/insights on a full retention period.

    python3 scripts/insights-scale.py                 # 180 days x 2,000 searches a day
    INSIGHTS_PER_DAY=10000 python3 scripts/insights-scale.py
    INSIGHTS_DATABASE=postgres://... python3 scripts/insights-scale.py   # an empty database

Builds the release binary, starts `weiquan serve` on the shipped content,
writes INSIGHTS_PER_DAY searches a day for 180 days (with topics, opened
results for half of them and some feedback) straight into its SQLite file,
signs in as an editor and times the insights page, a CSV export and the
weekly summary (median of 5 each). Needs Python 3 and cargo.

With INSIGHTS_DATABASE (an empty PostgreSQL database), the file is moved
there with `weiquan db migrate` (timed) and the server runs on it.
"""

import http.cookiejar
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf  # noqa: E402  (shared helpers)

PER_DAY = int(os.environ.get("INSIGHTS_PER_DAY", "2000"))
DATABASE = os.environ.get("INSIGHTS_DATABASE")
DAYS = 180
QUERIES = ["预付卡", "预付卡 退款", "健身房 跑路", "网购 退货", "直播 退款", "外卖 食品安全", "快递 丢件",
           "装修 增项", "医美 贷款", "保健品 会销", "二手车 里程", "旅游 强制购物", "机票 退改签", "校外培训 退费"]


def main():
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "weiquan"], cwd=perf.REPO, check=True)
    work = Path(tempfile.mkdtemp(prefix="weiquan-insights-"))
    try:
        run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work):
    data = work / "data"
    subprocess.run([perf.WEIQUAN, "user", "--data", str(data), "add", "ed", "--role", "editor"],
                   input="editor-pass1\n", text=True, check=True, stdout=subprocess.DEVNULL)
    perf.step(f"writing {PER_DAY * DAYS:,} searches")
    seed(data / "weiquan.sqlite3")
    database = []
    if DATABASE:
        started = time.monotonic()
        subprocess.run([perf.WEIQUAN, "db", "migrate", "--from", str(data / "weiquan.sqlite3"), "--to", DATABASE],
                       check=True)
        print(f"db migrate                       {time.monotonic() - started:7.1f} s")
        database = ["--database", DATABASE]
    port = perf.free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([perf.WEIQUAN, "serve", "--addr", f"127.0.0.1:{port}", "--content",
                               str(perf.REPO / "content"), "--index", str(work / "index"), "--data", str(data),
                               "--static", str(perf.REPO / "static"), *database],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not perf.answered(base + "/api/search?q=" + urllib.parse.quote("预付卡")):
            time.sleep(0.1)
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = browser.open(base + "/admin/login").read().decode()
        csrf = re.search(r'name="csrf" value="([^"]*)"', page).group(1)
        form = urllib.parse.urlencode({"name": "ed", "password": "editor-pass1", "csrf": csrf}).encode()
        browser.open(base + "/admin/login", data=form).read()
        last = datetime.now(timezone.utc).date()
        wide = f"from={last - timedelta(days=DAYS - 1)}&to={last}"
        for name, path in [("insights page, last 4 weeks", "/admin/insights"),
                           (f"insights page, all {DAYS} days", f"/admin/insights?{wide}"),
                           ("CSV of top queries, 4 weeks", "/admin/insights.csv?table=top"),
                           ("weekly summary", "/admin/insights/weekly")]:
            times = []
            for _ in range(5):
                started = time.monotonic()
                body = browser.open(base + path, timeout=120).read()
                times.append(time.monotonic() - started)
            print(f"{name:32} median {statistics.median(times) * 1000:7.0f} ms  "
                  f"worst {max(times) * 1000:7.0f} ms  ({len(body):,} bytes)")
        print(f"database: {(data / 'weiquan.sqlite3').stat().st_size / 1e6:.0f} MB for {PER_DAY * DAYS:,} searches")
    finally:
        server.terminate()
        server.wait()


def seed(path):
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    with sqlite3.connect(path) as db:
        for day in range(DAYS):
            searches, topics, opens = [], [], []
            for i in range(PER_DAY):
                at = (now - timedelta(days=day, seconds=rng.randrange(86400))).strftime("%Y-%m-%dT%H:%M:%SZ")
                query = rng.choice(QUERIES)
                ref = f"{rng.getrandbits(64):016x}"
                kiosk = f"mall-{rng.randrange(5)}" if i % 4 == 0 else None
                results = 0 if query == "直播 退款" else rng.randrange(1, 40)
                searches.append((at, query, results, "kiosk" if kiosk else "web", kiosk,
                                 "上海" if kiosk else None, ref))
                topics += [(at, ref, word) for word in query.split()]
                if results and i % 2 == 0:
                    opens.append((at, ref, rng.randrange(1, 6), f"warnings/doc-{rng.randrange(40)}"))
            db.executemany("INSERT INTO searches (at, query, results, channel, kiosk, region, search_ref) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", searches)
            db.executemany("INSERT INTO topics (at, search_ref, topic) VALUES (?, ?, ?)", topics)
            db.executemany("INSERT INTO opens (at, search_ref, position, doc) VALUES (?, ?, ?, ?)", opens)
            db.executemany("INSERT INTO feedback (at, doc, helpful, comment) VALUES (?, ?, ?, ?)",
                           [(searches[0][0], f"warnings/doc-{k}", k % 2, "示例留言" if k % 3 == 0 else "")
                            for k in range(10)])


if __name__ == "__main__":
    main()
