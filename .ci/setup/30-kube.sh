# Real Kubernetes control planes for tests: builds etcd and the Kubernetes binaries once
# (cached under ${BERTH_CACHE_DIR:-$HOME/.cache/berth}/kube/, shared by every clone on the
# machine) and tells the tests where they are. Fails, with build.sh's one sentence, when it
# cannot build; tests never skip for want of a cluster.
BERTH_KUBE_BIN="$(test/clusters/build.sh | tail -1)"
export BERTH_KUBE_BIN
echo "kube binaries: ${BERTH_KUBE_BIN}"
# What the nodes run besides Kubernetes: CoreDNS (the cluster DNS) and the test responder, built
# once the same way under ${BERTH_CACHE_DIR:-$HOME/.cache/berth}/node-tools/.
BERTH_NODE_TOOLS_BIN="$(test/clusters/build-node-tools.sh | tail -1)"
export BERTH_NODE_TOOLS_BIN
echo "node tools: ${BERTH_NODE_TOOLS_BIN}"
# kube-router, the test nodes' NetworkPolicy enforcer, cached the same way (test/clusters/build-netpol.sh).
BERTH_KUBE_ROUTER_BIN="$(test/clusters/build-netpol.sh | tail -1)"
export BERTH_KUBE_ROUTER_BIN
echo "kube-router: ${BERTH_KUBE_ROUTER_BIN}"
