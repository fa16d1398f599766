package ui

import "ecr-vpce-lab/steps"

// screenID is one screen of the walk, in order.
type screenID int

const (
	scrPreflight screenID = iota
	scrWorkspace
	scrSecurityGroup
	scrIngress
	scrPolicy
	scrEndpoints
	scrDNS
	scrPush
	scrList
	scrFinish
	numScreens
)

// screenInfo is a screen's fixed words: its title in the step list, the
// short explanation that opens it, and the hint behind h. All of it is
// written for this tool, for a learner seeing the idea for the first time.
type screenInfo struct {
	title string
	intro string
	hint  string
	// steps are the engine steps Enter runs on this screen, in order.
	steps []steps.StepID
}

var screens = [numScreens]screenInfo{
	scrPreflight: {
		title: "Preflight",
		intro: "First the lab finds out who you are and which network your workspace is in. " +
			"Then it checks what would make the endpoints fail later: the VPC's DNS settings, an endpoint that already exists, the repository.",
		hint:  "A red line comes with the fix; press {Fix} to let the lab apply it for you, or fix it yourself and press {Next} to run the checks again ({Check} only looks, and leaves the step as it was).",
		steps: []steps.StepID{steps.StepDiscover, steps.StepPreflight},
	},
	scrWorkspace: {
		title: "Workspace",
		intro: "The workspace's network interface tells its VPC, subnet and security group; the subnet's route table steers its traffic. " +
			"The endpoints go into this subnet, and the S3 gateway into this route table.",
		hint: "When the subnet has no route table of its own, it uses the VPC's main table; the lab notices and uses that one. Press {EditIDs} to pick other IDs.",
	},
	scrSecurityGroup: {
		title: "Security group",
		intro: "An interface endpoint is a network interface in your subnet, and every interface needs a security group. " +
			"ECR_VPCE_SG will guard the ECR endpoints; it starts with no inbound rule at all.",
		hint:  "If ECR_VPCE_SG already exists in the VPC (from an earlier run), the lab reuses it instead of making a second one.",
		steps: []steps.StepID{steps.StepSecurityGroup},
	},
	scrIngress: {
		title: "Ingress rule",
		intro: "Docker and the AWS CLI reach ECR over HTTPS. This rule lets port 443 in, but only from members of the workspace's security group, " +
			"so nothing else in the VPC can use the endpoints.",
		hint:  "Naming a security group as the source, instead of an address range, keeps working when the workspace's address changes.",
		steps: []steps.StepID{steps.StepIngress},
	},
	scrPolicy: {
		title: "Endpoint policy",
		intro: "An endpoint policy is a second gate: a push your IAM role allows is still refused if the endpoint's policy says no. " +
			"This one lets everything through except PutImage on one repository; the table shows what AWS would decide.",
		hint: "One policy on both ECR endpoints is what AWS recommends: ecr.dkr carries pushes and pulls, ecr.api carries logins and listings. " +
			"Press {JSON} to edit the JSON yourself; the lab refuses a policy with errors.",
		steps: []steps.StepID{steps.StepPolicy},
	},
	scrEndpoints: {
		title: "Endpoints",
		intro: "Three endpoints keep ECR traffic inside AWS: ecr.dkr (push, pull) and ecr.api (API calls) as interface endpoints with private DNS, " +
			"and an S3 gateway, since image layers live in S3. Interface endpoints take one to three minutes.",
		hint:  "Interface endpoints are billed per hour and per zone while they exist; the gateway endpoint is free. The header shows what this run has cost so far.",
		steps: []steps.StepID{steps.StepEndpoints},
	},
	scrDNS: {
		title: "Private DNS",
		intro: "With private DNS the usual ECR host names resolve to the endpoints' addresses in your VPC, so Docker needs no new settings. " +
			"The switch can lag behind the endpoints; the lab keeps looking until both names answer privately.",
		hint:  "If the names stay public: the VPC needs both DNS attributes on, custom DHCP options must use the Amazon resolver, and no other private hosted zone may claim the names. Press {Skip} to go on without waiting.",
		steps: []steps.StepID{steps.StepDNS},
	},
	scrPush: {
		title: "Push test",
		intro: "The proof: the lab pushes the copy of team-a/alpine:v1 it keeps on this machine, in its state directory, as team-a/alpine:v2. " +
			"The repository already holds every layer, so only the last step is at stake: writing the manifest (ecr:PutImage). " +
			"The policy denies exactly that, so the registry should refuse it.",
		hint:  "Press {Policy} to change the policy and run the tests again: watch the same push go through once the Deny is gone.",
		steps: []steps.StepID{steps.StepPush},
	},
	scrList: {
		title: "List test",
		intro: "Listing images goes through ecr.api and nothing denies it, so it should work. Pulling v1 through ecr.dkr is allowed too: the policy stops one write, not reads.",
		hint:  "A refused request here would mean the policy denies more than intended; compare with the simulation on the policy screen.",
		steps: []steps.StepID{steps.StepList, steps.StepPull},
	},
	scrFinish: {
		title: "Finish",
		// Its opening words are finishSentence's: what the run showed,
		// and what it bills where it runs.
		hint: "Press {Teardown} to remove everything now. Press {Quit} to leave it running; run '{Again}' again to come back, or '{Down}' to clean up later.",
	},
}
