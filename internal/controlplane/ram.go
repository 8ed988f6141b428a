package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/ram"
)

// ramService answers ram (rest-json): resource shares, their
// associations and invitations. Routes are the model's request URIs;
// every operation but DeleteResourceShare (DELETE, its input in the query
// string) is a POST with a JSON object.
type ramService struct {
	ram *ram.Service
	log *slog.Logger
}

// WithRAM serves ram (resource shares) from svc.
func WithRAM(svc *ram.Service) Option {
	return func(s *Server) { s.services["ram"] = &ramService{ram: svc, log: s.log} }
}

type ramOp func(s *ramService, c *Call) (any, error)

var ramRoutes = map[string]ramOp{
	"POST /createresourceshare":           (*ramService).createShare,
	"POST /getresourceshares":             (*ramService).getShares,
	"POST /getresourceshareinvitations":   (*ramService).getInvitations,
	"POST /acceptresourceshareinvitation": (*ramService).acceptInvitation,
	"POST /rejectresourceshareinvitation": (*ramService).rejectInvitation,
	"POST /associateresourceshare":        (*ramService).associateShare,
	"POST /disassociateresourceshare":     (*ramService).disassociateShare,
	"DELETE /deleteresourceshare":         (*ramService).deleteShare,
	"POST /listresources":                 (*ramService).listResources,
	"POST /getresourceshareassociations":  (*ramService).getAssociations,
}

func (s *ramService) serve(w http.ResponseWriter, c *Call) {
	route := c.Request.Method + " " + c.Request.URL.EscapedPath()
	h := ramRoutes[route]
	if h == nil {
		s.fail(w, c, http.StatusNotFound, "UnknownOperationException", fmt.Sprintf("No operation matches %s.", route))
		return
	}
	c.Action = route
	out, err := h(s, c)
	if err != nil {
		s.writeError(w, c, err)
		return
	}
	writeJSON(w, c, http.StatusOK, out)
}

func (s *ramService) fail(w http.ResponseWriter, c *Call, status int, code, message string) {
	writeRestJSONError(w, c, status, code, message, "")
}

// writeError answers a RAM error as it is, an IAM denial as
// AccessDeniedException, anything else as ServerInternalException.
func (s *ramService) writeError(w http.ResponseWriter, c *Call, err error) {
	var re *ram.Error
	var ie *iam.Error
	switch {
	case errors.As(err, &re):
		s.fail(w, c, re.Status, re.Code, re.Message)
	case errors.As(err, &ie) && ie.Status == http.StatusForbidden:
		s.fail(w, c, http.StatusForbidden, ram.CodeAccessDenied, ie.Message)
	case errors.As(err, &ie):
		s.fail(w, c, ie.Status, ie.Code, ie.Message)
	default:
		s.log.Error("ram call failed", "request_id", c.RequestID, "route", c.Action, "err", err)
		s.fail(w, c, http.StatusInternalServerError, "ServerInternalException", "kafkalink could not complete the request.")
	}
}

// decodeRAMInput reads an operation's JSON input strictly: anything but
// an object of the operation's members, with their types, is an
// InvalidParameterException.
func decodeRAMInput(c *Call, v any) error {
	if why := bodyProblem(c.Body, v); why != "" {
		return &ram.Error{Code: ram.CodeInvalidParameter, Message: "The request body is not valid: " + why, Status: http.StatusBadRequest}
	}
	return nil
}

// Pagination: a nextToken is the offset of the next page.

const ramMaxResults = 500

func ramPage(maxResults *int, token string, n int) (from, to int, next string, err error) {
	size := ramMaxResults
	if maxResults != nil {
		if size = *maxResults; size < 1 || size > ramMaxResults {
			return 0, 0, "", &ram.Error{Code: ram.CodeInvalidParameter, Status: http.StatusBadRequest,
				Message: fmt.Sprintf("maxResults must be between 1 and %d.", ramMaxResults)}
		}
	}
	from, to, next, ok := offsetPage(token, size, n)
	if !ok {
		return 0, 0, "", &ram.Error{Code: ram.CodeInvalidNextToken, Message: "The specified value for nextToken is not valid.", Status: http.StatusBadRequest}
	}
	return from, to, next, nil
}

