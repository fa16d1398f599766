package sandbox

import "strings"

// An EC2 resource id is PREFIX-8 or PREFIX-17 lowercase hex digits. A
// request naming an id of the wrong form is refused as malformed before
// anything is looked up, with the code of its kind. AWS's casing of these
// codes is uneven (the wire says InvalidVpcId.Malformed where the error
// list says InvalidVpcID.Malformed, yet InvalidSubnetID.Malformed), and
// its wording depends on the API's generation: classic EC2 calls say
// `Invalid id: "x" (expecting "vpc-...")`, PrivateLink's VPC endpoint calls
// `Invalid Id: 'x' (expecting 'vpc-...; the Id may only contain lowercase
// alphanumeric characters and a single dash')`. The conformance table
// (conformance_test.go) names the captures each comes from.
//
// An id of the right form that names nothing is refused as not found,
// again with a code and a sentence of its kind's own (PrivateLink's has its
// own spacing and no full stop). Rule ids are looked up, never checked for
// their form.
type idKind struct {
	prefix        string
	malformedCode string
	notFoundCode  string
	missing       string // the NotFound sentence, with %s for the id
}

var (
	vpcIDs        = idKind{"vpc", "InvalidVpcId.Malformed", "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist"}
	subnetIDs     = idKind{"subnet", "InvalidSubnetID.Malformed", "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist"}
	routeTableIDs = idKind{"rtb", "InvalidRouteTableId.Malformed", "InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist"}
	groupIDs      = idKind{"sg", "InvalidGroupId.Malformed", "InvalidGroup.NotFound", "The security group '%s' does not exist"}
	endpointIDs   = idKind{"vpce", "InvalidVpcEndpointId.Malformed", "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '%s' does not exist"}
	eniIDs        = idKind{"eni", "InvalidNetworkInterfaceId.Malformed", "InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist"}
	instanceIDs   = idKind{"i", "InvalidInstanceID.Malformed", "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist"}
	ruleIDs       = idKind{prefix: "sgr", notFoundCode: "InvalidSecurityGroupRuleId.NotFound", missing: "The security group rule ID '%s' does not exist"}
	prefixListIDs = idKind{"pl", "InvalidPrefixListId.Malformed", "InvalidPrefixListID.NotFound", "The prefix list ID '%s' does not exist"}
)

// wellFormed reports whether id has the form of the kind's ids.
func (k idKind) wellFormed(id string) bool { return wellFormed(k.prefix, id) }

// notFound is the refusal of a well-formed id that names nothing.
func (k idKind) notFound(id string) *APIError { return badRequest(k.notFoundCode, k.missing, id) }

// unknown is the refusal of an id that names nothing, in a classic EC2
// call: malformed when it has not the kind's form, else not found.
func (k idKind) unknown(id string) *APIError {
	if !k.wellFormed(id) {
		return k.malformed(id)
	}
	return k.notFound(id)
}

// unknownPL is unknown in a PrivateLink (VPC endpoint) call.
func (k idKind) unknownPL(id string) *APIError {
	if !k.wellFormed(id) {
		return k.malformedPL(id)
	}
	return k.notFound(id)
}

// malformed is the refusal of a classic EC2 call.
func (k idKind) malformed(id string) *APIError {
	return badRequest(k.malformedCode, "Invalid id: \"%s\" (expecting \"%s-...\")", id, k.prefix)
}

// malformedPL is the refusal of a PrivateLink (VPC endpoint) call.
func (k idKind) malformedPL(id string) *APIError {
	return badRequest(k.malformedCode, "Invalid Id: '%s' (expecting '%s-...; the Id may only contain lowercase alphanumeric characters and a single dash')", id, k.prefix)
}

func wellFormed(prefix, id string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"-")
	if !ok || (len(rest) != 8 && len(rest) != 17) {
		return false
	}
	return strings.Trim(rest, "0123456789abcdef") == ""
}
