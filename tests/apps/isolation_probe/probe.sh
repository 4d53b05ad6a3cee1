#!/usr/bin/env bash
# Tries, as an attacker in an app would, to read what belongs to the platform or to another
# app, and to write where it must not. Prints one line per attempt:
#   PROBE <stage> READ|WROTE <path>     the attempt succeeded (a hole)
#   PROBE <stage> DENIED <path>         it failed
# PROBE_READ and PROBE_WRITE are newline-separated host paths (set in the spec by the test).
stage=${1:-unknown}
while IFS= read -r path; do
  [ -n "$path" ] || continue
  if head -c 1 -- "$path" >/dev/null 2>&1 || ls -- "$path" >/dev/null 2>&1; then
    echo "PROBE $stage READ $path"
  else
    echo "PROBE $stage DENIED $path"
  fi
done <<< "$PROBE_READ"
while IFS= read -r path; do
  [ -n "$path" ] || continue
  if ( echo pwned > "$path/pwned" ) 2>/dev/null; then
    echo "PROBE $stage WROTE $path"
  else
    echo "PROBE $stage DENIED $path"
  fi
done <<< "$PROBE_WRITE"
# Also walk up from here, as the reproduction in the issue did.
dir=$PWD
for _ in 1 2 3 4 5 6 7 8; do
  dir=$(dirname "$dir")
  for name in admin.token secrets.key dockyard.db; do
    if [ -r "$dir/$name" ]; then echo "PROBE $stage READ $dir/$name"; fi
  done
done
echo "PROBE $stage uid=$(id -u) done"
