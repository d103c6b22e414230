#!/usr/bin/env python3
"""Measures crosstrail's event detections against the labelled corpus (python3, stdlib only).

For every corpus file Benchmarks/detection/corpus/<source>-<plane>.jsonl and its labels
(<source>-<plane>.labels.jsonl), runs

    <binary> scan <file> --format json --quiet

maps each finding's evidence.events ids (and its severity) back to the labels, and prints, per
source / plane / family: how many "alert" events were flagged (recall), how many "benign" events
were flagged (false-positive rate), and the same counting only HIGH and CRITICAL findings.

Two modes (--mode, default both):
  batch   one scan per corpus file: stateful detections (bursts, baselines, sequences) see the
          neighbouring events of the same source. Events of different tests share a file, so a
          burst rule may fire on events that are unrelated in the source.
  single  one scan per event (one temporary file each): what a detection says about the event on
          its own. Thresholded / stateful rules cannot fire here.

A finding lists at most 20 event ids (evidence.events, EventSample.cap); when its details count
more events than it lists, labelled events behind it may go uncounted. The run says how many
findings were capped (batch mode; in single mode a finding has one event).

Events crosstrail did not ingest (e.g. a record without eventTime / timestamp) are found with
`timeline --format jsonl --fields id` and reported apart ("not ingested"); they count as missed
alerts in the recall, and "recall of ingested" leaves them out.

Misses and false positives (id, eventSource/serviceName, eventName/actionName, rules, origin) go
to <out>/review-<mode>.tsv; the numbers to <out>/summary.json and <out>/summary.txt.

    python3 Benchmarks/detection/evaluate.py [--binary PATH] [--mode batch|single|both]
"""
import argparse
import collections
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BINARIES = ["/work/main/.build/release/crosstrail", "/tmp/ct/crosstrail"]
HIGH = {"high", "critical"}
CAP = 20
COUNT_KEYS = ("events", "reads", "tokens", "calls", "sessions")


def load_corpus(corpus, only):
    files = []
    for labels in sorted(glob.glob(os.path.join(corpus, "*.labels.jsonl"))):
        data = labels[: -len(".labels.jsonl")] + ".jsonl"
        name = os.path.basename(data)[: -len(".jsonl")]
        source, _, plane = name.rpartition("-")
        if only and source not in only and name not in only:
            continue
        records = [l for l in open(data, encoding="utf-8").read().splitlines() if l.strip()]
        labs = [json.loads(l) for l in open(labels, encoding="utf-8") if l.strip()]
        if len(records) != len(labs):
            sys.exit(f"{labels}: {len(labs)} labels for {len(records)} records")
        for raw, lab in zip(records, labs):
            rec = json.loads(raw)
            lab["_source"], lab["_plane"], lab["_file"] = source, plane, data
            lab["_raw"] = raw
            if plane == "databricks":
                lab["_service"], lab["_action"] = rec.get("serviceName"), rec.get("actionName")
            else:
                lab["_service"], lab["_action"] = rec.get("eventSource"), rec.get("eventName")
        files.append((name, data, labs))
    return files


def run(cmd, timeout=600):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def scan(binary, path, extra):
    rc, out, err = run([binary, "scan", path, "--format", "json", "--quiet"] + extra)
    if rc not in (0, 1) or not out.strip():
        raise RuntimeError(f"scan {path}: exit {rc}: {err.strip()[:500]}")
    return json.loads(out)


def ingested_ids(binary, path, extra):
    rc, out, err = run([binary, "timeline", path, "--format", "jsonl", "--fields", "id", "--quiet"] + extra)
    if rc not in (0, 3):
        raise RuntimeError(f"timeline {path}: exit {rc}: {err.strip()[:500]}")
    return {json.loads(l)["id"] for l in out.splitlines() if l.strip()}


class Hits:
    """Which labelled ids each finding names, with rule and severity."""

    def __init__(self, ignore=()):
        self.ignore = set(ignore)
        self.by_id = collections.defaultdict(list)  # id -> [(rule, severity)]
        self.capped = []  # (file, rule, listed, counted)
        self.findings = 0
        self.unlabelled_ids = 0

    def add(self, doc, labelled, where):
        for f in doc.get("findings", []):
            ev = (f.get("evidence") or {})
            ids = ev.get("events") or []
            if not ids or f.get("rule") in self.ignore:
                continue
            self.findings += 1
            counted = 0
            for k in COUNT_KEYS:
                v = (ev.get("details") or {}).get(k)
                if v and str(v).isdigit():
                    counted = max(counted, int(v))
            if counted > len(ids):
                self.capped.append((where, f["rule"], len(ids), counted))
            for i in ids:
                if i in labelled:
                    self.by_id[i].append((f["rule"], f["severity"]))
                else:
                    self.unlabelled_ids += 1


