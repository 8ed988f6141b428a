"""Drives kafkalink's ram service (and the route53resolver rules it
shares) with boto3, as TestRAMWithBoto3 runs it.

Environment: ENDPOINT; A_KEY, A_SECRET and B_KEY, B_SECRET (the two
accounts' roots); READER_KEY, READER_SECRET (a user of account a that may
only read RAM); FIXTURE, a JSON object with the accounts' networks (see
route53resolver_test.go).

Every response, of ram and of route53resolver, is checked against its
botocore model by route53resolver_boto3.Checker. Prints one JSON object:
page sizes, listed ARNs, values, error codes, and the mismatches found.
"""
import json
import os

from route53resolver_boto3 import Checker, Recorder

A, B = "111111111111", "222222222222"


def main():
    fx = json.loads(os.environ["FIXTURE"])
    chk = Checker()
    rec = Recorder(chk)
    out, code_of = rec.out, rec.code_of
    a = chk.client("ram", os.environ["A_KEY"], os.environ["A_SECRET"])
    b = chk.client("ram", os.environ["B_KEY"], os.environ["B_SECRET"])
    reader = chk.client("ram", os.environ["READER_KEY"], os.environ["READER_SECRET"])
    unchecked = chk.client("ram", os.environ["A_KEY"], os.environ["A_SECRET"], validate=False)
    ra = chk.client("route53resolver", os.environ["A_KEY"], os.environ["A_SECRET"])
    rb = chk.client("route53resolver", os.environ["B_KEY"], os.environ["B_SECRET"])

    # Account a's rules, and one of b's.
    s0, s1 = fx["subnetsA"]
    ep = ra.create_resolver_endpoint(CreatorRequestId="out", Direction="OUTBOUND", SecurityGroupIds=[fx["groupA"]],
                                     IpAddresses=[{"SubnetId": s0}, {"SubnetId": s1}])["ResolverEndpoint"]["Id"]
    rules = []
    for i, domain in enumerate(["one.example", "two.example", "three.example"]):
        rules.append(ra.create_resolver_rule(CreatorRequestId="r%d" % i, RuleType="FORWARD", DomainName=domain, ResolverEndpointId=ep,
                                             TargetIps=[{"Ip": "192.0.2.10"}])["ResolverRule"])
    one, two, three = [r["Arn"] for r in rules]
    b_rule = rb.create_resolver_rule(CreatorRequestId="b", RuleType="SYSTEM", DomainName="b.example")["ResolverRule"]["Arn"]

    # Shares.
    sh1 = a.create_resource_share(name="dns", resourceArns=[one], principals=[B], tags=[{"key": "team", "value": "dns"}])["resourceShare"]
    out["values"]["share"] = {k: sh1[k] for k in ("name", "owningAccountId", "allowExternalPrincipals", "status", "tags", "featureSet")}
    out["values"]["share_time_type"] = type(sh1["creationTime"]).__name__
    sh2 = a.create_resource_share(name="second", resourceArns=[two], principals=[B])["resourceShare"]["resourceShareArn"]
    tok = a.create_resource_share(name="third", resourceArns=[three], clientToken="token-3")
    sh3 = tok["resourceShare"]["resourceShareArn"]
    again = a.create_resource_share(name="third", resourceArns=[three], clientToken="token-3")
    out["values"]["client_token"] = {"same": again["resourceShare"]["resourceShareArn"] == sh3, "token": again["clientToken"]}
    shares = [sh1["resourceShareArn"], sh2, sh3]
    out["values"]["shares"] = shares
    base = dict(name="x", resourceArns=[three], principals=[B])
    for name, kw in [
        ("create_malformed", dict(base, resourceArns=["rule"])),
        ("create_unshareable", dict(base, resourceArns=["arn:aws:s3:::bucket"])),
        ("create_unknown_rule", dict(base, resourceArns=[one.rsplit("/", 1)[0] + "/rslvr-rr-0123456789abcdef0"])),
        ("create_b_rule", dict(base, resourceArns=[b_rule])),
        ("create_bad_principal", dict(base, principals=["bob"])),
        ("create_own_account", dict(base, principals=[A])),
        ("create_no_external", dict(base, allowExternalPrincipals=False)),
        ("create_many_tags", dict(base, tags=[{"key": "k%d" % i, "value": ""} for i in range(51)])),
        ("create_token_mismatch", dict(base, name="other", clientToken="token-3")),
        ("create_permission", dict(base, permissionArns=["arn:aws:ram::aws:permission/AWSRAMDefaultPermissionResolverRule"])),
    ]:
        code_of(name, lambda kw=kw: a.create_resource_share(**kw))
    code_of("create_no_name", lambda: unchecked.create_resource_share(resourceArns=[three]))
    code_of("create_reader", lambda: reader.create_resource_share(**base))
    code_of("create_wrong_type", lambda: unchecked.create_resource_share(name=["x"]))

    rec.pages("get_resource_shares", a, "get_resource_shares", "resourceShares", "resourceShareArn", 1, resourceOwner="SELF")
    rec.pages("get_resource_shares_tagged", a, "get_resource_shares", "resourceShares", "resourceShareArn", 5, resourceOwner="SELF",
              tagFilters=[{"tagKey": "team", "tagValues": ["dns"]}])
    rec.pages("get_resource_shares_reader", reader, "get_resource_shares", "resourceShares", "resourceShareArn", 5, resourceOwner="SELF")
    rec.pages("get_resource_shares_b_before", b, "get_resource_shares", "resourceShares", "resourceShareArn", 5, resourceOwner="OTHER-ACCOUNTS")
    code_of("get_shares_bad_owner", lambda: a.get_resource_shares(resourceOwner="ME"))
    code_of("get_shares_no_owner", lambda: unchecked.get_resource_shares())
    code_of("get_shares_malformed", lambda: a.get_resource_shares(resourceOwner="SELF", resourceShareArns=["share"]))
    code_of("get_shares_bad_token", lambda: a.get_resource_shares(resourceOwner="SELF", nextToken="!!!"))

    # Invitations.
    invs = rec.pages("get_resource_share_invitations", b, "get_resource_share_invitations", "resourceShareInvitations", "resourceShareInvitationArn", 1)
    inv = b.get_resource_share_invitations(resourceShareArns=[sh1["resourceShareArn"]])["resourceShareInvitations"][0]
    out["values"]["invitation"] = {k: inv[k] for k in ("resourceShareName", "senderAccountId", "receiverAccountId", "status")}
    inv1, inv2 = inv["resourceShareInvitationArn"], [i for i in invs if i != inv["resourceShareInvitationArn"]][0]
    rec.pages("get_resource_share_invitations_a", a, "get_resource_share_invitations", "resourceShareInvitations", "resourceShareInvitationArn", 5)
    code_of("invitations_unknown", lambda: b.get_resource_share_invitations(resourceShareInvitationArns=[inv1[:-12] + "000000000000"]))
    code_of("invitations_malformed", lambda: b.get_resource_share_invitations(resourceShareInvitationArns=["invitation"]))
    code_of("invitations_max_0", lambda: unchecked.get_resource_share_invitations(maxResults=0))
    code_of("accept_by_a", lambda: a.accept_resource_share_invitation(resourceShareInvitationArn=inv1))
    code_of("accept_malformed", lambda: b.accept_resource_share_invitation(resourceShareInvitationArn=sh2))
    acc = b.accept_resource_share_invitation(resourceShareInvitationArn=inv1, clientToken="t")
    out["values"]["accepted"] = {"status": acc["resourceShareInvitation"]["status"], "token": acc["clientToken"]}
    code_of("accept_again", lambda: b.accept_resource_share_invitation(resourceShareInvitationArn=inv1))
    code_of("reject_accepted", lambda: b.reject_resource_share_invitation(resourceShareInvitationArn=inv1))
    out["values"]["rejected"] = b.reject_resource_share_invitation(resourceShareInvitationArn=inv2)["resourceShareInvitation"]["status"]
    code_of("accept_rejected", lambda: b.accept_resource_share_invitation(resourceShareInvitationArn=inv2))
    rec.pages("get_resource_shares_b", b, "get_resource_shares", "resourceShares", "resourceShareArn", 5, resourceOwner="OTHER-ACCOUNTS")

    # The shared rule, from b.
    got = rb.get_resolver_rule(ResolverRuleId=rules[0]["Id"])["ResolverRule"]
    out["values"]["b_rule_view"] = {"share": got["ShareStatus"], "owner": got["OwnerId"]}
    out["values"]["a_rule_view"] = ra.get_resolver_rule(ResolverRuleId=rules[0]["Id"])["ResolverRule"]["ShareStatus"]
    code_of("b_get_rejected_rule", lambda: rb.get_resolver_rule(ResolverRuleId=rules[1]["Id"]))
    assoc = rb.associate_resolver_rule(ResolverRuleId=rules[0]["Id"], VPCId=fx["vpcB"])["ResolverRuleAssociation"]
    out["values"]["b_association"] = assoc["Status"]
    code_of("b_update", lambda: rb.update_resolver_rule(ResolverRuleId=rules[0]["Id"], Config={"Name": "mine"}))
    code_of("b_delete", lambda: rb.delete_resolver_rule(ResolverRuleId=rules[0]["Id"]))
    rec.pages("list_resolver_rules_b", rb, "list_resolver_rules", "ResolverRules", "Arn", 10)

    # Resources and associations.
    rec.pages("list_resources", a, "list_resources", "resources", "arn", 2, resourceOwner="SELF")
    rec.pages("list_resources_b", b, "list_resources", "resources", "arn", 2, resourceOwner="OTHER-ACCOUNTS")
    rec.pages("list_resources_principal", a, "list_resources", "resources", "arn", 2, resourceOwner="SELF", principal=B)
    code_of("list_resources_bad_type", lambda: a.list_resources(resourceOwner="SELF", resourceType="ec2:Subnet"))
    code_of("list_resources_bad_scope", lambda: a.list_resources(resourceOwner="SELF", resourceRegionScope="PLANET"))
    rec.pages("associations_resource", a, "get_resource_share_associations", "resourceShareAssociations", "associatedEntity", 2, associationType="RESOURCE")
    principals = a.get_resource_share_associations(associationType="PRINCIPAL")["resourceShareAssociations"]
    out["values"]["principal_statuses"] = sorted("%s %s" % (p["associatedEntity"], p["status"]) for p in principals)
    code_of("associations_bad_type", lambda: a.get_resource_share_associations(associationType="BOTH"))
    code_of("associations_principal_resource", lambda: a.get_resource_share_associations(associationType="PRINCIPAL", resourceArn=one))

    # Changes.
    added = a.associate_resource_share(resourceShareArn=sh3, principals=[B], resourceArns=[two])["resourceShareAssociations"]
    out["values"]["associated"] = sorted("%s %s" % (v["associationType"], v["status"]) for v in added)
    code_of("associate_b", lambda: b.associate_resource_share(resourceShareArn=sh3, principals=[A]))
    code_of("associate_nothing", lambda: unchecked.associate_resource_share(resourceShareArn=sh3))
    code_of("associate_unknown", lambda: a.associate_resource_share(resourceShareArn=sh3[:-12] + "000000000000", principals=[B]))
    removed = a.disassociate_resource_share(resourceShareArn=sh1["resourceShareArn"], resourceArns=[one])["resourceShareAssociations"]
    out["values"]["disassociated"] = [v["status"] for v in removed]
    rec.pages("b_associations_after", rb, "list_resolver_rule_associations", "ResolverRuleAssociations", "Id", 10)
    code_of("disassociate_again", lambda: a.disassociate_resource_share(resourceShareArn=sh1["resourceShareArn"], resourceArns=[one]))
    deleted = a.delete_resource_share(resourceShareArn=sh2, clientToken="d")
    out["values"]["deleted"] = {k: deleted[k] for k in ("returnValue", "clientToken")}
    code_of("delete_again", lambda: a.delete_resource_share(resourceShareArn=sh2))
    code_of("delete_by_b", lambda: b.delete_resource_share(resourceShareArn=sh3))
    code_of("delete_malformed", lambda: a.delete_resource_share(resourceShareArn="share"))
    rec.pages("get_resource_shares_deleted", a, "get_resource_shares", "resourceShares", "resourceShareArn", 5, resourceOwner="SELF", resourceShareStatus="DELETED")
    rec.print()


if __name__ == "__main__":
    main()
