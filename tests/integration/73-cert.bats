#!/usr/bin/env bats
# The console's certificate (issue 12, `vsadm cert set|show|reset`) over a two-node lab. apweb
# runs on the node that holds the cluster management address (192.0.2.5), as in 70-web. An
# administrator's pair (a CA-signed leaf with its chain, made here by openssl: nothing secret in
# the tree) set with vsadm on the other node is served by that apweb within ~10 s (what the
# client's openssl s_client sees); a key of another certificate is refused with the sentence and
# nothing changes; the key is in no show output, no event and no log; apweb restarted with
# applianced out of its reach serves the administrator's pair it kept; after `cert reset` it
# serves its own self-signed certificate again.

load lab
load web

MGMT=192.0.2.5
STATE=/var/lib/appliance/apweb

setup_file() {
	# This file starts its own apweb (as nobody, restarted at will): not the lab's.
	export APPLAB_SOCKET_GROUP=nogroup APPLAB_WEB_USER=nobody APPLAB_WEB=0
	lab_up --nodes 2 --luns 1
	export TMPD=$(mktemp -d /tmp/bats-cert.XXXXXX)
	chmod 755 "$TMPD"
	wait_until 30 bash -c "$APPLAB exec n1 vsadm cluster show --json | jq -e '[.nodes[] | select(.state == \"member\")] | length == 2'"
	wait_until 30 mgmt_node
	mgmt_node >"$TMPD/node"
	if [ "$(cat "$TMPD/node")" = n1 ]; then echo n2; else echo n1; fi >"$TMPD/other"
	make_pairs
	web_start
	served_fingerprint >"$TMPD/self"
	grep -q '^SHA256:' "$TMPD/self"
}

teardown_file() {
	web_teardown_file
}

teardown() {
	web_teardown
}

