#!/bin/bash
# gzip_bombs.sh SPANTREE_BINARY: 64 concurrent 1 MB gzip bombs (1 GiB of
# zeros each) at a real `spantree serve` on a fresh database, sampling the
# server's RSS every 50 ms; prints the statuses, the peak RSS, the RSS right
# after and a minute later. Run from a scratch directory:
#   go build -o /tmp/st ./cmd/spantree && (cd /tmp && bash $OLDPWD/server/testdata/gzip_bombs.sh /tmp/st)
set -e
BIN=$1
DB=$PWD/bombs.db
PORT=${PORT:-7171}
rm -f "$DB"* codes.txt peak.txt
[ -f bomb.gz ] || head -c 1073741824 /dev/zero | gzip -9 > bomb.gz
KEY=$("$BIN" key create -db "$DB" acme)
"$BIN" serve -addr 127.0.0.1:$PORT -db "$DB" 2>serve.log & PID=$!
sleep 1
echo "bomb: $(stat -c %s bomb.gz) bytes; RSS before: $(awk '/VmRSS/{print $2}' /proc/$PID/status) kB"
( peak=0; while kill -0 $PID 2>/dev/null; do
	r=$(awk '/VmRSS/{print $2}' /proc/$PID/status 2>/dev/null)
	if [ -n "$r" ] && [ "$r" -gt $peak ]; then peak=$r; echo $peak > peak.txt; fi
	sleep 0.05
done ) &
pids=()
for i in $(seq 64); do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "X-API-Key: $KEY" -H 'Content-Encoding: gzip' \
		--data-binary @bomb.gz http://127.0.0.1:$PORT/v1/spans >> codes.txt & pids+=($!)
done
wait "${pids[@]}"
sleep 0.5
echo "statuses: $(sort codes.txt | uniq -c | tr -s ' \n' ' ')"
echo "peak RSS: $(cat peak.txt) kB; RSS after: $(awk '/VmRSS/{print $2}' /proc/$PID/status) kB"
sleep 60
echo "RSS a minute later: $(awk '/VmRSS/{print $2}' /proc/$PID/status) kB"
kill $PID
