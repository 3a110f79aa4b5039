#!/usr/bin/env bash
# Fuzzes every webhook parser and signature verifier for a bounded time each.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      # default: 60 s, every target
#
# Not part of the test command or CI (a minute per target is too slow for it); see README.md.
# Each target's corpus grows under ~/.cache/chatdrop/fuzz-corpus/<target> (the committed seeds
# in fuzz/seeds/<target> are read, never written); a crash is saved by libFuzzer to
# fuzz/artifacts/<target>/ (git-ignored) and the script goes on to the next target, then exits
# non-zero naming the targets that crashed.
set -uo pipefail
cd "$(dirname "$0")"

duration="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(whatsapp telegram messenger line viber wechat sms kakao kakao_channel stripe)
fi

# cargo fuzz instruments through unstable rustc flags (-Zsanitizer=address and the like);
# RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them, so no nightly is needed.
export RUSTC_BOOTSTRAP=1
# Outside the repository, and apart from the main build's target dir (other flags, other
# artifacts: sharing it would rebuild both each time).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chatdrop/fuzz-target}"
corpus_root="${FUZZ_CORPUS:-$HOME/.cache/chatdrop/fuzz-corpus}"

dictionary() {
    case "$1" in
        wechat) echo dicts/xml.dict ;;
        sms) echo dicts/form.dict ;;
        *) echo dicts/json.dict ;;
    esac
}

cargo fuzz build || exit 1
crashed=()
for target in "${targets[@]}"; do
    mkdir -p "$corpus_root/$target"
    echo "=== $target: ${duration}s"
    if ! cargo fuzz run "$target" "$corpus_root/$target" "seeds/$target" -- \
        -max_total_time="$duration" -dict="$(dictionary "$target")" \
        -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
        crashed+=("$target")
    fi
done
if [ ${#crashed[@]} -gt 0 ]; then
    echo "crashed: ${crashed[*]} (inputs in fuzz/artifacts/<target>/)" >&2
    exit 1
fi
echo "no crash in ${targets[*]}"
