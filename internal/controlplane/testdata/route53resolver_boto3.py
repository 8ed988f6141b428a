"""Drives kafkalink's route53resolver service with boto3, as
TestRoute53ResolverWithBoto3 runs it.

Environment: ENDPOINT; A_KEY, A_SECRET and B_KEY, B_SECRET (the two
accounts' roots); FIXTURE, a JSON object with their networks (see
route53resolver_test.go).

Every response is checked against the botocore model of its service, from
the raw HTTP response (the after-call event): a success has the status the
operation answers with, the protocol's Content-Type and a JSON body whose
every member, recursively, is a member of the output shape with the right
JSON type, enum value and length bounds; an error names an error shape of
the operation (x-amzn-ErrorType, and __type in a JSON 1.1 body) with that
shape's status and a body of the shape's members with a message. Prints
one JSON object: page sizes, listed ids, values, error codes, and the
mismatches found. ram_boto3.py uses the same checker (Checker), and
route53_boto3.py its clients and Recorder.
"""
import base64
import json
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Errors AWS answers for any operation though botocore's per-operation
# lists leave them out (IAM denials, bodies that do not parse).
DOCUMENTED_FOR_EVERY_OPERATION = {"AccessDeniedException": 403, "SerializationException": 400}


class Checker:
    """Checks every response of the clients it makes against their models."""

    def __init__(self):
        self.mismatches = []
        self.calls = []

    def conform(self, shape, value, path, errs):
        """Appends to errs what in value does not fit shape."""
        t = shape.type_name
        md = shape.metadata
        if value is None:
            errs.append("%s: null (the model has no null)" % path)
        elif t == "structure":
            if not isinstance(value, dict):
                errs.append("%s: %s; want an object (%s)" % (path, type(value).__name__, shape.name))
                return
            members = {}
            for name, m in shape.members.items():
                if m.serialization.get("location"):
                    continue  # headers, status code, path: not in the body
                members[m.serialization.get("name", name)] = m
            for k, v in value.items():
                if k not in members:
                    errs.append("%s.%s: not a member of %s" % (path, k, shape.name))
                else:
                    self.conform(members[k], v, path + "." + k, errs)
        elif t == "list":
            if not isinstance(value, list):
                errs.append("%s: %s; want a list" % (path, type(value).__name__))
                return
            if len(value) < md.get("min", 0) or len(value) > md.get("max", len(value)):
                errs.append("%s: %d items; want %s to %s" % (path, len(value), md.get("min", 0), md.get("max")))
            for i, v in enumerate(value):
                self.conform(shape.member, v, "%s[%d]" % (path, i), errs)
        elif t == "map":
            if not isinstance(value, dict):
                errs.append("%s: %s; want an object (map)" % (path, type(value).__name__))
                return
            for k, v in value.items():
                self.conform(shape.value, v, "%s{%s}" % (path, k), errs)
        elif t == "string":
            if not isinstance(value, str):
                errs.append("%s: %s; want a string" % (path, type(value).__name__))
            elif shape.enum and value not in shape.enum:
                errs.append("%s: %r is not one of %s" % (path, value, shape.enum))
            elif len(value) < md.get("min", 0) or len(value) > md.get("max", len(value)):
                errs.append("%s: %r is %d long; want %s to %s" % (path, value, len(value), md.get("min", 0), md.get("max")))
        elif t in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                errs.append("%s: %r; want an integer" % (path, value))
            elif value < md.get("min", value) or value > md.get("max", value):
                errs.append("%s: %r; want %s to %s" % (path, value, md.get("min"), md.get("max")))
        elif t in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errs.append("%s: %r; want a number" % (path, value))
        elif t == "boolean":
            if not isinstance(value, bool):
                errs.append("%s: %r; want a boolean" % (path, value))
        elif t == "timestamp":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errs.append("%s: %r; want epoch seconds" % (path, value))
        elif t == "blob":
            try:
                base64.b64decode(value, validate=True)
            except Exception:
                errs.append("%s: %r; want base64" % (path, value))
        else:
            errs.append("%s: the checker does not know type %s" % (path, t))

    def check(self, http_response, model, **kwargs):
        op = model
        svc = op.service_model
        protocol = svc.metadata["protocol"]
        status, headers, body = http_response.status_code, http_response.headers, http_response.content
        where = "%s (%d)" % (op.name, status)
        self.calls.append(op.name)
        errs = []
        if not headers.get("x-amzn-RequestId"):
            errs.append("no x-amzn-RequestId")
        content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
        if headers.get("Content-Type", "").split(";")[0] != content_type:
            errs.append("Content-Type %r; want %s" % (headers.get("Content-Type"), content_type))
        try:
            doc = json.loads(body)
        except ValueError as e:
            errs.append("body is not JSON: %s" % e)
            doc = None
        if status < 300:
            if status != op.http.get("responseCode", 200):
                errs.append("status %d; want %d" % (status, op.http.get("responseCode", 200)))
            if headers.get("x-amzn-ErrorType"):
                errs.append("a success with x-amzn-ErrorType %s" % headers["x-amzn-ErrorType"])
            if doc is not None:
                self.conform(op.output_shape, doc, op.output_shape.name, errs)
        else:
            code = headers.get("x-amzn-ErrorType", "").split(":")[0]
            listed = {s.name: s for s in op.error_shapes}
            want_status = None
            if code in listed:
                shape = listed[code]
                want_status = shape.metadata.get("error", {}).get("httpStatusCode")
                if want_status is None:  # the JSON protocol's default
                    want_status = 500 if code.startswith("InternalService") else 400
            elif code in DOCUMENTED_FOR_EVERY_OPERATION:
                shape = None
                want_status = DOCUMENTED_FOR_EVERY_OPERATION[code]
                if code == "AccessDeniedException" and code in svc.shape_names:
                    shape = svc.shape_for(code)
                if protocol == "json":
                    want_status = 400
            else:
                errs.append("x-amzn-ErrorType %r is not an error of %s (%s)" % (code, op.name, sorted(listed)))
                shape = None
            if want_status is not None and status != want_status:
                errs.append("%s with status %d; want %d" % (code, status, want_status))
            if isinstance(doc, dict):
                msg_key = "Message" if protocol == "json" else "message"
                if protocol == "json":
                    if doc.get("__type") != code:
                        errs.append("__type %r; want %s" % (doc.get("__type"), code))
                    doc = {k: v for k, v in doc.items() if k != "__type"}
                if not doc.get(msg_key):
                    errs.append("error body %s has no %s" % (body, msg_key))
                if shape is not None:
                    self.conform(shape, doc, code, errs)
                    for r in shape.required_members:
                        if r not in doc:
                            errs.append("%s: required member %s missing" % (code, r))
                elif set(doc) - {msg_key}:
                    errs.append("%s: members %s besides the message" % (code, sorted(set(doc) - {msg_key})))
            elif doc is not None:
                errs.append("error body is not an object: %s" % body)
        for e in errs:
            self.mismatches.append("%s: %s" % (where, e))

    def client(self, service, key, secret, validate=True):
        c = boto3.client(
            service,
            endpoint_url=os.environ["ENDPOINT"],
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=validate),
        )
        c.meta.events.register("after-call.*", self.check)
        return c


