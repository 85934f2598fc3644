# web.bash - helpers of the web process's lab tests (70-web, 71-api, 72-console, 73-cert): where
# the cluster management address is, and apweb started there and stopped. They need $TMPD, $MGMT,
# $STATE and $APPLAB (lab.bash).

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
