"""Drives kafkalink's ec2 service with boto3, as TestEC2WithBoto3 runs it.

Environment: ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY. Prints one
JSON object: what was created, the page sizes each paginator saw (PageSize
5), the ids it listed, and the error codes of calls that must fail.
"""
import json
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ec2 = boto3.client(
    "ec2",
    endpoint_url=os.environ["ENDPOINT"],
    region_name="us-east-1",
    config=Config(retries={"max_attempts": 1, "mode": "standard"}),
)

out = {"created": {"vpcs": [], "subnets": [], "groups": []}, "pages": {}, "listed": {}, "errors": {}}
spec = lambda kind, i: [{"ResourceType": kind, "Tags": [{"Key": "n", "Value": str(i)}]}]

for i in range(12):
    v = ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i, TagSpecifications=spec("vpc", i))["Vpc"]
    out["created"]["vpcs"].append(v["VpcId"])
vpc = out["created"]["vpcs"][0]
zones = [z["ZoneId"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
for i in range(7):
    s = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % i, AvailabilityZoneId=zones[i % len(zones)])["Subnet"]
    out["created"]["subnets"].append(s["SubnetId"])
for i in range(7):
    g = ec2.create_security_group(VpcId=vpc, GroupName="g%d" % i, Description="group %d" % i, TagSpecifications=spec("security-group", i))
    out["created"]["groups"].append(g["GroupId"])
    ec2.authorize_security_group_ingress(
        GroupId=g["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 14001, "ToPort": 14100, "IpRanges": [{"CidrIp": "10.%d.0.0/16" % i}]}],
    )

for op, key, ident in [
    ("describe_vpcs", "Vpcs", "VpcId"),
    ("describe_subnets", "Subnets", "SubnetId"),
    ("describe_security_groups", "SecurityGroups", "GroupId"),
    ("describe_tags", "Tags", "ResourceId"),
]:
    sizes, ids = [], []
    for page in ec2.get_paginator(op).paginate(PaginationConfig={"PageSize": 5}):
        sizes.append(len(page[key]))
        ids += [item[ident] for item in page[key]]
    out["pages"][op], out["listed"][op] = sizes, ids

# A filtered paginated listing, and NextToken by hand.
first = ec2.describe_vpcs(MaxResults=5, Filters=[{"Name": "tag:n", "Values": ["1*", "2"]}])
out["filtered"] = [v["VpcId"] for v in first["Vpcs"]]
out["filtered_next"] = first.get("NextToken", "")
g = ec2.describe_security_groups(GroupIds=[out["created"]["groups"][3]])["SecurityGroups"][0]
out["group3"] = {"name": g["GroupName"], "ingress": g["IpPermissions"], "tags": g.get("Tags", [])}

for name, call in [
    ("vpc_range", lambda: ec2.create_vpc(CidrBlock="10.0.0.0/8")),
    ("subnet_conflict", lambda: ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/23")),
    ("bad_token", lambda: ec2.describe_vpcs(MaxResults=5, NextToken="!!!")),
    ("group_in_use", lambda: ec2.delete_vpc(VpcId=vpc)),
]:
    try:
        call()
        out["errors"][name] = ""
    except ClientError as e:
        out["errors"][name] = e.response["Error"]["Code"]

print(json.dumps(out))
