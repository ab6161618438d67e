# Sourced by the ensure scripts beside it (ensure-chromium.sh and its siblings): nothing
# downloads what a test needs any other way than Debian's packages. `install_test_packages WHY
# APT_ARGS...` installs them with apt-get when this runs as root (CI) and returns 0; otherwise it
# returns 1, and the caller says what to do.
install_test_packages() {
  local why="$1"
  shift
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then return 1; fi
  local names=()
  for a in "$@"; do [[ "$a" == -* ]] || names+=("$a"); done
  echo "${names[0]} is missing: installing Debian's ${names[*]} with apt-get ($why)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
