"""Drives kafkalink's kafka service with boto3, as TestKafkaWithBoto3 runs it.

Environment: ENDPOINT; A_KEY, A_SECRET (the cluster owner's root); B_KEY,
B_SECRET (the client account's root); FIXTURE, a JSON object with the
clusters' ARNs, account a's subnets and account b's networks (see
kafka_test.go); PHASE, 1 or 2. Phase 1 drives the configured clusters and
creates two (CreateClusterV2), which stay CREATING: no provisioner runs.
The test then provisions them (msk.Service.Provisioned) and runs phase 2,
with their ARNs in FIXTURE, on the ACTIVE clusters.

Every response is checked against the botocore model of kafka, from the raw
HTTP response (the after-call event): a success has the operation's status
and a JSON body whose every member, recursively, is a member of the output
shape with the right JSON type (and enum value, and timestamp format); an
error carries x-amzn-ErrorType naming an error shape of the operation with
that shape's status, and a JSON body of the error shape's members with a
message. Prints one JSON object: page sizes, values, error codes, and the
mismatches found.
"""
import base64
import datetime
import json
import os

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

fx = json.loads(os.environ["FIXTURE"])
model = botocore.session.get_session().get_service_model("kafka")
mismatches = []
calls = []

# The MSK API reference documents a 404 answer (NotFoundException) for
# every kafka operation; botocore's per-operation error lists are narrower
# (GetBootstrapBrokers, CreateVpcConnection, ... omit it).
DOCUMENTED_FOR_EVERY_OPERATION = {"NotFoundException"}


def iso(value, fmt):
    try:
        datetime.datetime.strptime(value, fmt)
        return True
    except (TypeError, ValueError):
        return False


def conform(shape, value, path, errs):
    """Appends to errs what in value does not fit shape."""
    t = shape.type_name
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
                conform(members[k], v, path + "." + k, errs)
    elif t == "list":
        if not isinstance(value, list):
            errs.append("%s: %s; want a list" % (path, type(value).__name__))
            return
        for i, v in enumerate(value):
            conform(shape.member, v, "%s[%d]" % (path, i), errs)
    elif t == "map":
        if not isinstance(value, dict):
            errs.append("%s: %s; want an object (map)" % (path, type(value).__name__))
            return
        for k, v in value.items():
            conform(shape.value, v, "%s{%s}" % (path, k), errs)
    elif t == "string":
        if not isinstance(value, str):
            errs.append("%s: %s; want a string" % (path, type(value).__name__))
        elif shape.enum and value not in shape.enum:
            errs.append("%s: %r is not one of %s" % (path, value, shape.enum))
    elif t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            errs.append("%s: %r; want an integer" % (path, value))
    elif t in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errs.append("%s: %r; want a number" % (path, value))
    elif t == "boolean":
        if not isinstance(value, bool):
            errs.append("%s: %r; want a boolean" % (path, value))
    elif t == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "unixTimestamp")
        if fmt == "iso8601":
            if not any(iso(value, f) for f in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")):
                errs.append("%s: %r; want an ISO 8601 timestamp" % (path, value))
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            errs.append("%s: %r; want epoch seconds" % (path, value))
    elif t == "blob":
        try:
            base64.b64decode(value, validate=True)
        except Exception:
            errs.append("%s: %r; want base64" % (path, value))
    else:
        errs.append("%s: the checker does not know type %s" % (path, t))


def check(http_response, model, **kwargs):
    op = model
    status = http_response.status_code
    headers = http_response.headers
    body = http_response.content
    where = "%s (%d)" % (op.name, status)
    calls.append(op.name)
    errs = []
    if not headers.get("x-amzn-RequestId"):
        errs.append("no x-amzn-RequestId")
    if status < 300:
        if status != op.http.get("responseCode", 200):
            errs.append("status %d; want %d" % (status, op.http.get("responseCode", 200)))
        if headers.get("x-amzn-ErrorType"):
            errs.append("a success with x-amzn-ErrorType %s" % headers["x-amzn-ErrorType"])
        if status == 204:
            if body:
                errs.append("204 with a body")
        elif op.output_shape is None:
            errs.append("a body for an operation without output")
        else:
            try:
                doc = json.loads(body)
            except ValueError as e:
                errs.append("body is not JSON: %s" % e)
            else:
                if headers.get("Content-Type", "").split(";")[0] != "application/json":
                    errs.append("Content-Type %r" % headers.get("Content-Type"))
                conform(op.output_shape, doc, op.output_shape.name, errs)
    else:
        code = headers.get("x-amzn-ErrorType", "").split(":")[0]
        listed = {s.name: s for s in op.error_shapes}
        if code in DOCUMENTED_FOR_EVERY_OPERATION and code not in listed:
            listed[code] = model_error(code)
        shape = listed.get(code)
        if not code:
            errs.append("an error without x-amzn-ErrorType")
        elif shape is None:
            errs.append("x-amzn-ErrorType %s is not an error of %s (%s)" % (code, op.name, sorted(listed)))
        else:
            if shape.metadata.get("error", {}).get("httpStatusCode") != status:
                errs.append("%s with status %d; want %s" % (code, status, shape.metadata.get("error", {}).get("httpStatusCode")))
            try:
                doc = json.loads(body)
            except ValueError as e:
                errs.append("error body is not JSON: %s" % e)
            else:
                conform(shape, doc, code, errs)
                if not isinstance(doc, dict) or not doc.get("message"):
                    errs.append("error body %s has no message" % body)
    for e in errs:
        mismatches.append("%s: %s" % (where, e))


def model_error(name):
    return model.shape_for(name)


def client(key, secret, validate=True):
    c = boto3.client(
        "kafka",
        endpoint_url=os.environ["ENDPOINT"],
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=validate),
    )
    c.meta.events.register("after-call.kafka", check)
    return c


