#!/usr/bin/env python3
"""Judge raw sandbox responses against botocore's service models.

Usage: botocore_check.py EXCHANGES.json

EXCHANGES.json is a list of {service, action, status, headers, body,
expectInvalid?}. For each response this script

  1. parses it with botocore's own response parser for the service's protocol
     (what the AWS CLI does), which must not fail, and must yield an Error for
     an error status and none for a success, and
  2. walks the raw XML/JSON strictly against the operation's output shape:
     every element/key must be a member of the shape (exact case), lists must
     use the model's item element names, booleans must be exactly true/false,
     numbers and timestamps must parse, enum strings must be in the enum, and
     error bodies must have exactly the structure the protocol defines.

Exchanges marked expectInvalid are deliberately broken and must be rejected
(that proves the judge can say no). Exit status 0 when every verdict is as
expected, 1 otherwise; problems are printed one per line.
"""

import json
import os
import re
import sys
import xml.etree.ElementTree as ET

import botocore.session
from botocore import parsers

ISO8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
INT = re.compile(r"^-?\d+$")

# Errors any JSON service may answer besides those modelled per operation.
COMMON_JSON_ERRORS = {
    "AccessDeniedException", "IncompleteSignatureException", "InternalFailure", "InvalidSignatureException",
    "MissingAuthenticationTokenException", "SerializationException", "ThrottlingException",
    "UnknownOperationException", "UnrecognizedClientException", "ValidationException", "RequestEntityTooLarge",
    # The sandbox's own refusal of an operation ECR has and it does not model.
    "UnsupportedOperationException",
}

# Scalar values walked, all responses together (the audit's figure).
VALUES = [0]

SESSION = botocore.session.get_session()
MODELS = {}

# The installed botocore's models judge, unless it is older than the pinned,
# trimmed models in botocore-models/ (generated from a recent botocore):
# an old model lacks members AWS sends today and would reject them.
PINNED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "botocore-models")


