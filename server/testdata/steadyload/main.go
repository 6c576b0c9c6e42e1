// Command steadyload sends spans at a steady rate to a spantree serve and
// samples the size of its database and WAL files every 15 s:
//
//	steadyload ADDR KEY DBPATH DURATION SPANS_PER_SECOND
//
// (go build -o /tmp/steadyload ./server/testdata/steadyload; it uses the
// standard library only).
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	addr, key, db := os.Args[1], os.Args[2], os.Args[3]
	dur, _ := time.ParseDuration(os.Args[4])
	rate, _ := strconv.Atoi(os.Args[5]) // spans per second, in batches of 500
	end := time.Now().Add(dur)
	tick := time.NewTicker(time.Second * 500 / time.Duration(rate))
	sample := time.NewTicker(15 * time.Second)
	sent := 0
	start := time.Now()
	for time.Now().Before(end) {
		select {
		case <-sample.C:
			fmt.Printf("t=%3.0fs sent=%d db=%d KiB wal=%d KiB\n", time.Since(start).Seconds(), sent, size(db)>>10, size(db+"-wal")>>10)
		case <-tick.C:
			var b bytes.Buffer
			b.WriteString(`{"tags":{"service":"load"},"spans":[`)
			now := time.Now().UTC()
			for i := range 500 {
				var id [16]byte
				rand.Read(id[:])
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"trace_id":"%s","span_id":"0000000000000001","name":"op%d","location":"main.go:1","start":"%s","end":"%s","status":"succeeded","attrs":{"k":"some value here"}}`,
					hex.EncodeToString(id[:]), i%20, now.Format(time.RFC3339Nano), now.Add(time.Millisecond).Format(time.RFC3339Nano))
			}
			b.WriteString(`]}`)
			req, _ := http.NewRequest("POST", "http://"+addr+"/v1/spans", &b)
			req.Header.Set("X-API-Key", key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				fmt.Println(err)
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == 202 {
				sent += 500
			} else {
				fmt.Println("status", resp.StatusCode)
			}
		}
	}
	fmt.Printf("end sent=%d db=%d KiB wal=%d KiB\n", sent, size(db)>>10, size(db+"-wal")>>10)
}

func size(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}