a = client(os.environ["A_KEY"], os.environ["A_SECRET"])
b = client(os.environ["B_KEY"], os.environ["B_SECRET"])
unchecked = client(os.environ["B_KEY"], os.environ["B_SECRET"], validate=False)  # sends what botocore would refuse
out = {"pages": {}, "listed": {}, "errors": {}, "messages": {}, "values": {}}


def code_of(name, call):
    try:
        call()
        out["errors"][name] = ""
    except ClientError as e:
        out["errors"][name] = e.response["Error"]["Code"]
        out["messages"][name] = e.response["Error"]["Message"]


def pages(client, op, key, ident, **kw):
    sizes, ids = [], []
    for page in client.get_paginator(op).paginate(PaginationConfig={"PageSize": kw.pop("page_size")}, **kw):
        sizes.append(len(page[key]))
        ids += [item[ident] for item in page[key]]
    return sizes, ids


orders, plain, loose = fx["orders"], fx["plain"], fx["loose"]


def before_provisioning():
    """The configured clusters, their policies and VPC connections; then
    the clusters CreateClusterV2 makes, while they are CREATING."""
    # Clusters.
    info = a.describe_cluster(ClusterArn=orders)["ClusterInfo"]
    out["values"]["describe_cluster"] = {"name": info["ClusterName"], "state": info["State"], "brokers": info["NumberOfBrokerNodes"],
                                         "creation_time_type": type(info["CreationTime"]).__name__}
    v2 = a.describe_cluster_v2(ClusterArn=orders)["ClusterInfo"]
    out["values"]["describe_cluster_v2"] = {"type": v2["ClusterType"], "version": v2["CurrentVersion"], "iam": v2["Provisioned"]["ClientAuthentication"]["Sasl"]["Iam"]["Enabled"]}
    a.describe_cluster(ClusterArn=plain)
    out["pages"]["list_clusters_v2"], out["listed"]["list_clusters_v2"] = pages(a, "list_clusters_v2", "ClusterInfoList", "ClusterName", page_size=1)
    _, out["listed"]["list_clusters_v2_filtered"] = pages(a, "list_clusters_v2", "ClusterInfoList", "ClusterName", page_size=2, ClusterNameFilter="lo")
    _, out["listed"]["list_clusters_v2_b"] = pages(b, "list_clusters_v2", "ClusterInfoList", "ClusterName", page_size=2)
    out["values"]["bootstrap_orders"] = {k: v for k, v in a.get_bootstrap_brokers(ClusterArn=orders).items() if k.startswith("Bootstrap")}
    out["values"]["bootstrap_plain"] = {k: v for k, v in a.get_bootstrap_brokers(ClusterArn=plain).items() if k.startswith("Bootstrap")}
    nodes = a.list_nodes(ClusterArn=orders)["NodeInfoList"]
    out["values"]["nodes"] = [n["BrokerNodeInfo"]["BrokerId"] for n in nodes]

    # Connectivity.
    iam_on = {"VpcConnectivity": {"ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}}}}
    scram_on = {"VpcConnectivity": {"ClientAuthentication": {"Sasl": {"Scram": {"Enabled": True}}}}}
    code_of("connectivity_stale", lambda: a.update_connectivity(ClusterArn=orders, CurrentVersion="AAAAAAAAAAAAAA", ConnectivityInfo=iam_on))
    code_of("connectivity_unauthenticated", lambda: a.update_connectivity(
        ClusterArn=plain, CurrentVersion=a.describe_cluster(ClusterArn=plain)["ClusterInfo"]["CurrentVersion"], ConnectivityInfo=iam_on))
    code_of("connectivity_no_acls", lambda: a.update_connectivity(
        ClusterArn=loose, CurrentVersion=a.describe_cluster(ClusterArn=loose)["ClusterInfo"]["CurrentVersion"], ConnectivityInfo=scram_on))
    code_of("connectivity_b", lambda: b.update_connectivity(ClusterArn=orders, CurrentVersion=v2["CurrentVersion"], ConnectivityInfo=iam_on))
    up = a.update_connectivity(ClusterArn=orders, CurrentVersion=v2["CurrentVersion"], ConnectivityInfo=iam_on)
    out["values"]["update_connectivity"] = up["ClusterArn"]

    # Cluster policy.
    basic = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
        "Action": ["kafka:CreateVpcConnection", "kafka:GetBootstrapBrokers", "kafka:DescribeCluster", "kafka:DescribeClusterV2"],
        "Resource": orders}]})
    code_of("get_policy_none", lambda: a.get_cluster_policy(ClusterArn=orders))
    code_of("create_without_policy", lambda: b.create_vpc_connection(
        TargetClusterArn=orders, Authentication="SASL_IAM", VpcId=fx["vpcB"], ClientSubnets=fx["clientSubnets"], SecurityGroups=[fx["groupB"]]))
    code_of("put_policy_invalid", lambda: a.put_cluster_policy(ClusterArn=orders, Policy="{}"))
    code_of("put_policy_big", lambda: a.put_cluster_policy(ClusterArn=orders, Policy=basic[:-3] + " " * (20 << 10) + basic[-3:]))
    v1 = a.put_cluster_policy(ClusterArn=orders, Policy=basic)["CurrentVersion"]
    code_of("put_policy_stale", lambda: a.put_cluster_policy(ClusterArn=orders, Policy=basic, CurrentVersion="K0"))
    got = a.get_cluster_policy(ClusterArn=orders)
    out["values"]["policy_round_trip"] = got["Policy"] == basic and got["CurrentVersion"] == v1
    a.delete_cluster_policy(ClusterArn=orders)
    code_of("get_policy_deleted", lambda: a.get_cluster_policy(ClusterArn=orders))
    a.put_cluster_policy(ClusterArn=orders, Policy=basic)

    # VPC connections: enough for several pages.
    create = dict(TargetClusterArn=orders, Authentication="SASL_IAM", VpcId=fx["vpcB"], ClientSubnets=fx["clientSubnets"], SecurityGroups=[fx["groupB"]])
    conns = []
    for i in range(7):
        r = b.create_vpc_connection(Tags={"n": str(i)}, **create)
        conns.append(r["VpcConnectionArn"])
        out["values"].setdefault("create_states", []).append(r["State"])
    for name, kw in [
        ("create_one_subnet", dict(create, ClientSubnets=fx["clientSubnets"][:1])),
        ("create_zone_lacking", dict(create, ClientSubnets=[fx["clientSubnets"][0], fx["subnetAz4"]])),
        ("create_same_zone", dict(create, ClientSubnets=[fx["clientSubnets"][0], fx["subnetBAgain"]])),
        ("create_other_vpc_subnet", dict(create, ClientSubnets=[fx["clientSubnets"][0], fx["otherSubnetB"]])),
        ("create_unknown_vpc", dict(create, VpcId="vpc-0123456789abcdef0")),
        ("create_other_vpc_group", dict(create, SecurityGroups=[fx["otherGroupB"]])),
        ("create_scheme_off", dict(create, Authentication="TLS")),
        ("create_unknown_cluster", dict(create, TargetClusterArn=orders.replace("/orders/", "/gone/"))),
        ("create_malformed_cluster", dict(create, TargetClusterArn="orders")),
    ]:
        code_of(name, lambda kw=kw: b.create_vpc_connection(**kw))
    d = b.describe_vpc_connection(Arn=conns[0])
    out["values"]["describe_vpc_connection"] = {"arn": d["VpcConnectionArn"], "cluster": d["TargetClusterArn"], "state": d["State"], "tags": d["Tags"]}
    out["pages"]["list_vpc_connections"], out["listed"]["list_vpc_connections"] = pages(b, "list_vpc_connections", "VpcConnections", "VpcConnectionArn", page_size=3)
    out["pages"]["list_client_vpc_connections"], out["listed"]["list_client_vpc_connections"] = pages(
        a, "list_client_vpc_connections", "ClientVpcConnections", "VpcConnectionArn", page_size=3, ClusterArn=orders)
    _, out["listed"]["list_vpc_connections_a"] = pages(a, "list_vpc_connections", "VpcConnections", "VpcConnectionArn", page_size=3)
    code_of("bad_token", lambda: b.list_vpc_connections(MaxResults=3, NextToken="!!!"))
    code_of("bad_max_results", lambda: unchecked.list_vpc_connections(MaxResults=0))
    code_of("big_max_results", lambda: unchecked.list_vpc_connections(MaxResults=101))
    code_of("create_no_subnets", lambda: unchecked.create_vpc_connection(**dict(create, ClientSubnets=None)))

    # Tags, on a connection.
    b.tag_resource(ResourceArn=conns[0], Tags={"team": "data"})
    b.untag_resource(ResourceArn=conns[0], TagKeys=["n"])
    out["values"]["tags"] = b.list_tags_for_resource(ResourceArn=conns[0])["Tags"]

    # Reject, delete.
    a.reject_client_vpc_connection(ClusterArn=orders, VpcConnectionArn=conns[0])
    out["values"]["rejected_state"] = b.describe_vpc_connection(Arn=conns[0])["State"]
    code_of("reject_again", lambda: a.reject_client_vpc_connection(ClusterArn=orders, VpcConnectionArn=conns[0]))
    code_of("reject_by_b", lambda: b.reject_client_vpc_connection(ClusterArn=orders, VpcConnectionArn=conns[1]))
    code_of("delete_by_a", lambda: a.delete_vpc_connection(Arn=conns[1]))
    deleted = b.delete_vpc_connection(Arn=conns[1])
    out["values"]["deleted"] = {"arn": deleted["VpcConnectionArn"], "state": deleted["State"]}
    code_of("describe_deleted", lambda: b.describe_vpc_connection(Arn=conns[1]))
    _, out["listed"]["client_after_delete"] = pages(a, "list_client_vpc_connections", "ClientVpcConnections", "VpcConnectionArn", page_size=3, ClusterArn=orders)

    # Unknown and malformed ARNs.
    code_of("describe_unknown", lambda: a.describe_cluster(ClusterArn=orders.replace("/orders/", "/gone/")))
    code_of("describe_v2_unknown", lambda: a.describe_cluster_v2(ClusterArn=orders.replace("/orders/", "/gone/")))
    code_of("bootstrap_unknown", lambda: a.get_bootstrap_brokers(ClusterArn=orders.replace("/orders/", "/gone/")))
    code_of("describe_malformed", lambda: a.describe_cluster(ClusterArn="arn:aws:kafka:us-east-1:111111111111:orders"))
    code_of("vpc_connection_malformed", lambda: b.describe_vpc_connection(Arn="arn:aws:kafka:us-east-1:222222222222:vpc-connection/x"))
    code_of("describe_b_forbidden", lambda: b.describe_cluster(ClusterArn=loose))

    out["conns"] = conns
    created_clusters()


