package screentext

import "testing"

func TestNormalise(t *testing.T) {
	in := "\x1b[32m✓\x1b[0m ecr.dkr  vpce-0a1b2c3d4e5f60718  available [12.3s]  10.0.0.11 \n" +
		"checked 20:22:32 · run 03d7eb573d · sha256:9c23411ecea11a987d1dfc98236b64440a7522a36aa89b78cb10098c8cd383ed   \n" +
		"i-\n8a20ff19d56a88364 ▝ ▗ • $0.07 so far · next look in 7s\n\n"
	want := "✓ ecr.dkr  vpce-xxxxxxxxxxxxxxxxx  available [0000s]  n.n.n.n\n" +
		"checked hh:mm:ss · run RUNID00000 · sha256:" + "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" + "\n" +
		"i-\nxxxxxxxxxxxxxxxxx ▖ ▖ • $n.nn so far · next look in ns"
	in += "$0.02/h · 3h59m left · Expires at 12:41 (in 12m) · 40s left"
	want += "\n\n$0.02/h · nhnnm left · Expires at nn:nn (in nnm) · nns left"
	in += "\n(aws --endpoint-url http://127.0.0.1:35791 ec2 create-route-table"
	want += "\n(aws --endpoint-url http://n.n.n.n:nnnnn ec2 create-route-table"
	if got := Normalise(in); got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}
