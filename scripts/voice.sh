#!/usr/bin/env bash
# Renders the hall's offline announcement segments into assets/voice/ with Debian's espeak-ng
# (Mandarin voice) and sox: 请, 号, 到, the digits, the ticket letters and the words room
# names end in. The board strings them together ("请 A012 号 到 3 号接待室") where the system
# has no Chinese speech voice — common on Linux — so a call is heard without any network.
# Re-run after changing the word list; the files are committed so builds need neither tool.
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/voice
mkdir -p "$out"
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "$tool is needed: apt-get install espeak-ng sox" >&2; exit 1; }
done

render() { # name text
  local raw
  raw="$(mktemp --suffix=.wav)"
  espeak-ng -v cmn -s 150 -p 45 -w "$raw" "$2"
  # 16 kHz mono, leading and trailing silence trimmed, a short gap after each word.
  sox "$raw" -r 16000 -c 1 -b 16 "$out/$1.wav" gain -2 silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse pad 0 0.06
  rm -f "$raw"
}

render qing 请
render hao 号
render dao 到
digits=(零 一 二 三 四 五 六 七 八 九)
for d in "${!digits[@]}"; do render "d$d" "${digits[$d]}"; done
for letter in {A..Z}; do render "l$letter" "$letter"; done
render jiedaishi 接待室
render chuangkou 窗口
render shi 室
render tiaojieshi 调解室
render tanhuashi 谈话室
echo "wrote $(ls "$out"/*.wav | wc -l) segments to $out"
