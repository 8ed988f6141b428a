package acl

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// This file answers the three ACL APIs as a Kafka broker does:
//
//	DescribeAcls (29) → one filter; the matching ACLs grouped by resource
//	                    pattern, or a response-level error
//	CreateAcls   (30) → one result per creation: error code and message
//	DeleteAcls   (31) → one result per filter: an error, or the ACLs deleted
//
// Strings are read as Kafka's parser reads them: as UTF-8, invalid bytes
// replaced by U+FFFD.
//
// Kafka checks the whole request while parsing it: version 0 carries no
// pattern type (LITERAL only), and a field holding the UNKNOWN code (0)
// rejects the request; a broker then closes the connection. kafkalink
// answers such a request with that error on every item instead, and
// changes nothing. The caller checks, before calling a handler, that the
// client may DESCRIBE (DescribeAcls) or ALTER (CreateAcls, DeleteAcls) the
// CLUSTER resource: see ClusterOp and ErrorResponse.

// ClusterOp returns the operation on the CLUSTER resource that Kafka
// requires before it answers the ACL API with the given key: DESCRIBE for
// DescribeAcls, ALTER for CreateAcls and DeleteAcls. ok is false for other
// keys.
func ClusterOp(apiKey int16) (op kmsg.ACLOperation, ok bool) {
	switch apiKey {
	case (*kmsg.DescribeACLsRequest)(nil).Key():
		return kmsg.ACLOperationDescribe, true
	case (*kmsg.CreateACLsRequest)(nil).Key(), (*kmsg.DeleteACLsRequest)(nil).Key():
		return kmsg.ACLOperationAlter, true
	}
	return kmsg.ACLOperationUnknown, false
}

// ErrorResponse returns the response that fails every item of an ACL
// request with code (for example kerr.ClusterAuthorizationFailed) and
// message (code's description if empty), as a Kafka broker does when it
// rejects the whole request. It returns nil for other requests.
func ErrorResponse(req kmsg.Request, code *kerr.Error, message string) kmsg.Response {
	if message == "" {
		message = code.Description
	}
	switch r := req.(type) {
	case *kmsg.CreateACLsRequest:
		resp := newCreateResponse(r)
		for i := range resp.Results {
			setError(&resp.Results[i].ErrorCode, &resp.Results[i].ErrorMessage, code, message)
		}
		return resp
	case *kmsg.DescribeACLsRequest:
		resp := kmsg.NewPtrDescribeACLsResponse()
		resp.Version = r.Version
		setError(&resp.ErrorCode, &resp.ErrorMessage, code, message)
		return resp
	case *kmsg.DeleteACLsRequest:
		resp := newDeleteResponse(r)
		for i := range resp.Results {
			setError(&resp.Results[i].ErrorCode, &resp.Results[i].ErrorMessage, code, message)
		}
		return resp
	}
	return nil
}

func setError(code *int16, msg **string, e *kerr.Error, message string) {
	*code = e.Code
	*msg = &message
}

func newCreateResponse(req *kmsg.CreateACLsRequest) *kmsg.CreateACLsResponse {
	resp := kmsg.NewPtrCreateACLsResponse()
	resp.Version = req.Version
	resp.Results = make([]kmsg.CreateACLsResponseResult, len(req.Creations))
	for i := range resp.Results {
		resp.Results[i].Default()
	}
	return resp
}

func newDeleteResponse(req *kmsg.DeleteACLsRequest) *kmsg.DeleteACLsResponse {
	resp := kmsg.NewPtrDeleteACLsResponse()
	resp.Version = req.Version
	resp.Results = make([]kmsg.DeleteACLsResponseResult, len(req.Filters))
	for i := range resp.Results {
		resp.Results[i].Default()
	}
	return resp
}

// HandleCreate answers a CreateAcls request for cluster.
func (a *Authorizer) HandleCreate(ctx context.Context, cluster string, req *kmsg.CreateACLsRequest) *kmsg.CreateACLsResponse {
	if req.Version == 0 {
		for _, c := range req.Creations {
			if c.ResourcePatternType != kmsg.ACLResourcePatternTypeLiteral {
				return ErrorResponse(req, kerr.UnsupportedVersion,
					"Version 0 only supports literal resource pattern types").(*kmsg.CreateACLsResponse)
			}
		}
	}
	for _, c := range req.Creations {
		if c.ResourcePatternType == kmsg.ACLResourcePatternTypeUnknown ||
			c.ResourceType == kmsg.ACLResourceTypeUnknown ||
			c.PermissionType == kmsg.ACLPermissionTypeUnknown ||
			c.Operation == kmsg.ACLOperationUnknown {
			return ErrorResponse(req, kerr.InvalidRequest, "CreatableAcls contain unknown elements").(*kmsg.CreateACLsResponse)
		}
	}
	bindings := make([]Binding, len(req.Creations))
	for i, c := range req.Creations {
		bindings[i] = Binding{
			ResourceType: c.ResourceType,
			ResourceName: kafkaString(c.ResourceName),
			PatternType:  c.ResourcePatternType,
			Principal:    kafkaString(c.Principal),
			Host:         kafkaString(c.Host),
			Operation:    c.Operation,
			Permission:   c.PermissionType,
		}
	}
	errs := a.Create(ctx, cluster, bindings)
	resp := newCreateResponse(req)
	for i, err := range errs {
		resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = kafkaError(err)
	}
	return resp
}

