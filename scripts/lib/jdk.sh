# shellcheck shell=bash
# shellcheck disable=SC2034 # HTTPCAP_JAVA_HOME is the result, read by the sourcing script
# Shared by bin/httpcap and scripts/test: pick a JDK whose java is version >= HTTPCAP_MIN_JAVA.
# Source this file, then call `httpcap_select_jdk`; on success it sets HTTPCAP_JAVA_HOME.

HTTPCAP_MIN_JAVA=25
HTTPCAP_JAVA_HOME=""

# Sets HTTPCAP_RELEASE_LINE to the first line of the JDK `release` file $1 that starts with $2
# (e.g. JAVA_VERSION=), or to "" (and returns 1) when there is none; shell builtins only.
httpcap_release_line() {
  local line
  HTTPCAP_RELEASE_LINE=""
  [[ -r $1 ]] || return 1
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == "$2"* ]]; then
      HTTPCAP_RELEASE_LINE=$line
      return 0
    fi
  done <"$1"
  return 1
}

# Sets HTTPCAP_JAVA_MAJOR to the feature version (e.g. 25, 17, 8) of the java binary $1 and
# returns 0, or returns 1 if it has none. Reads JAVA_VERSION from the JDK's `release` file with
# shell builtins when there is one (bin/httpcap runs this on every start, so no process is
# started: starting a JVM only to ask its version would cost a whole JVM start); runs
# `java -version` otherwise.
httpcap_java_major_of() {
  local java=$1 line="" ver release
  HTTPCAP_JAVA_MAJOR=""
  [[ -x $java ]] || return 1
  release=${java%/bin/java}/release
  if [[ $release != "$java" ]] && httpcap_release_line "$release" 'JAVA_VERSION="'; then
    line=$HTTPCAP_RELEASE_LINE
  fi
  if [[ -z $line ]]; then
    line=$("$java" -version 2>&1 | grep -m1 -E 'version "[^"]+"') || return 1
  fi
  ver=${line#*\"}
  ver=${ver%%\"*}
  ver=${ver#1.}                # 1.8.0_392 -> 8.0_392
  ver=${ver%%[.+_-]*}          # 25.0.1 / 25-ea / 25+36 -> 25
  [[ $ver =~ ^[0-9]+$ ]] || return 1
  HTTPCAP_JAVA_MAJOR=$ver
}

# Print the feature version of the java binary $1, or nothing (and return 1) if it has none.
httpcap_java_major() {
  httpcap_java_major_of "$1" || return 1
  printf '%s\n' "$HTTPCAP_JAVA_MAJOR"
}

# Sets HTTPCAP_JAVA_HOME to $JAVA_HOME if its java is new enough, else to the newest JDK
# (>= HTTPCAP_MIN_JAVA) under /usr/lib/jvm. Returns 1 when there is none.
httpcap_select_jdk() {
  local best="" best_major=0 java home
  HTTPCAP_JAVA_HOME=""
  if [[ -n ${JAVA_HOME:-} ]] && httpcap_java_major_of "$JAVA_HOME/bin/java" &&
      (( HTTPCAP_JAVA_MAJOR >= HTTPCAP_MIN_JAVA )); then
    HTTPCAP_JAVA_HOME=$JAVA_HOME
    return 0
  fi
  for java in /usr/lib/jvm/*/bin/java; do
    httpcap_java_major_of "$java" || continue
    home=${java%/bin/java}
    if (( HTTPCAP_JAVA_MAJOR >= HTTPCAP_MIN_JAVA && HTTPCAP_JAVA_MAJOR > best_major )); then
      best=$home
      best_major=$HTTPCAP_JAVA_MAJOR
    fi
  done
  [[ -n $best ]] || return 1
  HTTPCAP_JAVA_HOME=$best
}

httpcap_no_jdk_message() {
  echo "httpcap: needs a Java ${HTTPCAP_MIN_JAVA} or newer JDK; set JAVA_HOME or install one under /usr/lib/jvm" >&2
}
