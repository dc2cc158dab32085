# Debian packages the tests use. Installs only what is missing, so a machine that has them pays nothing.
# curl: bench/registry.ts moves its 1 GiB blob with it, for Berth and Distribution alike.
# fonts-wqy-zenhei: console screenshots in Chinese show characters, not boxes.
# containerd, runc, busybox-static: the test clusters' real worker nodes and the images they run (test/clusters/README.md).
# iptables, ipset: kube-router, the nodes' NetworkPolicy enforcer, programs them inside each node's network namespace.
berth_apt_packages=(postgresql chromium skopeo docker-registry curl openssl fonts-wqy-zenhei dnsutils containernetworking-plugins iproute2 containerd runc busybox-static iptables ipset)
berth_missing=()
for p in "${berth_apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || berth_missing+=("$p")
done
if [ ${#berth_missing[@]} -gt 0 ]; then
  echo "installing: ${berth_missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${berth_missing[@]}" >/dev/null
fi
