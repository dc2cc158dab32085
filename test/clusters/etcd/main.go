// Command etcd is upstream etcd's server entry point, built from the module proxy at the
// version k8s.io/kubernetes tests against.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
