#!/usr/bin/env python3
"""Writes a deterministic, large inventory for `crosstrail scan` benchmarks.

usage: gen-inventory.py OUT_DIR [--users N] [--roles N] [--dbx-users N] [--clusters N]

The shapes follow `aws iam get-account-authorization-details` and the Databricks SCIM,
permissions and Unity Catalog APIs. Nothing here is real.
"""
import argparse, json, os, random

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--users", type=int, default=3000)
p.add_argument("--roles", type=int, default=1000)
p.add_argument("--dbx-users", type=int, default=5000)
p.add_argument("--clusters", type=int, default=500)
a = p.parse_args()
rng = random.Random(7)
acct = "111122223333"
services = ["s3", "ec2", "lambda", "dynamodb", "sqs", "sns", "kms", "logs", "glue", "athena", "iam", "sts", "cloudwatch", "rds", "ecr"]
verbs = ["Get*", "List*", "Describe*", "Put*", "Create*", "Delete*", "Update*", "*"]

def stmt():
    s = rng.choice(services)
    acts = [f"{s}:{rng.choice(verbs)}" for _ in range(rng.randint(1, 4))]
    res = "*" if rng.random() < 0.5 else f"arn:aws:{s}:::{rng.choice(['data', 'logs', 'pii', 'tmp'])}-{rng.randint(0, 50)}/*"
    st = {"Effect": "Allow" if rng.random() < 0.9 else "Deny", "Action": acts, "Resource": res}
    if rng.random() < 0.1:
        st["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return st

def doc(n):
    return {"Version": "2012-10-17", "Statement": [stmt() for _ in range(n)]}

policies = [{"PolicyName": f"team-{i}", "PolicyId": f"ANPA{i:016d}", "Path": "/", "Arn": f"arn:aws:iam::{acct}:policy/team-{i}", "DefaultVersionId": "v1",
             "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "CreateDate": "2024-01-01 00:00:00+00:00", "UpdateDate": "2024-01-01 00:00:00+00:00",
             "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(rng.randint(2, 8))}]} for i in range(200)]
groups = [{"GroupName": f"g{i}", "GroupId": f"AGPA{i:016d}", "Path": "/", "CreateDate": "2024-01-01 00:00:00+00:00", "Arn": f"arn:aws:iam::{acct}:group/g{i}", "GroupPolicyList": [],
           "AttachedManagedPolicies": [{"PolicyArn": rng.choice(policies)["Arn"]} for _ in range(2)]} for i in range(40)]
users = [{"UserName": f"u{i}", "UserId": f"AIDA{i:016d}", "Path": "/", "Tags": [], "Arn": f"arn:aws:iam::{acct}:user/u{i}", "CreateDate": "2024-01-01 00:00:00+00:00",
          "GroupList": [f"g{rng.randint(0, 39)}" for _ in range(2)],
          "AttachedManagedPolicies": [{"PolicyArn": rng.choice(policies)["Arn"]}] if rng.random() < 0.3 else [],
          "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(2)}] if rng.random() < 0.2 else []} for i in range(a.users)]
roles = []
for i in range(a.roles):
    svc = rng.choice(["ec2.amazonaws.com", "lambda.amazonaws.com", "glue.amazonaws.com"])
    r = {"RoleName": f"r{i}", "RoleId": f"AROA{i:016d}", "Path": "/", "Tags": [], "RoleLastUsed": {}, "CreateDate": "2024-01-01 00:00:00+00:00", "Arn": f"arn:aws:iam::{acct}:role/r{i}",
         "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": svc}, "Action": "sts:AssumeRole"}]},
         "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(rng.randint(1, 5))}],
         "AttachedManagedPolicies": [{"PolicyArn": rng.choice(policies)["Arn"]}],
         "InstanceProfileList": [{"InstanceProfileName": f"r{i}", "InstanceProfileId": f"AIPA{i:016d}", "Path": "/", "CreateDate": "2024-01-01 00:00:00+00:00",
                                  "Roles": [], "Arn": f"arn:aws:iam::{acct}:instance-profile/r{i}"}] if svc == "ec2.amazonaws.com" else []}
    roles.append(r)
os.makedirs(f"{a.out}/aws", exist_ok=True)
json.dump({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies},
          open(f"{a.out}/aws/iam-authorization-details.json", "w"))

dbx = f"{a.out}/databricks"
os.makedirs(f"{dbx}/permissions/clusters", exist_ok=True)
os.makedirs(f"{dbx}/unity-catalog/grants/schema", exist_ok=True)
ngroups = 200
dusers = [{"id": str(1000 + i), "userName": f"user{i}@acme.example", "active": True,
           "groups": [{"value": str(100 + rng.randrange(ngroups))} for _ in range(3)]} for i in range(a.dbx_users)]
dgroups = [{"id": str(100 + g), "displayName": "admins" if g == 0 else f"team{g}",
            "members": [{"value": str(100 + rng.randrange(ngroups))}] if g > 10 and rng.random() < 0.3 else [],
            "roles": [{"value": f"arn:aws:iam::{acct}:instance-profile/r{rng.randrange(a.roles)}"}] if rng.random() < 0.2 else []} for g in range(ngroups)]
json.dump({"Resources": dusers}, open(f"{dbx}/scim-users.json", "w"))
json.dump({"Resources": dgroups}, open(f"{dbx}/scim-groups.json", "w"))
profiles = [r["InstanceProfileList"][0]["Arn"] for r in roles if r["InstanceProfileList"]]
clusters = []
for c in range(a.clusters):
    cid = f"0101-{c:06d}-c{c}"
    clusters.append({"cluster_id": cid, "data_security_mode": rng.choice(["NONE", "SINGLE_USER", "USER_ISOLATION"]),
                     "single_user_name": f"user{rng.randrange(a.dbx_users)}@acme.example",
                     "aws_attributes": {"instance_profile_arn": rng.choice(profiles)}})
    acl = [{"group_name": rng.choice(["users", f"team{rng.randrange(1, ngroups)}"]), "all_permissions": [{"permission_level": "CAN_ATTACH_TO", "inherited": False}]},
           {"user_name": f"user{rng.randrange(a.dbx_users)}@acme.example", "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}]}]
    json.dump({"object_id": f"/clusters/{cid}", "object_type": "cluster", "access_control_list": acl}, open(f"{dbx}/permissions/clusters/{cid}.json", "w"))
json.dump({"clusters": clusters}, open(f"{dbx}/clusters.json", "w"))
for s in range(100):
    json.dump({"privilege_assignments": [{"principal": rng.choice(["account users", f"team{rng.randrange(1, ngroups)}"]),
                                          "privileges": rng.sample(["SELECT", "MODIFY", "USE_SCHEMA", "ALL_PRIVILEGES"], 2)}]},
              open(f"{dbx}/unity-catalog/grants/schema/main.s{s}.json", "w"))
with open(f"{a.out}/classification.yaml", "w") as f:
    f.write("s3:\n")
    for i in range(20):
        f.write(f"  - prefix: s3://pii-{i}/\n    class: pii\n    allowed_groups: [team{i + 1}]\n")
    f.write("tables:\n")
    for i in range(50):
        f.write(f"  - name: main.s{i}.customers\n    class: pii\n")
