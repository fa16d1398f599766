#!/usr/bin/env python3
"""Regenerate the pinned, trimmed botocore models the shape check falls back
to when the installed botocore is older than these (Debian 12 ships 1.29,
which predates members AWS sends today, like securityGroupArn).

Run with a recent botocore:  python3 gen.py   (from this directory)

Only the operations the sandbox serves, and the shapes they reach, are kept.
It also writes ../../aws_operations.txt: the name of every operation of the
three services, which the sandbox embeds to tell an operation AWS has but it
does not model from one that does not exist.
"""
import gzip
import json
import os

import botocore

OPS = {
    ("ec2", "2016-11-15"): [
        "DescribeVpcs", "DescribeVpcAttribute", "ModifyVpcAttribute", "DescribeSubnets", "DescribeRouteTables",
        "DescribeSecurityGroups", "CreateSecurityGroup", "DeleteSecurityGroup", "AuthorizeSecurityGroupIngress",
        "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "DescribeSecurityGroupRules", "CreateVpcEndpoint", "DescribeVpcEndpoints",
        "ModifyVpcEndpoint", "DeleteVpcEndpoints", "DescribeVpcEndpointServices", "DescribeNetworkInterfaces",
        "CreateTags", "DeleteTags", "DescribeTags", "DescribeInstances", "DescribeAvailabilityZones", "DescribePrefixLists", "DescribeRegions",
        "DescribeTransitGateways",  # not served: its refusal is judged
    ],
    ("ecr", "2015-09-21"): [
        "GetAuthorizationToken", "CreateRepository", "DescribeRepositories", "DeleteRepository", "ListImages",
        "DescribeImages", "BatchGetImage", "PutImage", "BatchDeleteImage", "GetRepositoryPolicy", "DescribeRegistry",
        "GetLifecyclePolicy",  # not served: its refusal is judged
    ],
    ("sts", "2011-06-15"): ["GetCallerIdentity", "AssumeRole"],
    ("iam", "2010-05-08"): [
        "CreateRole", "GetRole", "DeleteRole", "ListRoles", "TagRole", "PutRolePolicy", "GetRolePolicy", "ListRolePolicies",
        "DeleteRolePolicy", "SimulatePrincipalPolicy",
    ],
    ("scheduler", "2021-06-30"): [
        "CreateSchedule", "GetSchedule", "UpdateSchedule", "DeleteSchedule", "ListSchedules", "GetScheduleGroup", "ListScheduleGroups",
    ],
    ("organizations", "2016-11-28"): ["ListAccounts", "DescribeOrganization"],
}

data = os.path.join(os.path.dirname(botocore.__file__), "data")
here = os.path.dirname(os.path.abspath(__file__))
names = ["# The operations of EC2, ECR, STS, IAM, EventBridge Scheduler and Organizations, from botocore " + botocore.__version__ + " (written by testdata/botocore-models/gen.py)."]
for (svc, ver), ops in OPS.items():
    src = os.path.join(data, svc, ver, "service-2.json")
    m = json.load(gzip.open(src + ".gz")) if os.path.exists(src + ".gz") else json.load(open(src))
    names += ["%s %s" % (svc, op) for op in sorted(m["operations"])]
    keep = set()

    def reach(name):
        if name in keep:
            return
        keep.add(name)
        s = m["shapes"][name]
        for ref in list(s.get("members", {}).values()) + [s[k] for k in ("member", "key", "value") if k in s]:
            reach(ref["shape"])

    out_ops = {}
    for op in ops:
        o = dict(m["operations"][op])
        o.pop("documentation", None)
        out_ops[op] = o
        for k in ("input", "output"):
            if k in o:
                reach(o[k]["shape"])
        for e in o.get("errors", []):
            reach(e["shape"])
    shapes = {}
    for n in sorted(keep):
        s = {k: v for k, v in m["shapes"][n].items() if k != "documentation"}
        if "members" in s:
            s["members"] = {k: {kk: vv for kk, vv in v.items() if kk != "documentation"} for k, v in s["members"].items()}
        shapes[n] = s
    meta = dict(m["metadata"])
    meta["sandboxPinnedFrom"] = "botocore " + botocore.__version__
    out = {"version": m.get("version", "2.0"), "metadata": meta, "operations": out_ops, "shapes": shapes}
    d = os.path.join(here, svc, ver)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "service-2.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(svc, ver, len(out_ops), "operations,", len(shapes), "shapes")
with open(os.path.join(here, "..", "..", "aws_operations.txt"), "w") as f:
    f.write("\n".join(names) + "\n")
print(len(names) - 1, "operation names")
