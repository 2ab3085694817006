"""UI benchmark (not a test): cold start to the first interactive screen, and resident memory
after signing in and opening the case list of a 100k-case register, for the desktop window
(WebKitGTK via tauri-driver) next to browser mode (xinfang serve + Chromium via chromedriver),
measured in the same run. Run through tests/desktop/bench_ui.sh."""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from window_test import KEY_ENTER, WebDriver  # noqa: E402


def tree(root_pid):
    """A process and all its descendants, as (pid, name, RSS in kB), from one `ps`."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,rss=,comm="], capture_output=True, text=True).stdout
    children, rows = {}, {}
    for line in out.split("\n"):
        parts = line.split(None, 3)
        if len(parts) == 4:
            pid, ppid, kb = map(int, parts[:3])
            children.setdefault(ppid, []).append(pid)
            rows[pid] = (pid, parts[3], kb)
    found, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        if pid in rows:
            found.append(rows[pid])
        stack.extend(children.get(pid, []))
    return found


def pss_kb(pid):
    """Proportional set size of one process: shared library pages are split between the
    processes that map them instead of being counted once per process, as RSS sums do. None
    when the process has gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return sum(int(l.split()[1]) for l in f if l.startswith("Pss:"))
    except OSError:
        return None


def tree_rss_mb(root_pid):
    """Resident memory of a process and all its descendants, in MB."""
    return sum(kb for _, _, kb in tree(root_pid)) / 1024


def tree_pss_mb(root_pid):
    """Proportional set size of a process tree, in MB."""
    return sum(pss_kb(pid) or 0 for pid, _, _ in tree(root_pid)) / 1024


def tree_pss_by_process(root_pid):
    """PSS of each process in a tree, as (name, MB), largest first: where the memory is."""
    rows = [(name, kb / 1024) for pid, name, _ in tree(root_pid) if (kb := pss_kb(pid)) is not None]
    return sorted(rows, key=lambda r: -r[1])


def pid_of(pattern, oldest=False):
    """The newest (or oldest) process whose command line matches `pattern`."""
    flag = "-o" if oldest else "-n"
    out = subprocess.run(["pgrep", flag, "-f", pattern], capture_output=True, text=True).stdout.strip()
    return int(out) if out else None


def measure(wd, open_url=None):
    started = time.time()
    if open_url:
        wd.s("POST", "/url", {"url": open_url})
    wd.find("input[name=username]", timeout=60)
    interactive = time.time() - started
    wd.type("input[name=username]", "wangfang")
    wd.type("input[name=password]", "demo-pass-2026" + KEY_ENTER)
    wd.wait_text("王芳")
    wd.js("location.hash = '#/matters'")
    wd.wait_text("共 ", timeout=60)
    time.sleep(1.0)
    return interactive


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tauri-port", type=int, required=True)
    p.add_argument("--chrome-port", type=int, required=True)
    p.add_argument("--app", required=True)
    p.add_argument("--server-url", required=True)
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--desktop-only", action="store_true", help="skip browser mode")
    a = p.parse_args()

    t0 = time.time()
    wd = WebDriver(a.tauri_port, a.app)
    session = time.time() - t0
    interactive = measure(wd) + session
    app_pid = pid_of(os.path.basename(a.app))
    desktop_rss = tree_rss_mb(app_pid) if app_pid else float("nan")
    desktop_pss = tree_pss_mb(app_pid) if app_pid else float("nan")
    desktop_parts = tree_pss_by_process(app_pid) if app_pid else []
    wd.quit()
    parts = ", ".join(f"{name} {mb:.0f} MB" for name, mb in desktop_parts)
    if a.desktop_only:
        print(f"desktop window: cold start → interactive {interactive:5.2f} s, "
              f"RSS {desktop_rss:4.0f} MB, PSS {desktop_pss:4.0f} MB ({parts})")
        return

    t0 = time.time()
    caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium",
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1440,900"]}}}}
    bd = WebDriver.__new__(WebDriver)
    bd.base = f"http://127.0.0.1:{a.chrome_port}"
    bd.session = bd._req("POST", "/session", caps)["sessionId"]
    session = time.time() - t0
    browser_interactive = measure(bd, a.server_url) + session
    # Chromium's helpers carry --headless too; the oldest match is the browser at the root of
    # the tree, so renderers and the GPU process are counted under it.
    chrome_pid = pid_of("chromium.*--headless", oldest=True)
    browser_rss = (tree_rss_mb(chrome_pid) if chrome_pid else float("nan")) + tree_rss_mb(a.server_pid)
    browser_pss = (tree_pss_mb(chrome_pid) if chrome_pid else float("nan")) + tree_pss_mb(a.server_pid)
    bd.quit()

    print("UI benchmark — 100 000-case register, sign in, open the case list")
    print(f"  desktop window (WebKitGTK):      cold start → interactive {interactive:5.2f} s, "
          f"memory (app + WebKit processes) RSS {desktop_rss:4.0f} MB, PSS {desktop_pss:4.0f} MB")
    print(f"    PSS by process: {parts}")
    print(f"  browser mode (server + Chromium): cold start → interactive {browser_interactive:5.2f} s, "
          f"memory (server + browser) RSS {browser_rss:4.0f} MB, PSS {browser_pss:4.0f} MB")
    print("  targets: desktop under 1.5 s to interactive and under 200 MB resident")


if __name__ == "__main__":
    main()
