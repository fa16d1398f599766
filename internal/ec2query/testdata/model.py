"""Print, for the EC2 operations named on the command line, the wire names
AWS's model (as botocore ships it) gives every member reachable from their
input and output shapes: the query key a request uses and the XML element a
response uses. Run by model_test.go."""
import json
import sys

import botocore.session

model = botocore.session.get_session().get_service_model("ec2")
shapes, ops = {}, {}


def query_name(member):
    # EC2's query protocol: queryName, else the capitalised locationName,
    # else the member's name (botocore's EC2Serializer._get_serialized_name).
    s = member.serialization
    if "queryName" in s:
        return s["queryName"]
    if "name" in s:
        return s["name"][0].upper() + s["name"][1:]
    return None


def walk(shape):
    if shape.type_name == "list":
        return walk(shape.member)
    if shape.type_name != "structure" or shape.name in shapes:
        return
    members = {}
    shapes[shape.name] = members
    for name, m in shape.members.items():
        q = query_name(m)
        inner = m.member if m.type_name == "list" else m
        members[name] = {
            "query": q if q is not None else name,
            "xml": m.serialization.get("name", name),
            "type": m.type_name,
            "shape": inner.name,
            "innerType": inner.type_name,
        }
        walk(m)


for op in sys.argv[1:]:
    o = model.operation_model(op)
    ops[op] = {"input": o.input_shape.name if o.input_shape else "",
               "output": o.output_shape.name if o.output_shape else ""}
    if o.input_shape:
        walk(o.input_shape)
    if o.output_shape:
        walk(o.output_shape)

json.dump({"operations": ops, "shapes": shapes}, sys.stdout)
