package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"

	"github.com/rewardbatch/rewardbatch/pkg/console"
	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// serveOptions are the flags of `rewardbatch serve`.
type serveOptions struct {
	addr, tlsCert, tlsKey, maxUpload, threshold, maxAmount string
	proxyHeader                                            string
	trusted                                                []string
	idle                                                   time.Duration
	insecureCookies, useSandbox                            bool
	api                                                    apiFlags
	engine                                                 engine.Config
	ledger                                                 ledgerFlags
}

// AddFlags registers the flags.
func (o *serveOptions) AddFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	o.api.AddFlags(fs)
	o.ledger.AddFlags(fs)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM); with --tls-key")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	fs.StringVar(&o.maxUpload, "max-upload", "20MB", "largest file accepted (KB, MB or GB)")
	fs.StringVar(&o.threshold, "approval-threshold", "", "a file crediting more points than this needs two approvers (default: one)")
	fs.StringVar(&o.maxAmount, "max-amount", validate.DefaultMaxAmount.String(), "refuse a row above this many points, as a probable typing mistake")
	fs.DurationVar(&o.idle, "session-idle", console.DefaultSessionIdle, "sign a browser out after this long without a request")
	fs.StringVar(&o.proxyHeader, "trust-proxy-header", "", "sign in the user a reverse proxy names in this header (for example X-Forwarded-User); only from --trusted-proxy")
	fs.StringSliceVar(&o.trusted, "trusted-proxy", nil, "address or CIDR of the reverse proxy whose --trust-proxy-header is believed (repeatable)")
	fs.BoolVar(&o.insecureCookies, "insecure-cookies", false, "session cookies without the Secure attribute, for plain HTTP on a non-loopback address (trials only)")
	fs.BoolVar(&o.useSandbox, "sandbox", false, "run against an embedded EnKash sandbox with demo users; no real points move")
	fs.IntVar(&o.engine.Workers, "workers", engine.DefaultWorkers, "rows sent at the same time")
	addRateFlags(fs, &o.engine, defaultRate, "requests")
	fs.IntVar(&o.engine.MaxAttempts, "max-attempts", engine.DefaultMaxAttempts, "sends of a row that EnKash provably did not apply")
	fs.DurationVar(&o.engine.LookupGrace, "lookup-grace", 2*time.Second, "wait before looking up a row whose answer was lost")
}