# The clusters CreateClusterV2 makes: metrics (provisioned, IAM and SCRAM)
# and events (serverless, one VPC), both in account a's VPC.
provisioned_request = {
    "BrokerNodeGroupInfo": {"ClientSubnets": fx["subnetsA"], "SecurityGroups": [fx["groupA"]], "InstanceType": "kafka.m5.large"},
    "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}, "Scram": {"Enabled": True}}},
    "KafkaVersion": "3.6.0", "NumberOfBrokerNodes": 3,
}
serverless_request = {
    "VpcConfigs": [{"SubnetIds": fx["subnetsA"], "SecurityGroupIds": [fx["groupA"]]}],
    "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
}
scram_off = {"Sasl": {"Scram": {"Enabled": False}}}
STALE = "AAAAAAAAAAAAAA"


def auth_of(info):
    """The enabled client authentication of a DescribeClusterV2 ClusterInfo."""
    ca = info.get("Provisioned", {}).get("ClientAuthentication") or info.get("Serverless", {}).get("ClientAuthentication", {})
    sasl = ca.get("Sasl", {})
    return sorted([k for k, v in sasl.items() if v.get("Enabled")] + [k for k in ("Tls", "Unauthenticated") if ca.get(k, {}).get("Enabled")])


def cluster_values(info):
    v = {"name": info["ClusterName"], "type": info["ClusterType"], "state": info["State"], "tags": info["Tags"], "auth": auth_of(info),
         "members": sorted(k for k in ("Provisioned", "Serverless") if k in info)}
    if "Provisioned" in info:
        p = info["Provisioned"]
        v.update(brokers=p["NumberOfBrokerNodes"], kafka=p["CurrentBrokerSoftwareInfo"]["KafkaVersion"],
                 subnets=p["BrokerNodeGroupInfo"]["ClientSubnets"], zones=p["BrokerNodeGroupInfo"]["ZoneIds"])
    else:
        v.update(vpcs=info["Serverless"]["VpcConfigs"])
    return v