def evaluate(binary, files, mode, workers, extra, ignore):
    hits = Hits(ignore)
    ingested = set()
    if mode == "batch":
        for name, path, labs in files:
            ids = {l["id"] for l in labs}
            hits.add(scan(binary, path, extra), ids, name)
            ingested |= ingested_ids(binary, path, extra) & ids
    else:
        tmp = tempfile.mkdtemp(prefix="ct-eval-")
        try:
            jobs = []
            for name, path, labs in files:
                for n, lab in enumerate(labs):
                    p = os.path.join(tmp, f"{name}-{n}.jsonl")
                    with open(p, "w", encoding="utf-8") as f:
                        f.write(lab["_raw"] + "\n")
                    jobs.append((p, lab["id"]))

            def one(job):
                p, i = job
                doc = scan(binary, p, extra + ["--workers", "1"])
                ok = doc.get("summary", {}).get("events", 0) > 0
                return i, doc, ok

            with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
                for i, doc, ok in pool.map(one, jobs):
                    hits.add(doc, {i}, i)
                    if ok:
                        ingested.add(i)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return hits, ingested


def pct(a, b):
    return f"{100.0 * a / b:5.1f}%" if b else "    -"


def tally(labs, hits, ingested):
    t = collections.Counter()
    for l in labs:
        k = l["label"]
        t[k] += 1
        if l["id"] not in ingested:
            t[k + "_not_ingested"] += 1
        sev = {s for _, s in hits.by_id.get(l["id"], [])}
        if sev:
            t[k + "_flagged"] += 1
        if sev & HIGH:
            t[k + "_flagged_high"] += 1
    return t


def row(name, t):
    a, b = t["alert"], t["benign"]
    ai = a - t["alert_not_ingested"]
    return (f"{name:44} {a:5} {t['alert_flagged']:5} {pct(t['alert_flagged'], a)} {pct(t['alert_flagged'], ai)}"
            f" {t['alert_flagged_high']:5} {pct(t['alert_flagged_high'], a)}"
            f" | {b:5} {t['benign_flagged']:5} {pct(t['benign_flagged'], b)} {t['benign_flagged_high']:5} {pct(t['benign_flagged_high'], b)}"
            f" | {t['alert_not_ingested'] + t['benign_not_ingested']:4}")


HEADER = (f"{'group':44} {'alert':>5} {'flag':>5} {'recall':>6} {'r.ingst':>6} {'HIGH+':>5} {'rec.H+':>6}"
          f" | {'benign':>5} {'flag':>5} {'FPR':>6} {'HIGH+':>5} {'FPR.H+':>6} | {'n.i.':>4}")


