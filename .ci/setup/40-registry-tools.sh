# Real registry clients and the OCI conformance suite for the registry tests: builds crane, oras
# and the distribution-spec conformance binary once (cached under
# ${BERTH_CACHE_DIR:-$HOME/.cache/berth}/registry-tools/) and tells the tests where they are.
# skopeo and docker-registry (CNCF Distribution 2.8) come from Debian through 00-apt.sh.
BERTH_REGISTRY_TOOLS_BIN="$(test/registry/build-tools.sh | tail -1)"
export BERTH_REGISTRY_TOOLS_BIN
echo "registry tools: ${BERTH_REGISTRY_TOOLS_BIN}"
