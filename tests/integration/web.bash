# web.bash - helpers of the web process's lab tests (70-web, 71-api, 72-console, 73-cert,
# 74-setup): where the cluster management address is, apweb started there and stopped, and a call
# of its API. They need $TMPD, $MGMT (or $WEB_ADDR), $STATE and $APPLAB (lab.bash).

mgmt_node() {
	local n
	for n in n1 n2; do
		if on "$n" ip -o addr show | grep -q " $MGMT/"; then
			echo "$n"
			return 0
		fi
	done
	return 1
}

# web_start [ARGS...]: apweb on the management node, as root, in the background, with ARGS
# added; its pid in $TMPD/pid.
web_start() {
	local node pid before
	node=$(cat "$TMPD/node")
	before=$(grep -c "serving https://" "$TMPD/apweb.log" 2>/dev/null) || before=0
	"$APPLAB" exec "$node" setsid apweb --user nobody --state-dir "$STATE" --node "$node" \
		--listen 0.0.0.0:8443 "$@" </dev/null >>"$TMPD/apweb.log" 2>&1 3>&- &
	pid=$!
	echo "$pid" >"$TMPD/pid"
	wait_until 10 bash -c "(( \$(grep -c 'serving https://' '$TMPD/apweb.log') > $before ))"
	[ "$(cat /proc/"$pid"/comm)" = apweb ]
}

web_stop() {
	local pid
	pid=$(cat "$TMPD/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	wait_until 10 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
	rm -f "$TMPD/pid"
}

# api METHOD PATH [JSON [CONTENT-TYPE]]: a call from the client to apweb at $WEB_ADDR (default
# $MGMT) with the session of $TMPD/jar and its CSRF token (none: no session); the status in
# $TMPD/status, the headers in $TMPD/headers, the body in $TMPD/body. The body goes as
# CONTENT-TYPE (default application/json).
api() {
	local method=$1 path=$2 data=${3:-} ctype=${4:-application/json}
	local args=(-X "$method" -H "X-CSRF-Token: $(cat "$TMPD/csrf" 2>/dev/null)")
	[ -n "$data" ] && args+=(-H "Content-Type: $ctype" --data-binary "$data")
	# A file sent as it is waits for the server's go (as curl does past 1 MB): a refusal on the
	# headers then comes before the body, not as a reset in the middle of it.
	[ "$ctype" != application/octet-stream ] || args+=(-H "Expect: 100-continue")
	client curl -sS -k --max-time "${API_MAX_TIME:-30}" -b "$TMPD/jar" -c "$TMPD/jar" -D "$TMPD/headers" "${args[@]}" \
		-w '\n%{http_code}' "https://${WEB_ADDR:-$MGMT}:8443$path" >"$TMPD/resp"
	tail -n1 "$TMPD/resp" >"$TMPD/status"
	sed '$d' "$TMPD/resp" >"$TMPD/body"
}

# is STATUS [JQ]: the last call's status was STATUS (and its body passes JQ).
is() {
	local got
	got=$(cat "$TMPD/status")
	if [ "$got" != "$1" ]; then
		echo "status $got, not $1: $(cat "$TMPD/body")" >&2
		return 1
	fi
	[ -z "${2:-}" ] || jq -e "$2" "$TMPD/body" >/dev/null || {
		echo "body fails $2: $(cat "$TMPD/body")" >&2
		return 1
	}
}

# web_teardown_file: apweb stopped, the lab down, $TMPD removed (every web test file's end).
web_teardown_file() {
	web_stop
	lab_down
	rm -rf "$TMPD"
}

# web_teardown: after a failed test, the lab's dump, the last API answer and the browser's
# output where the test had them, and the end of apweb's log.
web_teardown() {
	lab_dump_on_failure
	[ -z "${BATS_TEST_COMPLETED:-}" ] || return 0
	[ ! -f "$TMPD/status" ] || echo "last: $(cat "$TMPD/status" 2>/dev/null) $(cat "$TMPD/body" 2>/dev/null)" >&3
	[ ! -f "$TMPD/browser.out" ] || cat "$TMPD/browser.out" >&3 2>/dev/null || true
	tail -n 40 "$TMPD/apweb.log" >&3 2>/dev/null || true
}
