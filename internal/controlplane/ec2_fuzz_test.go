package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/store"
)

// FuzzEC2Params feeds arbitrary form bodies to the EC2 query decoder:
// Filter.N.Name/Value.M, IpPermissions.N.… (and the top-level rule
// parameters), TagSpecification.N.…, id lists and paging. It must never
// panic; what it refuses it refuses with a 400 EC2 error; what it accepts
// must survive being encoded again (with every parameter read), and every
// action's parse must cope with the form.
//
//	go test ./internal/controlplane/ -run '^$' -fuzz FuzzEC2Params -fuzztime 60s
func FuzzEC2Params(f *testing.F) {
	for _, seed := range []string{
		"Action=DescribeVpcs&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-0123456789abcdef0&Filter.1.Value.2=x&Filter.2.Name=tag%3AName&Filter.2.Value.1=a*&MaxResults=5&NextToken=dnBjLTE",
		"Action=AuthorizeSecurityGroupIngress&GroupId=sg-0123456789abcdef0&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=14001&IpPermissions.1.ToPort=14100&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F16&IpPermissions.1.IpRanges.1.Description=office&IpPermissions.1.Groups.1.GroupId=sg-01234567&IpPermissions.1.Groups.1.UserId=111111111111",
		"Action=AuthorizeSecurityGroupIngress&GroupName=web&IpProtocol=tcp&FromPort=22&ToPort=22&CidrIp=0.0.0.0%2F0",
		"Action=AuthorizeSecurityGroupIngress&GroupName=web&SourceSecurityGroupName=clients&SourceSecurityGroupOwnerId=111111111111",
		"Action=RevokeSecurityGroupEgress&GroupId=sg-0123456789abcdef0&SecurityGroupRuleId.1=sgr-0123456789abcdef0",
		"Action=CreateVpc&CidrBlock=10.0.0.0%2F16&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=x&DryRun=true",
		"Action=DeleteTags&ResourceId.1=vpc-01234567&Tag.1.Key=k&Tag.2.Key=v&Tag.2.Value=",
		"Action=ModifyVpcAttribute&VpcId=vpc-01234567&EnableDnsHostnames.Value=true",
		"Action=DescribeSecurityGroups&GroupName.1=default&GroupId.1=sg-01234567&Filter.1.Name=ip-permission.from-port&Filter.1.Value.1=22",
		"Filter.01.Name=x&Filter.1..Name=y&Filter.1.Value.0=z&Filter.-1.Name=w&Filter.1000001.Name=v",
		"IpPermissions.2.IpProtocol=-1&IpPermissions.1.FromPort=99999999999&IpPermissions.1.IpRanges.3.CidrIp=x",
		"VpcId.2=b&VpcId.1=a&VpcId.10=c&VpcId=d&VpcId.1.x=e",
		"Filter.1.Name&Filter.1.Value.1&Filter.1.Value.1=&.=&..=",
	} {
		f.Add(seed)
	}
	st, err := store.OpenBolt(filepath.Join(f.TempDir(), "state.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	net, err := ec2.New(st, "us-east-1", nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	svc := &ec2Service{ec2: net}
	actions := []string{"CreateVpc", "DescribeVpcs", "DeleteVpc", "DescribeVpcAttribute", "ModifyVpcAttribute", "CreateSubnet",
		"DescribeSubnets", "DeleteSubnet", "DescribeAvailabilityZones", "CreateSecurityGroup", "DescribeSecurityGroups",
		"DeleteSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
		"RevokeSecurityGroupEgress", "CreateTags", "DescribeTags", "DeleteTags", "Nope"}

	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		p := newEC2Params(form)
		filters := p.filters()
		perms := p.permissions(false)
		specs := p.tagSpecs()
		ids := p.strs("VpcId")
		pg := p.paging("VpcId", len(ids) > 0)
		if p.err != nil {
			requireEC2Error(t, p.err)
		} else {
			for _, fl := range filters {
				if fl.Name == "" {
					t.Fatalf("accepted a filter without a name: %+v", filters)
				}
			}
			if pg.max != 0 && (pg.max < 5 || pg.max > 1000) {
				t.Fatalf("accepted MaxResults %d", pg.max)
			}
			again := encodeEC2(filters, perms, specs, ids)
			q := newEC2Params(again)
			gotFilters, gotPerms, gotSpecs, gotIDs := q.filters(), q.permissions(false), q.tagSpecs(), q.strs("VpcId")
			if q.err != nil {
				t.Fatalf("re-encoded form %v refused: %v", again, q.err)
			}
			if !reflect.DeepEqual(gotFilters, filters) || !reflect.DeepEqual(gotPerms, perms) || !reflect.DeepEqual(gotSpecs, specs) || !reflect.DeepEqual(gotIDs, ids) {
				t.Fatalf("round trip of %q via %v:\n got %+v %+v %+v %v\nwant %+v %+v %+v %v", body, again, gotFilters, gotPerms, gotSpecs, gotIDs, filters, perms, specs, ids)
			}
			if err := q.check(); err != nil {
				t.Fatalf("re-encoded form %v has unread parameters: %v", again, err)
			}
		}
		if err := p.check(); err != nil {
			requireEC2Error(t, err)
		}
		// Every action's parse copes with the form (it only reads: no
		// call runs).
		for _, action := range actions {
			if _, err := svc.parse(context.Background(), action, newEC2Params(form), "111111111111"); err != nil {
				requireEC2Error(t, err)
			}
		}
	})
}

