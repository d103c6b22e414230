#!/usr/bin/env python3
"""A local HTTPS server for crosstrail's tests: the Databricks REST API (SCIM, clusters, jobs,
warehouses, policies, instance profiles, permissions, Unity Catalog, SQL statements with INLINE
and EXTERNAL_LINKS results, OAuth M2M tokens) and CloudTrail LookupEvents, in the response
shapes of the public API docs, plus fault injection. Standard library only.

Usage: fake_apis.py --cert server.pem --key server.key [--port 0]
Prints the port on the first line of standard output, then serves until killed.

Faults are armed per path with POST /_faults {"path": "...", "kind": "...", "times": N}:
  kind 503 | 429 | 500 : answer with that status (Retry-After: 0) N times
  truncate             : announce a longer Content-Length than sent, then close, N times
  drop                 : close the connection after the headers, N times
  stall                : sleep 5 s before answering, N times
  403                  : answer 403 N times (not retryable)
GET /_log returns every request seen (path, method, whether it carried Authorization).
POST /_hostile {"next": LINK, "external": LINK} makes the SQL statement results point their next
chunk or their external links at LINK (a hostile response: another host, plain HTTP, file://);
"{port}" in LINK is this server's port. Other hostile switches (true): "lookup_loop" (LookupEvents
returns the same NextToken forever), "clusters_loop" (clusters/list the same page token forever),
"pending" (SQL statements never finish).
A hostile S3 (path style, signed requests only) answers for three buckets: loop-bucket (ListObjectsV2
truncated with the same continuation token forever), big-bucket (an object listed at 10 bytes whose
body never ends) and folder-bucket (keys a/b and a/b/c.json).
GET /archive/rules.tar.gz serves a rule-set archive shaped like GitHub's (one top folder), built
from the vendored suzaku-rules fixtures plus entries that must never be installed (a path that
climbs out, an absolute path, a symlink, a file outside the rules folder, a non-YAML file);
/archive/rules.tar.gz.sha256 its SHA-256.
"""
import argparse, base64, hashlib, io, json, os, ssl, tarfile, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "dapi-test-token-0123456789abcdef"
CLIENT_ID, CLIENT_SECRET = "sp-client-id", "sp-client-secret-do-not-print"
lock = threading.Lock()
faults = {}          # path -> [kind, remaining]
hostile = {}         # "next" / "external" -> link the statement results point to
log = []             # (method, path, has_auth)
oauth_tokens = []    # issued tokens
statements = {}      # id -> polls

USERS = [{"id": str(1000 + i), "userName": f"user{i}@acme.example", "emails": [{"value": f"user{i}@acme.example", "primary": True}],
          "active": True, "groups": [{"display": "users", "value": "g-users"}] + ([{"display": "admins", "value": "g-admins"}] if i == 0 else [])}
         for i in range(150)]
GROUPS = [{"id": "g-users", "displayName": "users", "members": [{"value": u["id"]} for u in USERS]},
          {"id": "g-admins", "displayName": "admins", "members": [{"value": "1000"}]}]
SPS = [{"id": "sp1", "applicationId": CLIENT_ID, "displayName": "etl-bot", "active": True}]
CLUSTERS = [{"cluster_id": f"0801-0000-c{i}", "cluster_name": f"c{i}", "creator_user_name": "user0@acme.example",
             "aws_attributes": {"instance_profile_arn": "arn:aws:iam::111122223333:instance-profile/broad"}, "data_security_mode": "NONE"}
            for i in range(3)]
AUDIT_COLUMNS = ["event_time", "event_id", "workspace_id", "service_name", "action_name", "user_identity", "source_ip_address", "request_params", "response"]
AUDIT_TYPES = ["TIMESTAMP", "STRING", "LONG", "STRING", "STRING", "STRUCT", "STRING", "MAP", "STRUCT"]

def audit_rows():
    rows = []
    for i in range(7):
        rows.append([f"2026-08-01T10:0{i}:00.000Z", f"evt-{i}", "1234567890123456", "clusters", "create",
                     json.dumps({"email": f"user{i}@acme.example"}), "198.51.100.7",
                     json.dumps({"cluster_name": f"c{i}"}), json.dumps({"status_code": 200})])
    return rows

