# npm ci brings Node 24 in (the node@24 devDependency); nothing else to do before it.
command -v npm >/dev/null || { echo "npm is missing: install Node.js and npm first" >&2; exit 1; }
