package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
)

// TestServeRefusesBadSettings: each wrong setting stops serve before it
// listens, naming the flag.
func TestServeRefusesBadSettings(t *testing.T) {
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"proxy header without a proxy", []string{"--trust-proxy-header", "X-Forwarded-User"}, "--trusted-proxy"},
		{"a bad proxy address", []string{"--trust-proxy-header", "X-Forwarded-User", "--trusted-proxy", "proxy.local"}, "--trusted-proxy"},
		{"a bad size", []string{"--max-upload", "lots"}, "--max-upload"},
		{"a certificate without its key", []string{"--tls-cert", "c.pem"}, "--tls-key"},
		{"a bad threshold", []string{"--approval-threshold", "1,000"}, "--approval-threshold"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := execute(t, nil, append([]string{"serve", "--sandbox", "--addr", "127.0.0.1:0"}, c.args...)...)
			assert.Equal(t, exitcode.Fatal, code)
			assert.Contains(t, stderr, c.says)
		})
	}
}

// TestServeSandbox starts `serve --sandbox`, signs in with a printed demo
// password, and stops it with the context, as Ctrl-C would.
func TestServeSandbox(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		root := NewRoot(pw, io.Discard, func(k string) (string, bool) {
			if k == "XDG_STATE_HOME" {
				return t.TempDir(), true
			}
			return "", false
		})
		root.SetArgs([]string{"serve", "--sandbox", "--addr", "127.0.0.1:0", "--log-level", "error"})
		err := root.ExecuteContext(ctx)
		_ = pw.Close()
		if err != nil {
			done <- exitcode.Fatal
			return
		}
		done <- exitcode.OK
	}()
	passwords := map[string]string{}
	userLine := regexp.MustCompile(`^\s+(\w+)\s+(\w+)\s+password (\S+)$`)
	var base string
	sc := bufio.NewScanner(pr)
	for base == "" && sc.Scan() {
		line := sc.Text()
		if m := userLine.FindStringSubmatch(line); m != nil {
			passwords[m[1]] = m[3]
		}
		if rest, ok := strings.CutPrefix(line, "Rewards console on "); ok {
			base = strings.TrimSuffix(strings.Fields(rest)[0], "/")
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.NotEmpty(t, base, "serve did not say where it listens")
	require.Len(t, passwords, len(demoRoles))

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindSubmatch(page)
	require.NotNil(t, token)
	assert.Contains(t, string(page), "SANDBOX")
	// The session cookie is Secure, which Go's cookie jar keeps from plain
	// HTTP: read the answer itself.
	res, err = c.PostForm(base+"/login", url.Values{"csrf": {string(token[1])}, "name": {"uploader"}, "password": {passwords["uploader"]}})
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/", res.Header.Get("Location"))

	cancel()
	assert.Equal(t, exitcode.OK, <-done)
}

// TestUserAdd creates a user from standard input, refuses a short password
// and an unknown role, and the password works.
func TestUserAdd(t *testing.T) {
	state := t.TempDir()
	run := func(stdin string, args ...string) (string, error) {
		var out strings.Builder
		root := NewRoot(&out, io.Discard, func(string) (string, bool) { return "", false })
		root.SetIn(strings.NewReader(stdin))
		root.SetArgs(append(args, "--state", filepath.Join(state, "ledger.db"), "--bcrypt-cost", "4"))
		err := root.ExecuteContext(context.Background())
		return out.String(), err
	}
	out, err := run("a long enough password\n", "user", "add", "asha", "--role", "uploader")
	require.NoError(t, err)
	assert.Contains(t, out, "User asha (uploader) saved.")
	_, err = run("short\n", "user", "add", "ravi", "--role", "approver")
	assert.ErrorContains(t, err, "at least 12")
	_, err = run("a long enough password\n", "user", "add", "ravi", "--role", "boss")
	assert.ErrorContains(t, err, "want viewer, uploader, approver or admin")
	_, err = run("a long enough password\n", "user", "add", "asha", "--role", "admin")
	assert.ErrorContains(t, err, "--replace")

	st, err := store.Open(context.Background(), filepath.Join(state, store.FileName))
	require.NoError(t, err)
	defer st.Close()
	u, err := st.Authenticate(context.Background(), "asha", "a long enough password")
	require.NoError(t, err)
	assert.Equal(t, store.RoleUploader, u.Role)
}
