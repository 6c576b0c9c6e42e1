package server_test

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spantree/spantree/server"
)

// serveWith runs the API of a fresh env behind NewHTTPServer with short
// timeouts and returns its address.
func serveWith(t *testing.T, to server.Timeouts) (addr, key string) {
	t.Helper()
	e := newEnv(t, server.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewHTTPServer(server.New(e.st, server.Options{}), to, log.New(io.Discard, "", 0))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), e.key
}

// TestSlowBodyCutOff: a body sent a byte at a time, slower than the read
// timeout allows, is cut off: the server answers 408 or closes the
// connection before the body is complete.
func TestSlowBodyCutOff(t *testing.T) {
	addr, key := serveWith(t, server.Timeouts{Read: 200 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := oneSpanBody
	fmt.Fprintf(c, "POST /v1/spans HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\nContent-Length: %d\r\n\r\n", key, len(body))
	got := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			got <- "closed"
			return
		}
		b, _ := io.ReadAll(resp.Body)
		got <- resp.Status + " " + string(b)
	}()
	for i := 0; i < len(body); i++ {
		select {
		case status := <-got:
			if status != "closed" && !strings.HasPrefix(status, "408") {
				t.Errorf("slow body answered %s; want 408 or a closed connection", status)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
		if _, err := c.Write([]byte{body[i]}); err != nil {
			return // closed by the server
		}
	}
	t.Errorf("the whole body of %d bytes went through, a byte each 20ms, with a read timeout of 200ms", len(body))
}

// TestIdleConnectionClosed: a keep-alive connection with no next request is
// closed by the server.
func TestIdleConnectionClosed(t *testing.T) {
	addr, _ := serveWith(t, server.Timeouts{Idle: 100 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// A guard, not a timing: the connection must close long before this.
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("read on an idle keep-alive connection = %v; want EOF (closed by the server)", err)
	}
}

const oneSpanBody = `{"spans":[{"trace_id":"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J","span_id":"0000000000000001","name":"main.main","start":"2026-11-25T10:00:00Z","end":"2026-11-25T10:00:01Z","status":"succeeded"}]}`
