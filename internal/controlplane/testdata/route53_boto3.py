"""Drives kafkalink's route53 service with boto3, as TestRoute53WithBoto3 runs it.

Environment: ENDPOINT; A_KEY, A_SECRET (the zones' owner's root); B_KEY,
B_SECRET (the root of the account that associates its VPC); FIXTURE, a
JSON object with account a's VPCs (vpcA1, vpcA2) and account b's (vpcB).

Every response is checked against the botocore model of route53, from the
raw HTTP response (the after-call event): a success has the operation's
status and an XML body whose root element is the output shape's, in Route
53's namespace, whose every element, recursively, is a member of its shape
(lists of their member's element name, booleans, numbers, timestamps and
enums as the model says; required members present; no member twice); an
error is an <ErrorResponse> whose <Error> has a Type, Code and Message, the
Code naming an error shape of the operation (or AccessDenied, Route 53's
answer to a policy denial) with that shape's status; InvalidChangeBatch
lists its messages in <Messages>. Prints one JSON object: page sizes,
listings, error codes and messages, values, the operations checked and the
mismatches found (route53resolver_boto3's Recorder, with its Checker's
clients and its rest-xml checks in place of the JSON ones).
"""
import datetime
import json
import os
import xml.etree.ElementTree as ET

from route53resolver_boto3 import Checker, Recorder

NS = "https://route53.amazonaws.com/doc/2013-04-01/"
fx = json.loads(os.environ["FIXTURE"])
last_error_body = {}

# Errors Route 53 answers any operation with, outside the per-operation
# lists: a policy denial.
COMMON_ERRORS = {"AccessDenied": 403}


def q(name):
    return "{%s}%s" % (NS, name)


def local(tag):
    if not tag.startswith("{" + NS + "}"):
        return None
    return tag[len(NS) + 2:]


def iso(value):
    for f in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            datetime.datetime.strptime(value, f)
            return True
        except (TypeError, ValueError):
            pass
    return False


