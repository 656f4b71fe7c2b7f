#!/usr/bin/env python3
"""Measure FeatureMemory and peer ANN libraries (hnswlib) side by side on the same files.

usage: tools/compare-peers.py --base B.fvecs --queries Q.fvecs --truth GT.ivecs
                              [--metric l2|cosine|ip] [--m 16] [--ef-construction 200]
                              [--k 10] [--ef 16,32,64,128,256] [--fmdb PATH]
                              [--work DIR] [--keep] [--peers hnswlib]
                              [--target-recall 0.95] [--json] [--skip-fmdb]

Files are in the texmex formats: every row is a little-endian int32 dimension d followed by
d float32 (fvecs) or int32 (ivecs) values. Ground-truth rows hold row numbers of the base
file, best first, and must have at least k columns.

For every engine the script measures, one engine at a time and on one thread:
  - build throughput: vectors per second to index the whole base file with the given M and
    ef_construction (hnswlib: `add_items`; FeatureMemory: `fmdb import ... --json`, whose
    rows / seconds includes checking the file and the durable LMDB commits);
  - for every ef: recall@k (|top k ∩ truth top k| / k, averaged over the queries), QPS
    (queries / total time, queries issued one at a time, one call each, like real requests)
    and the p50 / p99 latency in milliseconds (FeatureMemory: `fmdb bench ... --json`).
It prints one table per engine, then a comparison at the target recall: for each engine the
QPS at the lowest ef whose recall reaches the target, a log-linear interpolation of the QPS at
exactly the target (log QPS linear in recall between the two ef values that bracket it), the
build throughput, and the ratios FeatureMemory / peer. With --json a last line holds all of it.

Python dependencies (numpy and the peers' packages) are installed on first use into the
virtual environment .venv-peers at the repository root; the script re-executes itself with
that environment's interpreter when it is not already running in it.

Peer timings include the Python call overhead of one `knn_query` per query (a few
microseconds), which `fmdb bench` does not pay; at very high QPS this slightly favours
FeatureMemory. Run on a quiet machine: the 1-minute load average is printed for context.
"""
import argparse
import importlib
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_DIR = REPO_ROOT / ".venv-peers"
FM_NAME = "featurememory"


class ToolError(Exception):
    """A failure with a message meant for the user (printed as `Error: ...`, exit 2)."""


# --------------------------------------------------------------------------------------
# Peer adapters
# --------------------------------------------------------------------------------------

class PeerAdapter:
    """One ANN library measured in-process from Python.

    To add a peer (usearch, faiss, ...), subclass this, fill in the class attributes and the
    three methods, keep everything on one thread, and register the class in PEERS. For
    example usearch would map M to `connectivity`, ef_construction to `expansion_add` and ef
    to `expansion_search`; faiss would use `IndexHNSWFlat` with `efConstruction` / `efSearch`
    and `faiss.omp_set_num_threads(1)`.
    """

    #: name used on the command line and in the output
    name = ""
    #: modules that must be importable, and the pip requirements that provide them
    modules = ()
    pip_packages = ()

    def build(self, base, metric, m, ef_construction):
        """Index every row of `base` (row i gets label i) on one thread; returns nothing."""
        raise NotImplementedError

    def set_ef(self, ef):
        """Set the search beam width used by the following `search` calls."""
        raise NotImplementedError

    def search(self, query, k):
        """Return the labels of the k nearest rows to `query` (shape 1 × d), best first."""
        raise NotImplementedError

    def close(self):
        """Release the index."""


class HnswlibAdapter(PeerAdapter):
    """hnswlib (https://github.com/nmslib/hnswlib), single-threaded.

    Spaces map one to one: 'l2' (hnswlib returns squared L2, as FeatureMemory does; only the
    labels are used here anyway), 'cosine' (1 − cos, vectors normalized by hnswlib) and 'ip'
    (1 − a·b). hnswlib searches with max(ef, k).
    """

    name = "hnswlib"
    modules = ("hnswlib",)
    pip_packages = ("hnswlib",)

    def __init__(self):
        self.index = None

    def build(self, base, metric, m, ef_construction):
        import hnswlib
        import numpy as np
        self.index = hnswlib.Index(space=metric, dim=base.shape[1])
        self.index.init_index(max_elements=base.shape[0], ef_construction=ef_construction,
                              M=m, random_seed=100)
        self.index.set_num_threads(1)
        self.index.add_items(base, np.arange(base.shape[0]), num_threads=1)

    def set_ef(self, ef):
        self.index.set_ef(ef)

    def search(self, query, k):
        labels, _ = self.index.knn_query(query, k=k, num_threads=1)
        return labels[0]

    def close(self):
        self.index = None