def rules_archive():
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "CrossTrailRulesTests", "Fixtures", "suzaku", "correlations")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        def add(name, data, kind=tarfile.REGTYPE, link=""):
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size, info.mtime = kind, link, len(data), 1754000000
            tar.addfile(info, io.BytesIO(data))
        top = "suzaku-rules-main/"
        add(top + "README.md", b"# rules\n")
        for f in sorted(os.listdir(fixtures)):
            with open(os.path.join(fixtures, f), "rb") as fh:
                add(top + "suzaku/aws/cloudtrail/" + f, fh.read())
        add(top + "suzaku/aws/cloudtrail/" + "n" * 120 + ".yml", b"title: long name\nlogsource: {product: aws}\ndetection:\n  s: {eventName: LongName}\n  condition: s\n")
        add(top + "suzaku/aws/../../../escape.yml", b"title: escape\n")
        # ".." hidden from a grapheme-cluster split: "/" followed by a combining mark and a prepend character.
        hidden = "../\u0301\u0600/.."
        add(top + "suzaku/aws/cloudtrail/" + "/".join([hidden] * 4) + "/hidden-escape.yml", b"title: hidden\n")
        add("/etc/crosstrail-absolute.yml", b"title: absolute\n")
        add(top + "suzaku/aws/link.yml", b"", tarfile.SYMTYPE, "/etc/passwd")
        add(top + "suzaku/azure/other.yml", b"title: other cloud\n")
        add(top + "suzaku/aws/notes.txt", b"not a rule\n")
    return buf.getvalue()

