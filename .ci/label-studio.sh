#!/usr/bin/env bash
# Label Studio for the ML-backend tests (tests/test_label_studio_live.py) and the benchmark
# benchmarks/label_studio_al.py: a separate virtual environment, a throwaway data folder
# with the embedded SQLite, one admin user with a known legacy API token, on 127.0.0.1.
#
#   .ci/label-studio.sh install VENV        # pip install label-studio 1.23.x and the SDK
#   .ci/label-studio.sh start VENV DIR PORT # start it; prints the URL once it is healthy
#   .ci/label-studio.sh stop DIR            # stop the one started with DIR
set -euo pipefail

TOKEN="${ACTIVELAB_LS_TOKEN:-activelab-ci-token-0123456789}"
case "$1" in
install)
    venv="$2"
    [ -x "$venv/bin/label-studio" ] && exit 0
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "label-studio==1.23.*" label-studio-sdk
    ;;
start)
    venv="$2"; dir="$3"; port="$4"
    mkdir -p "$dir"
    # Local ML backends and webhooks are refused by default (SSRF protection); the tests
    # run both ends on 127.0.0.1. Legacy tokens let a fixed token be set at start. The
    # feature flag makes the task list's "Prediction score" column average the connected
    # backend's current model version (without it, 1.23 averages the predictions whose
    # version equals the backend's title, i.e. none of a live backend's).
    LABEL_STUDIO_USERNAME=ci@activelab.test LABEL_STUDIO_PASSWORD=activelab-ci \
    LABEL_STUDIO_USER_TOKEN="$TOKEN" LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
    ff_front_dev_1682_model_version_dropdown_070622_short=true \
    ML_BLOCK_LOCAL_IP=false SSRF_PROTECTION_ENABLED=false \
    LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=false \
        nohup "$venv/bin/label-studio" start --no-browser --data-dir "$dir" \
        --host "http://127.0.0.1:$port" --internal-host 127.0.0.1 --port "$port" \
        > "$dir/label-studio.log" 2>&1 &
    echo $! > "$dir/label-studio.pid"
    for _ in $(seq 1 180); do
        if "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
                "http://127.0.0.1:$port/health" 2>/dev/null; then
            echo "http://127.0.0.1:$port"
            exit 0
        fi
        if ! kill -0 "$(cat "$dir/label-studio.pid")" 2>/dev/null; then break; fi
        sleep 1
    done
    echo "Label Studio did not start; its log:" >&2
    tail -n 30 "$dir/label-studio.log" >&2
    exit 1
    ;;
stop)
    dir="$2"
    if [ -f "$dir/label-studio.pid" ]; then
        kill "$(cat "$dir/label-studio.pid")" 2>/dev/null || true
        rm -f "$dir/label-studio.pid"
    fi
    ;;
*)
    echo "usage: $0 install VENV | start VENV DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