func newServeCmd(g *globals) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HR web console: upload, check, approve and send from a browser",
		Long: `serve runs the web console on the same flows as the command line: an uploader
uploads the month's file and sees the dry run's plan and every problem; another
person with the approver role approves the plan (bound to its hash: any change to
the file or the options voids it); the approved file is sent in the background by
the same engine and ledger as 'rewardbatch run', with live progress, results,
downloads and an append-only audit log.

Users live in console.db beside the ledger; create them with 'rewardbatch user add'.
The EnKash credentials stay in the server's environment (ENKASH_*): no page shows
them.`,
		Example: `  # Try it: embedded sandbox, demo users printed at start, no real points
  rewardbatch serve --sandbox

  # Production behind a reverse proxy doing single sign-on
  rewardbatch user add asha --role uploader
  rewardbatch serve --addr 127.0.0.1:8080 --trust-proxy-header X-Forwarded-User --trusted-proxy 127.0.0.1 \
      --approval-threshold 500000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), g, o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runServe(ctx context.Context, g *globals, o *serveOptions) error {
	if err := checkRate(o.engine); err != nil {
		return exit(exitcode.Fatal, err)
	}
	cfg, cleanup, err := o.consoleConfig(ctx, g)
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	st, err := store.Open(ctx, filepath.Join(filepath.Dir(cfg.LedgerPath), consoleName(o.useSandbox)+".db"))
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	defer st.Close() //nolint:errcheck // closed at exit
	if o.useSandbox {
		if err := demoUsers(ctx, g, st); err != nil {
			return exit(exitcode.Fatal, err)
		}
	}
	srv, err := console.New(ctx, cfg, st)
	if err != nil {
		return exit(exitcode.Fatal, err)
	}
	if err := o.listen(ctx, g, srv); err != nil {
		return exit(exitcode.Fatal, err)
	}
	return nil
}

// listen serves until ctx ends, then stops the runs in progress (they
// write their reports) and the open event streams.
func (o *serveOptions) listen(ctx context.Context, g *globals, srv *console.Server) error {
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.addr, err)
	}
	base, stopStreams := context.WithCancel(context.Background())
	defer stopStreams()
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return base }}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(g.stdout, "Rewards console on %s://%s/ (Ctrl-C stops it; a run in progress writes its reports first)\n", scheme, ln.Addr())
	errc := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			errc <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	g.log.Info("console stopping")
	stopStreams()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	runErr := srv.Shutdown(sctx)
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return runErr
}

// consoleConfig turns the flags into the console's settings. cleanup
// removes what a sandbox run made.
func (o *serveOptions) consoleConfig(ctx context.Context, g *globals) (console.Config, func(), error) {
	cfg := console.Config{Engine: o.engine, Sandbox: o.useSandbox, SessionIdle: o.idle, SecureCookies: !o.insecureCookies,
		TrustProxyHeader: o.proxyHeader, Version: Version(), Log: g.log}
	var err error
	if cfg.MaxUpload, err = parseSize(o.maxUpload); err != nil {
		return cfg, nil, fmt.Errorf("--max-upload: %w", err)
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return cfg, nil, errors.New("--tls-cert and --tls-key go together")
	}
	if o.proxyHeader != "" && len(o.trusted) == 0 {
		return cfg, nil, errors.New("--trust-proxy-header needs --trusted-proxy: the addresses of the proxy that sets it")
	}
	for _, t := range o.trusted {
		p, err := parsePrefix(t)
		if err != nil {
			return cfg, nil, fmt.Errorf("--trusted-proxy %q: %w", t, err)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
	}
	if o.threshold != "" {
		t, err := money.Parse(o.threshold)
		if err != nil {
			return cfg, nil, fmt.Errorf("--approval-threshold: %w", err)
		}
		cfg.ApprovalThreshold = &t
	}
	var ec enkash.Config
	var cleanup func()
	if o.useSandbox {
		ec, cfg.LedgerPath, cleanup, err = o.startSandbox(g)
	} else {
		ec, err = o.api.config(g)
		if err == nil {
			cfg.LedgerPath, err = o.ledger.path(g)
		}
	}
	if err != nil {
		return cfg, cleanup, err
	}
	ec.Timeout, ec.MaxConnsPerHost = o.api.timeout, max(o.engine.Workers, 1)+2
	c, err := enkash.New(ec, enkash.WithLogger(g.log))
	if err != nil {
		return cfg, cleanup, err
	}
	cfg.API, cfg.Scope = c, ledger.Scope(ec.BaseURL, ec.CompanyID, ec.CardAccountID)
	cfg.Folder = filepath.Join(filepath.Dir(cfg.LedgerPath), consoleName(o.useSandbox))
	cfg.Validate, _, err = (&checkFlags{maxAmount: o.maxAmount}).options(ec)
	return cfg, cleanup, err
}

// startSandbox starts the embedded sandbox and returns its client
// settings and the ledger to use: --state, or a throw-away one whose
// references are never mistaken for real ones.
func (o *serveOptions) startSandbox(g *globals) (enkash.Config, string, func(), error) {
	sb, err := sandbox.New(sandbox.Options{Cards: sandbox.DemoCards()}).Start("127.0.0.1:0")
	if err != nil {
		return enkash.Config{}, "", nil, err
	}
	g.log.Warn(reward.NoRealPoints, zap.String("sandbox", sb.URL))
	path, tmp := o.ledger.state, ""
	if path == "" {
		if tmp, err = os.MkdirTemp("", "rewardbatch-console-sandbox-"); err != nil {
			_ = sb.Close(context.Background())
			return enkash.Config{}, "", nil, err
		}
		path = filepath.Join(tmp, ledger.FileName)
	}
	cleanup := func() {
		_ = sb.Close(context.Background())
		if tmp != "" {
			_ = os.RemoveAll(tmp)
		}
	}
	cfg, err := sandboxConfig(sb)
	if err != nil {
		cleanup()
		return enkash.Config{}, "", nil, err
	}
	return cfg, path, cleanup, nil
}

// consoleName names the console's database (.db) and folder beside the
// ledger. A sandbox console keeps its own, so that its demo users never
// land among the real ones, whatever --state says.
func consoleName(sandboxRun bool) string {
	if sandboxRun {
		return "console-sandbox"
	}
	return strings.TrimSuffix(store.FileName, ".db")
}

// demoRoles are the sandbox's demo users.
var demoRoles = []struct {
	name string
	role store.Role
}{
	{"uploader", store.RoleUploader}, {"approver", store.RoleApprover}, {"approver2", store.RoleApprover},
	{"viewer", store.RoleViewer}, {"admin", store.RoleAdmin},
}

// demoUsers gives each demo user a fresh random password and prints them:
// the sandbox console is for trying the flow, never for real points. The
// passwords are random and printed, so their hashes use bcrypt's lowest
// cost: no stretching protects a password printed on the terminal.
func demoUsers(ctx context.Context, g *globals, st *store.Store) error {
	st.SetCost(bcrypt.MinCost)
	defer st.SetCost(store.DefaultCost)
	fmt.Fprintf(g.stdout, "*** %s: the console runs against the embedded sandbox ***\nDemo users (new passwords at each start):\n", reward.NoRealPoints)
	for _, d := range demoRoles {
		pw := store.NewToken()[:16]
		if err := st.AddUser(ctx, d.name, d.role, pw, true); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "  %-10s %-9s password %s\n", d.name, d.role, pw)
	}
	return nil
}

// parsePrefix reads an address or a CIDR.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
