package controlplane_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/prereq"
)

// newEC2Env is newEnv with the ec2 service (region us-east-1, default
// zones) behind the front door.
func newEC2Env(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, true)
}

// str returns a string member of the CLI's output ("" if absent).
func str(m map[string]any, path ...string) string {
	s, _ := get(m, path...).(string)
	return s
}

// items returns a list member of the CLI's output.
func items(m map[string]any, path ...string) []map[string]any {
	l, _ := get(m, path...).([]any)
	out := make([]map[string]any, 0, len(l))
	for _, v := range l {
		if mm, ok := v.(map[string]any); ok {
			out = append(out, mm)
		}
	}
	return out
}

var (
	vpcIDRe    = regexp.MustCompile(`^vpc-[0-9a-f]{17}$`)
	subnetIDRe = regexp.MustCompile(`^subnet-[0-9a-f]{17}$`)
	groupIDRe  = regexp.MustCompile(`^sg-[0-9a-f]{17}$`)
)

func TestEC2WithTheAWSCLI(t *testing.T) {
	t.Parallel()
	e := newEC2Env(t)

	zones := items(e.ok("a", "ec2", "describe-availability-zones"), "AvailabilityZones")
	if len(zones) != 6 || str(zones[0], "ZoneName") != "us-east-1a" || str(zones[0], "ZoneId") != "use1-az1" ||
		str(zones[5], "ZoneName") != "us-east-1f" || str(zones[5], "ZoneId") != "use1-az6" || str(zones[0], "State") != "available" {
		t.Errorf("describe-availability-zones: got %v; want us-east-1a/use1-az1 … us-east-1f/use1-az6", zones)
	}
	if z := items(e.ok("a", "ec2", "describe-availability-zones", "--zone-ids", "use1-az3"), "AvailabilityZones"); len(z) != 1 || str(z[0], "ZoneName") != "us-east-1c" {
		t.Errorf("describe-availability-zones --zone-ids use1-az3: got %v; want us-east-1c", z)
	}

	// A VPC, tagged on creation, with its default security group.
	vpc := get(e.ok("a", "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16",
		"--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=clients}]"), "Vpc").(map[string]any)
	vpcID := str(vpc, "VpcId")
	if !vpcIDRe.MatchString(vpcID) || str(vpc, "CidrBlock") != "10.0.0.0/16" || str(vpc, "State") != "available" || str(vpc, "OwnerId") != "111111111111" {
		t.Fatalf("create-vpc: got %v", vpc)
	}
	if tags := items(vpc, "Tags"); len(tags) != 1 || str(tags[0], "Key") != "Name" || str(tags[0], "Value") != "clients" {
		t.Errorf("create-vpc tags: got %v; want Name=clients", tags)
	}
	for _, args := range [][]string{
		{"--vpc-ids", vpcID},
		{"--filters", "Name=tag:Name,Values=clients"},
		{"--filters", "Name=cidr,Values=10.0.*"},
		{"--filters", "Name=state,Values=available", "Name=tag-key,Values=Name"},
	} {
		if vs := items(e.ok("a", append([]string{"ec2", "describe-vpcs"}, args...)...), "Vpcs"); len(vs) != 1 || str(vs[0], "VpcId") != vpcID {
			t.Errorf("describe-vpcs %v: got %v; want %s", args, vs, vpcID)
		}
	}
	if vs := items(e.ok("a", "ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=servers"), "Vpcs"); len(vs) != 0 {
		t.Errorf("describe-vpcs tag:Name=servers: got %v; want none", vs)
	}
	attr := func(name string) any {
		return get(e.ok("a", "ec2", "describe-vpc-attribute", "--vpc-id", vpcID, "--attribute", name), strings.ToUpper(name[:1])+name[1:], "Value")
	}
	if got := attr("enableDnsSupport"); got != true {
		t.Errorf("enableDnsSupport: got %v; want true", got)
	}
	if got := attr("enableDnsHostnames"); got != false {
		t.Errorf("enableDnsHostnames: got %v; want false", got)
	}
	e.ok("a", "ec2", "modify-vpc-attribute", "--vpc-id", vpcID, "--enable-dns-hostnames", `{"Value":true}`)
	if got := attr("enableDnsHostnames"); got != true {
		t.Errorf("enableDnsHostnames after modify: got %v; want true", got)
	}

	// Subnets, by zone id and by zone name.
	sn1 := get(e.ok("a", "ec2", "create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.1.0/24", "--availability-zone-id", "use1-az2"), "Subnet").(map[string]any)
	sn1ID := str(sn1, "SubnetId")
	if !subnetIDRe.MatchString(sn1ID) || str(sn1, "AvailabilityZone") != "us-east-1b" || str(sn1, "AvailabilityZoneId") != "use1-az2" ||
		get(sn1, "AvailableIpAddressCount") != float64(251) || str(sn1, "VpcId") != vpcID ||
		str(sn1, "SubnetArn") != "arn:aws:ec2:us-east-1:111111111111:subnet/"+sn1ID {
		t.Errorf("create-subnet: got %v", sn1)
	}
	sn2 := get(e.ok("a", "ec2", "create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.2.0/28", "--availability-zone", "us-east-1c",
		"--tag-specifications", "ResourceType=subnet,Tags=[{Key=tier,Value=private}]"), "Subnet").(map[string]any)
	sn2ID := str(sn2, "SubnetId")
	if str(sn2, "AvailabilityZoneId") != "use1-az3" || get(sn2, "AvailableIpAddressCount") != float64(11) {
		t.Errorf("create-subnet /28 in us-east-1c: got %v", sn2)
	}
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{"Name=vpc-id,Values=" + vpcID, []string{sn1ID, sn2ID}},
		{"Name=availability-zone-id,Values=use1-az2", []string{sn1ID}},
		{"Name=availability-zone,Values=us-east-1c,us-east-1d", []string{sn2ID}},
		{"Name=tag:tier,Values=private", []string{sn2ID}},
		{"Name=cidr-block,Values=10.0.1.0/24", []string{sn1ID}},
		{"Name=subnet-id,Values=subnet-0000000000000000a", nil},
	} {
		var got []string
		for _, s := range items(e.ok("a", "ec2", "describe-subnets", "--filters", c.filter), "Subnets") {
			got = append(got, str(s, "SubnetId"))
		}
		if !sameSet(got, c.want) {
			t.Errorf("describe-subnets %s: got %v; want %v", c.filter, got, c.want)
		}
	}
	if got := items(e.ok("a", "ec2", "describe-subnets", "--subnet-ids", sn2ID, sn1ID), "Subnets"); len(got) != 2 {
		t.Errorf("describe-subnets --subnet-ids: got %d; want 2", len(got))
	}

	// The default security group: ingress from itself, egress everywhere.
	def := items(e.ok("a", "ec2", "describe-security-groups", "--filters", "Name=vpc-id,Values="+vpcID), "SecurityGroups")
	if len(def) != 1 || str(def[0], "GroupName") != "default" {
		t.Fatalf("default security group: got %v", def)
	}
	defID := str(def[0], "GroupId")
	if in := items(def[0], "IpPermissions"); len(in) != 1 || str(in[0], "IpProtocol") != "-1" ||
		len(items(in[0], "UserIdGroupPairs")) != 1 || str(items(in[0], "UserIdGroupPairs")[0], "GroupId") != defID {
		t.Errorf("default group ingress: got %v; want all traffic from %s", in, defID)
	}
	if out := items(def[0], "IpPermissionsEgress"); len(out) != 1 || str(out[0], "IpProtocol") != "-1" ||
		str(items(out[0], "IpRanges")[0], "CidrIp") != "0.0.0.0/0" {
		t.Errorf("default group egress: got %v; want all traffic to 0.0.0.0/0", out)
	}

	// A group of our own, with rules.
	sg := e.ok("a", "ec2", "create-security-group", "--group-name", "kafka-clients", "--description", "Kafka clients (port 14001-14100)", "--vpc-id", vpcID,
		"--tag-specifications", "ResourceType=security-group,Tags=[{Key=team,Value=data}]")
	sgID := str(sg, "GroupId")
	if !groupIDRe.MatchString(sgID) || str(sg, "SecurityGroupArn") != "arn:aws:ec2:us-east-1:111111111111:security-group/"+sgID || len(items(sg, "Tags")) != 1 {
		t.Errorf("create-security-group: got %v", sg)
	}
	rules := e.ok("a", "ec2", "authorize-security-group-ingress", "--group-id", sgID, "--protocol", "tcp", "--port", "14001-14100", "--cidr", "10.0.0.0/16")
	if get(rules, "Return") != true || len(items(rules, "SecurityGroupRules")) != 1 || str(items(rules, "SecurityGroupRules")[0], "CidrIpv4") != "10.0.0.0/16" {
		t.Errorf("authorize-security-group-ingress: got %v", rules)
	}
	e.ok("a", "ec2", "authorize-security-group-ingress", "--group-id", sgID, "--ip-permissions",
		`[{"IpProtocol":"tcp","FromPort":9098,"ToPort":9098,"UserIdGroupPairs":[{"GroupId":"`+defID+`","Description":"from default"}],"IpRanges":[{"CidrIp":"192.168.0.0/24","Description":"office"}]}]`)
	e.ok("a", "ec2", "authorize-security-group-ingress", "--group-name", "kafka-clients", "--protocol", "icmp", "--port", "-1", "--cidr", "10.0.0.0/8")
	got := items(e.ok("a", "ec2", "describe-security-groups", "--group-ids", sgID), "SecurityGroups")
	if len(got) != 1 || str(got[0], "GroupName") != "kafka-clients" || str(got[0], "Description") != "Kafka clients (port 14001-14100)" || str(got[0], "VpcId") != vpcID {
		t.Fatalf("describe-security-groups: got %v", got)
	}
	in := items(got[0], "IpPermissions")
	if len(in) != 3 || str(in[0], "IpProtocol") != "tcp" || get(in[0], "FromPort") != float64(14001) || get(in[0], "ToPort") != float64(14100) ||
		get(in[1], "FromPort") != float64(9098) || len(items(in[1], "IpRanges")) != 1 || len(items(in[1], "UserIdGroupPairs")) != 1 ||
		str(items(in[1], "IpRanges")[0], "Description") != "office" || str(in[2], "IpProtocol") != "icmp" {
		t.Errorf("kafka-clients ingress: got %v", in)
	}
	for _, c := range []struct {
		filter string
		want   int
	}{
		{"Name=group-name,Values=kafka-*", 1},
		{"Name=ip-permission.from-port,Values=14001", 1},
		{"Name=ip-permission.cidr,Values=192.168.0.0/24", 1},
		{"Name=ip-permission.group-id,Values=" + defID, 2},
		{"Name=egress.ip-permission.cidr,Values=0.0.0.0/0", 2},
		{"Name=tag:team,Values=data", 1},
	} {
		if got := items(e.ok("a", "ec2", "describe-security-groups", "--filters", c.filter), "SecurityGroups"); len(got) != c.want {
			t.Errorf("describe-security-groups %s: got %d groups; want %d", c.filter, len(got), c.want)
		}
	}
	if got := items(e.ok("a", "ec2", "describe-security-groups", "--group-names", "kafka-clients"), "SecurityGroups"); len(got) != 1 || str(got[0], "GroupId") != sgID {
		t.Errorf("describe-security-groups --group-names: got %v", got)
	}
	e.ok("a", "ec2", "revoke-security-group-ingress", "--group-id", sgID, "--protocol", "tcp", "--port", "14001-14100", "--cidr", "10.0.0.0/16")
	e.ok("a", "ec2", "revoke-security-group-egress", "--group-id", sgID, "--ip-permissions", `[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]`)
	e.ok("a", "ec2", "authorize-security-group-egress", "--group-id", sgID, "--ip-permissions", `[{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]`)
	got = items(e.ok("a", "ec2", "describe-security-groups", "--group-ids", sgID), "SecurityGroups")
	if in, out := items(got[0], "IpPermissions"), items(got[0], "IpPermissionsEgress"); len(in) != 2 || len(out) != 1 || get(out[0], "FromPort") != float64(443) {
		t.Errorf("after revoke and authorize-egress: got ingress %v egress %v", in, out)
	}

	// Tags.
	e.ok("a", "ec2", "create-tags", "--resources", sn1ID, sgID, "--tags", "Key=env,Value=prod", "Key=owner,Value=")
	tags := items(e.ok("a", "ec2", "describe-tags", "--filters", "Name=resource-id,Values="+sn1ID), "Tags")
	if len(tags) != 2 || str(tags[0], "Key") != "env" || str(tags[0], "Value") != "prod" || str(tags[0], "ResourceType") != "subnet" || str(tags[0], "ResourceId") != sn1ID {
		t.Errorf("describe-tags resource-id: got %v", tags)
	}
	if tags := items(e.ok("a", "ec2", "describe-tags", "--filters", "Name=key,Values=env", "Name=resource-type,Values=security-group"), "Tags"); len(tags) != 1 || str(tags[0], "ResourceId") != sgID {
		t.Errorf("describe-tags key=env security-group: got %v", tags)
	}
	e.ok("a", "ec2", "delete-tags", "--resources", sn1ID, "--tags", "Key=env,Value=staging", "Key=owner")
	if tags := items(e.ok("a", "ec2", "describe-tags", "--filters", "Name=resource-id,Values="+sn1ID), "Tags"); len(tags) != 1 || str(tags[0], "Value") != "prod" {
		t.Errorf("delete-tags with a value that does not match: got %v; want env=prod left", tags)
	}
	e.ok("a", "ec2", "delete-tags", "--resources", sn1ID)
	if tags := items(e.ok("a", "ec2", "describe-tags", "--filters", "Name=resource-id,Values="+sn1ID), "Tags"); len(tags) != 0 {
		t.Errorf("delete-tags without tags: got %v; want none", tags)
	}

	// Teardown, in dependency order.
	e.fails("DependencyViolation", "a", "ec2", "delete-vpc", "--vpc-id", vpcID)
	e.fails("CannotDelete", "a", "ec2", "delete-security-group", "--group-id", defID)
	e.ok("a", "ec2", "delete-subnet", "--subnet-id", sn1ID)
	e.ok("a", "ec2", "delete-subnet", "--subnet-id", sn2ID)
	e.fails("DependencyViolation", "a", "ec2", "delete-vpc", "--vpc-id", vpcID)
	e.ok("a", "ec2", "delete-security-group", "--group-name", "kafka-clients")
	e.ok("a", "ec2", "delete-vpc", "--vpc-id", vpcID)
	if vs := items(e.ok("a", "ec2", "describe-vpcs"), "Vpcs"); len(vs) != 0 {
		t.Errorf("describe-vpcs after delete: got %v", vs)
	}
	e.fails("InvalidVpcID.NotFound", "a", "ec2", "delete-vpc", "--vpc-id", vpcID)
}

func sameSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}

func TestEC2AccountsSeeOnlyTheirOwn(t *testing.T) {
	t.Parallel()
	e := newEC2Env(t)
	vpcID := str(e.ok("a", "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"), "Vpc", "VpcId")
	snID := str(e.ok("a", "ec2", "create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.0.0/24"), "Subnet", "SubnetId")
	bVPC := str(e.ok("b", "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"), "Vpc", "VpcId") // the same CIDR is fine in another account

	for profile, want := range map[string]string{"a": vpcID, "b": bVPC} {
		vs := items(e.ok(profile, "ec2", "describe-vpcs"), "Vpcs")
		if len(vs) != 1 || str(vs[0], "VpcId") != want {
			t.Errorf("account %s describe-vpcs: got %v; want only %s", profile, vs, want)
		}
		if gs := items(e.ok(profile, "ec2", "describe-security-groups"), "SecurityGroups"); len(gs) != 1 || str(gs[0], "VpcId") != want {
			t.Errorf("account %s describe-security-groups: got %v; want only the default group of %s", profile, gs, want)
		}
	}
	if sns := items(e.ok("b", "ec2", "describe-subnets"), "Subnets"); len(sns) != 0 {
		t.Errorf("account b describe-subnets: got %v; want none", sns)
	}
	e.fails("InvalidVpcID.NotFound", "b", "ec2", "describe-vpcs", "--vpc-ids", vpcID)
	e.fails("InvalidVpcID.NotFound", "b", "ec2", "delete-vpc", "--vpc-id", vpcID)
	e.fails("InvalidVpcID.NotFound", "b", "ec2", "create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.1.0/24")
	e.fails("InvalidVpcID.NotFound", "b", "ec2", "create-security-group", "--vpc-id", vpcID, "--group-name", "x", "--description", "x")
	e.fails("InvalidVpcID.NotFound", "b", "ec2", "modify-vpc-attribute", "--vpc-id", vpcID, "--enable-dns-hostnames", `{"Value":true}`)
	e.fails("InvalidSubnetID.NotFound", "b", "ec2", "describe-subnets", "--subnet-ids", snID)
	e.fails("InvalidSubnetID.NotFound", "b", "ec2", "delete-subnet", "--subnet-id", snID)
	e.fails("InvalidSubnetID.NotFound", "b", "ec2", "create-tags", "--resources", snID, "--tags", "Key=k,Value=v")
	if tags := items(e.ok("b", "ec2", "describe-tags"), "Tags"); len(tags) != 0 {
		t.Errorf("account b describe-tags: got %v", tags)
	}
}

