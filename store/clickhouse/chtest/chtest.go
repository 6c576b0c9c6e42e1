// Package chtest starts real clickhouse-server processes for tests: one
// server, or several on loopback as the shards of one cluster, each with
// configuration files written into the test's temporary directory and
// ports chosen free. A test is skipped, with the reason, when no
// clickhouse-server binary is installed (.ci/run installs Debian's).
package chtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Server is one clickhouse-server process.
type Server struct {
	Addr string // 127.0.0.1:PORT of the native protocol
	dir  string
	bin  []string
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// binary returns the command that runs a server: clickhouse-server, or the
// single clickhouse binary of current releases.
func binary() ([]string, error) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return []string{p}, nil
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return []string{p, "server"}, nil
	}
	return nil, fmt.Errorf("no clickhouse-server in $PATH (apt-get install clickhouse-server)")
}

// freePort returns a loopback port that nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Start starts one server; it is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartCluster(t, "", 1)[0]
}

// StartCluster starts n servers, each one shard of the cluster named
// cluster (in every server's remote_servers); cluster "" starts servers
// that know of no cluster.
func StartCluster(t testing.TB, cluster string, n int) []*Server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Skipf("chtest: %v", err)
	}
	ports := make([][3]int, n)
	seen := map[int]bool{}
	for i := range ports {
		for j := range ports[i] {
			p := freePort(t)
			for seen[p] {
				p = freePort(t)
			}
			seen[p] = true
			ports[i][j] = p
		}
	}
	var remote strings.Builder
	if cluster != "" {
		fmt.Fprintf(&remote, "<remote_servers><%s>", cluster)
		for i := range ports {
			fmt.Fprintf(&remote, "<shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>", ports[i][0])
		}
		fmt.Fprintf(&remote, "</%s></remote_servers>", cluster)
	}
	servers := make([]*Server, n)
	for i := range servers {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("ch%d", i))
		for _, d := range []string{"data", "tmp", "user_files", "format_schemas"} {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%[1]s/server.log</log><errorlog>%[1]s/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <interserver_http_port>%[4]d</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <users_config>%[1]s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>200</max_concurrent_queries>
  <timezone>UTC</timezone>
  <macros><shard>%[5]d</shard><replica>r1</replica></macros>
  %[6]s
</yandex>
`, dir, ports[i][0], ports[i][1], ports[i][2], i+1, remote.String())
		users := `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`
		if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o644); err != nil {
			t.Fatal(err)
		}
		servers[i] = &Server{Addr: fmt.Sprintf("127.0.0.1:%d", ports[i][0]), dir: dir, bin: bin}
	}
	for _, s := range servers {
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
	}
	for _, s := range servers {
		if err := s.Wait(60 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return servers
}

// Restart starts the server again (after Stop) on its data and ports; Wait
// for it to answer.
func (s *Server) Restart() error {
	log, err := os.OpenFile(filepath.Join(s.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := append(s.bin[1:], "--config-file="+filepath.Join(s.dir, "config.xml"))
	cmd := exec.Command(s.bin[0], args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = log, log
	// The server dies with the test binary, even one killed at its
	// timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start clickhouse-server: %w", err)
	}
	s.cmd, s.log, s.done = cmd, log, make(chan struct{})
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	return nil
}

// Wait waits until the server answers a query, for up to d.
func (s *Server) Wait(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := s.ping()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			errlog, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
			out, _ := os.ReadFile(filepath.Join(s.dir, "stdout.log"))
			return fmt.Errorf("clickhouse-server on %s exited: %s\n%s", s.Addr, out, errlog)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("clickhouse-server on %s does not answer after %v: %w", s.Addr, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Server) ping() error {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{s.Addr}, DialTimeout: time.Second})
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return conn.Ping(ctx)
}

// Stop kills the server (SIGKILL: what it acknowledged is on disk) and
// waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
	default:
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.log.Close()
	s.cmd = nil
}

// URL returns the clickhouse:// URL of database db on this server, with
// the query options opts ("" for none).
func (s *Server) URL(db, opts string) string {
	u := "clickhouse://" + s.Addr + "/" + db
	if opts != "" {
		u += "?" + opts
	}
	return u
}
