package awsops

// The commands a learner types to discover the workspace, as the seed's
// first step does, for the learning pane and transcripts. They are shell
// lines that set the seed's variables (MAC, WORKSPACE_SG_ID, SUBNET_ID,
// VPC_ID, ROUTE_TABLE_ID) from the same sources the lab reads, so they run
// as written on the workspace, and against the sandbox once its export
// lines are loaded (AWS_EC2_METADATA_SERVICE_ENDPOINT points curl at its
// metadata service, as it points the SDK).

// imdsBase is the metadata service: the SDK's override when set, else the
// link-local address every EC2 instance answers on.
const imdsBase = `IMDS=${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}`

// imdsGetLine reads one metadata path, laid out over two lines as the
// learning pane shows commands (one part per line, with continuations).
func imdsGetLine(path string) string {
	return `curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" \` + "\n" + `  "$IMDS/latest/meta-data/` + path + `"`
}

// captured is a shell line that sets variable name to value.
func captured(name, shell, value, comment string) Command {
	return Command{Shell: name + "=$(" + shell + ")", Capture: name, Result: value, Comment: comment}
}

// IMDSCommands are the metadata reads that found ws: an IMDSv2 token, the
// primary interface's MAC, then its security group, subnet and VPC.
func (c *Cloud) IMDSCommands(ws Workspace) []Command {
	return []Command{
		{Shell: imdsBase, Comment: "the instance metadata service (the sandbox's exports point it elsewhere)"},
		{Shell: `TOKEN=$(curl -sf -X PUT "$IMDS/latest/api/token" \` + "\n" + `  -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")`,
			Comment: "an IMDSv2 session token: instances that require v2 refuse requests without one"},
		captured("MAC", imdsGetLine("mac"), ws.MAC, "the instance's primary network interface"),
		captured("WORKSPACE_SG_ID", imdsGetLine("network/interfaces/macs/$MAC/security-group-ids")+" \\\n  | head -n 1", ws.SecurityGroupID, ""),
		captured("SUBNET_ID", imdsGetLine("network/interfaces/macs/$MAC/subnet-id"), ws.SubnetID, ""),
		captured("VPC_ID", imdsGetLine("network/interfaces/macs/$MAC/vpc-id"), ws.VpcID, ""),
	}
}

// GivenIDCommands set the seed's variables from IDs known without the
// metadata service (given by hand off EC2, or found earlier in the run);
// the VPC, when not given, comes from the subnet. comment says where the
// IDs come from.
func (c *Cloud) GivenIDCommands(given, found Workspace, comment string) []Command {
	cmds := []Command{
		{Shell: "SUBNET_ID=" + ShellQuote(found.SubnetID), Capture: "SUBNET_ID", Result: found.SubnetID, Comment: comment},
		{Shell: "WORKSPACE_SG_ID=" + ShellQuote(found.SecurityGroupID), Capture: "WORKSPACE_SG_ID", Result: found.SecurityGroupID},
	}
	if given.VpcID != "" {
		return append(cmds, Command{Shell: "VPC_ID=" + ShellQuote(found.VpcID), Capture: "VPC_ID", Result: found.VpcID})
	}
	return append(cmds, captured("VPC_ID", `aws ec2 describe-subnets --subnet-ids "$SUBNET_ID" \`+"\n"+`  --query 'Subnets[0].VpcId' --output text --region `+c.region,
		found.VpcID, "the subnet's VPC"))
}

// RouteTableCommands find the subnet's route table: the one associated with
// it, and, when there is none (the subnet is only implicitly associated),
// the VPC's main table.
func (c *Cloud) RouteTableCommands(ws Workspace) []Command {
	own := captured("ROUTE_TABLE_ID",
		`aws ec2 describe-route-tables \`+"\n"+`  --filters "Name=association.subnet-id,Values=$SUBNET_ID" \`+"\n"+
			`  --query 'RouteTables[].RouteTableId' --output text --region `+c.region,
		ws.RouteTableID, "the route table associated with the subnet")
	if !ws.RouteTableMain {
		return []Command{own}
	}
	own.Result = "" // it printed nothing: the next line sets the variable
	return []Command{own, captured("ROUTE_TABLE_ID",
		`aws ec2 describe-route-tables \`+"\n"+`  --filters "Name=vpc-id,Values=$VPC_ID" Name=association.main,Values=true \`+"\n"+
			`  --query 'RouteTables[0].RouteTableId' --output text --region `+c.region,
		ws.RouteTableID, "none: the subnet uses the VPC's main route table")}
}

// WhoAmICommand finds the account, as the workshop's ACCOUNT_ID.
func (c *Cloud) WhoAmICommand(account string) Command {
	return captured("ACCOUNT_ID", "aws sts get-caller-identity \\\n  --query Account --output text --region "+c.region, account, "who you are")
}
