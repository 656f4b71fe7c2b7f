#!/usr/bin/env python3
"""Server crash test: SIGKILL `fmdb serve` at random moments under concurrent upserts, restart it,
and check that every acknowledged write survived, no refused one appears and none is half applied.

usage: tools/crash-test --server [--iterations 200] [--seed S] [--clients 16] [--fmdb PATH]
                        [--work DIR] [--keep] [--json]

Per iteration: start the server on DIR (the first time: create collection `c`, dimension 32,
cosine), let --clients threads send upserts and deletes of 1-50 points over keep-alive
connections, and kill -9 the server after a seeded 50-1500 ms. Ids of new points are never
reused; every write of an id gets a new version whose vector and label derive from
(seed, id, version); an overwrite or delete only touches ids whose last write was acknowledged
and that no other request in flight touches; one valid upsert in ten gives an id twice, a decoy
first (the last must win). Some requests are invalid in their last point:
refused by the API (wrong dimension, NaN through vector_b64) or only by the store inside the
group-commit transaction (zero vector under cosine, a vector whose norm overflows, a label with
NUL), which makes the whole group roll back and its requests retry one by one. Each answer is
recorded: acknowledged (200), refused (400) or unknown (no answer).

With the server down, `fmdb export DIR/c` (one consistent snapshot, faster than a GET per id and
the only way to see ids nobody asked for) is compared with the model:
  lost             points whose acknowledged version (or acknowledged deletion) is not there
  half_applied     unknown requests of which some points were applied and some not
  refused_present  refused requests of which some point was applied
  phantoms         points no request wrote (or of a refused request of an earlier iteration)
After the restart, GETs through the API must match the export (api_mismatches), and every
--verify-every iterations `fmdb verify` must find the store clean (verify_failures). A server
that does not come back is a restart failure; the last restart ends with SIGTERM, which must exit 0.
The group-commit ratio is write requests committed per write transaction, from /metrics read just
before each kill. The last line on stdout is a JSON summary; the exit status is 1 when any failure
count is not 0.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIMENSION = 32
COLLECTION = "c"
POINTS_PATH = f"/v1/collections/{COLLECTION}/points"
FAILURES = ("lost", "half_applied", "refused_present", "phantoms", "verify_failures", "api_mismatches",
            "unexpected_status", "restart_failures")


def find_fmdb(explicit):
    if explicit:
        return explicit
    if os.environ.get("FMDB_BINARY"):
        return os.environ["FMDB_BINARY"]
    binary = os.path.join(HERE, ".build/release/fmdb")
    # `fmdb serve` runs fmdb-server from fmdb's directory
    for product in ("fmdb", "fmdb-server"):
        if not os.access(os.path.join(HERE, ".build/release", product), os.X_OK):
            subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", product], cwd=HERE,
                           check=True, stdout=sys.stderr)
    return binary


# --- what each write puts -------------------------------------------------------------------

def vector_bytes(seed, point_id, version):
    """DIMENSION little-endian float32 in [-1, 1), each exactly representable (24-bit integer / 2^23)."""
    words = struct.unpack(f"<{DIMENSION}I", hashlib.shake_128(b"%d/%d/%d" % (seed, point_id, version)).digest(4 * DIMENSION))
    return struct.pack(f"<{DIMENSION}f", *[((w >> 8) - (1 << 23)) / (1 << 23) for w in words])


def label_of(seed, point_id, version):
    """None for about one point in five, else a label naming the version (some not ASCII)."""
    h = hashlib.blake2b(b"%d:%d:%d" % (seed, point_id, version), digest_size=4).digest()
    if h[0] % 5 == 0:
        return None
    return ("é" if h[1] % 4 == 0 else "l") + f"{point_id % 13}-v{version}"


class Version:
    """One write of an id: its vector bytes and label (None: the id is deleted)."""
    __slots__ = ("number", "vector", "label")

    def __init__(self, number, vector, label):
        self.number, self.vector, self.label = number, vector, label

    def matches(self, actual):
        return actual is not None and actual[0] == self.vector and actual[1] == self.label


def same(version, actual):
    """Whether a point read back (None: absent; else (vector bytes, label)) is `version` (None: absent)."""
    return actual is None if version is None else version.matches(actual)


class Request:
    """One upsert or delete: per id (id, new version or None for a delete, previous version or None)."""
    __slots__ = ("serial", "kind", "writes", "valid", "outcome", "body", "answer")

    def __init__(self, serial, kind, writes, valid, body, answer):
        self.serial, self.kind, self.writes, self.valid, self.body = serial, kind, writes, valid, body
        self.answer = answer           # the body of a 200 (every id of a delete exists; an upsert counts what it sent)
        self.outcome = None


# --- the model: which version of each id may legally be current ---------------------------------

class Model:
    """Ids whose last write is settled (`present`; absent ids are not in it), the ids free for the
    next overwrite or delete, and this iteration's requests by outcome. One lock for everything."""

    def __init__(self, seed, target_points):
        self.seed, self.target_points = seed, target_points
        self.lock = threading.Lock()
        self.present = {}              # id -> Version
        self.available, self.slot = [], {}
        self.deleted = set()           # ids whose acknowledged deletion is their last write
        self.next_id, self.next_serial = 1, 1
        self.acknowledged, self.refused, self.unknown = [], [], []
        self.unexpected = []           # (request, status, body) with a status other than expected

    def _free(self, point_id):
        self.slot[point_id] = len(self.available)
        self.available.append(point_id)

    def _take(self, rng, count):
        taken = []
        while len(taken) < count and self.available:
            i = rng.randrange(len(self.available))
            point_id = self.available[i]
            last = self.available.pop()
            if last != point_id:
                self.available[i] = last
                self.slot[last] = i
            del self.slot[point_id]
            taken.append(point_id)
        return taken

    def plan(self, rng):
        """Chooses the next request and checks its ids out (no other request touches them until it is answered)."""
        with self.lock:
            serial = self.next_serial
            self.next_serial += 1
            live = len(self.present)
            kinds = [("insert", 40 if live < self.target_points else 10), ("overwrite", 25 if self.available else 0),
                     ("delete", (25 if live > self.target_points else 4) if self.available else 0),
                     ("invalid-api", 8), ("invalid-store", 8)]
            kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
            count = rng.randint(1, 50)
            if kind == "delete":
                ids, fresh = self._take(rng, count), 0
            elif kind == "insert":
                ids, fresh = [], count
            else:                      # overwrites mixed with new ids
                ids = self._take(rng, rng.randint(0, count))
                fresh = count - len(ids)
            ids += range(self.next_id, self.next_id + fresh)
            self.next_id += fresh
            rng.shuffle(ids)
            old = [self.present.get(point_id) for point_id in ids]
        if kind == "delete":
            writes = [(point_id, None, before) for point_id, before in zip(ids, old)]
            body = json.dumps({"ids": ids}).encode()
            return Request(serial, kind, writes, True, body, {"deleted": len(ids)})
        writes = [(point_id, Version(serial, vector_bytes(self.seed, point_id, serial), label_of(self.seed, point_id, serial)), before)
                  for point_id, before in zip(ids, old)]
        points = [self._point(rng, point_id, version.vector, version.label) for point_id, version, _ in writes]
        if kind in ("insert", "overwrite") and rng.random() < 0.1:
            # an id given twice: the last wins
            at = rng.randrange(len(points))
            point_id = writes[at][0]
            points.insert(at, self._point(rng, point_id, vector_bytes(self.seed, point_id, -serial), "decoy"))
        if kind == "invalid-api":
            points[-1] = self._point(rng, writes[-1][0], *self._refused_by_api(rng, writes[-1][1]))
        elif kind == "invalid-store":
            points[-1] = self._point(rng, writes[-1][0], *self._refused_by_store(rng, writes[-1][1]))
        body = json.dumps({"points": points}).encode()
        # an id given twice is one point upserted
        distinct = len({point["id"] for point in points})
        return Request(serial, kind, writes, not kind.startswith("invalid"), body, {"upserted": distinct})

    @staticmethod
    def _point(rng, point_id, vector, label, encoding=None):
        point = {"id": point_id}
        if (encoding or ("json" if rng.random() < 0.25 else "b64")) == "json":
            point["vector"] = list(struct.unpack(f"<{len(vector) // 4}f", vector))
        else:
            point["vector_b64"] = base64.b64encode(vector).decode()
        if label is not None:
            point["label"] = label
        return point

    @staticmethod
    def _refused_by_api(rng, version):
        """A last point the API refuses before it queues the request: wrong dimension or NaN."""
        if rng.random() < 0.5:
            values = list(struct.unpack(f"<{DIMENSION}f", version.vector))
            values = values[:-1] if rng.random() < 0.5 else values + [0.5]
            return struct.pack(f"<{len(values)}f", *values), version.label
        nan = bytearray(version.vector)
        at = 4 * rng.randrange(DIMENSION)
        nan[at:at + 4] = struct.pack("<I", 0x7FC00000)
        return bytes(nan), version.label

    @staticmethod
    def _refused_by_store(rng, version):
        """A last point only the store refuses, inside the group transaction."""
        choice = rng.randrange(3)
        if choice == 0:
            return bytes(4 * DIMENSION), version.label                       # zero vector under cosine
        if choice == 1:
            return struct.pack(f"<{DIMENSION}f", *([3e38] * DIMENSION)), version.label   # norm overflows
        return version.vector, "nul\u0000label"

    def answered(self, request, status, text):
        """Records the answer: 200 acknowledged, 400 refused, no answer (status None) or any other status unknown."""
        with self.lock:
            if status is not None and status != (200 if request.valid else 400):
                self.unexpected.append((request, status, text))
            elif status == 200 and parsed(text) != request.answer:
                self.unexpected.append((request, status, f"{text}, expected {json.dumps(request.answer)}"))
            if status == 200:
                request.outcome = "acknowledged"
                self.acknowledged.append(request)
                for point_id, new, _ in request.writes:
                    if new is None:
                        self.present.pop(point_id, None)
                        self.deleted.add(point_id)
                    else:
                        self.present[point_id] = new
                        self.deleted.discard(point_id)
                        self._free(point_id)
            elif status == 400:
                request.outcome = "refused"
                self.refused.append(request)
                for point_id, _, old in request.writes:
                    if old is not None:
                        self._free(point_id)
            else:                      # its ids stay checked out until the store is read after the kill
                request.outcome = "unknown"
                self.unknown.append(request)

    def resolve(self, actual, log):
        """Compares the store's contents (id -> (vector bytes, label)) with what may legally be there,
        counts the failures, and takes the store's contents as the new settled state."""
        counts = {"lost": 0, "half_applied": 0, "refused_present": 0, "phantoms": 0, "unknown_applied": 0}
        in_doubt = {}
        for request in self.unknown:
            for point_id, new, old in request.writes:
                in_doubt[point_id] = (request, new, old)
        refused_writes = {}
        for request in self.refused:
            for point_id, new, _ in request.writes:
                refused_writes[point_id] = (request, new)
        applied = {request.serial: [0, 0] for request in self.unknown}
        refused_seen = set()
        settled = {}
        for point_id in set(self.present) | set(in_doubt) | set(actual):
            found = actual.get(point_id)
            if point_id in in_doubt:
                request, new, old = in_doubt[point_id]
                if same(new, found):
                    applied[request.serial][0] += 1
                    settled[point_id] = new
                    continue
                if same(old, found):
                    applied[request.serial][1] += 1
                    settled[point_id] = old
                    continue
                expected = (old, new)
            else:
                expected = (self.present.get(point_id),)
                if same(expected[0], found):
                    settled[point_id] = expected[0]
                    continue
            settled[point_id] = None if found is None else Version(-1, found[0], found[1])
            refused = refused_writes.get(point_id)
            if refused and same(refused[1], found):
                if refused[0].serial not in refused_seen:
                    refused_seen.add(refused[0].serial)
                    counts["refused_present"] += 1
                    log(f"  refused request {refused[0].serial} ({refused[0].kind}) applied: id {point_id} holds its version")
            elif any(v is not None for v in expected) or point_id in self.deleted:
                counts["lost"] += 1
                if counts["lost"] <= 5:
                    log(f"  lost: id {point_id} should be {describe(expected)}, is {describe_found(found)}")
            else:
                counts["phantoms"] += 1
                if counts["phantoms"] <= 5:
                    log(f"  phantom: id {point_id} is {describe_found(found)}; no request wrote it")
        for request in self.unknown:
            done, not_done = applied[request.serial]
            if done and not_done:
                counts["half_applied"] += 1
                log(f"  half applied: request {request.serial} ({request.kind}): {done} of {done + not_done} points")
            elif done:
                counts["unknown_applied"] += 1
        self.present = {point_id: v for point_id, v in settled.items() if v is not None}
        self.deleted = {point_id for point_id in self.deleted | set(in_doubt) if point_id not in self.present}
        self.available, self.slot = [], {}
        for point_id in self.present:
            self._free(point_id)
        self.acknowledged, self.refused, self.unknown, self.unexpected = [], [], [], []
        return counts


