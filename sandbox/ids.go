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
type idKind struct {
	prefix        string
	malformedCode string
}

var (
	vpcIDs        = idKind{"vpc", "InvalidVpcId.Malformed"}
	subnetIDs     = idKind{"subnet", "InvalidSubnetID.Malformed"}
	routeTableIDs = idKind{"rtb", "InvalidRouteTableId.Malformed"}
	groupIDs      = idKind{"sg", "InvalidGroupId.Malformed"}
	endpointIDs   = idKind{"vpce", "InvalidVpcEndpointId.Malformed"}
	eniIDs        = idKind{"eni", "InvalidNetworkInterfaceId.Malformed"}
	instanceIDs   = idKind{"i", "InvalidInstanceID.Malformed"}
	prefixListIDs = idKind{"pl", "InvalidPrefixListId.Malformed"}
)

// wellFormed reports whether id has the form of the kind's ids.
func (k idKind) wellFormed(id string) bool { return wellFormed(k.prefix, id) }

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
