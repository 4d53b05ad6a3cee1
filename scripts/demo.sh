#!/usr/bin/env bash
# `make demo`: start Dockyard, publish examples/profileapp as a local git repository, point the
# spec's GitHub source at it with git's url.insteadOf, deploy the unmodified config/app.yaml,
# and print the live URL. Running it again commits any change and redeploys (harmless).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DOCKYARD=$ROOT/.venv/bin/dockyard
HOME_DIR=${DOCKYARD_HOME:-$HOME/.dockyard}
REPO=$HOME_DIR/demo/profileapp
GITHUB_URL=https://github.com/example/profileapp.git

say() { printf -- '-----> %s\n' "$*"; }

say "Starting Dockyard (DOCKYARD_HOME=$HOME_DIR)"
"$DOCKYARD" up

say "Publishing examples/profileapp as a git repository at $REPO"
mkdir -p "$REPO"
[ -d "$REPO/.git" ] || git -C "$REPO" init -q -b main
# Mirror the example (without local databases and build output) into the repository.
( cd examples/profileapp && git ls-files --cached --others --exclude-standard -z 2>/dev/null \
    || find . -type f -print0 ) | (cd examples/profileapp && xargs -0 tar -cf -) \
  | tar -xf - -C "$REPO"
git -C "$REPO" add -A
if ! git -C "$REPO" diff --cached --quiet 2>/dev/null || ! git -C "$REPO" rev-parse -q --verify HEAD >/dev/null; then
  git -C "$REPO" -c user.name=Dockyard -c user.email=demo@dockyard.invalid \
    commit -q -m "ProfileApp from examples/profileapp"
fi
say "Commit $(git -C "$REPO" rev-parse --short HEAD)"

say "git: $GITHUB_URL -> $REPO (url.insteadOf in your global git config)"
git config --global --replace-all "url.$REPO.insteadOf" "$GITHUB_URL"

say "Deploying examples/profileapp/config/app.yaml"
"$DOCKYARD" apps create --spec examples/profileapp/config/app.yaml --upsert --update-sources --wait \
  --format ID,Spec.Name,DefaultIngress
URL=$("$DOCKYARD" apps get profileapp --format DefaultIngress --no-header)
say "ProfileApp is live at $URL  (static files: $URL/static/css/style.css)"