class Recorder:
    """What a script prints: error codes, values, pages."""

    def __init__(self, checker):
        self.checker = checker
        self.out = {"pages": {}, "listed": {}, "errors": {}, "messages": {}, "values": {}}

    def code_of(self, name, call):
        try:
            call()
            self.out["errors"][name] = ""
        except ClientError as e:
            self.out["errors"][name] = e.response["Error"]["Code"]
            self.out["messages"][name] = e.response["Error"]["Message"]

    def pages(self, name, client, op, key, ident, page_size, **kw):
        sizes, ids = [], []
        for page in client.get_paginator(op).paginate(PaginationConfig={"PageSize": page_size}, **kw):
            sizes.append(len(page[key]))
            ids += [item[ident] for item in page[key]]
        self.out["pages"][name], self.out["listed"][name] = sizes, ids
        return ids

    def print(self):
        self.out["calls"] = len(self.checker.calls)
        self.out["operations"] = sorted(set(self.checker.calls))
        self.out["mismatches"] = self.checker.mismatches
        print(json.dumps(self.out))


def main():
    fx = json.loads(os.environ["FIXTURE"])
    chk = Checker()
    rec = Recorder(chk)
    out, code_of = rec.out, rec.code_of
    a = chk.client("route53resolver", os.environ["A_KEY"], os.environ["A_SECRET"])
    b = chk.client("route53resolver", os.environ["B_KEY"], os.environ["B_SECRET"])
    unchecked = chk.client("route53resolver", os.environ["A_KEY"], os.environ["A_SECRET"], validate=False)
    s0, s1 = fx["subnetsA"]

    # Endpoints.
    ep = dict(SecurityGroupIds=[fx["groupA"]], IpAddresses=[{"SubnetId": s0}, {"SubnetId": s1}])
    out1 = a.create_resolver_endpoint(CreatorRequestId="out-1", Name="out one", Direction="OUTBOUND", Tags=[{"Key": "team", "Value": "dns"}],
                                      SecurityGroupIds=[fx["groupA"]], IpAddresses=[{"SubnetId": s0}, {"SubnetId": s1, "Ip": "10.0.2.53"}])["ResolverEndpoint"]
    in1 = a.create_resolver_endpoint(CreatorRequestId="in-1", Direction="INBOUND", ResolverEndpointType="IPV4", Protocols=["Do53"], **ep)["ResolverEndpoint"]
    out2 = a.create_resolver_endpoint(CreatorRequestId="out-2", Direction="OUTBOUND", **ep)["ResolverEndpoint"]
    out["values"]["endpoint"] = {k: out1[k] for k in ("Direction", "HostVPCId", "IpAddressCount", "Name", "Status", "SecurityGroupIds")}
    ids = [out1["Id"], in1["Id"], out2["Id"]]
    out["values"]["endpoint_ids"] = ids
    for name, kw in [
        ("endpoint_request_again", dict(ep, CreatorRequestId="out-1", Direction="OUTBOUND")),
        ("endpoint_two_vpcs", dict(ep, CreatorRequestId="x", Direction="OUTBOUND", IpAddresses=[{"SubnetId": s0}, {"SubnetId": fx["otherSubnetA"]}])),
        ("endpoint_group_elsewhere", dict(ep, CreatorRequestId="x", Direction="OUTBOUND", SecurityGroupIds=[fx["otherGroupA"]])),
        ("endpoint_group_unknown", dict(ep, CreatorRequestId="x", Direction="OUTBOUND", SecurityGroupIds=["sg-0123456789abcdef0"])),
        ("endpoint_subnet_malformed", dict(ep, CreatorRequestId="x", Direction="OUTBOUND", IpAddresses=[{"SubnetId": s0}, {"SubnetId": "subnet-x"}])),
        ("endpoint_ip_taken", dict(ep, CreatorRequestId="x", Direction="OUTBOUND", IpAddresses=[{"SubnetId": s0}, {"SubnetId": s1, "Ip": "10.0.2.53"}])),
        ("endpoint_ip_reserved", dict(ep, CreatorRequestId="x", Direction="OUTBOUND", IpAddresses=[{"SubnetId": s0, "Ip": "10.0.1.2"}, {"SubnetId": s1}])),
        ("endpoint_seven_ips", dict(ep, CreatorRequestId="x", Direction="OUTBOUND", IpAddresses=[{"SubnetId": s0}] * 7)),
        ("endpoint_ipv6", dict(ep, CreatorRequestId="x", Direction="OUTBOUND", ResolverEndpointType="IPV6")),
        ("endpoint_outpost", dict(ep, CreatorRequestId="x", Direction="OUTBOUND", PreferredInstanceType="c5.large")),
        ("endpoint_doh", dict(ep, CreatorRequestId="x", Direction="INBOUND", Protocols=["DoH"])),
        ("endpoint_delegation", dict(ep, CreatorRequestId="x", Direction="INBOUND_DELEGATION")),
        ("endpoint_limit", dict(ep, CreatorRequestId="fifth", Direction="OUTBOUND")),
    ]:
        if name == "endpoint_limit":
            a.create_resolver_endpoint(CreatorRequestId="fourth", Direction="INBOUND", **ep)
        code_of(name, lambda kw=kw: a.create_resolver_endpoint(**kw))
    code_of("endpoint_one_ip", lambda: unchecked.create_resolver_endpoint(CreatorRequestId="x", Direction="OUTBOUND", SecurityGroupIds=[fx["groupA"]],
                                                                          IpAddresses=[{"SubnetId": s0}]))
    code_of("endpoint_no_groups", lambda: unchecked.create_resolver_endpoint(CreatorRequestId="x", Direction="OUTBOUND", IpAddresses=ep["IpAddresses"]))
    code_of("endpoint_wrong_type", lambda: unchecked.create_resolver_endpoint(CreatorRequestId=5, Direction="OUTBOUND", **ep))
    fourth = a.list_resolver_endpoints(Filters=[{"Name": "CreatorRequestId", "Values": ["fourth"]}])["ResolverEndpoints"][0]["Id"]
    a.delete_resolver_endpoint(ResolverEndpointId=fourth)
    got = a.get_resolver_endpoint(ResolverEndpointId=out1["Id"])["ResolverEndpoint"]
    out["values"]["get_endpoint"] = {"id": got["Id"], "name": got["Name"], "count": got["IpAddressCount"]}
    code_of("get_endpoint_unknown", lambda: a.get_resolver_endpoint(ResolverEndpointId="rslvr-out-0123456789abcdef0"))
    code_of("get_endpoint_b", lambda: b.get_resolver_endpoint(ResolverEndpointId=out1["Id"]))
    rec.pages("list_resolver_endpoints", a, "list_resolver_endpoints", "ResolverEndpoints", "Id", 1)
    rec.pages("list_resolver_endpoints_outbound", a, "list_resolver_endpoints", "ResolverEndpoints", "Id", 10,
              Filters=[{"Name": "Direction", "Values": ["OUTBOUND"]}, {"Name": "HostVPCId", "Values": [fx["vpcA"]]}])
    rec.pages("list_resolver_endpoints_b", b, "list_resolver_endpoints", "ResolverEndpoints", "Id", 10)
    rec.pages("list_resolver_endpoint_ip_addresses", a, "list_resolver_endpoint_ip_addresses", "IpAddresses", "Ip", 1, ResolverEndpointId=out1["Id"])
    code_of("list_endpoints_bad_filter", lambda: a.list_resolver_endpoints(Filters=[{"Name": "Colour", "Values": ["red"]}]))
    code_of("list_endpoints_bad_token", lambda: a.list_resolver_endpoints(NextToken="!!!"))
    code_of("list_endpoints_max_0", lambda: unchecked.list_resolver_endpoints(MaxResults=0))
    code_of("list_ips_unknown", lambda: a.list_resolver_endpoint_ip_addresses(ResolverEndpointId="rslvr-in-0123456789abcdef0"))

    # Rules.
    fwd = dict(RuleType="FORWARD", ResolverEndpointId=out1["Id"], TargetIps=[{"Ip": "192.0.2.10"}])
    corp = a.create_resolver_rule(CreatorRequestId="corp", Name="corp", DomainName="Corp.Example.com",
                                  Tags=[{"Key": "k", "Value": "v"}], **dict(fwd, TargetIps=[{"Ip": "192.0.2.10"}, {"Ip": "192.0.2.11", "Port": 5353, "Protocol": "Do53"}]))["ResolverRule"]
    system = a.create_resolver_rule(CreatorRequestId="system", RuleType="SYSTEM", DomainName="db.corp.example.com")["ResolverRule"]
    twin = a.create_resolver_rule(CreatorRequestId="twin", DomainName="corp.example.com.", **fwd)["ResolverRule"]
    root = a.create_resolver_rule(CreatorRequestId="root", DomainName=".", **fwd)["ResolverRule"]
    out["values"]["rule"] = {k: corp[k] for k in ("DomainName", "RuleType", "TargetIps", "ShareStatus", "OwnerId", "Status", "Name", "ResolverEndpointId")}
    out["values"]["root_domain"] = root["DomainName"]
    rule_ids = [corp["Id"], system["Id"], twin["Id"], root["Id"]]
    out["values"]["rule_ids"] = rule_ids
    for name, kw in [
        ("rule_request_again", dict(fwd, CreatorRequestId="corp", DomainName="x.example")),
        ("rule_recursive", dict(CreatorRequestId="x", RuleType="RECURSIVE", DomainName="x.example")),
        ("rule_delegate", dict(CreatorRequestId="x", RuleType="DELEGATE", DomainName="x.example", DelegationRecord="x.example")),
        ("rule_system_targets", dict(CreatorRequestId="x", RuleType="SYSTEM", DomainName="x.example", TargetIps=[{"Ip": "192.0.2.1"}])),
        ("rule_forward_no_targets", dict(CreatorRequestId="x", RuleType="FORWARD", DomainName="x.example", ResolverEndpointId=out1["Id"])),
        ("rule_forward_inbound", dict(fwd, CreatorRequestId="x", DomainName="x.example", ResolverEndpointId=in1["Id"])),
        ("rule_forward_unknown_endpoint", dict(fwd, CreatorRequestId="x", DomainName="x.example", ResolverEndpointId="rslvr-out-0123456789abcdef0")),
        ("rule_bad_domain", dict(fwd, CreatorRequestId="x", DomainName="a..example")),
        ("rule_ipv6_target", dict(fwd, CreatorRequestId="x", DomainName="x.example", TargetIps=[{"Ipv6": "2001:db8::53"}])),
        ("rule_doh_target", dict(fwd, CreatorRequestId="x", DomainName="x.example", TargetIps=[{"Ip": "192.0.2.1", "Protocol": "DoH"}])),
        ("rule_port_0", dict(fwd, CreatorRequestId="x", DomainName="x.example", TargetIps=[{"Ip": "192.0.2.1", "Port": 0}])),
        ("rule_bad_ip", dict(fwd, CreatorRequestId="x", DomainName="x.example", TargetIps=[{"Ip": "192.0.2.300"}])),
    ]:
        code_of(name, lambda kw=kw: a.create_resolver_rule(**kw))
    code_of("rule_bad_type", lambda: unchecked.create_resolver_rule(CreatorRequestId="x", RuleType="forward", DomainName="x.example"))
    got = a.get_resolver_rule(ResolverRuleId=corp["Id"])["ResolverRule"]
    out["values"]["get_rule"] = {"id": got["Id"], "arn": got["Arn"], "share": got["ShareStatus"]}
    code_of("get_rule_b", lambda: b.get_resolver_rule(ResolverRuleId=corp["Id"]))
    code_of("get_rule_unknown", lambda: a.get_resolver_rule(ResolverRuleId="rslvr-rr-0123456789abcdef0"))
    rec.pages("list_resolver_rules", a, "list_resolver_rules", "ResolverRules", "Id", 3)
    rec.pages("list_resolver_rules_domain", a, "list_resolver_rules", "ResolverRules", "Id", 10, Filters=[{"Name": "DomainName", "Values": ["CORP.example.com"]}])
    rec.pages("list_resolver_rules_system", a, "list_resolver_rules", "ResolverRules", "Id", 10, Filters=[{"Name": "TYPE", "Values": ["SYSTEM"]}])
    rec.pages("list_resolver_rules_b", b, "list_resolver_rules", "ResolverRules", "Id", 10)
    up = a.update_resolver_rule(ResolverRuleId=corp["Id"], Config={"Name": "corp dns", "TargetIps": [{"Ip": "198.51.100.7", "Port": 8053}],
                                                                   "ResolverEndpointId": out2["Id"]})["ResolverRule"]
    out["values"]["update_rule"] = {k: up[k] for k in ("Name", "TargetIps", "ResolverEndpointId", "DomainName")}
    code_of("update_system_targets", lambda: a.update_resolver_rule(ResolverRuleId=system["Id"], Config={"TargetIps": [{"Ip": "192.0.2.1"}]}))
    code_of("update_inbound", lambda: a.update_resolver_rule(ResolverRuleId=corp["Id"], Config={"ResolverEndpointId": in1["Id"]}))
    code_of("update_b", lambda: b.update_resolver_rule(ResolverRuleId=corp["Id"], Config={"Name": "mine"}))
    code_of("update_no_config", lambda: unchecked.update_resolver_rule(ResolverRuleId=corp["Id"]))

    # Associations.
    assoc = a.associate_resolver_rule(ResolverRuleId=corp["Id"], VPCId=fx["vpcA"], Name="main")["ResolverRuleAssociation"]
    sys_assoc = a.associate_resolver_rule(ResolverRuleId=system["Id"], VPCId=fx["vpcA"])["ResolverRuleAssociation"]
    root_assoc = a.associate_resolver_rule(ResolverRuleId=root["Id"], VPCId=fx["vpcA"])["ResolverRuleAssociation"]
    out["values"]["association"] = {k: assoc[k] for k in ("ResolverRuleId", "VPCId", "Name", "Status")}
    out["values"]["association_ids"] = sorted([assoc["Id"], sys_assoc["Id"], root_assoc["Id"]])
    code_of("associate_twin", lambda: a.associate_resolver_rule(ResolverRuleId=twin["Id"], VPCId=fx["vpcA"]))
    code_of("associate_again", lambda: a.associate_resolver_rule(ResolverRuleId=corp["Id"], VPCId=fx["vpcA"]))
    code_of("associate_b_vpc", lambda: a.associate_resolver_rule(ResolverRuleId=corp["Id"], VPCId=fx["vpcB"]))
    code_of("associate_b", lambda: b.associate_resolver_rule(ResolverRuleId=corp["Id"], VPCId=fx["vpcB"]))
    got = a.get_resolver_rule_association(ResolverRuleAssociationId=assoc["Id"])["ResolverRuleAssociation"]
    out["values"]["get_association"] = {"id": got["Id"], "name": got["Name"]}
    code_of("get_association_b", lambda: b.get_resolver_rule_association(ResolverRuleAssociationId=assoc["Id"]))
    rec.pages("list_resolver_rule_associations", a, "list_resolver_rule_associations", "ResolverRuleAssociations", "Id", 2)
    rec.pages("list_resolver_rule_associations_rule", a, "list_resolver_rule_associations", "ResolverRuleAssociations", "Id", 2,
              Filters=[{"Name": "ResolverRuleId", "Values": [system["Id"]]}])

    # Deletes.
    code_of("delete_rule_in_use", lambda: a.delete_resolver_rule(ResolverRuleId=corp["Id"]))
    code_of("delete_endpoint_in_use", lambda: a.delete_resolver_endpoint(ResolverEndpointId=out1["Id"]))
    d = a.disassociate_resolver_rule(ResolverRuleId=corp["Id"], VPCId=fx["vpcA"])["ResolverRuleAssociation"]
    out["values"]["disassociated"] = {"id": d["Id"], "status": d["Status"]}
    code_of("disassociate_again", lambda: a.disassociate_resolver_rule(ResolverRuleId=corp["Id"], VPCId=fx["vpcA"]))
    deleted = []
    for r in (corp, twin):
        deleted.append(a.delete_resolver_rule(ResolverRuleId=r["Id"])["ResolverRule"]["Status"])
    out["values"]["deleted_rules"] = deleted
    out["values"]["deleted_endpoint"] = a.delete_resolver_endpoint(ResolverEndpointId=out2["Id"])["ResolverEndpoint"]["Status"]
    code_of("get_deleted_endpoint", lambda: a.get_resolver_endpoint(ResolverEndpointId=out2["Id"]))
    code_of("delete_rule_b", lambda: b.delete_resolver_rule(ResolverRuleId=system["Id"]))
    rec.print()


if __name__ == "__main__":
    main()
