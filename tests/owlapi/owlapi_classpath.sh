#!/usr/bin/env bash
# Print the Java classpath for the OWL API installed by Debian's libowlapi-java
# (Debian 12: OWL API 5.1.20) and the jars of the packages it depends on.
# Debian's jars carry no Class-Path manifest entries, so the list is spelled out
# here, using the unversioned names Debian installs as stable symlinks/files.
# Exits 1 (naming the missing jars on stderr) if any jar is absent.
set -euo pipefail

dir="${OWLAPI_JAVA_DIR:-/usr/share/java}"

jars=(
  # All OWL API modules (api, impl, parsers, rio, tools, ...) in one jar.
  owlapi-distribution
  # Direct runtime dependencies (Depends: of libowlapi-java).
  guava caffeine hppcrt jsr305 atinject-jsr330-api
  commons-io commons-codec commons-logging commons-rdf-api commons-rdf-simple
  jackson-core jackson-databind jackson-annotations
  httpclient httpcore xz
  rdf4j-util rdf4j-model-api rdf4j-model rdf4j-model-vocabulary
  rdf4j-rio-api rdf4j-rio-datatypes rdf4j-rio-languages rdf4j-rio-rdfxml
  rdf4j-rio-turtle rdf4j-rio-ntriples rdf4j-rio-nquads rdf4j-rio-n3
  rdf4j-rio-trig rdf4j-rio-trix rdf4j-rio-binary rdf4j-rio-rdfjson
  # Logging: the API plus exactly one binding. CheckOntology.java needs slf4j-jdk14
  # (java.util.logging) to capture the parser's "Unparsed triple" messages.
  slf4j-api slf4j-jdk14
)

cp=() missing=()
for j in "${jars[@]}"; do
  if [[ -f "$dir/$j.jar" ]]; then cp+=("$dir/$j.jar"); else missing+=("$j.jar"); fi
done
if (( ${#missing[@]} )); then
  echo "owlapi_classpath.sh: ${#missing[@]} jar(s) missing in $dir (apt-get install libowlapi-java): ${missing[*]:0:5}" >&2
  exit 1
fi
(IFS=:; echo "${cp[*]}")