func TestEC2IdentityPolicies(t *testing.T) {
	t.Parallel()
	e := newEC2Env(t)
	e.ok("a", "iam", "create-user", "--user-name", "netops")
	k := e.ok("a", "iam", "create-access-key", "--user-name", "netops")
	e.profile("netops", iam.Credentials{AccessKeyID: str(k, "AccessKey", "AccessKeyId"), SecretAccessKey: str(k, "AccessKey", "SecretAccessKey")})

	stderr := e.fails("UnauthorizedOperation", "netops", "ec2", "describe-vpcs")
	if !strings.Contains(stderr, "You are not authorized to perform this operation. User: arn:aws:iam::111111111111:user/netops is not authorized to perform: ec2:DescribeVpcs on resource: *") {
		t.Errorf("denial: got %s", stderr)
	}
	e.ok("a", "iam", "put-user-policy", "--user-name", "netops", "--policy-name", "ec2", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Effect":"Deny","Action":"ec2:CreateVpc","Resource":"*"}]}`)
	stderr = e.fails("UnauthorizedOperation", "netops", "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")
	if !strings.Contains(stderr, "is not authorized to perform: ec2:CreateVpc on resource: *") || !strings.Contains(stderr, "explicit deny") {
		t.Errorf("explicit deny of ec2:CreateVpc: got %s", stderr)
	}
	if vs := items(e.ok("a", "ec2", "describe-vpcs"), "Vpcs"); len(vs) != 0 {
		t.Errorf("a denied create-vpc created %v", vs)
	}
	e.fails("DryRunOperation", "netops", "ec2", "describe-vpcs", "--dry-run")
	e.fails("UnauthorizedOperation", "netops", "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16", "--dry-run")

	// Resource-level permissions: only one VPC may be deleted.
	keep := str(e.ok("a", "ec2", "create-vpc", "--cidr-block", "10.1.0.0/16"), "Vpc", "VpcId")
	drop := str(e.ok("a", "ec2", "create-vpc", "--cidr-block", "10.2.0.0/16"), "Vpc", "VpcId")
	e.ok("a", "iam", "put-user-policy", "--user-name", "netops", "--policy-name", "ec2", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},{"Effect":"Allow","Action":"ec2:DeleteVpc","Resource":"arn:aws:ec2:us-east-1:111111111111:vpc/`+drop+`"}]}`)
	stderr = e.fails("UnauthorizedOperation", "netops", "ec2", "delete-vpc", "--vpc-id", keep)
	if !strings.Contains(stderr, "on resource: arn:aws:ec2:us-east-1:111111111111:vpc/"+keep) {
		t.Errorf("delete-vpc denial does not name the VPC: %s", stderr)
	}
	e.ok("netops", "ec2", "delete-vpc", "--vpc-id", drop)
	if vs := items(e.ok("netops", "ec2", "describe-vpcs"), "Vpcs"); len(vs) != 1 || str(vs[0], "VpcId") != keep {
		t.Errorf("after delete-vpc: got %v; want only %s", vs, keep)
	}
}

func TestEC2ErrorsWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	e := newEC2Env(t)
	vpcID := str(e.ok("a", "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"), "Vpc", "VpcId")
	snID := str(e.ok("a", "ec2", "create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.1.0/24"), "Subnet", "SubnetId")
	sgID := str(e.ok("a", "ec2", "create-security-group", "--vpc-id", vpcID, "--group-name", "web", "--description", "web"), "GroupId")
	e.ok("a", "ec2", "authorize-security-group-ingress", "--group-id", sgID, "--protocol", "tcp", "--port", "443", "--cidr", "0.0.0.0/0")
	defID := str(items(e.ok("a", "ec2", "describe-security-groups", "--filters", "Name=group-name,Values=default"), "SecurityGroups")[0], "GroupId")
	vpc2 := str(e.ok("a", "ec2", "create-vpc", "--cidr-block", "10.9.0.0/16"), "Vpc", "VpcId")
	const noVPC, noSubnet, noGroup = "vpc-0123456789abcdef0", "subnet-0123456789abcdef0", "sg-0123456789abcdef0"

	for _, c := range []struct {
		code, message string
		args          []string
	}{
		{"InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid.", []string{"create-vpc", "--cidr-block", "10.0.0.0/8"}},
		{"InvalidVpc.Range", "", []string{"create-vpc", "--cidr-block", "10.0.0.0/29"}},
		{"InvalidParameterValue", "Value (10.0.0.1/16) for parameter cidrBlock is invalid. This is not a valid CIDR block.", []string{"create-vpc", "--cidr-block", "10.0.0.1/16"}},
		{"InvalidParameterValue", "", []string{"create-vpc", "--cidr-block", "fd00::/56"}},
		{"MissingParameter", "", []string{"create-vpc"}},
		{"InvalidParameterValue", "'subnet' is not a valid taggable resource type for this operation.", []string{"create-vpc", "--cidr-block", "10.3.0.0/16", "--tag-specifications", "ResourceType=subnet,Tags=[{Key=a,Value=b}]"}},
		{"InvalidParameterValue", "Tag keys starting with 'aws:'", []string{"create-vpc", "--cidr-block", "10.3.0.0/16", "--tag-specifications", "ResourceType=vpc,Tags=[{Key=aws:x,Value=b}]"}},
		{"InvalidVpcID.NotFound", "The vpc ID '" + noVPC + "' does not exist", []string{"describe-vpcs", "--vpc-ids", noVPC}},
		{"InvalidVpcID.Malformed", `Invalid id: "vpc-nope"`, []string{"describe-vpcs", "--vpc-ids", "vpc-nope"}},
		{"InvalidVpcID.Malformed", "", []string{"delete-vpc", "--vpc-id", snID}},
		{"InvalidParameterValue", "The filter 'colour' is invalid", []string{"describe-vpcs", "--filters", "Name=colour,Values=red"}},
		{"InvalidParameterCombination", "", []string{"describe-vpcs", "--vpc-ids", vpcID, "--max-results", "5"}},
		{"InvalidParameterValue", "Unknown attribute", []string{"describe-vpc-attribute", "--vpc-id", vpcID, "--attribute", "enableNothing"}},
		{"InvalidSubnet.Range", "The CIDR '10.1.0.0/24' is invalid.", []string{"create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.1.0.0/24"}},
		{"InvalidSubnet.Range", "", []string{"create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.0.0/15"}},
		{"InvalidSubnet.Conflict", "The CIDR '10.0.1.128/25' conflicts with another subnet", []string{"create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.1.128/25"}},
		{"InvalidSubnet.Conflict", "", []string{"create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.0.0/16"}},
		{"MissingParameter", "CidrBlock", []string{"create-subnet", "--vpc-id", vpcID}},
		{"InvalidParameterValue", "Value (us-east-1z) for parameter availabilityZone is invalid.", []string{"create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.2.0/24", "--availability-zone", "us-east-1z"}},
		{"InvalidParameterValue", "use1-az9", []string{"create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.2.0/24", "--availability-zone-id", "use1-az9"}},
		{"InvalidParameterCombination", "", []string{"create-subnet", "--vpc-id", vpcID, "--cidr-block", "10.0.2.0/24", "--availability-zone", "us-east-1a", "--availability-zone-id", "use1-az1"}},
		{"InvalidVpcID.NotFound", "", []string{"create-subnet", "--vpc-id", noVPC, "--cidr-block", "10.0.2.0/24"}},
		{"InvalidSubnetID.NotFound", "The subnet ID '" + noSubnet + "' does not exist", []string{"delete-subnet", "--subnet-id", noSubnet}},
		{"InvalidSubnetID.Malformed", "", []string{"describe-subnets", "--subnet-ids", "subnet-123"}},
		{"InvalidParameterValue", "Invalid availability zone: [us-east-1z]", []string{"describe-availability-zones", "--zone-names", "us-east-1z"}},
		{"InvalidGroup.Duplicate", "The security group 'web' already exists for VPC '" + vpcID + "'", []string{"create-security-group", "--vpc-id", vpcID, "--group-name", "web", "--description", "again"}},
		{"InvalidGroup.Reserved", "", []string{"create-security-group", "--vpc-id", vpcID, "--group-name", "default", "--description", "x"}},
		{"VPCIdNotSpecified", "", []string{"create-security-group", "--group-name", "novpc", "--description", "x"}},
		{"InvalidParameterValue", "Group names may not be in the format sg-*", []string{"create-security-group", "--vpc-id", vpcID, "--group-name", "sg-1", "--description", "x"}},
		{"InvalidParameterValue", "Character sets beyond ASCII are not supported", []string{"create-security-group", "--vpc-id", vpcID, "--group-name", "grüppe", "--description", "x"}},
		{"InvalidParameterValue", "", []string{"create-security-group", "--vpc-id", vpcID, "--group-name", strings.Repeat("g", 256), "--description", "x"}},
		{"InvalidGroup.NotFound", "The security group '" + noGroup + "' does not exist", []string{"describe-security-groups", "--group-ids", noGroup}},
		{"InvalidGroup.NotFound", "", []string{"describe-security-groups", "--group-names", "nothing"}},
		{"InvalidGroupId.Malformed", `Invalid id: "sg-nope" (expecting "sg-...")`, []string{"delete-security-group", "--group-id", "sg-nope"}},
		{"InvalidGroup.NotFound", "", []string{"delete-security-group", "--group-id", noGroup}},
		{"CannotDelete", `the specified group: "` + defID + `" name: "default" cannot be deleted by a user`, []string{"delete-security-group", "--group-id", defID}},
		{"InvalidParameterValue", "is used in 2 VPCs", []string{"delete-security-group", "--group-name", "default"}},
		{"InvalidPermission.Duplicate", `the specified rule "peer: 0.0.0.0/0, TCP, from port: 443, to port: 443, ALLOW" already exists`, []string{"authorize-security-group-ingress", "--group-id", sgID, "--protocol", "tcp", "--port", "443", "--cidr", "0.0.0.0/0"}},
		{"InvalidPermission.Duplicate", "", []string{"authorize-security-group-egress", "--group-id", sgID, "--ip-permissions", `[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]`}},
		{"InvalidPermission.NotFound", "The specified rule does not exist in this security group.", []string{"revoke-security-group-ingress", "--group-id", sgID, "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0"}},
		{"InvalidParameterValue", "Must specify both from and to ports with TCP/UDP.", []string{"authorize-security-group-ingress", "--group-id", sgID, "--protocol", "tcp", "--cidr", "0.0.0.0/0"}},
		{"InvalidPermission.Malformed", "TCP/UDP port (70000) out of range", []string{"authorize-security-group-ingress", "--group-id", sgID, "--protocol", "udp", "--port", "70000", "--cidr", "0.0.0.0/0"}},
		{"InvalidParameterValue", "CIDR block 10.0.0.1/8 is malformed", []string{"authorize-security-group-ingress", "--group-id", sgID, "--protocol", "tcp", "--port", "22", "--cidr", "10.0.0.1/8"}},
		{"InvalidParameterValue", "Unknown protocol", []string{"authorize-security-group-ingress", "--group-id", sgID, "--ip-permissions", `[{"IpProtocol":"sctp","FromPort":1,"ToPort":2,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]`}},
		{"InvalidGroup.NotFound", "", []string{"authorize-security-group-ingress", "--group-id", noGroup, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0"}},
		{"InvalidGroup.NotFound", "", []string{"authorize-security-group-ingress", "--group-id", sgID, "--protocol", "tcp", "--port", "22", "--source-group", noGroup}},
		{"InvalidGroup.NotFound", "belong to different networks", []string{"authorize-security-group-ingress", "--group-id", sgID, "--protocol", "tcp", "--port", "22", "--source-group",
			str(items(e.ok("a", "ec2", "describe-security-groups", "--filters", "Name=vpc-id,Values="+vpc2), "SecurityGroups")[0], "GroupId")}},
		{"MissingParameter", "", []string{"authorize-security-group-ingress", "--group-id", sgID, "--protocol", "tcp", "--port", "22"}},
		{"InvalidParameterCombination", "", []string{"authorize-security-group-ingress", "--group-id", sgID, "--group-name", "web", "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0"}},
		{"InvalidSecurityGroupRuleId.NotFound", "", []string{"revoke-security-group-ingress", "--group-id", sgID, "--security-group-rule-ids", "sgr-0123456789abcdef0"}},
		{"DependencyViolation", "The vpc '" + vpcID + "' has dependencies and cannot be deleted.", []string{"delete-vpc", "--vpc-id", vpcID}},
		{"InvalidID", "The ID 'i-0123456789abcdef0' is not valid", []string{"create-tags", "--resources", "i-0123456789abcdef0", "--tags", "Key=a,Value=b"}},
		{"InvalidVpcID.NotFound", "", []string{"create-tags", "--resources", noVPC, "--tags", "Key=a,Value=b"}},
		{"InvalidParameterValue", "The filter 'owner' is invalid", []string{"describe-tags", "--filters", "Name=owner,Values=me"}},
	} {
		stderr := e.fails(c.code, "a", append([]string{"ec2"}, c.args...)...)
		if !strings.Contains(stderr, c.message) {
			t.Errorf("aws ec2 %s: got %q; want message %q", strings.Join(c.args, " "), strings.TrimSpace(stderr), c.message)
		}
	}

	// None of it changed anything.
	if vs := items(e.ok("a", "ec2", "describe-vpcs"), "Vpcs"); len(vs) != 2 {
		t.Errorf("describe-vpcs: got %d VPCs; want 2", len(vs))
	}
	if sns := items(e.ok("a", "ec2", "describe-subnets"), "Subnets"); len(sns) != 1 {
		t.Errorf("describe-subnets: got %d subnets; want 1", len(sns))
	}
	gs := items(e.ok("a", "ec2", "describe-security-groups", "--group-ids", sgID), "SecurityGroups")
	if in := items(gs[0], "IpPermissions"); len(in) != 1 || len(items(in[0], "IpRanges")) != 1 {
		t.Errorf("web ingress: got %v; want the one rule", in)
	}
	if tags := items(e.ok("a", "ec2", "describe-tags"), "Tags"); len(tags) != 0 {
		t.Errorf("describe-tags: got %v; want none", tags)
	}
}

func TestEC2WithBoto3(t *testing.T) {
	t.Parallel()
	e := newEC2Env(t)
	python := prereq.Tool(t, "python3")
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		prereq.Missing(t, "python3 cannot import boto3 (Debian: python3-boto3)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "ec2_boto3.py"))
	cmd.Env = prereq.AWSEnv("ENDPOINT="+e.url,
		"AWS_ACCESS_KEY_ID="+e.accounts["a"].AccessKeyID, "AWS_SECRET_ACCESS_KEY="+e.accounts["a"].SecretAccessKey,
		"AWS_CONFIG_FILE="+filepath.Join(e.dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(e.dir, "none"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("ec2_boto3.py: %v\n%s", err, stderr.String())
	}
	var out struct {
		Created      map[string][]string `json:"created"`
		Pages        map[string][]int    `json:"pages"`
		Listed       map[string][]string `json:"listed"`
		Filtered     []string            `json:"filtered"`
		FilteredNext string              `json:"filtered_next"`
		Group3       struct {
			Name    string `json:"name"`
			Ingress []struct {
				IPProtocol string `json:"IpProtocol"`
				FromPort   int    `json:"FromPort"`
				ToPort     int    `json:"ToPort"`
				IPRanges   []struct {
					CidrIP string `json:"CidrIp"`
				} `json:"IpRanges"`
			} `json:"ingress"`
			Tags []map[string]string `json:"tags"`
		} `json:"group3"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("ec2_boto3.py output: %v\n%s", err, b)
	}
	defaults := items(e.ok("a", "ec2", "describe-security-groups", "--filters", "Name=group-name,Values=default"), "SecurityGroups")
	var defaultIDs []string
	for _, g := range defaults {
		defaultIDs = append(defaultIDs, str(g, "GroupId"))
	}
	for _, c := range []struct {
		op        string
		want      []string
		wantPages []int
	}{
		{"describe_vpcs", out.Created["vpcs"], []int{5, 5, 2}},
		{"describe_subnets", out.Created["subnets"], []int{5, 2}},
		{"describe_security_groups", append(slices.Clone(out.Created["groups"]), defaultIDs...), []int{5, 5, 5, 4}},
	} {
		if got := out.Pages[c.op]; !slices.Equal(got, c.wantPages) {
			t.Errorf("%s paginator (PageSize 5): got pages of %v; want %v", c.op, got, c.wantPages)
		}
		if got := out.Listed[c.op]; !sameSet(got, c.want) {
			t.Errorf("%s paginator: listed %v; want %v", c.op, got, c.want)
		}
	}
	if got := out.Pages["describe_tags"]; !slices.Equal(got, []int{5, 5, 5, 4}) {
		t.Errorf("describe_tags paginator: got pages of %v; want [5 5 5 4] (12 VPC and 7 group tags)", got)
	}
	// tag:n in (1*, 2): VPCs 1, 10, 11 and 2 — four, one page.
	if len(out.Filtered) != 4 || out.FilteredNext != "" {
		t.Errorf("filtered describe_vpcs: got %v next %q; want 4 VPCs, no next token", out.Filtered, out.FilteredNext)
	}
	g3 := out.Group3
	if g3.Name != "g3" || len(g3.Ingress) != 1 || g3.Ingress[0].IPProtocol != "tcp" || g3.Ingress[0].FromPort != 14001 || g3.Ingress[0].ToPort != 14100 ||
		len(g3.Ingress[0].IPRanges) != 1 || g3.Ingress[0].IPRanges[0].CidrIP != "10.3.0.0/16" || len(g3.Tags) != 1 || g3.Tags[0]["Value"] != "3" {
		t.Errorf("group g3: got %+v", g3)
	}
	for name, want := range map[string]string{
		"vpc_range": "InvalidVpc.Range", "subnet_conflict": "InvalidSubnet.Conflict",
		"bad_token": "InvalidPaginationToken", "group_in_use": "DependencyViolation",
	} {
		if got := out.Errors[name]; got != want {
			t.Errorf("boto3 %s: got error %q; want %s", name, got, want)
		}
	}
}