def created_clusters():
    values = out["values"]
    metrics = a.create_cluster_v2(ClusterName="metrics", Provisioned=provisioned_request, Tags={"env": "dev", "owner": "a"})
    events = a.create_cluster_v2(ClusterName="events", Serverless=serverless_request)
    values["create_metrics"] = {k: metrics[k] for k in ("ClusterName", "State", "ClusterType")}
    values["create_events"] = {k: events[k] for k in ("ClusterName", "State", "ClusterType")}
    m, e = metrics["ClusterArn"], events["ClusterArn"]
    out["created"] = {"metrics": m, "events": e}
    code_of("create_existing", lambda: a.create_cluster_v2(ClusterName="metrics", Provisioned=provisioned_request))
    code_of("create_serverless_without_iam", lambda: a.create_cluster_v2(
        ClusterName="quiet", Serverless=dict(serverless_request, ClientAuthentication={"Sasl": {"Iam": {"Enabled": False}}})))

    mi = a.describe_cluster_v2(ClusterArn=m)["ClusterInfo"]
    values["describe_metrics_creating"] = cluster_values(mi)
    values["describe_events_creating"] = cluster_values(a.describe_cluster_v2(ClusterArn=e)["ClusterInfo"])
    _, out["listed"]["list_clusters_v2_serverless"] = pages(a, "list_clusters_v2", "ClusterInfoList", "ClusterName", page_size=2, ClusterTypeFilter="SERVERLESS")
    _, out["listed"]["list_clusters_v2_provisioned"] = pages(a, "list_clusters_v2", "ClusterInfoList", "ClusterName", page_size=2, ClusterTypeFilter="PROVISIONED")
    _, out["listed"]["list_clusters_v2_created"] = pages(a, "list_clusters_v2", "ClusterInfoList", "ClusterArn", page_size=10)
    code_of("describe_serverless", lambda: a.describe_cluster(ClusterArn=e))
    code_of("update_security_creating", lambda: a.update_security(ClusterArn=m, CurrentVersion=mi["CurrentVersion"], ClientAuthentication=scram_off))
    code_of("delete_configured", lambda: a.delete_cluster(ClusterArn=orders))
    code_of("delete_by_b", lambda: b.delete_cluster(ClusterArn=m))

    # Tags, on a created cluster.
    a.tag_resource(ResourceArn=m, Tags={"team": "data"})
    a.untag_resource(ResourceArn=m, TagKeys=["owner"])
    values["cluster_tags"] = a.list_tags_for_resource(ResourceArn=m)["Tags"]
    values["nodes_creating"] = a.list_nodes(ClusterArn=m)["NodeInfoList"]