PEERS = {cls.name: cls for cls in (HnswlibAdapter,)}


# --------------------------------------------------------------------------------------
# Arguments and the virtual environment
# --------------------------------------------------------------------------------------

def parse_int_list(text):
    """Parse '16,32,64' into a sorted list of distinct positive ints (argparse type)."""
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma list of integers: {text!r}")
    if not values or values[0] <= 0:
        raise argparse.ArgumentTypeError(f"need positive integers: {text!r}")
    return values


def parse_peers(text):
    """Parse a comma list of peer names, checking each is a known adapter (argparse type)."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in PEERS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown peer(s) {', '.join(unknown)}; known: {', '.join(sorted(PEERS))}")
    return list(dict.fromkeys(names))


def parse_args(argv):
    """Parse and check the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="See the module docstring (or tools/README.md) for what is measured and how.")
    parser.add_argument("--base", required=True, help="base vectors (.fvecs)")
    parser.add_argument("--queries", required=True, help="query vectors (.fvecs)")
    parser.add_argument("--truth", required=True, help="ground truth, base row numbers (.ivecs)")
    parser.add_argument("--metric", choices=("l2", "cosine", "ip"), default="cosine")
    parser.add_argument("--m", type=int, default=16, help="HNSW M (default 16)")
    parser.add_argument("--ef-construction", type=int, default=200,
                        help="HNSW ef_construction (default 200)")
    parser.add_argument("--k", type=int, default=10, help="neighbours per query (default 10)")
    parser.add_argument("--ef", type=parse_int_list, default=parse_int_list("16,32,64,128,256"),
                        help="search ef values, comma separated (default 16,32,64,128,256)")
    parser.add_argument("--fmdb", default="./.build/release/fmdb",
                        help="the fmdb binary (default ./.build/release/fmdb)")
    parser.add_argument("--work", help="working directory for the FeatureMemory store "
                        "(default: a new temporary directory)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the working directory / store at the end")
    parser.add_argument("--peers", type=parse_peers, default=["hnswlib"],
                        help=f"comma list of peers to measure (known: {', '.join(sorted(PEERS))}); "
                        "empty for none")
    parser.add_argument("--target-recall", type=float, default=0.95,
                        help="recall the comparison is made at (default 0.95)")
    parser.add_argument("--json", action="store_true",
                        help="end with one summary JSON line")
    parser.add_argument("--skip-fmdb", action="store_true", help="measure the peers only")
    args = parser.parse_args(argv)
    for name in ("m", "ef_construction", "k"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if not 0 < args.target_recall <= 1:
        parser.error("--target-recall must be in (0, 1]")
    if args.skip_fmdb and not args.peers:
        parser.error("nothing to measure: --skip-fmdb with no --peers")
    return args


def in_venv():
    """True when this interpreter is the one of VENV_DIR."""
    try:
        return Path(sys.prefix).resolve() == VENV_DIR.resolve()
    except OSError:
        return False


def ensure_environment(peers):
    """Make sure numpy and the peers' modules can be imported, via VENV_DIR.

    Outside the venv: create it when missing (python3 -m venv) and re-execute this script with
    its interpreter (does not return). Inside: pip install whatever is missing.
    """
    if not in_venv():
        python = VENV_DIR / "bin" / "python"
        if not python.exists():
            log(f"creating the virtual environment {VENV_DIR}")
            result = subprocess.run([sys.executable, "-m", "venv", str(VENV_DIR)])
            if result.returncode != 0 or not python.exists():
                raise ToolError(f"could not create {VENV_DIR} with `{sys.executable} -m venv` "
                                "(on Debian: apt-get install python3-venv)")
        script = str(Path(__file__).resolve())
        os.execv(str(python), [str(python), script] + sys.argv[1:])

    wanted = [("numpy", "numpy")]
    for name in peers:
        wanted += list(zip(PEERS[name].modules, PEERS[name].pip_packages))
    missing = [pip for module, pip in wanted if importlib.util.find_spec(module) is None]
    if missing:
        log(f"installing {' '.join(missing)} into {VENV_DIR}")
        result = subprocess.run([sys.executable, "-m", "pip", "install",
                                 "--disable-pip-version-check", "--quiet"] + missing,
                                stdout=sys.stderr)
        importlib.invalidate_caches()
        if result.returncode != 0:
            raise ToolError(f"pip could not install {' '.join(missing)} into {VENV_DIR}")


def log(text):
    """Progress note on stderr (stdout holds the results)."""
    print(text, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------

def read_vecs(path, dtype):
    """Read a texmex .fvecs ('<f4') or .ivecs ('<i4') file into an n × d numpy array."""
    import numpy as np
    try:
        raw = np.fromfile(path, dtype="<i4")
    except OSError as error:
        raise ToolError(f"{path}: {error.strerror or error}")
    if raw.size == 0:
        raise ToolError(f"{path}: empty file")
    dim = int(raw[0])
    if dim <= 0 or raw.size % (dim + 1) != 0:
        raise ToolError(f"{path}: not a texmex file (first dimension {dim}, {raw.size * 4} bytes)")
    rows = raw.reshape(-1, dim + 1)
    if not (rows[:, 0] == dim).all():
        raise ToolError(f"{path}: rows of different dimensions")
    body = rows[:, 1:]
    if dtype == "<f4":
        body = body.view("<f4")
    return np.ascontiguousarray(body, dtype=np.float32 if dtype == "<f4" else np.int64)


def load_data(args):
    """Load and cross-check base, queries and ground truth; returns (base, queries, truth)."""
    base = read_vecs(args.base, "<f4")
    queries = read_vecs(args.queries, "<f4")
    truth = read_vecs(args.truth, "<i4")
    if base.shape[1] != queries.shape[1]:
        raise ToolError(f"base has dimension {base.shape[1]}, queries {queries.shape[1]}")
    if truth.shape[0] != queries.shape[0]:
        raise ToolError(f"{truth.shape[0]} ground-truth rows for {queries.shape[0]} queries")
    if truth.shape[1] < args.k:
        raise ToolError(f"ground truth has {truth.shape[1]} neighbours per query, --k is {args.k}")
    if args.k > base.shape[0]:
        raise ToolError(f"--k {args.k} exceeds the {base.shape[0]} base rows")
    if truth[:, :args.k].min() < 0 or truth[:, :args.k].max() >= base.shape[0]:
        raise ToolError("ground truth holds row numbers outside the base file")
    return base, queries, truth


def recall_at_k(results, truth, k):
    """Mean over queries of |results[i][:k] ∩ truth[i][:k]| / k."""
    hits = 0
    for found, expected in zip(results, truth):
        hits += len(set(int(x) for x in found[:k]) & set(int(x) for x in expected[:k]))
    return hits / (k * len(truth))


# --------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------

def measure_peer(adapter, base, queries, truth, args):
    """Build `adapter`'s index over base and run the queries at every ef.

    Returns an engine result: {"name", "rows", "build_seconds", "build_vps", "runs"} where each
    run is {"ef", "recall", "qps", "p50_ms", "p99_ms"}.
    """
    import numpy as np
    log(f"{adapter.name}: building over {base.shape[0]} vectors "
        f"(M={args.m}, ef_construction={args.ef_construction}, 1 thread)")
    started = time.perf_counter()
    adapter.build(base, args.metric, args.m, args.ef_construction)
    build_seconds = time.perf_counter() - started

    rows = [queries[i:i + 1] for i in range(queries.shape[0])]   # 1 × d views, made up front
    adapter.set_ef(args.ef[0])
    for row in rows[:min(len(rows), 200)]:                      # untimed warm-up
        adapter.search(row, args.k)

    runs = []
    for ef in args.ef:
        adapter.set_ef(ef)
        latencies = np.empty(len(rows), dtype=np.float64)
        results = [None] * len(rows)
        clock = time.perf_counter_ns
        loop_start = clock()
        for i, row in enumerate(rows):
            t0 = clock()
            results[i] = adapter.search(row, args.k)
            latencies[i] = clock() - t0
        total_seconds = (clock() - loop_start) / 1e9
        run = {"ef": ef,
               "recall": recall_at_k(results, truth, args.k),
               "qps": len(rows) / total_seconds,
               "p50_ms": float(np.percentile(latencies, 50)) / 1e6,
               "p99_ms": float(np.percentile(latencies, 99)) / 1e6}
        log(f"{adapter.name}: ef {ef}: recall {run['recall']:.4f}, {run['qps']:.0f} QPS")
        runs.append(run)
    adapter.close()
    return {"name": adapter.name, "rows": int(base.shape[0]), "build_seconds": build_seconds,
            "build_vps": base.shape[0] / build_seconds, "runs": runs}


def run_fmdb(fmdb, arguments, what):
    """Run fmdb with `arguments`; return its stdout, or raise a ToolError that says why not.

    `what` names the feature being used, for the message when this fmdb does not have it.
    """
    command = [fmdb] + arguments
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as error:
        raise ToolError(f"cannot run {fmdb}: {error.strerror or error}")
    if result.returncode != 0:
        message = next((line.strip() for line in result.stderr.splitlines()
                        if line.strip()), f"exit status {result.returncode}")
        if message.startswith("Error: "):
            message = message[len("Error: "):]
        unsupported = ("Unknown option", "Unexpected argument", "Unknown subcommand",
                       "Missing expected argument")
        if result.returncode == 64 or any(marker in result.stderr for marker in unsupported):
            raise ToolError(f"{fmdb} does not accept {what} ({message}); it may predate that "
                            "feature: rebuild it (swift build -c release) or pass --skip-fmdb.\n"
                            f"  command: {' '.join(command)}")
        raise ToolError(f"fmdb failed: {message}\n  command: {' '.join(command)}")
    return result.stdout


def json_objects(text):
    """Every line of `text` that parses as a JSON object, in order."""
    objects = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                objects.append(value)
    return objects


def check_fmdb(path):
    """Resolve the fmdb binary and check, from its help texts, that it has what is used here.

    Done before anything is measured so that an fmdb lacking `import --m/--ef-construction`
    or `bench` fails at once, not after minutes of peer measurements. Returns the path.
    """
    fmdb = path if os.sep in path else (shutil.which(path) or path)
    if not (os.path.isfile(fmdb) and os.access(fmdb, os.X_OK)):
        raise ToolError(f"fmdb not found or not executable at {path} "
                        "(build it with `swift build -c release`, pass --fmdb PATH, or --skip-fmdb)")
    needs = [(["import", "--help"], ("--m ", "--ef-construction"), "`import --m/--ef-construction`"),
             (["bench", "--help"], ("--queries", "--truth", "--ef"), "the `bench` command")]
    for arguments, words, what in needs:
        try:
            result = subprocess.run([fmdb] + arguments, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
        except OSError as error:
            raise ToolError(f"cannot run {fmdb}: {error.strerror or error}")
        if result.returncode != 0 or not all(word in result.stdout for word in words):
            raise ToolError(f"{fmdb} does not have {what} yet (`fmdb {' '.join(arguments)}` does "
                            f"not list {', '.join(w.strip() for w in words)}): rebuild it "
                            "(swift build -c release) or pass --skip-fmdb")
    return fmdb


def measure_fmdb(args, fmdb, work_dir):
    """Import the base with fmdb into a fresh store under work_dir and run `fmdb bench` on it.

    Returns an engine result shaped like measure_peer's.
    """
    store = Path(work_dir) / "featurememory.store"
    if store.exists():
        shutil.rmtree(store)   # import appends to an existing store: always start empty

    log(f"{FM_NAME}: importing {args.base} (M={args.m}, ef_construction={args.ef_construction})")
    output = run_fmdb(fmdb, ["import", str(store), args.base, "--metric", args.metric,
                             "--m", str(args.m), "--ef-construction", str(args.ef_construction),
                             "--json"],
                      "`import --m/--ef-construction`")
    imported = [o for o in json_objects(output) if "rows" in o and "seconds" in o]
    if not imported:
        raise ToolError(f"`fmdb import --json` printed no JSON with rows and seconds:\n{output}")
    rows, seconds = int(imported[-1]["rows"]), float(imported[-1]["seconds"])

    log(f"{FM_NAME}: bench, ef {','.join(map(str, args.ef))}")
    output = run_fmdb(fmdb, ["bench", str(store), "--queries", args.queries, "--truth", args.truth,
                             "--k", str(args.k), "--ef", ",".join(map(str, args.ef)), "--json"],
                      "the `bench` command")
    by_ef = {}
    for obj in json_objects(output):
        if "ef" in obj:
            try:
                by_ef[int(obj["ef"])] = {"ef": int(obj["ef"]), "recall": float(obj["recall"]),
                                         "qps": float(obj["qps"]), "p50_ms": float(obj["p50_ms"]),
                                         "p99_ms": float(obj["p99_ms"])}
            except (KeyError, TypeError, ValueError):
                raise ToolError(f"unexpected `fmdb bench --json` line: {json.dumps(obj)}")
    missing = [ef for ef in args.ef if ef not in by_ef]
    if missing:
        raise ToolError(f"`fmdb bench --json` printed no line for ef {missing}:\n{output}")
    return {"name": FM_NAME, "rows": rows, "build_seconds": seconds,
            "build_vps": rows / max(seconds, 1e-9), "runs": [by_ef[ef] for ef in args.ef]}


# --------------------------------------------------------------------------------------
# Comparison and output
# --------------------------------------------------------------------------------------

def at_target(runs, target):
    """Summarize an engine's runs at a target recall.

    Returns {"ef_at_target", "recall_at_target", "qps_at_target", "qps_at_target_interpolated"}:
    the lowest ef whose recall ≥ target and its recall and QPS (None when never reached), and
    the QPS at exactly the target with log QPS interpolated linearly in recall between that ef
    and the next lower one (None when the lowest measured ef already reaches the target, or
    when the target is not reached).
    """
    runs = sorted(runs, key=lambda run: run["ef"])
    summary = {"ef_at_target": None, "recall_at_target": None,
               "qps_at_target": None, "qps_at_target_interpolated": None}
    for index, run in enumerate(runs):
        if run["recall"] >= target:
            summary.update(ef_at_target=run["ef"], recall_at_target=run["recall"],
                           qps_at_target=run["qps"])
            if index > 0:
                low = runs[index - 1]
                if run["recall"] > low["recall"] and low["qps"] > 0 and run["qps"] > 0:
                    t = (target - low["recall"]) / (run["recall"] - low["recall"])
                    log_qps = math.log(low["qps"]) + t * (math.log(run["qps"]) - math.log(low["qps"]))
                    summary["qps_at_target_interpolated"] = math.exp(log_qps)
            break
    return summary


def ratio(numerator, denominator):
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def print_engine_table(result, args):
    """Print an engine's build throughput and its per-ef table."""
    print(f"\n{result['name']}  (metric {args.metric}, M {args.m}, ef_construction "
          f"{args.ef_construction}, k {args.k}, 1 thread)")
    print(f"build: {result['rows']} vectors in {result['build_seconds']:.2f} s = "
          f"{result['build_vps']:.0f} vectors/s")
    print(f"{'ef':>6} {'recall':>8} {'QPS':>10} {'p50 ms':>9} {'p99 ms':>9}")
    for run in result["runs"]:
        print(f"{run['ef']:>6} {run['recall']:>8.4f} {run['qps']:>10.1f} "
              f"{run['p50_ms']:>9.3f} {run['p99_ms']:>9.3f}")


def fmt(value, spec, missing="not reached"):
    """Format value with spec, or `missing` when it is None."""
    return missing if value is None else format(value, spec)


def print_comparison(results, summaries, args):
    """Print the at-target comparison of every engine and the FeatureMemory / peer ratios."""
    target = args.target_recall
    print(f"\nat recall@{args.k} >= {target}  (QPS at the lowest ef reaching it; "
          "interp. = log-linear at exactly the target)")
    print(f"{'engine':<14} {'build v/s':>10} {'ef':>6} {'recall':>8} {'QPS':>12} {'QPS interp.':>12}")
    for result in results:
        s = summaries[result["name"]]
        reached = s["ef_at_target"] is not None
        interp = fmt(s["qps_at_target_interpolated"], ".1f",
                     "-" if reached else "not reached")
        print(f"{result['name']:<14} {result['build_vps']:>10.0f} "
              f"{fmt(s['ef_at_target'], 'd', '-'):>6} {fmt(s['recall_at_target'], '.4f', '-'):>8} "
              f"{fmt(s['qps_at_target'], '.1f'):>12} {interp:>12}")
    if FM_NAME not in summaries:
        return
    fm = summaries[FM_NAME]
    for result in results:
        if result["name"] == FM_NAME:
            continue
        peer = summaries[result["name"]]
        parts = [f"build {fmt(ratio(fm['build_vps'], peer['build_vps']), '.2f', 'n/a')}x"]
        qps = ratio(fm["qps_at_target"], peer["qps_at_target"])
        parts.append(f"QPS at target {fmt(qps, '.2f', 'n/a (target not reached)')}"
                     + ("x" if qps is not None else ""))
        interp = ratio(fm["qps_at_target_interpolated"], peer["qps_at_target_interpolated"])
        if interp is not None:
            parts.append(f"interpolated {interp:.2f}x")
        print(f"FeatureMemory / {result['name']}: " + ", ".join(parts))


def summary_json(results, summaries, args, data_shape, load):
    """The one-line JSON summary printed with --json.

    data_shape is (base rows, dimension, queries); load the 1-minute load averages at the
    start and at the end of the measurements.
    """
    out = {"target_recall": args.target_recall, "metric": args.metric, "k": args.k, "m": args.m,
           "ef_construction": args.ef_construction, "base_rows": data_shape[0],
           "dimension": data_shape[1], "queries": data_shape[2], "load_average": load}
    for result in results:
        out[result["name"]] = dict(summaries[result["name"]],
                                   build_seconds=result["build_seconds"], runs=result["runs"])
    if FM_NAME in summaries:
        fm = summaries[FM_NAME]
        ratios = {}
        for result in results:
            if result["name"] != FM_NAME:
                peer = summaries[result["name"]]
                ratios[result["name"]] = {
                    "qps_ratio": ratio(fm["qps_at_target"], peer["qps_at_target"]),
                    "qps_ratio_interpolated": ratio(fm["qps_at_target_interpolated"],
                                                    peer["qps_at_target_interpolated"]),
                    "build_ratio": ratio(fm["build_vps"], peer["build_vps"])}
        if args.peers:   # top-level ratios are against the first peer listed
            out.update(ratios[args.peers[0]])
            out["ratios_against"] = args.peers[0]
        out["ratios"] = ratios
    return json.dumps(out, sort_keys=False)


# --------------------------------------------------------------------------------------

def main(argv):
    """Parse arguments, set up the environment, measure every engine, print the report."""
    args = parse_args(argv)
    ensure_environment(args.peers)
    fmdb = None if args.skip_fmdb else check_fmdb(args.fmdb)
    base, queries, truth = load_data(args)
    shape = (base.shape[0], base.shape[1], queries.shape[0])
    log(f"data: {shape[0]} base × {shape[1]}, {shape[2]} queries, ground truth top {truth.shape[1]}")

    own_work = args.work is None
    work_dir = Path(tempfile.mkdtemp(prefix="compare-peers-") if own_work else args.work)
    work_dir.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()[0]
    results = []
    try:
        for name in args.peers:
            results.append(measure_peer(PEERS[name](), base, queries, truth, args))
        if not args.skip_fmdb:
            del base   # fmdb reads the files itself
            results.append(measure_fmdb(args, fmdb, work_dir))
    finally:
        load_end = os.getloadavg()[0]
        if args.keep:
            log(f"kept {work_dir}")
        elif own_work:
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            shutil.rmtree(work_dir / "featurememory.store", ignore_errors=True)

    print(f"load average (1 min): {load_start:.2f} at start, {load_end:.2f} at end, "
          f"on {os.cpu_count()} CPUs")
    for result in results:
        print_engine_table(result, args)
    summaries = {r["name"]: dict(build_vps=r["build_vps"], **at_target(r["runs"], args.target_recall))
                 for r in results}
    print_comparison(results, summaries, args)
    if args.json:
        print(summary_json(results, summaries, args, shape, [load_start, load_end]))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ToolError as error:
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