class Route53Checker(Checker):
    """Checks every response of the clients it makes against the route53
    model, as rest-xml."""

    def conform(self, shape, el, path, errs):
        """Appends to errs what in the element el does not fit shape."""
        t = shape.type_name
        children = list(el)
        if t == "structure":
            if (el.text or "").strip():
                errs.append("%s: text in a structure" % path)
            members = {}
            for name, m in shape.members.items():
                if m.serialization.get("location"):
                    continue
                members[m.serialization.get("name", name)] = (name, m)
            seen = set()
            for c in children:
                n = local(c.tag)
                if n is None:
                    errs.append("%s: element %s is not in Route 53's namespace" % (path, c.tag))
                elif n not in members:
                    errs.append("%s.%s: not a member of %s" % (path, n, shape.name))
                elif n in seen:
                    errs.append("%s.%s: twice" % (path, n))
                else:
                    seen.add(n)
                    self.conform(members[n][1], c, path + "." + n, errs)
            for req in shape.required_members:
                m = shape.members[req]
                if not m.serialization.get("location") and m.serialization.get("name", req) not in seen:
                    errs.append("%s: required member %s is missing" % (path, req))
        elif t == "list":
            name = shape.member.serialization.get("name", "member")
            for i, c in enumerate(children):
                if local(c.tag) != name:
                    errs.append("%s[%d]: element %s; want %s" % (path, i, c.tag, name))
                else:
                    self.conform(shape.member, c, "%s[%d]" % (path, i), errs)
        else:
            if children:
                errs.append("%s: elements in a %s" % (path, t))
                return
            v = el.text or ""
            if t == "string":
                if shape.enum and v not in shape.enum:
                    errs.append("%s: %r is not one of %s" % (path, v, shape.enum))
            elif t in ("integer", "long"):
                try:
                    int(v)
                except ValueError:
                    errs.append("%s: %r; want an integer" % (path, v))
            elif t == "boolean":
                if v not in ("true", "false"):
                    errs.append("%s: %r; want true or false" % (path, v))
            elif t == "timestamp":
                if not iso(v):
                    errs.append("%s: %r; want an ISO 8601 timestamp" % (path, v))
            else:
                errs.append("%s: the checker does not know type %s" % (path, t))


    def check(self, http_response, model, **kwargs):
        op = model
        status = http_response.status_code
        headers = http_response.headers
        body = http_response.content
        where = "%s (%d)" % (op.name, status)
        self.calls.append(op.name)
        errs = []
        if not headers.get("x-amzn-RequestId"):
            errs.append("no x-amzn-RequestId")
        try:
            root = ET.fromstring(body)
        except ET.ParseError as e:
            self.mismatches.append("%s: body is not XML: %s (%r)" % (where, e, body[:200]))
            return
        if status < 300:
            if status != op.http.get("responseCode", 200):
                errs.append("status %d; want %d" % (status, op.http.get("responseCode", 200)))
            shape = op.output_shape
            if local(root.tag) != shape.name:
                errs.append("root element %s; want {%s}%s" % (root.tag, NS, shape.name))
            for name, m in shape.members.items():
                if m.serialization.get("location") == "header" and name in shape.required_members and not headers.get(m.serialization["name"]):
                    errs.append("header %s is missing" % m.serialization["name"])
            self.conform(shape, root, shape.name, errs)
        else:
            last_error_body[op.name] = body
            if local(root.tag) != "ErrorResponse":
                errs.append("error root element %s; want ErrorResponse" % root.tag)
            error = root.find(q("Error"))
            if error is None or root.find(q("RequestId")) is None:
                errs.append("an error without Error or RequestId")
            else:
                fields = {local(c.tag): c for c in error}
                code = fields.get("Code").text if fields.get("Code") is not None else ""
                if set(fields) - {"Type", "Code", "Message", "Messages"} or fields.get("Code") is None or fields.get("Message") is None:
                    errs.append("Error members %s" % sorted(fields))
                if (fields.get("Type").text if fields.get("Type") is not None else "") not in ("Sender", "Receiver"):
                    errs.append("Error Type is not Sender or Receiver")
                if "Messages" in fields:
                    if code != "InvalidChangeBatch" or any(local(m.tag) != "Message" for m in fields["Messages"]):
                        errs.append("Messages in a %s error" % code)
                listed = {s.name: s.metadata.get("error", {}).get("httpStatusCode", 400) for s in op.error_shapes}
                listed.update(COMMON_ERRORS)
                if code not in listed:
                    errs.append("%s is not an error of %s (%s)" % (code, op.name, sorted(listed)))
                elif listed[code] != status:
                    errs.append("%s with status %d; want %d" % (code, status, listed[code]))
        for e in errs:
            self.mismatches.append("%s: %s" % (where, e))

    def client(self, service, key, secret, validate=True):
        c = super().client(service, key, secret, validate)
        c.meta.events.register("before-sign.route53.ChangeResourceRecordSets", replace)
        return c


# The body the next ChangeResourceRecordSets sends instead of botocore's
# (signed as sent).
replace_body = []


def replace(request, **kwargs):
    if replace_body:
        request.data = replace_body.pop().encode()


chk = Route53Checker()
rec = Recorder(chk)
out, code_of = rec.out, rec.code_of
a = chk.client("route53", os.environ["A_KEY"], os.environ["A_SECRET"])
b = chk.client("route53", os.environ["B_KEY"], os.environ["B_SECRET"])
unchecked = chk.client("route53", os.environ["A_KEY"], os.environ["A_SECRET"], validate=False)  # sends what botocore would refuse


def vpc(vpc_id, region="us-east-1"):
    return {"VPCRegion": region, "VPCId": vpc_id}


def rrset(action, name, typ, ttl, *values):
    return {"Action": action, "ResourceRecordSet": {"Name": name, "Type": typ, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values]}}


def alias(action, name, typ, zone, target):
    return {"Action": action, "ResourceRecordSet": {"Name": name, "Type": typ,
                                                    "AliasTarget": {"HostedZoneId": zone, "DNSName": target, "EvaluateTargetHealth": False}}}


def change(client, zone, *changes):
    return client.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Comment": "boto3", "Changes": list(changes)})