def after_provisioning():
    """The created clusters once the provisioner has started them: update
    their security, list their nodes, delete them."""
    values = out["values"]
    m, e = fx["metrics"], fx["events"]
    mi = a.describe_cluster_v2(ClusterArn=m)["ClusterInfo"]
    values["describe_metrics_active"] = cluster_values(mi)
    values["describe_events_active"] = cluster_values(a.describe_cluster_v2(ClusterArn=e)["ClusterInfo"])
    values["bootstrap_metrics"] = {k: v for k, v in a.get_bootstrap_brokers(ClusterArn=m).items() if k.startswith("Bootstrap")}
    nodes = a.list_nodes(ClusterArn=m)["NodeInfoList"]
    values["nodes_metrics"] = [{"id": n["BrokerNodeInfo"]["BrokerId"], "subnet": n["BrokerNodeInfo"]["ClientSubnet"],
                                "endpoints": n["BrokerNodeInfo"]["Endpoints"], "type": n["NodeType"]} for n in nodes]

    code_of("update_security_stale", lambda: a.update_security(ClusterArn=m, CurrentVersion=STALE, ClientAuthentication=scram_off))
    code_of("update_security_serverless", lambda: a.update_security(ClusterArn=e, CurrentVersion=mi["CurrentVersion"], ClientAuthentication=scram_off))
    code_of("update_security_everything_off", lambda: a.update_security(
        ClusterArn=m, CurrentVersion=mi["CurrentVersion"], ClientAuthentication={"Sasl": {"Iam": {"Enabled": False}, "Scram": {"Enabled": False}}}))
    up = a.update_security(ClusterArn=m, CurrentVersion=mi["CurrentVersion"], ClientAuthentication=scram_off)
    values["update_security"] = {"arn": up["ClusterArn"], "operation": up["ClusterOperationArn"]}
    updating = a.describe_cluster_v2(ClusterArn=m)["ClusterInfo"]
    values["after_update_security"] = {"state": updating["State"], "new_version": updating["CurrentVersion"] != mi["CurrentVersion"]}
    out["versions"] = {"before_update": mi["CurrentVersion"], "after_update": updating["CurrentVersion"]}

    code_of("delete_stale", lambda: a.delete_cluster(ClusterArn=m, CurrentVersion=STALE))
    d = a.delete_cluster(ClusterArn=m, CurrentVersion=updating["CurrentVersion"])
    values["delete_metrics"] = {"arn": d["ClusterArn"], "state": d["State"]}
    d = a.delete_cluster(ClusterArn=e)
    values["delete_events"] = {"arn": d["ClusterArn"], "state": d["State"]}
    values["describe_metrics_deleting"] = a.describe_cluster_v2(ClusterArn=m)["ClusterInfo"]["State"]


{"1": before_provisioning, "2": after_provisioning}[os.environ.get("PHASE", "1")]()
out["calls"] = len(calls)
out["operations"] = sorted(set(calls))
out["mismatches"] = mismatches
print(json.dumps(out))
