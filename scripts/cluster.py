#!/usr/bin/env python3
"""The cluster test (issue 23): replicas of `weiquan serve` sharing one
PostgreSQL server, on loopback. Run from the repository:

    python3 scripts/cluster.py

It builds the debug binary (`cargo build --locked --bin weiquan`), or uses
the one `WEIQUAN_BIN` names (CI passes the one the test suite built: a
plain build would rebuild the crates with other features). It starts the test cluster with
`scripts/postgres-test.sh` in a schema of its own, and then:

1. starts three replicas, each with its own content, index and data folders;
2. publishes 20 warnings through the first and times each until the other
   two find it (median and worst), and checks that a kiosk's event stream
   on another replica announces a warning published on the first;
3. signs in on one replica and uses the session on another;
4. kills one replica during LOAD_SECONDS (default 60) of searches on the
   other two: they must answer every one;
5. restarts PostgreSQL during searches and saves: searches keep answering,
   saves answer 503 (with Retry-After) and then succeed, and every
   acknowledged save is found on every replica afterwards;
6. starts a fourth replica with an empty index, which must have every
   warning.

Prints the figures as it goes and exits non-zero on the first failure.
"""

import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
PASSWORD = "cluster-pass-2026"
SEARCHABLE_WITHIN = 1.0  # seconds, issue 23
STREAMED_WITHIN = 2.0


def fail(message):
    print(f"FAILED: {message}", flush=True)
    sys.exit(1)


def step(message):
    print(f"\n== {message}", flush=True)


def request(url, data=None, headers=None, method=None, timeout=10):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def schema_url():
    base = subprocess.run([str(ROOT / "scripts/postgres-test.sh")], check=True, capture_output=True,
                          text=True).stdout.strip()
    schema = f"cluster_{os.getpid()}"
    subprocess.run(["psql", "-q", base, "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"],
                   check=True, env=dict(os.environ, PGOPTIONS="--client-min-messages=warning"))
    return base + "?options=" + urllib.parse.quote(f"-c search_path={schema}")


class Replica:
    def __init__(self, binary, work, name, url):
        self.folder = work / name
        content = self.folder / "content"
        shutil.copytree(ROOT / "content", content)
        # Every search of the load is recorded in the insights, not only an
        # address's first thousand a day.
        config = self.folder / "weiquan.toml"
        config.write_text("insights_searches_per_address = 0\n")
        self.process = subprocess.Popen(
            [binary, "serve", "--addr", "127.0.0.1:0", "--offline", "--search-rate", "0", "--config", str(config),
             "--content", str(content), "--index", str(self.folder / "index"), "--data", str(self.folder / "data"),
             "--static", str(ROOT / "static"), "--database", url],
            stdout=subprocess.PIPE, stderr=open(self.folder / "log", "w"), text=True)
        for line in self.process.stdout:
            if "http://" in line:
                self.base = line[line.index("http://"):].strip()
                break
        else:
            fail(f"{name} did not start: see {self.folder / 'log'}")
        # Nothing reads the rest of its output.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def found(self, word):
        query = urllib.parse.quote(f'"{word}"')
        status, _, body = request(f"{self.base}/api/search?q={query}")
        return status == 200 and json.loads(body).get("total", 0) >= 1

    def dropped(self):
        """Insights events this replica could not write (`/metrics`)."""
        _, _, body = request(f"{self.base}/metrics")
        line = next(l for l in body.decode().splitlines() if l.startswith("weiquan_insights_dropped_total "))
        return int(line.split()[1])

    def kill(self):
        self.process.kill()
        self.process.wait()


