#!/usr/bin/env sh
# Optional tools for evidence processing, from Debian's packages: ffmpeg (video duration, poster frames,
# metadata-free video copies) and libheif-examples (heif-convert, for iPhone HEIC photos). Gridline runs
# without them (placeholders stand in); with them every upload gets real copies. Needs root (or sudo).
set -eu
if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 && { command -v heif-convert >/dev/null 2>&1 || command -v heif-dec >/dev/null 2>&1; }; then
  echo "ffmpeg and heif-convert are installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends ffmpeg libheif-examples >/dev/null 2>&1 ||
  { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends ffmpeg libheif-examples >/dev/null; }
echo "installed ffmpeg and libheif-examples"
