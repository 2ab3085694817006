#!/usr/bin/env bash
# Starts a local CUPS scheduler (if none runs) with a PDF virtual printer, XinfangPDF, so the
# print test sends real jobs through CUPS and finds the printed file. cups-pdf writes each job
# to $HOME/PDF of the submitting user. Needs root (or a user allowed to run cupsd and lpadmin).
set -euo pipefail

# `lpstat -r` exits 0 whether or not the scheduler runs; only its words tell.
running() { lpstat -r 2>/dev/null | grep -q '^scheduler is running'; }

if ! running; then
  # No systemd in containers and CI images: run the daemon directly; it forks into the background.
  cupsd
  for _ in $(seq 1 100); do running && break; sleep 0.1; done
  running || { echo "cupsd did not start" >&2; exit 1; }
fi
if ! lpstat -v XinfangPDF >/dev/null 2>&1; then
  lpadmin -p XinfangPDF -E -v cups-pdf:/ -P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd
fi
lpstat -v XinfangPDF
