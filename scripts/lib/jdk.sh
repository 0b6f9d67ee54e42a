# shellcheck shell=bash
# shellcheck disable=SC2034 # HTTPCAP_JAVA_HOME is the result, read by the sourcing script
# Shared by bin/httpcap and scripts/test: pick a JDK whose java is version >= HTTPCAP_MIN_JAVA.
# Source this file, then call `httpcap_select_jdk`; on success it sets HTTPCAP_JAVA_HOME.

HTTPCAP_MIN_JAVA=25
HTTPCAP_JAVA_HOME=""

# Print the feature version (e.g. 25, 17, 8) of the java binary $1, or nothing if it does not run.
# Reads JAVA_VERSION from the JDK's `release` file when there is one (starting a JVM only to ask
# its version costs a whole JVM start, on every bin/httpcap run); runs `java -version` otherwise.
httpcap_java_major() {
  local java=$1 line ver release
  [[ -x $java ]] || return 1
  release=$(dirname -- "$(dirname -- "$java")")/release
  line=""
  if [[ -r $release ]]; then
    line=$(grep -m1 -E '^JAVA_VERSION="[^"]+"' "$release") || line=""
  fi
  if [[ -z $line ]]; then
    line=$("$java" -version 2>&1 | grep -m1 -E 'version "[^"]+"') || return 1
  fi
  ver=${line#*\"}
  ver=${ver%%\"*}
  ver=${ver#1.}                # 1.8.0_392 -> 8.0_392
  ver=${ver%%[.+_-]*}          # 25.0.1 / 25-ea / 25+36 -> 25
  [[ $ver =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$ver"
}

# Sets HTTPCAP_JAVA_HOME to $JAVA_HOME if its java is new enough, else to the newest JDK
# (>= HTTPCAP_MIN_JAVA) under /usr/lib/jvm. Returns 1 when there is none.
httpcap_select_jdk() {
  local major best="" best_major=0 java home
  HTTPCAP_JAVA_HOME=""
  if [[ -n ${JAVA_HOME:-} ]]; then
    major=$(httpcap_java_major "$JAVA_HOME/bin/java") || major=0
    if (( major >= HTTPCAP_MIN_JAVA )); then
      HTTPCAP_JAVA_HOME=$JAVA_HOME
      return 0
    fi
  fi
  for java in /usr/lib/jvm/*/bin/java; do
    [[ -x $java ]] || continue
    major=$(httpcap_java_major "$java") || continue
    home=${java%/bin/java}
    if (( major >= HTTPCAP_MIN_JAVA && major > best_major )); then
      best=$home
      best_major=$major
    fi
  done
  [[ -n $best ]] || return 1
  HTTPCAP_JAVA_HOME=$best
}

httpcap_no_jdk_message() {
  echo "httpcap: needs a Java ${HTTPCAP_MIN_JAVA} or newer JDK; set JAVA_HOME or install one under /usr/lib/jvm" >&2
}