def _version(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


with open(os.path.join(PINNED_DIR, "sts", "2011-06-15", "service-2.json")) as _f:
    PINNED_VERSION = json.load(_f)["metadata"]["sandboxPinnedFrom"].split()[-1]
if _version(botocore.__version__) < _version(PINNED_VERSION):
    SESSION.get_component("data_loader").search_paths.insert(0, PINNED_DIR)
    MODEL_SOURCE = "pinned models from botocore %s (installed botocore %s is older)" % (PINNED_VERSION, botocore.__version__)
else:
    MODEL_SOURCE = "botocore %s models" % botocore.__version__


def model(service):
    if service not in MODELS:
        MODELS[service] = SESSION.get_service_model(service)
    return MODELS[service]


def local(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


class Walker:
    def __init__(self, protocol):
        self.protocol = protocol
        self.problems = []

    def fail(self, path, msg):
        self.problems.append("%s: %s" % (path, msg))

    # XML (ec2 and query protocols)

    def xml_member_name(self, name, member):
        return member.serialization.get("name", name)

    def xml_list_item_name(self, shape):
        m = shape.member
        if self.protocol == "ec2":
            return m.serialization.get("name", "member")
        return m.serialization.get("name", "member")

    def walk_xml(self, elem, shape, path):
        t = shape.type_name
        children = list(elem)
        if t == "structure":
            by_name = {}
            for name, member in shape.members.items():
                by_name[self.xml_member_name(name, member)] = member
            seen = set()
            for child in children:
                tag = local(child.tag)
                if tag not in by_name:
                    close = [n for n in by_name if n.lower() == tag.lower()]
                    hint = " (mis-cased; model says %s)" % close[0] if close else ""
                    self.fail(path, "unknown element <%s> in %s%s" % (tag, shape.name, hint))
                    continue
                member = by_name[tag]
                if tag in seen and not member.serialization.get("flattened"):
                    self.fail(path, "element <%s> repeated" % tag)
                seen.add(tag)
                self.walk_xml(child, member, path + "/" + tag)
            if (elem.text or "").strip():
                self.fail(path, "structure %s has text %r" % (shape.name, elem.text.strip()))
        elif t == "list":
            item = self.xml_list_item_name(shape)
            for i, child in enumerate(children):
                if local(child.tag) != item:
                    self.fail(path, "list item <%s>, model says <%s>" % (local(child.tag), item))
                    continue
                self.walk_xml(child, shape.member, "%s/%s[%d]" % (path, item, i))
        elif t == "map":
            self.fail(path, "maps are not expected in these responses")
        else:
            if children:
                self.fail(path, "scalar %s has child elements" % shape.name)
            self.scalar(elem.text or "", shape, path)

    def scalar(self, text, shape, path):
        VALUES[0] += 1
        t = shape.type_name
        if t == "boolean":
            if text not in ("true", "false"):
                self.fail(path, "boolean %r is not true/false" % text)
        elif t in ("integer", "long"):
            if not INT.match(text):
                self.fail(path, "%s %r is not an integer" % (t, text))
        elif t in ("float", "double"):
            try:
                float(text)
            except ValueError:
                self.fail(path, "%s %r is not a number" % (t, text))
        elif t == "timestamp":
            if not ISO8601.match(text):
                self.fail(path, "timestamp %r is not ISO 8601" % text)
        elif t == "string":
            self.enum(text, shape, path)

    def enum(self, value, shape, path):
        # Case-insensitive on purpose: EC2's wire spells some enums in lower
        # case where the model capitalises them (VpcEndpoint State:
        # "available" vs "Available"), and botocore passes them through.
        enum = shape.enum
        if enum and value.lower() not in {e.lower() for e in enum}:
            self.fail(path, "%r is not in enum %s %s" % (value, shape.name, list(enum)))

    # JSON

    def walk_json(self, value, shape, path):
        t = shape.type_name
        if t not in ("structure", "list", "map"):
            VALUES[0] += 1
        if t == "structure":
            if not isinstance(value, dict):
                self.fail(path, "want object for %s, got %s" % (shape.name, type(value).__name__))
                return
            by_name = {m.serialization.get("name", n): m for n, m in shape.members.items()}
            for k, v in value.items():
                if k not in by_name:
                    close = [n for n in by_name if n.lower() == k.lower()]
                    hint = " (mis-cased; model says %s)" % close[0] if close else ""
                    self.fail(path, "unknown key %r in %s%s" % (k, shape.name, hint))
                    continue
                self.walk_json(v, by_name[k], path + "." + k)
        elif t == "list":
            if not isinstance(value, list):
                self.fail(path, "want array, got %s" % type(value).__name__)
                return
            for i, v in enumerate(value):
                self.walk_json(v, shape.member, "%s[%d]" % (path, i))
        elif t == "map":
            if not isinstance(value, dict):
                self.fail(path, "want map object")
                return
            for k, v in value.items():
                self.walk_json(k, shape.key, path + ".<key>")
                self.walk_json(v, shape.value, path + "." + k)
        elif t == "boolean":
            if not isinstance(value, bool):
                self.fail(path, "boolean is %r" % (value,))
        elif t in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self.fail(path, "%s is %r" % (t, value))
        elif t in ("float", "double", "timestamp"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(path, "%s is %r" % (t, value))
        elif t in ("string", "blob"):
            if not isinstance(value, str):
                self.fail(path, "string is %r" % (value,))
            elif t == "string":
                self.enum(value, shape, path)
        else:
            self.fail(path, "unhandled type %s" % t)


def expect_children(w, elem, names, path):
    got = [local(c.tag) for c in elem]
    if got != names:
        w.fail(path, "children %s, want %s" % (got, names))


def expect_root(w, root, want, path, namespace=None):
    """The root element is <want>, in namespace when one is given."""
    tag = local(root.tag)
    if tag != want:
        w.fail(path, "root <%s>, want <%s>" % (tag, want))
    if namespace is not None and not root.tag.startswith("{" + namespace):
        w.fail(path, "namespace of %s is not %s" % (root.tag, namespace))


def check(ex):
    svc = model(ex["service"])
    protocol = svc.metadata["protocol"]
    op = svc.operation_model(ex["action"])
    status = ex["status"]
    w = Walker(protocol)
    where = "%s %s (%d)" % (ex["service"], ex["action"], status)

    # 1. botocore's parser, as the CLI uses it.
    parser = parsers.create_parser(protocol)
    resp = {"status_code": status, "headers": ex["headers"], "body": ex["body"].encode()}
    try:
        parsed = parser.parse(resp, op.output_shape)
    except Exception as e:  # noqa: BLE001 - any parser failure is a verdict
        w.fail(where, "botocore cannot parse: %r" % e)
        return w.problems
    is_error = status >= 300
    if is_error and not parsed.get("Error", {}).get("Code"):
        w.fail(where, "botocore found no error code in an error response")
    if not is_error and "Error" in parsed:
        w.fail(where, "botocore parsed an error from a success: %r" % parsed["Error"])

    # 2. strict walk of the raw body.
    body = ex["body"]
    if protocol in ("ec2", "query"):
        try:
            root = ET.fromstring(body)
        except ET.ParseError as e:
            w.fail(where, "XML does not parse: %s" % e)
            return w.problems
        tag = local(root.tag)
        if protocol == "ec2":
            if is_error:
                expect_root(w, root, "Response", where)
                expect_children(w, root, ["Errors", "RequestID"], where)
                errs = root.find("Errors")
                if errs is not None:
                    expect_children(w, errs, ["Error"], where + "/Errors")
                    e = errs.find("Error")
                    if e is not None:
                        expect_children(w, e, ["Code", "Message"], where + "/Errors/Error")
                return w.problems
            expect_root(w, root, ex["action"] + "Response", where, svc.metadata["xmlNamespace"])
            shape = op.output_shape
            for child in root:
                ctag = local(child.tag)
                if ctag == "requestId":
                    continue
                if shape is None:
                    w.fail(where, "element <%s> but the operation has no output" % ctag)
                    continue
                members = {m.serialization.get("name", n): m for n, m in shape.members.items()}
                if ctag not in members:
                    w.fail(where, "unknown element <%s> under <%s>" % (ctag, tag))
                    continue
                w.walk_xml(child, members[ctag], where + "/" + ctag)
            if root.find("{*}requestId") is None:
                w.fail(where, "no <requestId>")
            return w.problems
        # query (STS, IAM)
        if is_error:
            expect_root(w, root, "ErrorResponse", where)
            expect_children(w, root, ["Error", "RequestId"], where)
            e = root.find("{*}Error")
            if e is not None:
                expect_children(w, e, ["Type", "Code", "Message"], where + "/Error")
                t = e.find("{*}Type")
                if t is not None and t.text not in ("Sender", "Receiver"):
                    w.fail(where, "error Type %r" % t.text)
            return w.problems
        expect_root(w, root, ex["action"] + "Response", where, svc.metadata["xmlNamespace"])
        if op.output_shape is None:
            expect_children(w, root, ["ResponseMetadata"], where)
            return w.problems
        wrapper = op.output_shape.serialization.get("resultWrapper")
        expect_children(w, root, [wrapper, "ResponseMetadata"], where)
        result = root.find("{*}" + wrapper)
        if result is not None:
            w.walk_xml(result, op.output_shape, where + "/" + wrapper)
        md = root.find("{*}ResponseMetadata")
        if md is not None:
            expect_children(w, md, ["RequestId"], where + "/ResponseMetadata")
        return w.problems

    # json (ECR) and rest-json (Scheduler)
    try:
        value = json.loads(body)
    except ValueError as e:
        w.fail(where, "JSON does not parse: %s" % e)
        return w.problems
    if is_error and protocol == "rest-json":
        # The code travels in x-amzn-ErrorType, the text in Message.
        if not isinstance(value, dict) or set(value) != {"Message"}:
            w.fail(where, "error body %r: want exactly Message" % value)
            return w.problems
        code = ex["headers"].get("x-amzn-errortype", "").split(":")[0]
        modelled = {s.name for s in op.error_shapes}
        if code not in modelled and code not in COMMON_JSON_ERRORS:
            w.fail(where, "error %s is neither modelled for %s (%s) nor a common error" % (code, ex["action"], sorted(modelled)))
        for s in op.error_shapes:
            if s.name == code and s.metadata.get("error", {}).get("httpStatusCode", status) != status:
                w.fail(where, "error %s with status %d, the model says %d" % (code, status, s.metadata["error"]["httpStatusCode"]))
        return w.problems
    if is_error:
        # The error shapes name the text: message (ECR) or Message
        # (Organizations); botocore reads either.
        text = {m.serialization.get("name", n) for s in op.error_shapes for n, m in s.members.items()} & {"message", "Message"} or {"message"}
        if not isinstance(value, dict) or set(value) - {"__type"} - text or not value.get("__type"):
            w.fail(where, "error body %r: want exactly __type and %s" % (value, "/".join(sorted(text))))
            return w.problems
        code = value["__type"].split("#")[-1]
        modelled = {s.name for s in op.error_shapes}
        if code not in modelled and code not in COMMON_JSON_ERRORS:
            w.fail(where, "error %s is neither modelled for %s (%s) nor a common error" % (code, ex["action"], sorted(modelled)))
        return w.problems
    if op.output_shape is None or (protocol == "rest-json" and not op.output_shape.members):
        if value != {}:
            w.fail(where, "body %r for an operation without output" % value)
    else:
        w.walk_json(value, op.output_shape, where)
    return w.problems


def main():
    exchanges = json.load(open(sys.argv[1]))
    bad = 0
    checked = 0
    errors = 0
    for ex in exchanges:
        if ex.get("expectInvalid"):
            saved = VALUES[0]
            problems = check(ex)
            VALUES[0] = saved  # broken copies are not part of the count
        else:
            problems = check(ex)
            checked += 1
            errors += ex["status"] >= 300
        if ex.get("expectInvalid"):
            if not problems:
                bad += 1
                print("NOT REJECTED (broken on purpose): %s %s: %s" % (ex["service"], ex["action"], ex.get("why", "")))
            continue
        for p in problems:
            bad += 1
            print(p)
    print("botocore %s parsers, %s: checked %d responses (%d errors), %d scalar values, %d problems" % (
        botocore.__version__, MODEL_SOURCE, checked, errors, VALUES[0], bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