// ramListPage answers a list operation: the page of all that maxResults
// and token select, each as toJSON writes it, under key.
func ramListPage[T any](key string, all []T, maxResults *int, token string, toJSON func(T) map[string]any) (any, error) {
	from, to, next, err := ramPage(maxResults, token, len(all))
	if err != nil {
		return nil, err
	}
	out := map[string]any{key: jsonItems(all[from:to], toJSON)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// ramTime is a timestamp as rest-json writes it: epoch seconds.
func ramTime(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// Shapes.

type ramTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func shareJSON(sh ram.Share) map[string]any {
	tags := []any{}
	for _, t := range sh.Tags {
		tags = append(tags, ramTag{t.Key, t.Value})
	}
	return map[string]any{
		"resourceShareArn": sh.ARN, "name": sh.Name, "owningAccountId": sh.Owner, "allowExternalPrincipals": sh.AllowExternalPrincipals,
		"status": sh.Status, "tags": tags, "creationTime": ramTime(sh.Created), "lastUpdatedTime": ramTime(sh.Updated), "featureSet": "STANDARD",
	}
}

func invitationJSON(v ram.InvitationView) map[string]any {
	return map[string]any{
		"resourceShareInvitationArn": v.ARN, "resourceShareName": v.ShareName, "resourceShareArn": v.ShareARN,
		"senderAccountId": v.Sender, "receiverAccountId": v.Receiver, "invitationTimestamp": ramTime(v.Sent), "status": v.Status,
	}
}

func ramAssociationJSON(v ram.AssociationView) map[string]any {
	out := map[string]any{
		"resourceShareArn": v.ShareARN, "resourceShareName": v.ShareName, "associatedEntity": v.Entity, "associationType": v.Type,
		"status": v.Status, "creationTime": ramTime(v.Created), "lastUpdatedTime": ramTime(v.Updated), "external": v.External,
	}
	if v.Message != "" {
		out["statusMessage"] = v.Message
	}
	return out
}

func withToken(out map[string]any, token string) map[string]any {
	if token != "" {
		out["clientToken"] = token
	}
	return out
}

// Operations.

func (s *ramService) createShare(c *Call) (any, error) {
	var in struct {
		Name                       string          `json:"name"`
		ResourceArns               []string        `json:"resourceArns"`
		Principals                 []string        `json:"principals"`
		Tags                       []ramTag        `json:"tags"`
		AllowExternalPrincipals    *bool           `json:"allowExternalPrincipals"`
		ClientToken                string          `json:"clientToken"`
		PermissionArns             []string        `json:"permissionArns"`
		Sources                    []string        `json:"sources"`
		ResourceShareConfiguration json.RawMessage `json:"resourceShareConfiguration"`
	}
	if err := decodeRAMInput(c, &in); err != nil {
		return nil, err
	}
	switch {
	case len(in.PermissionArns) > 0:
		return nil, &ram.Error{Code: ram.CodeInvalidParameter, Status: http.StatusBadRequest,
			Message: "kafkalink's resource shares grant the default permission of each resource type: leave out permissionArns."}
	case len(in.Sources) > 0:
		return nil, &ram.Error{Code: ram.CodeInvalidParameter, Status: http.StatusBadRequest, Message: "kafkalink shares resources, not service principals' sources: leave out sources."}
	}
	var tags []ram.Tag
	for _, t := range in.Tags {
		tags = append(tags, ram.Tag{Key: t.Key, Value: t.Value})
	}
	sh, err := s.ram.CreateShare(c.Ctx, c.Caller, ram.CreateShareInput{Name: in.Name, ResourceARNs: in.ResourceArns, Principals: in.Principals,
		AllowExternal: in.AllowExternalPrincipals, Tags: tags, ClientToken: in.ClientToken})
	if err != nil {
		return nil, err
	}
	return withToken(map[string]any{"resourceShare": shareJSON(sh)}, in.ClientToken), nil
}

func (s *ramService) getShares(c *Call) (any, error) {
	var in struct {
		ResourceShareArns   []string `json:"resourceShareArns"`
		ResourceShareStatus string   `json:"resourceShareStatus"`
		Owner               string   `json:"resourceOwner"`
		Name                string   `json:"name"`
		TagFilters          []struct {
			TagKey    string   `json:"tagKey"`
			TagValues []string `json:"tagValues"`
		} `json:"tagFilters"`
		NextToken         string `json:"nextToken"`
		MaxResults        *int   `json:"maxResults"`
		PermissionArn     string `json:"permissionArn"`
		PermissionVersion *int   `json:"permissionVersion"`
	}
	if err := decodeRAMInput(c, &in); err != nil {
		return nil, err
	}
	f := ram.SharesFilter{Owner: in.Owner, ARNs: in.ResourceShareArns, Status: in.ResourceShareStatus, Name: in.Name, PermissionARN: in.PermissionArn}
	for _, t := range in.TagFilters {
		f.TagFilters = append(f.TagFilters, ram.TagFilter{Key: t.TagKey, Values: t.TagValues})
	}
	all, err := s.ram.GetShares(c.Ctx, c.Caller, f)
	if err != nil {
		return nil, err
	}
	return ramListPage("resourceShares", all, in.MaxResults, in.NextToken, shareJSON)
}

func (s *ramService) getInvitations(c *Call) (any, error) {
	var in struct {
		ResourceShareInvitationArns []string `json:"resourceShareInvitationArns"`
		ResourceShareArns           []string `json:"resourceShareArns"`
		NextToken                   string   `json:"nextToken"`
		MaxResults                  *int     `json:"maxResults"`
	}
	if err := decodeRAMInput(c, &in); err != nil {
		return nil, err
	}
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > ramMaxResults) {
		return nil, &ram.Error{Code: ram.CodeInvalidMaxResults, Status: http.StatusBadRequest, Message: fmt.Sprintf("maxResults must be between 1 and %d.", ramMaxResults)}
	}
	all, err := s.ram.Invitations(c.Ctx, c.Caller, in.ResourceShareInvitationArns, in.ResourceShareArns)
	if err != nil {
		return nil, err
	}
	return ramListPage("resourceShareInvitations", all, in.MaxResults, in.NextToken, invitationJSON)
}

type ramInvitationInput struct {
	ResourceShareInvitationArn string `json:"resourceShareInvitationArn"`
	ClientToken                string `json:"clientToken"`
}

// answerInvitation answers the invitation its input names as respond
// leaves it.
func (s *ramService) answerInvitation(c *Call, respond func(ctx context.Context, caller iam.Caller, arn string) (ram.InvitationView, error)) (any, error) {
	var in ramInvitationInput
	if err := decodeRAMInput(c, &in); err != nil {
		return nil, err
	}
	v, err := respond(c.Ctx, c.Caller, in.ResourceShareInvitationArn)
	if err != nil {
		return nil, err
	}
	return withToken(map[string]any{"resourceShareInvitation": invitationJSON(v)}, in.ClientToken), nil
}

func (s *ramService) acceptInvitation(c *Call) (any, error) {
	return s.answerInvitation(c, s.ram.AcceptInvitation)
}

func (s *ramService) rejectInvitation(c *Call) (any, error) {
	return s.answerInvitation(c, s.ram.RejectInvitation)
}

type ramChangeInput struct {
	ResourceShareArn string   `json:"resourceShareArn"`
	ResourceArns     []string `json:"resourceArns"`
	Principals       []string `json:"principals"`
	ClientToken      string   `json:"clientToken"`
	Sources          []string `json:"sources"`
}

func (s *ramService) change(c *Call, apply func(ctx context.Context, caller iam.Caller, arn string, ch ram.Change) ([]ram.AssociationView, error)) (any, error) {
	var in ramChangeInput
	if err := decodeRAMInput(c, &in); err != nil {
		return nil, err
	}
	if len(in.Sources) > 0 {
		return nil, &ram.Error{Code: ram.CodeInvalidParameter, Status: http.StatusBadRequest, Message: "kafkalink shares resources, not service principals' sources: leave out sources."}
	}
	views, err := apply(c.Ctx, c.Caller, in.ResourceShareArn, ram.Change{ResourceARNs: in.ResourceArns, Principals: in.Principals})
	if err != nil {
		return nil, err
	}
	return withToken(map[string]any{"resourceShareAssociations": jsonItems(views, ramAssociationJSON)}, in.ClientToken), nil
}

func (s *ramService) associateShare(c *Call) (any, error) {
	return s.change(c, s.ram.AssociateShare)
}

func (s *ramService) disassociateShare(c *Call) (any, error) {
	return s.change(c, s.ram.DisassociateShare)
}

func (s *ramService) deleteShare(c *Call) (any, error) {
	q := c.Request.URL.Query()
	for k := range q {
		if k != "resourceShareArn" && k != "clientToken" {
			return nil, &ram.Error{Code: ram.CodeInvalidParameter, Status: http.StatusBadRequest, Message: "Unknown query parameter " + strconv.Quote(k) + "."}
		}
	}
	if len(bytes.TrimSpace(c.Body)) > 0 {
		return nil, &ram.Error{Code: ram.CodeInvalidParameter, Status: http.StatusBadRequest, Message: "DeleteResourceShare takes no request body."}
	}
	token := q.Get("clientToken")
	if err := s.ram.DeleteShare(c.Ctx, c.Caller, q.Get("resourceShareArn")); err != nil {
		return nil, err
	}
	return withToken(map[string]any{"returnValue": true}, token), nil
}

func (s *ramService) listResources(c *Call) (any, error) {
	var in struct {
		Owner               string   `json:"resourceOwner"`
		Principal           string   `json:"principal"`
		ResourceType        string   `json:"resourceType"`
		ResourceArns        []string `json:"resourceArns"`
		ResourceShareArns   []string `json:"resourceShareArns"`
		NextToken           string   `json:"nextToken"`
		MaxResults          *int     `json:"maxResults"`
		ResourceRegionScope string   `json:"resourceRegionScope"`
	}
	if err := decodeRAMInput(c, &in); err != nil {
		return nil, err
	}
	all, err := s.ram.ListResources(c.Ctx, c.Caller, ram.ResourcesFilter{Owner: in.Owner, Principal: in.Principal, ResourceType: in.ResourceType,
		ResourceARNs: in.ResourceArns, ShareARNs: in.ResourceShareArns, RegionScope: in.ResourceRegionScope})
	if err != nil {
		return nil, err
	}
	return ramListPage("resources", all, in.MaxResults, in.NextToken, func(r ram.ResourceView) map[string]any {
		return map[string]any{"arn": r.ARN, "type": r.Type, "resourceShareArn": r.ShareARN, "status": r.Status,
			"creationTime": ramTime(r.Created), "lastUpdatedTime": ramTime(r.Updated), "resourceRegionScope": "REGIONAL"}
	})
}

func (s *ramService) getAssociations(c *Call) (any, error) {
	var in struct {
		AssociationType   string   `json:"associationType"`
		ResourceShareArns []string `json:"resourceShareArns"`
		ResourceArn       string   `json:"resourceArn"`
		Principal         string   `json:"principal"`
		AssociationStatus string   `json:"associationStatus"`
		NextToken         string   `json:"nextToken"`
		MaxResults        *int     `json:"maxResults"`
	}
	if err := decodeRAMInput(c, &in); err != nil {
		return nil, err
	}
	all, err := s.ram.ShareAssociations(c.Ctx, c.Caller, ram.Associations{Type: in.AssociationType, ShareARNs: in.ResourceShareArns,
		ResourceARN: in.ResourceArn, Principal: in.Principal, Status: in.AssociationStatus})
	if err != nil {
		return nil, err
	}
	return ramListPage("resourceShareAssociations", all, in.MaxResults, in.NextToken, ramAssociationJSON)
}
