#!/usr/bin/env bash
# Install what tests/test_owlapi.py needs, only if it is missing (idempotent):
# a JDK (javac compiles tests/owlapi/CheckOntology.java) and the OWL API
# (Debian's libowlapi-java, the library Protégé is built on, plus its jars).
set -euo pipefail

need=()
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
[[ -f /usr/share/java/owlapi-distribution.jar ]] || need+=(libowlapi-java)

if (( ${#need[@]} == 0 )); then
  echo "install-java.sh: javac and the OWL API are already installed"
  exit 0
fi

echo "install-java.sh: installing ${need[*]}"
if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Fail here, not later in the tests, if something is still missing.
command -v javac >/dev/null
bash "$(dirname "${BASH_SOURCE[0]}")/../tests/owlapi/owlapi_classpath.sh" >/dev/null
echo "install-java.sh: done"