// requireEC2Error fails unless err is a client error in EC2's terms.
func requireEC2Error(t *testing.T, err error) {
	t.Helper()
	var e *ec2.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code == "" {
		t.Fatalf("got %v; want an EC2 client error", err)
	}
}

// encodeEC2 writes decoded parameters back as the EC2 query protocol
// does, lists numbered from 1.
func encodeEC2(filters []ec2.Filter, perms []ec2.IPPermission, specs []ec2.TagSpecification, ids []string) url.Values {
	v := url.Values{}
	for i, fl := range filters {
		pre := fmt.Sprintf("Filter.%d.", i+1)
		v.Set(pre+"Name", fl.Name)
		for j, val := range fl.Values {
			v.Set(fmt.Sprintf("%sValue.%d", pre, j+1), val)
		}
	}
	for i, p := range perms {
		pre := fmt.Sprintf("IpPermissions.%d.", i+1)
		v.Set(pre+"IpProtocol", p.IPProtocol)
		if p.FromPort != nil {
			v.Set(pre+"FromPort", fmt.Sprint(*p.FromPort))
		}
		if p.ToPort != nil {
			v.Set(pre+"ToPort", fmt.Sprint(*p.ToPort))
		}
		for j, r := range p.IPRanges {
			v.Set(fmt.Sprintf("%sIpRanges.%d.CidrIp", pre, j+1), r.CIDR)
			v.Set(fmt.Sprintf("%sIpRanges.%d.Description", pre, j+1), r.Description)
		}
		for j, g := range p.Groups {
			gp := fmt.Sprintf("%sGroups.%d.", pre, j+1)
			v.Set(gp+"GroupId", g.GroupID)
			v.Set(gp+"GroupName", g.GroupName)
			v.Set(gp+"UserId", g.UserID)
			v.Set(gp+"Description", g.Description)
		}
	}
	for i, sp := range specs {
		pre := fmt.Sprintf("TagSpecification.%d.", i+1)
		v.Set(pre+"ResourceType", sp.ResourceType)
		for j, tg := range sp.Tags {
			v.Set(fmt.Sprintf("%sTag.%d.Key", pre, j+1), tg.Key)
			v.Set(fmt.Sprintf("%sTag.%d.Value", pre, j+1), tg.Value)
		}
	}
	for i, id := range ids {
		v.Set(fmt.Sprintf("VpcId.%d", i+1), id)
	}
	return v
}
