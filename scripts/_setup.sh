# Shared by scripts/run and scripts/test: a virtualenv with Puchi and its dependencies, and the
# compiled translation catalogs. Re-running is cheap: pip runs only when pyproject.toml changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

setup_venv() {
  local extras="$1"  # "" or "[test]"
  local stamp=".venv/.installed${extras}"
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "==> installing Python dependencies${extras}"
    .venv/bin/pip install --quiet --disable-pip-version-check -e ".${extras}" 2>&1 \
      | grep -v "is ignored: it is neither a file nor a directory" || true
    .venv/bin/python -c "import flask, rq, puchi" # fail loudly if the install did not work
    touch "$stamp"
  fi
}

system_packages() {
  # libcairo renders the app icons from their SVG (cairosvg); pango lays out receipt PDFs (weasyprint), whose
  # Japanese needs a font with kana and kanji (IPA Gothic; DejaVu covers Latin and Arabic).
  apt_install libcairo2 libpango-1.0-0 libpangoft2-1.0-0 fonts-ipafont-gothic "$@"
}

compile_translations() {
  .venv/bin/pybabel -q compile -d puchi/translations
}

apt_install() {
  # Install Debian packages that are missing (as root, or through sudo).
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> apt-get install ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