// HandleDescribe answers a DescribeAcls request for cluster.
func (a *Authorizer) HandleDescribe(ctx context.Context, cluster string, req *kmsg.DescribeACLsRequest) *kmsg.DescribeACLsResponse {
	pattern := req.ResourcePatternType
	if req.Version == 0 {
		switch pattern {
		case kmsg.ACLResourcePatternTypeAny:
			// Version 0 knows LITERAL only, which ANY then means.
			pattern = kmsg.ACLResourcePatternTypeLiteral
		case kmsg.ACLResourcePatternTypeLiteral:
		default:
			return ErrorResponse(req, kerr.UnsupportedVersion,
				"Version 0 only supports literal resource pattern types").(*kmsg.DescribeACLsResponse)
		}
	}
	if pattern == kmsg.ACLResourcePatternTypeUnknown ||
		req.ResourceType == kmsg.ACLResourceTypeUnknown ||
		req.PermissionType == kmsg.ACLPermissionTypeUnknown ||
		req.Operation == kmsg.ACLOperationUnknown {
		return ErrorResponse(req, kerr.InvalidRequest, "DescribeAclsRequest contains UNKNOWN elements").(*kmsg.DescribeACLsResponse)
	}
	// Other unrecognised codes are UNKNOWN to Kafka too, but pass its
	// request check; such a filter matches no ACL.
	bindings := a.describe(cluster, Filter{
		ResourceType: req.ResourceType,
		ResourceName: kafkaStringPtr(req.ResourceName),
		PatternType:  pattern,
		Principal:    kafkaStringPtr(req.Principal),
		Host:         kafkaStringPtr(req.Host),
		Operation:    req.Operation,
		Permission:   req.PermissionType,
	})
	resp := kmsg.NewPtrDescribeACLsResponse()
	resp.Version = req.Version
	resp.Resources = groupByResource(bindings)
	return resp
}

// groupByResource groups sorted bindings by resource pattern.
func groupByResource(bindings []Binding) []kmsg.DescribeACLsResponseResource {
	var out []kmsg.DescribeACLsResponseResource
	for i, b := range bindings {
		if i == 0 || b.ResourceType != bindings[i-1].ResourceType ||
			b.ResourceName != bindings[i-1].ResourceName || b.PatternType != bindings[i-1].PatternType {
			r := kmsg.NewDescribeACLsResponseResource()
			r.ResourceType, r.ResourceName, r.ResourcePatternType = b.ResourceType, b.ResourceName, b.PatternType
			out = append(out, r)
		}
		e := kmsg.NewDescribeACLsResponseResourceACL()
		e.Principal, e.Host, e.Operation, e.PermissionType = b.Principal, b.Host, b.Operation, b.Permission
		r := &out[len(out)-1]
		r.ACLs = append(r.ACLs, e)
	}
	return out
}

// HandleDelete answers a DeleteAcls request for cluster.
func (a *Authorizer) HandleDelete(ctx context.Context, cluster string, req *kmsg.DeleteACLsRequest) *kmsg.DeleteACLsResponse {
	filters := make([]Filter, len(req.Filters))
	for i, f := range req.Filters {
		pattern := f.ResourcePatternType
		if req.Version == 0 {
			switch pattern {
			case kmsg.ACLResourcePatternTypeAny:
				pattern = kmsg.ACLResourcePatternTypeLiteral
			case kmsg.ACLResourcePatternTypeLiteral:
			default:
				return ErrorResponse(req, kerr.UnsupportedVersion, "Version 0 does not support pattern type "+
					pattern.String()+" (only LITERAL and ANY are supported)").(*kmsg.DeleteACLsResponse)
			}
		}
		filters[i] = Filter{
			ResourceType: f.ResourceType,
			ResourceName: kafkaStringPtr(f.ResourceName),
			PatternType:  pattern,
			Principal:    kafkaStringPtr(f.Principal),
			Host:         kafkaStringPtr(f.Host),
			Operation:    f.Operation,
			Permission:   f.PermissionType,
		}
	}
	for _, f := range filters {
		if f.PatternType == kmsg.ACLResourcePatternTypeUnknown ||
			f.ResourceType == kmsg.ACLResourceTypeUnknown ||
			f.Operation == kmsg.ACLOperationUnknown ||
			f.Permission == kmsg.ACLPermissionTypeUnknown {
			return ErrorResponse(req, kerr.InvalidRequest, "Filters contain UNKNOWN elements").(*kmsg.DeleteACLsResponse)
		}
	}
	results := a.delete(ctx, cluster, filters)
	resp := newDeleteResponse(req)
	for i, r := range results {
		out := &resp.Results[i]
		if r.err != nil {
			out.ErrorCode, out.ErrorMessage = kafkaError(r.err)
			continue
		}
		for _, b := range r.deleted {
			out.MatchingACLs = append(out.MatchingACLs, matchingACL(b, nil))
		}
		for _, f := range r.failed {
			out.MatchingACLs = append(out.MatchingACLs, matchingACL(f.b, f.err))
		}
	}
	return resp
}

func matchingACL(b Binding, err error) kmsg.DeleteACLsResponseResultMatchingACL {
	m := kmsg.NewDeleteACLsResponseResultMatchingACL()
	m.ErrorCode, m.ErrorMessage = kafkaError(err)
	m.ResourceType, m.ResourceName, m.ResourcePatternType = b.ResourceType, b.ResourceName, b.PatternType
	m.Principal, m.Host, m.Operation, m.PermissionType = b.Principal, b.Host, b.Operation, b.Permission
	return m
}