vpcA1, vpcA2, vpcB = fx["vpcA1"], fx["vpcA2"], fx["vpcB"]

# Zones.
created = a.create_hosted_zone(Name="example.com", CallerReference="r-1", VPC=vpc(vpcA1), HostedZoneConfig={"Comment": "orders", "PrivateZone": True})
zone = created["HostedZone"]["Id"].split("/")[-1]
out["values"]["location"] = created["Location"].endswith("/2013-04-01/hostedzone/" + zone)
for i in range(6):
    a.create_hosted_zone(Name="z%d.example.net" % i, CallerReference="r-z%d" % i, VPC=vpc(vpcA2))
code_of("create_public", lambda: a.create_hosted_zone(Name="public.example", CallerReference="p"))
code_of("create_reused_reference", lambda: a.create_hosted_zone(Name="other.example", CallerReference="r-1", VPC=vpc(vpcA1)))
code_of("create_conflicting", lambda: a.create_hosted_zone(Name="EXAMPLE.com.", CallerReference="r-2", VPC=vpc(vpcA1)))
code_of("create_bad_name", lambda: a.create_hosted_zone(Name="a..b", CallerReference="r-3", VPC=vpc(vpcA1)))
code_of("create_other_region", lambda: a.create_hosted_zone(Name="other.example", CallerReference="r-4", VPC=vpc(vpcA1, "eu-west-1")))
got = a.get_hosted_zone(Id=zone)
out["values"]["zone"] = {"name": got["HostedZone"]["Name"], "count": got["HostedZone"]["ResourceRecordSetCount"],
                         "private": got["HostedZone"]["Config"]["PrivateZone"], "vpcs": [v["VPCId"] for v in got["VPCs"]]}
code_of("get_unknown", lambda: a.get_hosted_zone(Id="Z0123456789ABCDEFGHIJ"))
code_of("get_other_account", lambda: b.get_hosted_zone(Id=zone))
out["values"]["change_status"] = a.get_change(Id=created["ChangeInfo"]["Id"])["ChangeInfo"]["Status"]
code_of("get_change_unknown", lambda: a.get_change(Id="C0123456789ABCDEFGHIJ"))

# Record sets.
change(a, zone,
       rrset("CREATE", "b-1.example.com", "A", 60, "10.1.0.10"),
       rrset("CREATE", "b-1.example.com", "AAAA", 60, "2001:db8::10"),
       rrset("CREATE", "*.example.com", "A", 60, "10.1.0.99"),
       rrset("CREATE", "www.example.com", "CNAME", 300, "b-1.example.com"),
       rrset("CREATE", "mail.example.com", "A", 300, "10.1.0.25"),
       rrset("CREATE", "example.com", "TXT", 300, '"v=spf1 -all"'),
       rrset("CREATE", "_kafka._tcp.example.com", "SRV", 300, "1 10 9098 b-1.example.com."),
       alias("CREATE", "boot.example.com", "A", zone, "b-1.example.com"))
code_of("change_exists", lambda: change(a, zone, rrset("CREATE", "b-1.example.com", "A", 60, "10.1.0.11"), rrset("CREATE", "bad.example.com", "A", 60, "1.2.3")))
error = ET.fromstring(last_error_body["ChangeResourceRecordSets"]).find(q("Error"))
out["values"]["change_batch_messages"] = [m.text for m in error.find(q("Messages"))]
code_of("change_bad_ipv4", lambda: change(a, zone, rrset("CREATE", "bad.example.com", "A", 60, "1.2.3")))
code_of("change_routing", lambda: change(a, zone, {"Action": "CREATE", "ResourceRecordSet": {
    "Name": "w.example.com", "Type": "A", "SetIdentifier": "one", "Weight": 10, "TTL": 60, "ResourceRecords": [{"Value": "10.1.0.1"}]}}))
code_of("change_geo", lambda: change(a, zone, {"Action": "UPSERT", "ResourceRecordSet": {
    "Name": "g.example.com", "Type": "A", "SetIdentifier": "de", "GeoLocation": {"CountryCode": "DE"}, "TTL": 60, "ResourceRecords": [{"Value": "10.1.0.1"}]}}))