def parsed(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def describe(versions):
    return " or ".join("absent" if v is None else f"version {v.number}" for v in versions)


def describe_found(found):
    return "absent" if found is None else f"a point labelled {found[1]!r}"


# --- the server -------------------------------------------------------------------------------

class Server:
    """One `fmdb serve` process on DIR, on a free port."""

    def __init__(self, fmdb, directory, work, log_file):
        self.fmdb, self.directory, self.work, self.log_file = fmdb, directory, work, log_file
        self.process, self.port = None, None

    def start(self, timeout=120):
        """Starts the server; returns None once /readyz answers 200, else why not."""
        out_path = os.path.join(self.work, "server.out")
        with open(out_path, "wb") as out:
            self.process = subprocess.Popen(
                [self.fmdb, "serve", self.directory, "--port", "0", "--cache-mb", "32"], stdin=subprocess.DEVNULL,
                stdout=out, stderr=self.log_file)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(out_path, "rb") as f:
                line = f.readline().decode(errors="replace")
            if line.startswith("listening on ") and line.endswith("\n"):
                self.port = int(line.strip().rsplit(":", 1)[1])
                break
            if self.process.poll() is not None:
                return f"exited with status {self.process.returncode} before listening"
            time.sleep(0.01)
        else:
            return "did not print its listening line"
        while time.monotonic() < deadline:
            status, _ = self.get("/readyz")
            if status == 200:
                return None
            if self.process.poll() is not None:
                return f"exited with status {self.process.returncode} before /readyz"
            time.sleep(0.02)
        return "/readyz did not answer 200"

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, timeout=30):
        """(status, body text); status None when there was no answer."""
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body, {"Content-Type": "application/json"} if body is not None else {})
            response = connection.getresponse()
            return response.status, response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as error:
            return None, str(error)
        finally:
            connection.close()

    def get(self, path, timeout=5):
        return self.request("GET", path, timeout=timeout)

    def write_counters(self):
        """(transactions, requests committed) for the collection from /metrics, or None."""
        status, text = self.get("/metrics", timeout=2)
        if status != 200:
            return None
        values = {}
        for line in text.splitlines():
            for name in ("featurememory_commits_total", "featurememory_group_commit_requests_sum"):
                if line.startswith(f'{name}{{collection="{COLLECTION}"}} '):
                    values[name] = int(float(line.split()[-1]))
        if len(values) != 2:
            return None
        return values["featurememory_commits_total"], values["featurememory_group_commit_requests_sum"]

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def terminate(self, timeout=60):
        """SIGTERM; the exit status, or None if it did not exit in time (then it is killed)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


def client(server, model, rng, stop, tally):
    """Sends requests over one keep-alive connection until `stop`; a request without an answer is unknown."""
    connection = server.connection()
    while not stop.is_set():
        request = model.plan(rng)
        path = POINTS_PATH + ("/delete" if request.kind == "delete" else "")
        try:
            connection.request("POST", path, request.body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            status, text = response.status, response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            model.answered(request, None, "")
            connection.close()
            if stop.is_set() or server.process.poll() is not None:
                return
            tally["dropped_while_up"] += 1
            connection = server.connection()
            continue
        model.answered(request, status, text)
    connection.close()


# --- checks with the server down or just restarted -------------------------------------------------

def read_store(fmdb, store, path):
    """id -> (vector bytes, label) from `fmdb export STORE PATH --format jsonl`; None on failure."""
    done = subprocess.run([fmdb, "export", store, path, "--format", "jsonl"], capture_output=True, text=True)
    if done.returncode != 0:
        return None, done.stderr.strip()
    contents = {}
    with open(path, "rb") as f:
        for line in f:
            row = json.loads(line)
            contents[row["id"]] = (struct.pack(f"<{len(row['vector'])}f", *row["vector"]), row.get("label"))
    os.remove(path)
    return contents, None


def spot_check(server, model, rng, log):
    """GETs of some present and some absent ids, and the collection's count: mismatches with the model."""
    mismatches = 0
    status, text = server.get(f"/v1/collections/{COLLECTION}")
    count = json.loads(text).get("count") if status == 200 else None
    if count != len(model.present):
        log(f"  api: collection count {count} (status {status}), expected {len(model.present)}")
        mismatches += 1
    present = rng.sample(sorted(model.present), min(16, len(model.present)))
    absent = rng.sample(sorted(model.deleted), min(4, len(model.deleted))) + [model.next_id + 1]
    for point_id in present + absent:
        status, text = server.get(f"/v1/collections/{COLLECTION}/points/{point_id}")
        expected = model.present.get(point_id)
        if expected is None:
            good = status == 404
        elif status == 200:
            row = json.loads(text)
            good = expected.matches((struct.pack(f"<{len(row['vector'])}f", *row["vector"]), row.get("label")))
        else:
            good = False
        if not good:
            mismatches += 1
            log(f"  api: GET point {point_id}: status {status}, expected {'absent' if expected is None else f'version {expected.number}'}")
    return mismatches


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--clients", type=int, default=16, help="concurrent client connections")
    parser.add_argument("--min-delay-ms", type=int, default=50)
    parser.add_argument("--max-delay-ms", type=int, default=1500)
    parser.add_argument("--points", type=int, default=8000, help="about how many points the collection holds (deletes keep it there)")
    parser.add_argument("--verify-every", type=int, default=10, help="run fmdb verify every K iterations (and after the last)")
    parser.add_argument("--fmdb")
    parser.add_argument("--work")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--json", action="store_true", help="no line per iteration, only the JSON summary")
    args = parser.parse_args()
    if args.iterations < 1 or args.clients < 1 or not 0 <= args.min_delay_ms <= args.max_delay_ms or args.verify_every < 1:
        parser.error("--iterations, --clients and --verify-every must be at least 1, and --min-delay-ms at most --max-delay-ms")
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    fmdb = find_fmdb(args.fmdb)
    work = args.work or tempfile.mkdtemp(prefix="server-crash-test-")
    directory = os.path.join(work, f"served-{seed}")
    if os.path.exists(directory):
        sys.exit(f"server-crash-test: {directory} exists; remove it or choose another --work or --seed")
    os.makedirs(directory)
    store = os.path.join(directory, COLLECTION)
    export_path = os.path.join(work, f"export-{seed}.jsonl")
    log_file = open(os.path.join(work, f"server-{seed}.log"), "ab")

    def log(text):
        if not args.json:
            print(text, file=sys.stderr, flush=True)

    # SIGTERM (a CI timeout) goes through the `finally` below, which kills the server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(seed)
    model = Model(seed, args.points)
    server = Server(fmdb, directory, work, log_file)
    summary = {"iterations": 0, "kills": 0, "requests": 0, "acknowledged": 0, "refused": 0, "unknown": 0,
               "unknown_applied": 0, "dropped_while_up": 0, "points": 0,
               **{name: 0 for name in FAILURES}, "group_ratio": None, "seed": seed, "seconds": 0.0}
    transactions = committed = 0
    started = time.monotonic()
    log(f"server crash test: seed {seed}, {args.iterations} iterations, {args.clients} clients, fmdb {fmdb}, work {work}")
    try:
        for iteration in range(args.iterations + 1):
            log_file.write(f"--- start {iteration}\n".encode())
            log_file.flush()
            why = server.start()
            if why:
                summary["restart_failures"] += 1
                log_file.flush()
                with open(log_file.name, "rb") as f:
                    tail = f.read()[-2000:].decode(errors="replace").strip()
                log(f"iteration {iteration}: the server did not come back: {why} (replay with --seed {seed}); its log ends:\n{tail}")
                if server.process.poll() is None:
                    server.kill()
                break
            if iteration == 0:
                status, text = server.request("PUT", f"/v1/collections/{COLLECTION}",
                                              json.dumps({"dimension": DIMENSION, "metric": "cosine", "m": 16, "ef_construction": 64}).encode())
                if status != 201:
                    sys.exit(f"server-crash-test: creating the collection answered {status}: {text}")
            else:
                mismatches = spot_check(server, model, rng, log)
                summary["api_mismatches"] += mismatches
            if iteration == args.iterations:
                status = server.terminate()
                if status != 0:
                    summary["restart_failures"] += 1
                    log(f"SIGTERM: the server exited with {status}, expected 0")
                break

            stop, tally = threading.Event(), {"dropped_while_up": 0}
            threads = [threading.Thread(target=client, args=(server, model, random.Random(rng.getrandbits(64)), stop, tally))
                       for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            delay = rng.randint(args.min_delay_ms, args.max_delay_ms)
            time.sleep(delay / 1000)
            counters = server.write_counters()
            stop.set()
            server.kill()
            for thread in threads:
                thread.join(60)
            if any(thread.is_alive() for thread in threads):
                sys.exit("server-crash-test: a client thread did not stop within 60 s of the kill")
            summary["kills"] += 1
            summary["iterations"] += 1
            summary["dropped_while_up"] += tally["dropped_while_up"]
            if counters:
                transactions += counters[0]
                committed += counters[1]
            outcomes = (len(model.acknowledged), len(model.refused), len(model.unknown))
            for request, status, text in model.unexpected:
                summary["unexpected_status"] += 1
                log(f"  request {request.serial} ({request.kind}, {len(request.writes)} points): status {status}, expected "
                    f"{200 if request.valid else 400}: {text[:200]}")

            actual, error = read_store(fmdb, store, export_path)
            if actual is None:
                summary["verify_failures"] += 1
                log(f"iteration {iteration}: fmdb export failed: {error} (replay with --seed {seed})")
                break
            counts = model.resolve(actual, log)
            for name in ("lost", "half_applied", "refused_present", "phantoms", "unknown_applied"):
                summary[name] += counts[name]
            summary["requests"] += sum(outcomes)
            summary["acknowledged"] += outcomes[0]
            summary["refused"] += outcomes[1]
            summary["unknown"] += outcomes[2]
            summary["points"] = len(actual)
            verified = ""
            if iteration % args.verify_every == args.verify_every - 1 or iteration == args.iterations - 1:
                done = subprocess.run([fmdb, "verify", store], capture_output=True, text=True)
                verified = ", verify clean" if done.returncode == 0 else f", VERIFY FAILED ({done.returncode})"
                if done.returncode != 0:
                    summary["verify_failures"] += 1
                    log((done.stdout + done.stderr).strip()[-2000:])
            failures = sum(counts[name] for name in ("lost", "half_applied", "refused_present", "phantoms"))
            group = f"{counters[1]}/{counters[0]} requests/transactions" if counters else "no /metrics"
            log(f"iteration {iteration}: killed after {delay} ms: {sum(outcomes)} requests ({outcomes[0]} acknowledged, "
                f"{outcomes[1]} refused, {outcomes[2]} unknown, {counts['unknown_applied']} of them applied), {group}, "
                f"{len(actual)} points{verified}" + (f"; {failures} FAILURES (replay with --seed {seed})" if failures else ""))
    finally:
        if server.process and server.process.poll() is None:
            server.kill()
        log_file.close()
        summary["group_ratio"] = round(committed / transactions, 2) if transactions else None
        summary["seconds"] = round(time.monotonic() - started, 1)
        failed = any(summary[name] for name in FAILURES)
        if failed and not args.keep and not args.work:
            log(f"kept {work} (the store and the server's log) for the failure")
        elif not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(summary, sort_keys=True), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