class Staff:
    """A signed-in admin, cookies kept as a browser keeps them."""

    def __init__(self, replica):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.get(replica, "/admin/login")
        form = {"name": "boss", "password": PASSWORD, "csrf": csrf(page)}
        answer = self.opener.open(f"{replica.base}/admin/login", urllib.parse.urlencode(form).encode())
        if "/admin/login" in answer.geturl():
            fail("the admin cannot sign in")

    def get(self, replica, path):
        with self.opener.open(f"{replica.base}{path}") as response:
            return response.read().decode()

    def token(self, replica):
        page = self.get(replica, "/admin/tokens")
        form = {"csrf": csrf(page), "action": "create", "name": "cluster", "write": "1", "publish": "1"}
        created = self.opener.open(f"{replica.base}/admin/tokens", urllib.parse.urlencode(form).encode()).read()
        return re.search(r'id="new-token">([^<]+)<', created.decode()).group(1)


def csrf(page):
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def publish(replica, secret, word):
    """Publishes a warning titled `word` through `replica`: the HTTP status."""
    body = json.dumps({"slug": f"cluster-{abs(hash(word))}", "action": "publish",
                       "meta": {"title": word, "summary": f"{word}：集群测试。", "severity": "info"},
                       "body": f"{word}：正文。"}).encode()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    status, headers, _ = request(f"{replica.base}/api/admin/warnings", body, headers)
    return status, headers


def searchable_times(source, others, secret):
    times = {id(other): [] for other in others}
    for i in range(20):
        word = f"集群延迟{os.getpid()}测{i}"
        started = time.monotonic()
        if publish(source, secret, word)[0] != 200:
            fail(f"publishing {word} failed")
        waiting = set(range(len(others)))
        while waiting:
            for k in list(waiting):
                if others[k].found(word):
                    times[id(others[k])].append(time.monotonic() - started)
                    waiting.discard(k)
            if time.monotonic() - started > 10:
                fail(f"{word} not found on every replica after 10 s")
            time.sleep(0.005)
    return [times[id(other)] for other in others]


def stream_announces(source, watcher, secret):
    """Publishes on `source` while a kiosk's event stream is open on `watcher`:
    the seconds until the stream names the new warning."""
    word = f"集群推送{os.getpid()}"
    heard = threading.Event()

    def listen():
        with urllib.request.urlopen(f"{watcher.base}/api/events", timeout=30) as stream:
            for line in stream:
                if word in line.decode(errors="replace"):
                    heard.set()
                    return

    threading.Thread(target=listen, daemon=True).start()
    time.sleep(0.5)
    started = time.monotonic()
    if publish(source, secret, word)[0] != 200:
        fail("publishing for the event stream failed")
    if not heard.wait(10):
        fail("the event stream on another replica did not announce the warning")
    return time.monotonic() - started


def load(replicas, seconds, errors, answered, stop=None):
    """Searches on `replicas` in turn from two threads until `seconds` pass."""
    words = ["预付卡", "七天无理由退货", "消费者权益保护法", "健身房", "网购"]

    def run():
        end, i = time.monotonic() + seconds, 0
        while time.monotonic() < end and not (stop and stop.is_set()):
            replica = replicas[i % len(replicas)]
            status, _, _ = request(f"{replica.base}/api/search?q={urllib.parse.quote(words[i % len(words)])}")
            (answered if status == 200 else errors).append(status)
            i += 1

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    return threads


