#!/usr/bin/env python3
"""Peer baseline: the script a responder would write with orjson.

Reads CloudTrail delivery files ({"Records": [...]}) and Databricks audit JSON lines (gzip),
normalizes to (time, plane, service, action, actor, ip, outcome, id) and writes one
time-sorted JSONL timeline. Usage: timeline.py CORPUS_DIR OUT_FILE
"""
import datetime
import gzip
import os
import sys

import orjson


def iso_ms(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def cloudtrail(r):
    u = r.get("userIdentity") or {}
    return (r.get("eventTime", ""), "aws", (r.get("eventSource") or "").replace(".amazonaws.com", ""), r.get("eventName"),
            u.get("arn") or u.get("principalId"), r.get("sourceIPAddress"), "failure" if r.get("errorCode") else "success", r.get("eventID"))


def databricks(r):
    status = (r.get("response") or {}).get("statusCode")
    return (iso_ms(r["timestamp"]), "databricks", r.get("serviceName"), r.get("actionName"), (r.get("userIdentity") or {}).get("email"),
            r.get("sourceIPAddress"), "success" if status and 200 <= status < 400 else "failure", r.get("requestId"))


def main():
    root, out = sys.argv[1], sys.argv[2]
    rows = []
    for d, _, files in os.walk(root):
        for f in files:
            if not f.endswith(".gz"):
                continue
            data = gzip.open(os.path.join(d, f)).read()
            if data.startswith(b'{"Records"'):
                rows.extend(cloudtrail(r) for r in orjson.loads(data)["Records"])
            else:
                rows.extend(databricks(orjson.loads(line)) for line in data.splitlines() if line)
    rows.sort(key=lambda r: (r[0], r[7] or ""))
    keys = ("time", "plane", "service", "action", "actor", "ip", "outcome", "id")
    with open(out, "wb") as fh:
        for r in rows:
            fh.write(orjson.dumps(dict(zip(keys, r))) + b"\n")


main()
