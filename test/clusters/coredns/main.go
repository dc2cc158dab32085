// Command coredns is upstream CoreDNS's server with only the plugins the test clusters' DNS
// uses (kubernetes, and errors, log and ready around it), built from the module proxy. The full
// plugin set would also build cloud SDKs (route53, azure, clouddns) that nothing here needs.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	coremain.Run()
}