replace_body.append('<ChangeResourceRecordSetsRequest xmlns="%s"><ChangeBatch><Changes><Change><Action>CREATE</Action><Bogus/></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>' % NS)
code_of("change_bad_xml", lambda: change(a, zone, rrset("CREATE", "x.example.com", "A", 60, "10.1.0.1")))

sizes, names = [], []
for page in a.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone, PaginationConfig={"PageSize": 3}):
    sizes.append(len(page["ResourceRecordSets"]))
    names += ["%s %s" % (r["Name"], r["Type"]) for r in page["ResourceRecordSets"]]
out["pages"]["list_resource_record_sets"], out["listed"]["list_resource_record_sets"] = sizes, names
out["values"]["wildcard_name"] = next(n for n in names if n.endswith(" A") and "example.com." in n and n.startswith("\\"))[:-2]
sizes, ids = [], []
for page in a.get_paginator("list_hosted_zones").paginate(PaginationConfig={"PageSize": 2}):
    sizes.append(len(page["HostedZones"]))
    ids += [z["Id"] for z in page["HostedZones"]]
out["pages"]["list_hosted_zones"], out["listed"]["list_hosted_zones"] = sizes, ids
by_name = a.list_hosted_zones_by_name(DNSName="z3.example.net", MaxItems="2")
out["values"]["by_name"] = {"names": [z["Name"] for z in by_name["HostedZones"]], "next": by_name["NextDNSName"], "truncated": by_name["IsTruncated"]}
code_of("by_name_bad", lambda: a.list_hosted_zones_by_name(DNSName="a..b"))
code_of("by_name_id_only", lambda: a.list_hosted_zones_by_name(HostedZoneId=zone))
code_of("bad_max_items", lambda: unchecked.list_hosted_zones(MaxItems="0"))

# VPC associations and authorizations.
code_of("associate_unauthorized", lambda: b.associate_vpc_with_hosted_zone(HostedZoneId=zone, VPC=vpc(vpcB)))
a.create_vpc_association_authorization(HostedZoneId=zone, VPC=vpc(vpcB))
out["values"]["authorizations"] = [v["VPCId"] for v in a.list_vpc_association_authorizations(HostedZoneId=zone)["VPCs"]]
code_of("bad_token", lambda: a.list_vpc_association_authorizations(HostedZoneId=zone, NextToken="!!"))
code_of("associate_not_owner", lambda: a.associate_vpc_with_hosted_zone(HostedZoneId=zone, VPC=vpc(vpcB)))
code_of("associate_unknown_vpc", lambda: a.associate_vpc_with_hosted_zone(HostedZoneId=zone, VPC=vpc("vpc-0123456789abcdef0")))
b.associate_vpc_with_hosted_zone(HostedZoneId=zone, VPC=vpc(vpcB), Comment="clients")
a.delete_vpc_association_authorization(HostedZoneId=zone, VPC=vpc(vpcB))
out["values"]["zone_vpcs_after_deauthorize"] = [v["VPCId"] for v in a.get_hosted_zone(Id=zone)["VPCs"]]
code_of("deauthorize_not_found", lambda: a.delete_vpc_association_authorization(HostedZoneId=zone, VPC=vpc(vpcB)))
b.disassociate_vpc_from_hosted_zone(HostedZoneId=zone, VPC=vpc(vpcB))
code_of("disassociate_not_found", lambda: b.disassociate_vpc_from_hosted_zone(HostedZoneId=zone, VPC=vpc(vpcB)))
code_of("reassociate", lambda: b.associate_vpc_with_hosted_zone(HostedZoneId=zone, VPC=vpc(vpcB)))
code_of("disassociate_last", lambda: a.disassociate_vpc_from_hosted_zone(HostedZoneId=zone, VPC=vpc(vpcA1)))

# Deleting zones.
code_of("delete_not_empty", lambda: a.delete_hosted_zone(Id=zone))
empty = [z for z in ids if z.split("/")[-1] != zone][0]
out["values"]["deleted"] = a.delete_hosted_zone(Id=empty)["ChangeInfo"]["Status"]

rec.print()