def main():
    started = time.monotonic()
    binary = os.environ.get("WEIQUAN_BIN")
    if not binary:
        subprocess.run(["cargo", "build", "--locked", "--bin", "weiquan"], cwd=ROOT, check=True)
        binary = str(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug/weiquan")
    url = schema_url()
    work = Path(tempfile.mkdtemp(prefix="weiquan-cluster-"))
    replicas = []
    try:
        adding = subprocess.run([binary, "user", "add", "boss", "--role", "admin", "--database", url],
                                input=PASSWORD + "\n", text=True, capture_output=True)
        if adding.returncode != 0:
            fail(f"user add: {adding.stderr}")

        step("1. PostgreSQL and three replicas")
        replicas = [Replica(binary, work, f"replica-{i}", url) for i in range(1, 4)]
        a, b, c = replicas
        print("replicas at", ", ".join(r.base for r in replicas))

        step("2. publish through one, search and stream on the others")
        staff = Staff(a)
        secret = staff.token(a)
        for other, times in zip([b, c], searchable_times(a, [b, c], secret)):
            ms = [t * 1000 for t in times]
            print(f"publish-to-searchable on {other.base}: median {statistics.median(ms):.0f} ms, "
                  f"worst {max(ms):.0f} ms (20 warnings)")
            if max(times) > SEARCHABLE_WITHIN:
                fail(f"a warning took {max(times):.2f} s to be searchable on another replica")
        streamed = stream_announces(a, b, secret)
        print(f"announced on another replica's event stream after {streamed * 1000:.0f} ms")
        if streamed > STREAMED_WITHIN:
            fail("the event stream took longer than 2 s")

        step("3. a session made on one replica, used on another")
        if "boss" not in staff.get(c, "/admin/users"):
            fail("the session does not work on another replica")
        print("signed in on", a.base, "and listed the users on", c.base)

        step(f"4. one replica killed during {LOAD_SECONDS:.0f} s of searches on the other two")
        errors, answered = [], []
        threads = load([a, c], LOAD_SECONDS, errors, answered)
        time.sleep(min(5, LOAD_SECONDS / 4))
        b.kill()
        for thread in threads:
            thread.join()
        print(f"{len(answered)} searches answered, {len(errors)} errors")
        if errors or not answered:
            fail(f"the surviving replicas answered errors: {sorted(set(errors))}")

        step("5. PostgreSQL restarted during searches and saves")
        dropped_before = [r.dropped() for r in (a, c)]
        errors, answered, stop = [], [], threading.Event()
        threads = load([a, c], 60, errors, answered, stop)
        acknowledged, refused = [], []
        restart = threading.Thread(target=lambda: subprocess.run(
            [str(ROOT / "scripts/postgres-test.sh"), "restart"], check=True))
        restart.start()
        outage_started = time.monotonic()
        i = 0
        while restart.is_alive() or not acknowledged or time.monotonic() - outage_started < 3:
            word = f"集群重启{os.getpid()}存{i}"
            status, headers = publish(a, secret, word)
            if status == 200:
                acknowledged.append(word)
            elif status == 503 and headers.get("Retry-After"):
                refused.append(word)
            else:
                fail(f"a save during the restart answered {status}")
            i += 1
            time.sleep(0.05)
            if time.monotonic() - outage_started > 60:
                fail("saves did not succeed again within 60 s of the restart")
        stop.set()
        for thread in threads:
            thread.join()
        print(f"saves: {len(refused)} answered 503 with Retry-After, {len(acknowledged)} acknowledged; "
              f"searches: {len(answered)} answered, {len(errors)} errors")
        if errors:
            fail(f"searches failed during the restart: {sorted(set(errors))}")
        for word in acknowledged:
            for replica in (a, c):
                deadline = time.monotonic() + 10
                while not replica.found(word):
                    if time.monotonic() > deadline:
                        fail(f"the acknowledged save {word} is missing on {replica.base}")
                    time.sleep(0.05)
        print("every acknowledged save is found on both replicas")
        time.sleep(2)  # the insights writers' last batches
        dropped = sum(r.dropped() for r in (a, c)) - sum(dropped_before)
        print(f"insights events dropped during the restart: {dropped}")
        if dropped:
            fail("insights events were lost during the restart")

        step("6. a fourth replica with an empty index")
        d = Replica(binary, work, "replica-4", url)
        replicas.append(d)
        missing = [w for w in acknowledged if not d.found(w)]
        if missing:
            fail(f"the new replica lacks {len(missing)} saved warnings")
        print(f"the new replica at {d.base} has all {len(acknowledged)} warnings saved during the restart")
    finally:
        for replica in replicas:
            replica.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\ncluster test passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