def report(mode, files, hits, ingested, out_dir, elapsed):
    labs = [l for _, _, ls in files for l in ls]
    lines = [f"== mode: {mode}  ({len(labs)} labelled events, {hits.findings} findings naming events, {elapsed:.1f} s)", HEADER]
    summary = {"mode": mode, "events": len(labs), "findings_with_events": hits.findings, "groups": {}}

    def emit(name, subset):
        t = tally(subset, hits, ingested)
        lines.append(row(name, t))
        summary["groups"][name] = dict(t)

    emit("ALL", labs)
    by_sp = collections.defaultdict(list)
    by_spf = collections.defaultdict(list)
    for l in labs:
        by_sp[f"{l['_source']}/{l['_plane']}"].append(l)
        by_spf[f"{l['_source']}/{l['_plane']}/{l['family']}"].append(l)
    for k in sorted(by_sp):
        emit(k, by_sp[k])
    lines.append("-- subsets")
    emit("panther: without alerts of Threshold>1 rules", [l for l in labs if l["_source"] == "panther" and (l["label"] == "benign" or not (l.get("threshold") or 0) > 1)])
    emit("panther: alerts of rules with Threshold>1", [l for l in labs if l["_source"] == "panther" and l["label"] == "alert" and (l.get("threshold") or 0) > 1])
    emit("panther: benign not contested by another rule", [l for l in labs if l["_source"] == "panther" and l["label"] == "benign" and not l.get("contested_by")])
    emit("panther: benign contested by another rule", [l for l in labs if l["_source"] == "panther" and l["label"] == "benign" and l.get("contested_by")])
    emit("stratus: primary detonation events", [l for l in labs if l["_source"] == "stratus" and l.get("primary")])
    emit("stratus: secondary (polling, setup) events", [l for l in labs if l["_source"] == "stratus" and l.get("primary") is False])
    lines.append("-- by family")
    for k in sorted(by_spf):
        emit(k, by_spf[k])

    # Which crosstrail rules flag what.
    per_rule = collections.defaultdict(collections.Counter)
    label_of = {l["id"]: l["label"] for l in labs}
    for i, rs in hits.by_id.items():
        for rule, sev in set(rs):
            per_rule[f"{rule} ({sev})"][label_of[i]] += 1
    lines.append("-- crosstrail rules: labelled events they name (alert / benign)")
    for r in sorted(per_rule, key=lambda r: (-per_rule[r]["alert"] - per_rule[r]["benign"], r)):
        c = per_rule[r]
        lines.append(f"  {r:58} alert {c['alert']:4}  benign {c['benign']:4}")
    summary["rules"] = {r: dict(c) for r, c in per_rule.items()}
    fa = sum(1 for l in labs if l["label"] == "alert" and l["id"] in hits.by_id)
    fb = sum(1 for l in labs if l["label"] == "benign" and l["id"] in hits.by_id)
    lines.append(f"-- per-event precision (flagged alerts / all flagged labelled events): {pct(fa, fa + fb)}  ({fa} / {fa + fb})")
    summary["precision"] = {"flagged_alert": fa, "flagged_benign": fb}
    if hits.capped:
        by_rule = collections.Counter(r for _, r, _, _ in hits.capped)
        lines.append(f"-- {len(hits.capped)} findings counted more events than the {CAP} ids they list; labelled events behind "
                     f"them may be uncounted: " + ", ".join(f"{r} x{n}" for r, n in by_rule.most_common()))
    else:
        lines.append(f"-- no finding counted more events than the ids it lists (cap {CAP})")
    summary["capped_findings"] = [dict(file=w, rule=r, listed=a, counted=b) for w, r, a, b in hits.capped]
    ni = [l for l in labs if l["id"] not in ingested]
    if ni:
        lines.append(f"-- {len(ni)} labelled events were not ingested by crosstrail "
                     f"({sum(1 for l in ni if l.get('no_time'))} of them have no eventTime/@timestamp/timestamp)")

    review = os.path.join(out_dir, f"review-{mode}.tsv")
    with open(review, "w", encoding="utf-8") as f:
        f.write("kind\tid\tlabel\tsource/plane\tfamily\ttechnique\tservice\taction\tflagged by\tnotes\torigin\n")
        for l in labs:
            rs = hits.by_id.get(l["id"], [])
            if l["id"] not in ingested:
                kind = "not-ingested"
            elif l["label"] == "alert" and not rs:
                kind = "miss"
            elif l["label"] == "benign" and rs:
                kind = "false-positive"
            else:
                continue
            notes = []
            if l.get("threshold") and l["threshold"] > 1:
                notes.append(f"threshold={l['threshold']}")
            if l.get("contested_by"):
                notes.append("contested-by=" + ",".join(l["contested_by"]))
            if l.get("primary") is False:
                notes.append("stratus-secondary")
            if l.get("mocked"):
                notes.append("panther-mocks")
            if l.get("no_time"):
                notes.append("no-time-field")
            if l.get("rule"):
                notes.append("source-rule=" + str(l["rule"]))
            f.write("\t".join(str(x) for x in (
                kind, l["id"], l["label"], f"{l['_source']}/{l['_plane']}", l["family"], l.get("technique") or "",
                l["_service"] or "", l["_action"] or "", ",".join(sorted({f"{r}:{s}" for r, s in rs})),
                ";".join(notes), l["origin"])) + "\n")
    lines.append(f"-- misses, false positives and events not ingested: {review}")
    return lines, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", help="crosstrail binary (default: the first of " + ", ".join(DEFAULT_BINARIES) + " that exists)")
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--mode", choices=["batch", "single", "both"], default="both")
    ap.add_argument("--only", action="append", help="a source (panther) or file name (panther-cloudtrail); repeatable")
    ap.add_argument("--workers", type=int, default=2, help="parallel scans in single mode (default 2)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--ignore-rule", action="append", default=[],
                    help="do not count findings of this crosstrail rule (e.g. sensitive-data-in-logs, a data-hygiene finding); repeatable")
    ap.add_argument("--scan-arg", action="append", default=[], help="extra argument passed to every scan/timeline, e.g. --scan-arg=--rules=DIR")
    a = ap.parse_args()
    binary = a.binary or next((b for b in DEFAULT_BINARIES if os.path.exists(b)), None)
    if not binary or not os.path.exists(binary):
        sys.exit("no crosstrail binary: pass --binary PATH (looked at " + ", ".join(DEFAULT_BINARIES) + ")")
    files = load_corpus(a.corpus, set(a.only or []))
    if not files:
        sys.exit(f"no labelled corpus files in {a.corpus}")
    os.makedirs(a.out, exist_ok=True)
    version = run([binary, "--version"])[1].strip()
    out = [f"crosstrail {version} ({binary}); corpus {a.corpus}"
           + (f"; findings of {', '.join(a.ignore_rule)} not counted" if a.ignore_rule else "")]
    summaries = []
    for mode in (["batch", "single"] if a.mode == "both" else [a.mode]):
        t0 = time.time()
        hits, ingested = evaluate(binary, files, mode, a.workers, a.scan_arg, a.ignore_rule)
        lines, summary = report(mode, files, hits, ingested, a.out, time.time() - t0)
        summary["binary"], summary["version"], summary["ignored_rules"] = binary, version, a.ignore_rule
        summaries.append(summary)
        out += [""] + lines
    text = "\n".join(out) + "\n"
    print(text, end="")
    with open(os.path.join(a.out, "summary.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(a.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summaries, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