# A test CA, a leaf for the console it signed (serverAuth, the management address and a name),
# its chain file, and a key of another certificate.
make_pairs() {
	local d=$TMPD
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -days 30 \
		-subj '/CN=Lab Test CA' -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=console.lab.example' \
		-keyout "$d/leaf.key" -out "$d/leaf.csr" 2>/dev/null
	printf 'subjectAltName=DNS:console.lab.example,IP:%s\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n' \
		"$MGMT" >"$d/ext"
	openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 10 -extfile "$d/ext" -out "$d/leaf.pem" 2>/dev/null
	cat "$d/leaf.pem" "$d/ca.pem" >"$d/chain.pem"
	openssl genpkey -algorithm ed25519 -out "$d/other.key" 2>/dev/null
	openssl x509 -in "$d/leaf.pem" -noout -fingerprint -sha256 | sed 's/.*=/SHA256:/; s/://2g' >"$d/admin"
	# What no output may hold: a piece of the key's base64, and the PEM marker.
	sed -n 2p "$d/leaf.key" | cut -c 10-30 >"$d/keypiece"
	chmod 644 "$d"/*
	grep -q '^SHA256:[0-9A-F]\{64\}$' "$d/admin"
}

# The fingerprint the client sees, as "SHA256:" and hex digits.
served_fingerprint() {
	client openssl s_client -connect "$MGMT:8443" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 | sed 's/.*=/SHA256:/; s/://2g'
}

served_is() { # FILE: the fingerprint in FILE is served
	[ "$(served_fingerprint)" = "$(cat "$1")" ]
}

config_version() {
	vsadm_on "$1" node show --json | jq -r '.config_version // empty'
}

@test "at first each node's own self-signed certificate: cert show says so" {
	vsadm_on n1 cert show >"$TMPD/out"
	grep -q "each node's own, self-signed" "$TMPD/out"
	vsadm_on n2 cert show --json | jq -e '.source == "self-signed"'
	# The self-signed one is the node's, not the administrator's.
	[ "$(cat "$TMPD/self")" != "$(cat "$TMPD/admin")" ]
}

@test "cert set on the other node: every node has it, the event names who and the fingerprint, apweb serves it within 10 s" {
	other=$(cat "$TMPD/other")
	start=${EPOCHREALTIME//[!0-9]/}
	vsadm_on "$other" cert set --cert "$TMPD/chain.pem" --key "$TMPD/leaf.key" >"$TMPD/out"
	set_at=${EPOCHREALTIME//[!0-9]/}
	grep -q "console certificate set: $(cat "$TMPD/admin"), served by every node's apweb" "$TMPD/out"
	wait_until 10 served_is "$TMPD/admin"
	served_at=${EPOCHREALTIME//[!0-9]/}
	echo "# cert set (on $other) to served (on $(cat "$TMPD/node")): $(((served_at - set_at) / 1000)) ms after vsadm returned, $(((served_at - start) / 1000)) ms after it started" >&3
	echo "$(((served_at - set_at) / 1000))" >>"$TMPD/served-ms"
	# Replicated: both nodes show the same certificate, described by vsadm.
	for n in n1 n2; do
		vsadm_on "$n" cert show --json >"$TMPD/show-$n"
		jq -e --arg f "$(cat "$TMPD/admin")" '.source == "administrator" and .fingerprint == $f and .chain == 1 and .subject == "CN=console.lab.example" and .issuer == "CN=Lab Test CA" and .key_type == "ECDSA P-256" and (.names | index("IP:192.0.2.5"))' "$TMPD/show-$n"
	done
	vsadm_on n1 cert show >"$TMPD/human"
	grep -q '^Names:        DNS:console.lab.example, IP:192.0.2.5$' "$TMPD/human"
	grep -q "^Fingerprint:  $(cat "$TMPD/admin")$" "$TMPD/human"
	grep -q '^Chain:        1 more certificate after it$' "$TMPD/human"
	# The event: who (root, uid 0) and the new fingerprint.
	vsadm_on n1 event show --json | jq -e --arg f "$(cat "$TMPD/admin")" \
		'[.[] | select(.message | test("console certificate set: " + $f + ".*by uid 0"))] | length == 1'
	# The chain is served too; apweb said so in one line; it kept the pair, 0600.
	client openssl s_client -connect "$MGMT:8443" -showcerts </dev/null 2>/dev/null >"$TMPD/sc"
	[ "$(grep -c 'BEGIN CERTIFICATE' "$TMPD/sc")" = 2 ]
	grep -q "serving the administrator's certificate $(cat "$TMPD/admin")" "$TMPD/apweb.log"
	node=$(cat "$TMPD/node")
	[ "$(on "$node" stat -c '%U %a' "$STATE/admin-key.pem")" = "nobody 600" ]
	# The same pair again: nothing changes.
	v=$(config_version n1)
	vsadm_on "$other" cert set --cert "$TMPD/chain.pem" --key "$TMPD/leaf.key" | grep -q 'already set; nothing changed'
	[ "$(config_version n1)" = "$v" ]
}

@test "a mismatched pair is refused with the sentence and nothing changes" {
	other=$(cat "$TMPD/other")
	v=$(config_version n1)
	run "$APPLAB" exec "$other" vsadm cert set --cert "$TMPD/leaf.pem" --key "$TMPD/other.key"
	[ "$status" -eq 1 ]
	[ "$output" = "vsadm: The key does not belong to the certificate." ]
	# A link is not followed, a missing file is named; garbage is not a certificate.
	ln -sf "$TMPD/leaf.key" "$TMPD/link.key"
	run "$APPLAB" exec "$other" vsadm cert set --cert "$TMPD/leaf.pem" --key "$TMPD/link.key"
	[ "$status" -eq 1 ]
	[[ $output == *"is a symbolic link; give the file itself."* ]]
	run "$APPLAB" exec "$other" vsadm cert set --cert "$TMPD/ext" --key "$TMPD/leaf.key"
	[ "$status" -eq 1 ]
	[ "$output" = "vsadm: The certificate file holds no PEM certificate." ]
	# The chain in the wrong order.
	cat "$TMPD/ca.pem" "$TMPD/leaf.pem" >"$TMPD/reversed.pem"
	run "$APPLAB" exec "$other" vsadm cert set --cert "$TMPD/reversed.pem" --key "$TMPD/leaf.key"
	[ "$status" -eq 1 ]
	[[ $output == *"not in order"* ]]
	# applianced's own form check: a pair that did not go through vsadm's validator.
	req=$(jq -nc --rawfile c "$TMPD/leaf.pem" --rawfile k "$TMPD/other.key" '{cmd: "cert.set", args: {cert: ("junk\n" + $c), key: $k}}')
	ask='import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect("/run/appliance/applianced.sock"); s.sendall(sys.argv[1].encode()+b"\n"); print(s.makefile().readline().strip())'
	on "$other" python3 -c "$ask" "$req" >"$TMPD/r"
	jq -e '.ok == false and (.error | startswith("The certificate is not in the form vsadm sends"))' "$TMPD/r"
	# Nothing changed: the version, the certificate shown, the one served.
	[ "$(config_version n1)" = "$v" ]
	vsadm_on n1 cert show --json | jq -e --arg f "$(cat "$TMPD/admin")" '.fingerprint == $f'
	served_is "$TMPD/admin"
}

@test "cert.get gives the key to apweb's uid alone; cert set is root's or the admin group's" {
	node=$(cat "$TMPD/node")
	ask='import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect("/run/appliance/applianced.sock"); s.sendall(sys.argv[1].encode()+b"\n"); print(s.makefile().readline().strip())'
	on "$node" python3 -c "$ask" '{"cmd":"cert.get","args":{}}' >"$TMPD/g1"
	jq -e '.ok == false and .error == "Permission denied: only the web process may read the console'"'"'s private key."' "$TMPD/g1"
	on "$node" setpriv --reuid=1000 --regid=65534 --clear-groups python3 -c "$ask" '{"cmd":"cert.get","args":{}}' >"$TMPD/g2"
	jq -e '.ok == false' "$TMPD/g2"
	# apweb's uid for an account: refused too.
	on "$node" setpriv --reuid=65534 --regid=65534 --clear-groups python3 -c "$ask" '{"cmd":"cert.get","as":"alice","args":{}}' >"$TMPD/g3"
	jq -e '.ok == false' "$TMPD/g3"
	# apweb's uid itself: the pair.
	on "$node" setpriv --reuid=65534 --regid=65534 --clear-groups python3 -c "$ask" '{"cmd":"cert.get","args":{}}' >"$TMPD/g4"
	jq -e '.ok == true and .data.source == "administrator" and (.data.key | startswith("-----BEGIN PRIVATE KEY-----"))' "$TMPD/g4" >/dev/null
	rm -f "$TMPD/g4"
	# The socket group may show it, not set or reset it.
	on "$node" setpriv --reuid=1000 --regid=65534 --clear-groups python3 -c "$ask" '{"cmd":"cert.show","args":{}}' >"$TMPD/s1"
	jq -e '.ok == true and .data.source == "administrator" and (.data | has("key") | not)' "$TMPD/s1"
	on "$node" setpriv --reuid=1000 --regid=65534 --clear-groups python3 -c "$ask" '{"cmd":"cert.reset","args":{}}' >"$TMPD/s2"
	jq -e '.ok == false and (.error | startswith("Permission denied"))' "$TMPD/s2"
	vsadm_on n1 cert show --json | jq -e '.source == "administrator"'
}

@test "the key is in no show output, no event and no log" {
	piece=$(cat "$TMPD/keypiece")
	[ ${#piece} -ge 16 ]
	for n in n1 n2; do
		for cmd in "cert show" "cert show --json" "vserver show --json" "node show --json" \
			"cluster show --json" "event show --json" "admin show --json" "fgroup show --json" \
			"fence show --json" "port show --json" "vip show --json" "balance show --json" \
			"move show --json" "load show --json" "lun show --json"; do
			# shellcheck disable=SC2086
			vsadm_on "$n" $cmd >"$TMPD/o" 2>&1 || true
			! grep -q 'PRIVATE KEY' "$TMPD/o" || false
			! grep -qF -- "$piece" "$TMPD/o" || false
		done
	done
	for log in /var/lib/applab/nodes/*/log/applianced.log "$TMPD/apweb.log"; do
		! grep -q 'PRIVATE KEY' "$log" || false
		! grep -qF -- "$piece" "$log" || false
	done
}