RULES_ARCHIVE = rules_archive()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_body(self, body, content_type, status=200, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, obj, status=200, extra=None):
        self.send_body(json.dumps(obj).encode(), "application/json", status, extra)

    def fault(self, path):
        with lock:
            f = faults.get(path)
            if not f or f[1] <= 0:
                return False
            f[1] -= 1
            kind = f[0]
        if kind in ("503", "429", "500", "403"):
            self.send_json({"error_code": "TEMPORARILY_UNAVAILABLE" if kind != "403" else "PERMISSION_DENIED", "message": f"injected {kind}"},
                           int(kind), {"Retry-After": "0"})
        elif kind == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b'{"Resources": [')
            self.wfile.flush()
            self.close_connection = True
        elif kind == "drop":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.flush()
            self.close_connection = True
        elif kind == "stall":
            time.sleep(5)
            return False
        return True

    def authorized(self):
        auth = self.headers.get("Authorization", "")
        return auth == "Bearer " + TOKEN or auth.removeprefix("Bearer ") in oauth_tokens

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_POST(self):
        self.route("POST")

    def do_GET(self):
        self.route("GET")

    def route(self, method):
        url = urllib.parse.urlparse(self.path)
        path, q = url.path, dict(urllib.parse.parse_qsl(url.query))
        data = self.body()
        with lock:
            log.append({"method": method, "path": path, "auth": "Authorization" in self.headers, "target": self.headers.get("X-Amz-Target", "")})
        if path == "/_faults":
            f = json.loads(data)
            with lock:
                faults[f["path"]] = [f["kind"], f.get("times", 1)]
            return self.send_json({"ok": True})
        if path == "/_hostile":
            with lock:
                hostile.clear()
                hostile.update(json.loads(data))
            return self.send_json({"ok": True})
        if path == "/_log":
            with lock:
                return self.send_json({"log": log, "tokens": len(oauth_tokens)})
        if self.fault(path):
            return
        if path == "/archive/rules.tar.gz":
            return self.send_body(RULES_ARCHIVE, "application/gzip")
        if path == "/archive/rules.tar.gz.sha256":
            return self.send_json({"sha256": hashlib.sha256(RULES_ARCHIVE).hexdigest()})
        if path == "/oidc/v1/token":
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if self.headers.get("Authorization") != expected or b"grant_type=client_credentials" not in data:
                return self.send_json({"error": "invalid_client"}, 401)
            with lock:
                token = f"oauth-{len(oauth_tokens)}"
                oauth_tokens.append(token)
            return self.send_json({"access_token": token, "token_type": "Bearer", "expires_in": 30})
        if path.startswith("/presigned/"):
            # Cloud storage: a presigned URL; an Authorization header would be refused.
            if "Authorization" in self.headers:
                return self.send_json({"error": "unexpected Authorization header"}, 400)
            rows = audit_rows()
            chunk = int(path.rsplit("/", 1)[1])
            return self.send_json(rows[chunk * 4:(chunk + 1) * 4])
        if self.headers.get("X-Amz-Target", "").endswith("LookupEvents"):
            return self.lookup_events(json.loads(data or b"{}"))
        if path.split("/")[1:2] and path.split("/")[1] in ("loop-bucket", "big-bucket", "folder-bucket"):
            return self.hostile_s3(path, q)
        if not self.authorized():
            return self.send_json({"error_code": "UNAUTHENTICATED", "message": "Invalid access token."}, 401)
        return self.databricks(method, path, q, data)

    def lookup_events(self, req):
        if not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 Credential="):
            return self.send_json({"__type": "MissingAuthenticationTokenException"}, 400)
        page = int(req.get("NextToken", "0"))
        events = []
        for i in range(3):
            n = page * 3 + i
            inner = {"eventVersion": "1.08", "eventTime": f"2026-08-01T1{n % 10}:00:00Z", "eventSource": "iam.amazonaws.com",
                     "eventName": "CreateAccessKey", "eventID": f"lookup-{n}", "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.9",
                     "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/bob", "accountId": "111122223333", "userName": "bob"},
                     "requestParameters": {"userName": "carol"}, "recipientAccountId": "111122223333"}
            events.append({"EventId": f"lookup-{n}", "EventName": "CreateAccessKey", "ReadOnly": "false",
                           "EventTime": 1785578400 + n, "EventSource": "iam.amazonaws.com", "CloudTrailEvent": json.dumps(inner)})
        out = {"Events": events}
        if page < 1:
            out["NextToken"] = str(page + 1)
        if hostile.get("lookup_loop"):
            out["NextToken"] = "0"
        return self.send_json(out)

    def hostile_s3(self, path, q):
        if not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 Credential="):
            return self.send_json({"error": "unsigned"}, 403)
        parts = path.split("/", 2)
        bucket, key = parts[1], (parts[2] if len(parts) > 2 else "")
        if not key:
            keys = {"loop-bucket": [("logs/a.json", 2)], "big-bucket": [("logs/big.json", 10)],
                    "folder-bucket": [("a/b", 2), ("a/b/c.json", 2)]}[bucket]
            contents = "".join(f"<Contents><Key>{k}</Key><Size>{n}</Size><ETag>\"x-1\"</ETag><LastModified>2026-08-01T00:00:00Z</LastModified></Contents>" for k, n in keys)
            truncated = bucket == "loop-bucket"
            body = (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>{bucket}</Name><KeyCount>{len(keys)}</KeyCount>'
                    f"{contents}<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
                    + ("<NextContinuationToken>same</NextContinuationToken>" if truncated else "") + "</ListBucketResult>").encode()
            return self.send_body(body, "application/xml")
        if bucket == "big-bucket":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.close_connection = True
            try:
                for _ in range(100_000):  # about 400 MB, more than any client should take
                    self.wfile.write(b"x" * 4096)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                pass
            return
        self.send_body(b"[]", "application/json")

    def databricks(self, method, path, q, data):
        scim = {"/api/2.0/preview/scim/v2/Users": USERS, "/api/2.0/preview/scim/v2/Groups": GROUPS,
                "/api/2.0/preview/scim/v2/ServicePrincipals": SPS}
        if path in scim:
            items = scim[path]
            start, count = int(q.get("startIndex", 1)), int(q.get("count", 100))
            page = items[start - 1:start - 1 + count]
            return self.send_json({"totalResults": len(items), "itemsPerPage": len(page), "startIndex": start, "Resources": page,
                                   "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]})
        if path == "/api/2.1/clusters/list":
            if hostile.get("clusters_loop"):
                return self.send_json({"clusters": CLUSTERS[:1], "next_page_token": "p1"})
            if q.get("page_token") == "p2":
                return self.send_json({"clusters": CLUSTERS[2:]})
            return self.send_json({"clusters": CLUSTERS[:2], "next_page_token": "p2"})
        if path == "/api/2.1/jobs/list":
            return self.send_json({"jobs": [{"job_id": 42, "settings": {"name": "nightly", "run_as": {"user_name": "user0@acme.example"}}}]})
        if path == "/api/2.0/sql/warehouses":
            return self.send_json({"warehouses": [{"id": "wh1", "name": "main"}]})
        if path == "/api/2.0/policies/clusters/list":
            return self.send_json({"policies": [{"policy_id": "pol1", "name": "shared"}]})
        if path == "/api/2.0/instance-profiles/list":
            return self.send_json({"instance_profiles": [{"instance_profile_arn": "arn:aws:iam::111122223333:instance-profile/broad"}]})
        if path.startswith("/api/2.0/permissions/"):
            parts = path.split("/")
            obj_id = parts[-1]
            if obj_id == "0801-0000-c2":
                return self.send_json({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "deleted"}, 404)
            return self.send_json({"object_id": f"/{parts[-2]}/{obj_id}", "object_type": parts[-2].rstrip("s"),
                                   "access_control_list": [{"group_name": "users", "all_permissions": [{"permission_level": "CAN_ATTACH_TO", "inherited": False}]}]})
        if path == "/api/2.1/unity-catalog/catalogs":
            return self.send_json({"catalogs": [{"name": "main", "owner": "admins"}]})
        if path == "/api/2.1/unity-catalog/schemas":
            return self.send_json({"schemas": [{"name": "sales", "catalog_name": q.get("catalog_name"), "full_name": f"{q.get('catalog_name')}.sales"}]})
        if path == "/api/2.1/unity-catalog/tables":
            return self.send_json({"tables": [{"name": "customers", "catalog_name": q["catalog_name"], "schema_name": q["schema_name"],
                                               "full_name": f"{q['catalog_name']}.{q['schema_name']}.customers", "owner": "admins",
                                               "storage_location": "s3://acme-pii-customers/customers"}]})
        if path.startswith("/api/2.1/unity-catalog/permissions/"):
            return self.send_json({"privilege_assignments": [{"principal": "account users", "privileges": ["SELECT", "USE_CATALOG"]}]})
        if path in ("/api/2.1/unity-catalog/storage-credentials", "/api/2.1/unity-catalog/external-locations"):
            key = "storage_credentials" if "storage" in path else "external_locations"
            return self.send_json({key: []})
        if path == "/api/2.0/sql/statements/" and method == "POST":
            req = json.loads(data)
            sid = f"st-{len(statements)}"
            with lock:
                statements[sid] = {"polls": 0, "req": req}
            return self.send_json({"statement_id": sid, "status": {"state": "PENDING"}})
        if path.startswith("/api/2.0/sql/statements/"):
            parts = path.split("/")
            sid = parts[5]
            st = statements.get(sid)
            if st is None:
                return self.send_json({"error_code": "NOT_FOUND"}, 404)
            rows = audit_rows() if "system.access.audit" in st["req"]["statement"] else []
            columns = [{"name": n, "type_name": t, "position": i} for i, (n, t) in enumerate(zip(AUDIT_COLUMNS, AUDIT_TYPES))]
            if "system.access.audit" not in st["req"]["statement"]:
                columns = [{"name": n, "type_name": "STRING", "position": i} for i, n in
                           enumerate(["catalog_name", "schema_name", "table_name", "column_name", "tag_name", "tag_value"])]
                rows = [["main", "sales", "customers", "email", "pii", ""]]
            external = st["req"].get("disposition") == "EXTERNAL_LINKS"
            if len(parts) > 6 and parts[6] == "result":
                chunk = int(parts[8])
                if external:
                    return self.send_json({"external_links": [{"chunk_index": chunk, "external_link": f"https://127.0.0.1:{self.server.server_port}/presigned/{sid}/{chunk}"}]})
                return self.send_json({"chunk_index": chunk, "data_array": rows[chunk * 4:(chunk + 1) * 4]})
            st["polls"] += 1
            if st["polls"] < 2 or hostile.get("pending"):
                return self.send_json({"statement_id": sid, "status": {"state": "RUNNING"}})
            manifest = {"format": "JSON_ARRAY", "schema": {"column_count": len(columns), "columns": columns}, "total_chunk_count": 2}
            if external:
                result = {"external_links": [{"chunk_index": 0, "external_link": f"https://127.0.0.1:{self.server.server_port}/presigned/{sid}/0",
                                              "next_chunk_internal_link": f"/api/2.0/sql/statements/{sid}/result/chunks/1"}]}
            else:
                result = {"chunk_index": 0, "data_array": rows[:4]}
                if len(rows) > 4:
                    result["next_chunk_internal_link"] = f"/api/2.0/sql/statements/{sid}/result/chunks/1"
            port = str(self.server.server_port)
            if "next" in hostile:
                result["next_chunk_internal_link"] = hostile["next"].replace("{port}", port)
            if "external" in hostile and external:
                result["external_links"][0]["external_link"] = hostile["external"].replace("{port}", port)
            return self.send_json({"statement_id": sid, "status": {"state": "SUCCEEDED"}, "manifest": manifest, "result": result})
        return self.send_json({"error_code": "ENDPOINT_NOT_FOUND", "message": path}, 404)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_port, flush=True)
    srv.serve_forever()

if __name__ == "__main__":
    main()
