// Package pgtest starts a throw-away PostgreSQL server for the tests of a
// package, from the binaries of Debian's postgresql package (initdb and
// pg_ctl, found on PATH or under /usr/lib/postgresql/*/bin): a cluster in
// a temporary folder, listening on a free loopback port and on a Unix
// socket in that folder, stopped and removed when the tests end. As root
// (CI), the server runs as the postgres user, or nobody: initdb refuses
// root. Where no binary is found, the tests that need it skip.
//
// Use [Main] from TestMain and [Database] in a test:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//	url := pgtest.Database(t) // a new, empty database
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
)

// Admin is the superuser of the test server.
const Admin = "rewardbatch_admin"

// Server is a running test server.
type Server struct {
	Dir      string // the temporary folder: data/, the socket, the log
	Port     int
	Password string // Admin's password; connections over TCP need it
	bin      string
	cred     *credential
}

var (
	once    sync.Once
	shared  *Server
	startEr error
	dbSeq   atomic.Int64
)

// ErrNoPostgres means no PostgreSQL binaries were found.
var ErrNoPostgres = errors.New("no PostgreSQL binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin")

// Main runs the package's tests, then stops the server if one was started.
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// StopShared stops the shared server, if one was started: for a TestMain
// that does more than [Main].
func StopShared() {
	if shared != nil {
		_ = shared.Stop()
	}
}

// Shared returns the package's server, starting it on first use; the test
// skips when no PostgreSQL can be found, and fails when one is found but
// does not start.
func Shared(t testing.TB) *Server {
	t.Helper()
	once.Do(func() { shared, startEr = Start(false) })
	if errors.Is(startEr, ErrNoPostgres) {
		t.Skip(startEr.Error())
	}
	if startEr != nil {
		t.Fatalf("starting the test PostgreSQL: %v", startEr)
	}
	return shared
}

// Database creates a new database on the shared server and returns its
// URL (with Admin's password).
func Database(t testing.TB) string {
	t.Helper()
	s := Shared(t)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	if err := s.Exec("postgres", "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	return s.URL(name)
}

// URL is the address of database name, with Admin's password.
func (s *Server) URL(name string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", Admin, s.Password, s.Port, name)
}

// Exec runs statements as Admin in database name.
func (s *Server) Exec(name, statements string) error {
	db, err := sql.Open("pgx", s.URL(name))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(statements)
	return err
}

// Start creates and starts a server, with fsync off when fsync is false
// (faster tests; see [Server.SetFsync]).
func Start(fsync bool) (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rewardbatch-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, bin: bin, Password: randomHex()}
	if err := s.start(fsync); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(fsync bool) error {
	cred, err := serverUser()
	if err != nil {
		return err
	}
	s.cred = cred
	pwfile := filepath.Join(s.Dir, "pw")
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600); err != nil {
		return err
	}
	if err := cred.own(s.Dir); err != nil {
		return err
	}
	if err := s.run("initdb", "-D", s.data(), "-U", Admin, "--pwfile", pwfile, "--auth-local=trust",
		"--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return err
	}
	_ = os.Remove(pwfile)
	fs := "off"
	if fsync {
		fs = "on"
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		s.Port = port
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=%s -c max_connections=200 -c shared_buffers=32MB", port, s.Dir, fs)
		err = s.run("pg_ctl", "-D", s.data(), "-l", filepath.Join(s.Dir, "log"), "-w", "-t", "60", "-o", opts, "start")
		if err == nil || attempt == 2 {
			return err
		}
	}
}

func (s *Server) data() string { return filepath.Join(s.Dir, "data") }

// Stop stops the server at once and removes its folder.
func (s *Server) Stop() error {
	var err error
	if _, serr := os.Stat(filepath.Join(s.data(), "postmaster.pid")); serr == nil {
		err = s.run("pg_ctl", "-D", s.data(), "-m", "immediate", "-w", "stop")
	}
	if rerr := os.RemoveAll(s.Dir); err == nil {
		err = rerr
	}
	return err
}

func (s *Server) run(tool string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, tool), args...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C", "PGTZ=UTC")
	s.cred.apply(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.Dir, "log"))
		return fmt.Errorf("%s: %w\n%s\n%s", tool, err, out, log)
	}
	return nil
}

// findBin finds the folder of initdb and pg_ctl.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "pg_ctl")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	for i := len(matches) - 1; i >= 0; i-- { // the newest version last in lexical order (mostly)
		d := filepath.Dir(matches[i])
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SetFsync turns the server's fsync on or off (it starts with it off, for
// speed): the benchmarks turn it on to measure what production pays.
func (s *Server) SetFsync(on bool) error {
	v := "off"
	if on {
		v = "on"
	}
	if err := s.Exec("postgres", "ALTER SYSTEM SET fsync = "+v); err != nil {
		return err
	}
	return s.Exec("postgres", "SELECT pg_reload_conf()")
}