// post sends a form signed (SigV4, service ec2) with profile's credentials
// and returns the status and body.
func (e *env) post(profile string, form url.Values) (int, []byte) {
	e.t.Helper()
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	c := e.accounts[profile]
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ec2", "us-east-1", time.Now()); err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func form(kv ...string) url.Values {
	v := url.Values{"Version": {"2016-11-15"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func TestEC2QueryProtocol(t *testing.T) {
	t.Parallel()
	e := newEC2Env(t)
	status, body := e.post("a", form("Action", "DescribeVpcs"))
	var ok struct {
		XMLName   xml.Name
		RequestID string    `xml:"requestId"`
		VpcSet    *struct{} `xml:"vpcSet"`
	}
	if err := xml.Unmarshal(body, &ok); err != nil || status != http.StatusOK || ok.XMLName.Local != "DescribeVpcsResponse" ||
		ok.XMLName.Space != "http://ec2.amazonaws.com/doc/2016-11-15/" || ok.RequestID == "" || ok.VpcSet == nil {
		t.Errorf("DescribeVpcs: got %d %s (%v)", status, body, err)
	}

	sg := "sg-0123456789abcdef0"
	for _, c := range []struct {
		name    string
		form    url.Values
		status  int
		code    string
		message string
	}{
		{"unknown action", form("Action", "RunInstances"), 400, "InvalidAction", "The action RunInstances is not valid for this web service."},
		{"no action", form(), 400, "InvalidAction", ""},
		{"unknown parameter", form("Action", "DescribeVpcs", "Colour", "red"), 400, "UnknownParameter", "The parameter Colour is not recognized"},
		{"unsupported member", form("Action", "CreateVpc", "CidrBlock", "10.0.0.0/16", "AmazonProvidedIpv6CidrBlock", "true"), 400, "UnknownParameter", "AmazonProvidedIpv6CidrBlock"},
		{"filter without name", form("Action", "DescribeVpcs", "Filter.1.Value.1", "x"), 400, "MissingParameter", "Filter.1.Name"},
		{"filter without values", form("Action", "DescribeVpcs", "Filter.1.Name", "vpc-id"), 400, "InvalidParameterValue", "must have at least one value"},
		{"list index 0", form("Action", "DescribeVpcs", "VpcId.0", "vpc-0123456789abcdef0"), 400, "UnknownParameter", "VpcId.0"},
		{"list index with a leading zero", form("Action", "DescribeVpcs", "Filter.01.Name", "vpc-id", "Filter.01.Value.1", "x"), 400, "UnknownParameter", "Filter.01"},
		{"list index not a number", form("Action", "DescribeSubnets", "SubnetId.x", "subnet-0123456789abcdef0"), 400, "UnknownParameter", "SubnetId.x"},
		{"max results too small", form("Action", "DescribeVpcs", "MaxResults", "3"), 400, "InvalidParameterValue", "maxResults"},
		{"max results too large", form("Action", "DescribeSubnets", "MaxResults", "1001"), 400, "InvalidParameterValue", "maxResults"},
		{"max results not a number", form("Action", "DescribeSecurityGroups", "MaxResults", "ten"), 400, "InvalidParameterValue", "Value (ten) for parameter MaxResults is invalid."},
		{"bad token", form("Action", "DescribeTags", "NextToken", "%%%"), 400, "InvalidPaginationToken", ""},
		{"boolean", form("Action", "DescribeVpcs", "DryRun", "maybe"), 400, "InvalidParameterValue", "Expected: 'true' or 'false'"},
		{"over-long value", form("Action", "CreateVpc", "CidrBlock", strings.Repeat("1", 5000)), 400, "InvalidParameterValue", "too long"},
		{"port not a number", form("Action", "AuthorizeSecurityGroupIngress", "GroupId", sg, "IpPermissions.1.IpProtocol", "tcp",
			"IpPermissions.1.FromPort", "twenty", "IpPermissions.1.ToPort", "22", "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"), 400, "InvalidParameterValue", "FromPort"},
		{"port beyond int32", form("Action", "AuthorizeSecurityGroupEgress", "GroupId", sg, "FromPort", "99999999999"), 400, "InvalidParameterValue", "FromPort"},
		{"ipv6 range", form("Action", "AuthorizeSecurityGroupIngress", "GroupId", sg, "IpPermissions.1.IpProtocol", "-1",
			"IpPermissions.1.Ipv6Ranges.1.CidrIpv6", "::/0"), 400, "UnknownParameter", "IpPermissions.1.Ipv6Ranges.1.CidrIpv6"},
		{"group name on egress", form("Action", "AuthorizeSecurityGroupEgress", "GroupId", sg, "GroupName", "web"), 400, "UnknownParameter", "GroupName"},
		{"permissions and cidr", form("Action", "AuthorizeSecurityGroupIngress", "GroupId", sg, "CidrIp", "0.0.0.0/0", "IpProtocol", "-1",
			"IpPermissions.1.IpProtocol", "-1", "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"), 400, "InvalidParameterCombination", ""},
		{"rule ids and permissions", form("Action", "RevokeSecurityGroupIngress", "GroupId", sg, "SecurityGroupRuleId.1", "sgr-0123456789abcdef0",
			"IpPermissions.1.IpProtocol", "-1", "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"), 400, "InvalidParameterCombination", ""},
		{"two attributes", form("Action", "ModifyVpcAttribute", "VpcId", "vpc-0123456789abcdef0", "EnableDnsSupport.Value", "true",
			"EnableDnsHostnames.Value", "true"), 400, "InvalidParameterCombination", ""},
		{"no attribute", form("Action", "ModifyVpcAttribute", "VpcId", "vpc-0123456789abcdef0"), 400, "MissingParameter", ""},
		{"missing vpc id", form("Action", "DeleteVpc"), 400, "MissingParameter", "The request must contain the parameter VpcId"},
		{"missing resources", form("Action", "CreateTags", "Tag.1.Key", "k"), 400, "MissingParameter", "ResourceId"},
		{"missing tags", form("Action", "CreateTags", "ResourceId.1", "vpc-0123456789abcdef0"), 400, "MissingParameter", "Tag"},
		{"tag value too long", form("Action", "CreateTags", "ResourceId.1", "vpc-0123456789abcdef0", "Tag.1.Key", "k", "Tag.1.Value", strings.Repeat("v", 257)), 400, "InvalidParameterValue", "256"},
		{"dry run", form("Action", "CreateVpc", "CidrBlock", "10.0.0.0/16", "DryRun", "true"), 412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set."},
	} {
		status, body := e.post("a", c.form)
		var er struct {
			XMLName   xml.Name `xml:"Response"`
			Code      string   `xml:"Errors>Error>Code"`
			Message   string   `xml:"Errors>Error>Message"`
			RequestID string   `xml:"RequestID"`
		}
		if err := xml.Unmarshal(body, &er); err != nil || status != c.status || er.Code != c.code || er.RequestID == "" || !strings.Contains(er.Message, c.message) {
			t.Errorf("%s: got %d %s (%v); want %d %s %q", c.name, status, body, err, c.status, c.code, c.message)
		}
	}
	if status, body := e.post("a", form("Action", "DescribeVpcs")); status != 200 || bytes.Contains(body, []byte("<item>")) {
		t.Errorf("after refused calls: got %d %s; want no VPCs", status, body)
	}
}