@test "apweb restarted with applianced out of its reach serves the administrator's pair it kept" {
	# Not applianced stopped (keepalived would move the management address, and the cluster
	# would fence the node): apweb reads the socket through a path that does not exist.
	web_stop
	web_start --socket /run/appliance/nothing-here.sock
	served_is "$TMPD/admin"
	grep -q "serving the administrator's certificate $(cat "$TMPD/admin") .* kept in $STATE" "$TMPD/apweb.log"
	grep -q 'cannot ask applianced for the console certificate' "$TMPD/apweb.log"
	# And it keeps serving it.
	sleep 6
	served_is "$TMPD/admin"
	web_stop
	web_start
}

@test "cert reset: back to the node's self-signed certificate, the kept pair forgotten" {
	node=$(cat "$TMPD/node")
	vsadm_on n1 cert reset | grep -q 'console certificate reset'
	wait_until 10 served_is "$TMPD/self"
	vsadm_on n2 cert show --json | jq -e '.source == "self-signed"'
	vsadm_on n2 event show --json | jq -e '[.[] | select(.message | test("console certificate reset.*by uid 0"))] | length == 1'
	! on "$node" test -e "$STATE/admin-key.pem" || false
	! on "$node" test -e "$STATE/admin-cert.pem" || false
	grep -q "serving this node's self-signed certificate $(cat "$TMPD/self")" "$TMPD/apweb.log"
	vsadm_on n1 cert reset | grep -q 'no console certificate was set'
	# Set again, to measure once more, then reset.
	set_at=${EPOCHREALTIME//[!0-9]/}
	vsadm_on n2 cert set --cert "$TMPD/chain.pem" --key "$TMPD/leaf.key" >/dev/null
	wait_until 10 served_is "$TMPD/admin"
	served_at=${EPOCHREALTIME//[!0-9]/}
	echo "# cert set to served, again: $(((served_at - set_at) / 1000)) ms" >&3
	vsadm_on n2 cert reset >/dev/null
	wait_until 10 served_is "$TMPD/self"
}
